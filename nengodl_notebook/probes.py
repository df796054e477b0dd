"""Probe bookkeeping: which state rows each probe reads, and its recorded data."""

from collections.abc import Mapping

import numpy as np
from nengo.exceptions import ValidationError

from nengodl_notebook.probe_files import FileRows, ProbeDir, join_rows


class ProbeRecorder:
    """Collects probe data chunk by chunk, applying ``sample_every``.

    Each probe's data is a list of chunks: arrays ``(minibatch, n, ...)`` in
    RAM, or `probe_files.FileRows` on disk when a ``probe_dir`` is given.
    Probes with ``keep_history=False`` keep only their latest sample, in RAM.

    Parameters
    ----------
    model : nengo.builder.Model
    layout : SignalLayout
    dt : float
    last_only : set, optional
        Probes with ``keep_history=False``.
    probe_dir : Path, optional
        Stream the other probes' data to files in this directory.
    names : dict, optional
        Probe names for the file names (default ``probe<i>``).
    batch_axis : bool
        Whether ``sim.data`` has a minibatch axis (for the files' index).
    """

    def __init__(
        self,
        model,
        layout,
        dt,
        last_only=frozenset(),
        probe_dir=None,
        names=None,
        batch_axis=False,
        minibatch_size=1,
    ):
        self.probes = list(model.probes)
        self.dt = dt
        self.signals = [model.sig[p]["in"] for p in self.probes]
        idx = [layout.indices(sig) for sig in self.signals]
        self.rows = np.concatenate(idx) if idx else np.zeros(0, dtype=np.int64)
        bounds = np.cumsum([0] + [len(i) for i in idx])
        self.slices = {
            p: slice(a, b) for p, a, b in zip(self.probes, bounds, bounds[1:])
        }
        self.last_only = frozenset(last_only)
        self.files = None
        if probe_dir is not None:
            names = names or {p: f"probe{i}" for i, p in enumerate(self.probes)}
            streamed = [p for p in self.probes if p not in self.last_only]
            self.files = ProbeDir(
                probe_dir,
                {p: names[p] for p in streamed},
                {
                    p: (minibatch_size,) + sig.shape
                    for p, sig in zip(self.probes, self.signals)
                    if p in streamed
                },
                batch_axis,
            )
        self.chunks = {p: [] for p in self.probes}
        self.version = 0  # counts changes of the data (for `SimulationData`)

    def clear(self):
        """Forget all recorded data (and delete this recorder's probe files)."""
        self.chunks = {p: [] for p in self.probes}
        self.version += 1
        if self.files is not None:
            self.files.clear()

    def streamed(self, probe):
        """Whether ``probe``'s data goes to disk."""
        return self.files is not None and probe in self.files.names

    def in_ram(self):
        """Probes whose whole history is kept in RAM."""
        return [
            p for p in self.probes if p not in self.last_only and not self.streamed(p)
        ]

    def period(self, probe):
        """Sampling period of a probe, in steps (may be fractional, as in nengo)."""
        return 1 if probe.sample_every is None else probe.sample_every / self.dt

    def record(self, values, start_step):
        """Store one run's probe values.

        Parameters
        ----------
        values : ndarray, shape ``(n_steps, n_rows, minibatch)``
        start_step : int
            Steps simulated before this chunk.
        """
        steps = start_step + 1 + np.arange(values.shape[0])
        chunks = {}  # all probes' chunks first, then append: all or nothing
        for probe, sig in zip(self.probes, self.signals):
            keep = steps % self.period(probe) < 1
            if probe in self.last_only:  # keep_history=False: the latest sample
                keep &= np.cumsum(keep[::-1])[::-1] == 1
            # slice first (a view), then mask: copies only this probe's rows; masking
            # first would copy all probes' rows and keep that copy alive via the view
            chunk = values[:, self.slices[probe]][keep]  # (n, size, minibatch)
            chunks[probe] = np.moveaxis(chunk, 2, 1).reshape(
                (int(keep.sum()), values.shape[2]) + sig.shape
            )  # time first, as the files; `data` puts the minibatch first
        written = {}
        try:
            for probe, chunk in chunks.items():
                if self.streamed(probe) and len(chunk):
                    written[probe] = self.files.append(probe, chunk)
        except BaseException:
            for rows in written.values():  # the next chunk overwrites them
                rows.file.n_rows = rows.start
            raise
        self.version += 1
        for probe, chunk in chunks.items():
            if probe in written:
                self.chunks[probe].append(written[probe])
            elif probe in self.last_only:
                if len(chunk):
                    self.chunks[probe] = [chunk]
            elif not self.streamed(probe):
                self.chunks[probe].append(chunk)

    def data(self, probe, minibatch_size):
        """All data of ``probe``: ``(n, ...)`` or ``(minibatch, n, ...)``.

        Data on disk comes as a read-only memory map. Chunks in RAM are joined
        into one array, which then replaces them (so RAM holds them once).
        """
        sig = self.signals[self.probes.index(probe)]
        chunks = self.chunks[probe]
        if not chunks:
            data = np.zeros((0, max(minibatch_size or 1, 1)) + sig.shape)
        elif isinstance(chunks[0], FileRows):
            data = join_rows(chunks)
        else:
            data = chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
            self.chunks[probe] = [data]
        return data[:, 0] if minibatch_size is None else np.moveaxis(data, 0, 1)


class SimulationData(Mapping):
    """``sim.data``: probe data by Probe, built parameters by nengo object.

    Parameters
    ----------
    recorder : ProbeRecorder
    params : dict
        ``model.params`` (BuiltEnsemble, BuiltConnection... by object).
    minibatch_size : int or None
    built : callable
        ``built(obj)`` gives an object's built parameters with their current
        (possibly trained) values.
    """

    def __init__(self, recorder, params, minibatch_size, built):
        self.recorder = recorder
        self.params = params
        self.built = built
        self.minibatch_size = minibatch_size
        self._cache = {}

    def __getitem__(self, key):
        if key in self.recorder.chunks:
            version = self.recorder.version
            cached = self._cache.get(key)
            if cached is None or cached[0] != version:
                data = self.recorder.data(key, self.minibatch_size)
                data.setflags(write=False)
                self._cache[key] = (version, data)
            return self._cache[key][1]
        return self.built(key)

    def get_params(self, *obj_attrs):
        """Current (trained) values of ``(object, attribute)`` pairs.

        As NengoDL's ``sim.data.get_params((conn, "weights"), (ens, "bias"))``:
        a list with one array per pair, equal to ``sim.data[obj].attribute``.
        """
        values = []
        for pair in obj_attrs:
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise ValidationError(
                    f"get_params takes (object, attribute) pairs, got {pair!r}",
                    attr="obj_attrs",
                )
            obj, attr = pair
            if obj not in self.params:
                raise ValidationError(
                    f"{obj} is not an object of this Simulator's model",
                    attr="obj_attrs",
                )
            built = self[obj]
            if not hasattr(built, attr):
                raise ValidationError(
                    f"{obj} has no built parameter {attr!r} (it has "
                    f"{', '.join(getattr(built, '_fields', ()))})",
                    attr="obj_attrs",
                )
            values.append(np.array(getattr(built, attr)))
        return values

    def reset(self):
        """Drop cached arrays (after probe data is cleared)."""
        self._cache.clear()

    def __iter__(self):
        return iter(self.params)

    def __len__(self):
        return len(self.params)
