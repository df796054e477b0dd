"""Probe data streamed to disk: one growing ``.npy`` file per probe.

With ``Simulator(..., probe_dir=directory)`` every run appends each probe's
kept rows to its file as the run's chunks complete, and ``sim.data[probe]`` is a
read-only memory map of the file: nothing but the current chunk is held in RAM.

Files are standard ``.npy`` files with the time axis first,
``(n_samples, minibatch_size, *probe shape)``; their header is rewritten after
each chunk, so ``np.load(path, mmap_mode="r")`` (or `load_probe_dir`) reads them
at any time, also from another process. ``probes.json`` in the directory maps
probe names to files.
"""

import json
import os
import re
from pathlib import Path

import numpy as np
from nengo.exceptions import SimulationError, ValidationError

#: Bytes of each file's ``.npy`` header (fixed, so that it can be rewritten).
HEADER_BYTES = 128
MAGIC = b"\x93NUMPY\x01\x00"
INDEX = "probes.json"


def check_probe_dir(probe_dir):
    """The directory as a `Path` (created if missing); else a ValidationError."""
    if probe_dir is None:
        return None
    if not isinstance(probe_dir, (str, os.PathLike)):
        raise ValidationError(
            f"probe_dir must be a directory path (str or os.PathLike), got "
            f"{type(probe_dir).__name__}",
            attr="probe_dir",
        )
    path = Path(probe_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ValidationError(
            f"probe_dir {str(path)!r} is not a directory that can be created or "
            f"written ({e.strerror})",
            attr="probe_dir",
        ) from e
    if not os.access(path, os.W_OK):
        raise ValidationError(
            f"probe_dir {str(path)!r} is not writable", attr="probe_dir"
        )
    return path


def _header(dtype, shape):
    text = repr({"descr": dtype.str, "fortran_order": False, "shape": shape})
    room = HEADER_BYTES - len(MAGIC) - 2 - 1  # 2 length bytes, 1 newline
    if len(text) > room:
        raise ValidationError(f"probe shape {shape} is too long for a header")
    body = (text.ljust(room) + "\n").encode("latin1")
    return MAGIC + len(body).to_bytes(2, "little") + body


class ProbeFile:
    """One probe's file: rows ``(minibatch, *shape)`` appended in time order.

    Parameters
    ----------
    path : Path
        A new file (created exclusively on the first write).
    row_shape : tuple
        ``(minibatch_size, *probe shape)``.
    dtype : numpy dtype
    """

    def __init__(self, path, row_shape, dtype):
        self.path = path
        self.row_shape = tuple(row_shape)
        self.dtype = np.dtype(dtype)
        self.n_rows = 0

    def append(self, rows):
        """Write ``rows`` (``(n, *row_shape)``) at the end; their row range."""
        rows = np.ascontiguousarray(rows, dtype=self.dtype)
        start, stop = self.n_rows, self.n_rows + len(rows)
        row_bytes = int(np.prod(self.row_shape)) * self.dtype.itemsize
        try:
            with open(self.path, "r+b" if start else "xb") as f:
                f.seek(HEADER_BYTES + start * row_bytes)
                f.write(rows.tobytes())
                f.seek(0)
                f.write(_header(self.dtype, (stop,) + self.row_shape))
        except OSError as e:
            raise SimulationError(
                f"Could not write probe data to {self.path} ({e.strerror}); the "
                "run stopped before this chunk was recorded"
            ) from e
        self.n_rows = stop
        return FileRows(self, start, stop)

    def read(self, start, stop):
        """Rows ``start:stop`` as a read-only memory map."""
        if stop == start:
            return np.zeros((0,) + self.row_shape, self.dtype)
        try:
            data = np.memmap(
                self.path,
                dtype=self.dtype,
                mode="r",
                offset=HEADER_BYTES,
                shape=(stop,) + self.row_shape,
            )
        except (OSError, ValueError) as e:
            raise SimulationError(
                f"Probe data file {self.path} cannot be read ({e}); was it "
                "deleted or truncated (reset() deletes the files of the data "
                "it clears)?"
            ) from e
        return data[start:stop]

    def delete(self):
        """Remove the file (open memory maps of it stay readable)."""
        self.path.unlink(missing_ok=True)


class FileRows:
    """A chunk of probe data on disk: rows ``start:stop`` of a `ProbeFile`."""

    def __init__(self, file, start, stop):
        self.file, self.start, self.stop = file, start, stop

    def __len__(self):
        return self.stop - self.start


def join_rows(chunks):
    """All rows of ``chunks`` (FileRows), time first; a memory map if they are
    consecutive rows of one file (the usual case), else a copy in RAM."""
    first = chunks[0]
    consecutive = all(
        c.file is first.file and c.start == prev.stop
        for prev, c in zip(chunks, chunks[1:])
    )
    if consecutive:
        return first.file.read(first.start, chunks[-1].stop)
    return np.concatenate([c.file.read(c.start, c.stop) for c in chunks])


class ProbeDir:
    """The probe files of one Simulator in ``directory``.

    Parameters
    ----------
    directory : Path
    names : dict
        Maps each streamed probe to a name (used in file names).
    row_shapes : dict
        Maps each streamed probe to ``(minibatch_size, *shape)``.
    batch_axis : bool
        Whether ``sim.data`` has a minibatch axis (recorded in the index).
    """

    def __init__(self, directory, names, row_shapes, batch_axis):
        self.directory = directory
        self.names = names
        self.row_shapes = row_shapes
        self.batch_axis = batch_axis
        self.files = {}  # probe -> current ProbeFile

    def append(self, probe, rows):
        """Append ``rows`` (time first) to the probe's file; their FileRows."""
        file = self.files.get(probe)
        if file is None or file.dtype != rows.dtype:
            file = self.files[probe] = ProbeFile(
                self._free_path(self.names[probe]), self.row_shapes[probe], rows.dtype
            )
            self._write_index()
        return file.append(rows)

    def _free_path(self, name):
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "probe"
        n = 0
        while (path := self.directory / f"{stem}.{n}.npy").exists():
            n += 1
        return path  # created exclusively by the first `ProbeFile.append`

    def _write_index(self):
        index = {
            "batch_axis": self.batch_axis,
            "probes": {self.names[p]: f.path.name for p, f in self.files.items()},
        }
        try:
            (self.directory / INDEX).write_text(json.dumps(index, indent=1))
        except OSError as e:
            raise SimulationError(
                f"Could not write {self.directory / INDEX} ({e.strerror})"
            ) from e

    def clear(self):
        """Delete this Simulator's files; the next run starts new ones."""
        for file in self.files.values():
            file.delete()
        self.files = {}


def load_probe_dir(directory):
    """Probe data written with ``probe_dir=directory``, as read-only memory maps.

    Parameters
    ----------
    directory : str or os.PathLike

    Returns
    -------
    dict
        Maps probe names (as in the file names) to arrays shaped as
        ``sim.data`` gives them: ``(n, *shape)``, or ``(minibatch, n, *shape)``
        for Simulators with a ``minibatch_size``.
    """
    directory = Path(directory)
    try:
        index = json.loads((directory / INDEX).read_text())
    except (OSError, ValueError) as e:
        raise ValidationError(
            f"{str(directory)!r} holds no readable {INDEX} (is it a probe_dir "
            "a Simulator has run with?)",
            attr="directory",
        ) from e
    data = {}
    for name, file_name in index["probes"].items():
        rows = np.load(directory / file_name, mmap_mode="r")
        data[name] = np.moveaxis(rows, 0, 1) if index["batch_axis"] else rows[:, 0]
    return data
