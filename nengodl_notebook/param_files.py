"""Parameter files: a snapshot of the parameters (`params.Params`) as ``.npz``.

A file holds each array of the snapshot under its key, and the snapshot's
structure (``__format__``, ``__keys__``, ``__labels__``, ``__structure__``; no
pickle). `read_params` gives the file back as a snapshot, which
`params.apply_params` checks against the network like any other; `write_params`
replaces a file atomically.
"""

import contextlib
import os
import re
import secrets

import numpy as np
from nengo.exceptions import ValidationError

from nengodl_notebook.params import Origin, ParamEntry, Params

#: Written as ``__format__``; files without it are of the first format
#: (``__keys__`` and ``__labels__`` only).
FILE_FORMAT = "nengodl_notebook params 2"


def write_params(params, path, extra=None):
    """Save a snapshot to ``path`` (``.npz``; no pickle).

    As `np.savez`, ``.npz`` is appended to a path not ending with it. The file is
    written next to ``path`` under a temporary name, flushed to disk, then renamed
    over ``path``: an interrupted save leaves the previous file as it was, and no
    temporary file. (An open file object given as ``path`` is written directly.)

    Parameters
    ----------
    params : Params
    path : str, os.PathLike or file object
    extra : dict, optional
        More arrays to save (the run state, see `state_files`); their names
        must start with ``__``, which parameter keys never do.
    """
    entries = params.entries
    contents = {
        "__format__": np.array(FILE_FORMAT),
        "__keys__": np.array([e.key for e in entries], dtype=str),
        "__labels__": np.array(params.labels, dtype=str),
        "__structure__": np.array([e.row() for e in entries], dtype=str).reshape(-1, 4),
        **params,
        **(extra or {}),
    }
    if hasattr(path, "write"):
        np.savez(path, **contents)
    else:
        write_atomically(npz_path(path), lambda file: np.savez(file, **contents))


def read_params(path):
    """The snapshot saved at ``path`` by `write_params` (or a first-format file).

    Raises a ValidationError naming the file when it cannot be read or is not a
    parameter file (an OSError for a missing file). The snapshot's errors name
    the file too.
    """
    return read_params_file(path)[0]


def read_params_file(path):
    """``(snapshot, arrays)``: `read_params`, and every array in the file."""
    path = npz_path(path)
    saved = _read(path)
    entries, legacy = _saved_entries(path, saved)
    labels = saved.get("__labels__")
    labels = [str(x) for x in np.ravel(labels)] if labels is not None else None
    if labels is not None and len(labels) != len(entries):
        labels = None  # only shown, never compared
    arrays = {e.key: saved[e.key] for e in entries}
    return Params(entries, arrays, labels, Origin.file(path), legacy=legacy), saved


def npz_path(path):
    """``path`` as a string, with ``.npz`` appended unless it ends with it."""
    path = os.fspath(path)
    return path if path.endswith(".npz") else path + ".npz"


def write_atomically(path, write):
    """Call ``write(file)`` on a new file that then replaces ``path`` in one step.

    The temporary file is in ``path``'s directory (so the rename is atomic), is
    fsynced before the rename, takes the permissions of the file it replaces, and
    is removed if anything (KeyboardInterrupt too) interrupts the write.
    """
    directory, name = os.path.split(os.path.abspath(path))
    temp = None
    try:
        temp, fd = _temporary_file(directory, name)
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temp, os.stat(path).st_mode & 0o7777)
        os.replace(temp, path)
    except BaseException:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        raise
    with contextlib.suppress(OSError):  # make the rename durable (POSIX)
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _temporary_file(directory, name):
    """``(path, fd)`` of a new file ``.<name>.<random>.tmp`` (mode 0666 - umask)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temp = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            return temp, os.open(temp, flags, 0o666)
        except FileExistsError:
            continue


def _read(path):
    """Every array in the file at ``path``; a ValidationError if it is unreadable."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            return {key: saved[key] for key in saved.files}
    except OSError as e:
        if e.filename is not None:  # names the path already
            raise
        error = e
    # any error of a damaged file (BadZipFile, ValueError, zlib.error, ...)
    except Exception as e:  # noqa: BLE001 - reported below with the path
        error = e
    raise ValidationError(
        f"{path}: cannot read this parameter file ({type(error).__name__}: {error})",
        attr="path",
    ) from error


def _saved_entries(path, saved):
    """``(entries, legacy)``: the file's structure; whether it is the first format."""
    if "__format__" in saved:
        if str(saved["__format__"]) != FILE_FORMAT:
            raise ValidationError(
                f"{path}: unknown parameter file format {str(saved['__format__'])!r} "
                f"(this version reads {FILE_FORMAT!r})",
                attr="path",
            )
        keys, rows = saved.get("__keys__"), saved.get("__structure__")
        if keys is None or rows is None or rows.shape != (len(keys), 4):
            raise ValidationError(f"{path}: damaged structure record", attr="path")
        entries = [
            ParamEntry(str(k), str(t), str(o), str(n), _shape(s))
            for k, (t, o, n, s) in zip(keys, rows)
        ]
    elif "__keys__" in saved and "__labels__" in saved:
        keys, labels = saved["__keys__"], saved["__labels__"]
        entries = [
            ParamEntry(str(k), "", "", "", None, str(label))
            for k, label in zip(keys, labels)
        ]
    else:
        raise ValidationError(
            f"{path} is not a parameter file written by save_params "
            f"(it holds {sorted(saved)[:5]} and no __keys__)",
            attr="path",
        )
    for i, entry in enumerate(entries):
        if entry.key not in saved:
            raise ValidationError(
                f"{path}: parameter {i} ({entry.key}) is listed, but its array is "
                f"missing",
                attr="path",
            )
        shape = saved[entry.key].shape
        if entry.shape is None:
            entries[i] = entry._replace(shape=shape)
        elif entry.shape != shape:
            raise ValidationError(
                f"{path}: parameter {i} ({entry.key}) is recorded with shape "
                f"{entry.shape} but its array has shape {shape}: the file is damaged",
                attr="path",
            )
    return entries, "__format__" not in saved


def _shape(text):
    """``(10, 2)`` from its text ``"(10, 2)"``."""
    return tuple(int(d) for d in re.findall(r"\d+", text))
