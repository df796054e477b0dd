"""Probe bookkeeping: which state rows each probe reads, and its recorded data."""

from collections.abc import Mapping

import numpy as np
from nengo.exceptions import ValidationError


class ProbeRecorder:
    """Collects probe data chunk by chunk, applying ``sample_every``.

    Parameters
    ----------
    model : nengo.builder.Model
    layout : SignalLayout
    dt : float
    """

    def __init__(self, model, layout, dt):
        self.probes = list(model.probes)
        self.dt = dt
        self.signals = [model.sig[p]["in"] for p in self.probes]
        idx = [layout.indices(sig) for sig in self.signals]
        self.rows = np.concatenate(idx) if idx else np.zeros(0, dtype=np.int64)
        bounds = np.cumsum([0] + [len(i) for i in idx])
        self.slices = {
            p: slice(a, b) for p, a, b in zip(self.probes, bounds, bounds[1:])
        }
        self.chunks = {p: [] for p in self.probes}

    def clear(self):
        """Forget all recorded data."""
        self.chunks = {p: [] for p in self.probes}

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
            # slice first (a view), then mask: copies only this probe's rows; masking
            # first would copy all probes' rows and keep that copy alive via the view
            chunk = values[:, self.slices[probe]][keep]  # (n, size, minibatch)
            chunk = np.moveaxis(chunk, 2, 0).reshape(
                (values.shape[2], int(keep.sum())) + sig.shape
            )
            chunks[probe] = chunk
        for probe, chunk in chunks.items():
            self.chunks[probe].append(chunk)

    def data(self, probe, minibatch_size):
        """All data of ``probe``: ``(n, ...)`` or ``(minibatch, n, ...)``."""
        sig = self.signals[self.probes.index(probe)]
        chunks = self.chunks[probe]
        if chunks:
            data = np.concatenate(chunks, axis=1)
        else:
            data = np.zeros((max(minibatch_size or 1, 1), 0) + sig.shape)
        return data[0] if minibatch_size is None else data


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
            n_chunks = len(self.recorder.chunks[key])
            cached = self._cache.get(key)
            if cached is None or cached[0] != n_chunks:
                data = self.recorder.data(key, self.minibatch_size)
                data.setflags(write=False)
                self._cache[key] = (n_chunks, data)
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
