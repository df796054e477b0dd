"""The probes a Dashboard records neurons with, and what its plots make of them.

The Dashboard probes some neurons of each ensemble (spikes) and its decoded
value. The probes live in the built model only: `recording_probes` puts them in
the network while the Simulator is built and takes them out right after, so the
user's network keeps exactly the probes it had. Both probes are unfiltered
(``synapse=None``), so that they add no process to the model and every random
input draws the same seed as without them; the decoded value is filtered here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import nengo
import numpy as np
from nengo.utils.ensemble import response_curves, tuning_curves

#: Neurons recorded per ensemble (evenly spread over the ensemble).
MAX_NEURONS = 20
#: Ensembles recorded (the first ones in the network's order).
MAX_ENSEMBLES = 10
#: Synapse with which the decoded value is shown (applied after the run, s).
VALUE_SYNAPSE = 0.01
#: Points of a spike raster at most (spikes are thinned beyond).
MAX_RASTER_POINTS = 5000


@dataclass(frozen=True)
class EnsembleRecord:
    """What is recorded of one ensemble.

    Attributes
    ----------
    ensemble : nengo.Ensemble
    spikes : nengo.Probe
        Output of the recorded neurons (``ensemble.neurons[::step]``).
    value : nengo.Probe
        Decoded value, unfiltered (see `decoded_value`).
    neurons : ndarray
        Indices of the recorded neurons in the ensemble.
    """

    ensemble: nengo.Ensemble
    spikes: nengo.Probe
    value: nengo.Probe
    neurons: np.ndarray

    @property
    def probes(self) -> tuple[nengo.Probe, nengo.Probe]:
        """The two probes."""
        return self.spikes, self.value


def ensemble_records(
    net: nengo.Network,
    max_neurons: int = MAX_NEURONS,
    max_ensembles: int = MAX_ENSEMBLES,
) -> list[EnsembleRecord]:
    """Probes (not added to any network) for the ensembles of ``net``.

    Parameters
    ----------
    net : nengo.Network
    max_neurons : int
        Neurons recorded per ensemble; 0 records none.
    max_ensembles : int
        Ensembles recorded (Direct-mode ones are skipped).

    Returns
    -------
    list of EnsembleRecord
    """
    if max_neurons <= 0:
        return []
    ensembles = [
        e for e in net.all_ensembles if not isinstance(e.neuron_type, nengo.Direct)
    ]
    records = []
    for ens in ensembles[:max_ensembles]:
        step = -(-ens.n_neurons // max_neurons)  # ceil
        spikes = nengo.Probe(ens.neurons[::step], synapse=None, add_to_container=False)
        value = nengo.Probe(ens, synapse=None, add_to_container=False)
        neurons = np.arange(0, ens.n_neurons, step)
        records.append(EnsembleRecord(ens, spikes, value, neurons))
    return records


@contextlib.contextmanager
def recording_probes(
    net: nengo.Network, records: list[EnsembleRecord]
) -> Iterator[None]:
    """Put the records' probes into ``net.probes`` for the ``with`` body only."""
    added = [p for r in records for p in r.probes]
    net.probes.extend(added)
    try:
        yield
    finally:
        kept = [p for p in net.probes if not any(p is a for a in added)]
        net.probes[:] = kept


# -- what the plots show ----------------------------------------------------------


def spike_counts(spikes: np.ndarray, dt: float) -> np.ndarray:
    """Spikes per step from a neurons probe's output ``(n_steps, n)``
    (a spike is ``1 / dt`` in one step)."""
    return np.rint(np.asarray(spikes, dtype=float) * dt)


def firing_rates(output: np.ndarray, dt: float, spiking: bool) -> np.ndarray:
    """Mean rate (Hz) of each neuron over a run's output ``(n_steps, n)``."""
    output = np.asarray(output, dtype=float)
    if not len(output):
        return np.zeros(output.shape[1:])
    if spiking:
        return spike_counts(output, dt).sum(axis=0) / (len(output) * dt)
    return output.mean(axis=0)


def raster_points(
    spikes: np.ndarray,
    t: np.ndarray,
    dt: float,
    max_points: int = MAX_RASTER_POINTS,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Spike times and neuron rows of a raster, thinned to ``max_points``.

    Parameters
    ----------
    spikes : ndarray
        Output of the recorded neurons, ``(n_steps, n)``.
    t : ndarray
        Times of the steps, ``(n_steps,)``.
    dt : float
    max_points : int

    Returns
    -------
    times, rows : ndarray
        One point per spike (row ``i`` is the ``i``-th recorded neuron).
    every : int
        1, or ``k`` when only every ``k``-th spike of each neuron is kept.
    """
    steps, rows = np.nonzero(spike_counts(spikes, dt))
    if len(steps) <= max_points:
        return np.asarray(t)[steps], rows, 1
    order = np.lexsort((steps, rows))  # by neuron, then time
    steps, rows = steps[order], rows[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows)  # within a neuron
    every = -(-len(steps) // max_points)
    while np.sum(rank % every == 0) > max_points:  # each neuron keeps its first
        every += 1
    keep = rank % every == 0
    steps, rows = steps[keep], rows[keep]
    return np.asarray(t)[steps], rows, every


def decoded_value(value: np.ndarray, dt: float) -> np.ndarray:
    """The decoded value ``(n_steps, d)`` filtered by ``VALUE_SYNAPSE`` (as a
    probe with that synapse would give it)."""
    value = np.asarray(value, dtype=float)
    if not len(value):
        return value
    return nengo.Lowpass(VALUE_SYNAPSE).filt(value, dt=dt, y0=0, axis=0)


def rate_histogram(
    rates: np.ndarray, bins: int = 10
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts of neurons per rate bin.

    Returns
    -------
    centers, counts, edges : ndarray
    """
    rates = np.asarray(rates, dtype=float)
    top = max(float(rates.max()) if len(rates) else 0.0, 1.0)
    counts, edges = np.histogram(rates, bins=bins, range=(0.0, top))
    return (edges[:-1] + edges[1:]) / 2, counts, edges


def neuron_curves(
    ens: nengo.Ensemble, sim, neurons: np.ndarray
) -> tuple[np.ndarray, np.ndarray, str]:
    """Rates of the recorded neurons against their input (current parameters).

    Tuning curves over the represented value for 1-D ensembles (nengo's
    ``tuning_curves``); for more dimensions, response curves along each
    neuron's encoder (``response_curves``), so that the cost stays linear.

    Returns
    -------
    x : ndarray ``(n_points,)``
    rates : ndarray ``(n_points, len(neurons))``
    x_label : str
    """
    if ens.dimensions == 1:
        x, rates = tuning_curves(ens, sim)
        return np.asarray(x)[:, 0], np.asarray(rates)[:, neurons], "represented value"
    x, rates = response_curves(ens, sim)
    return np.asarray(x), np.asarray(rates)[:, neurons], "input along the encoder"


def health(rates: np.ndarray, max_rate: float) -> tuple[int, int]:
    """Dead (never firing) and saturated (>= 90 % of ``max_rate``) neurons."""
    rates = np.asarray(rates, dtype=float)
    return int(np.sum(rates <= 0)), int(np.sum(rates >= 0.9 * max_rate))


def max_rate(neuron_type: nengo.neurons.NeuronType, dt: float) -> float:
    """The highest rate of this neuron type (Hz): ``1 / tau_ref`` (one spike per
    step for spiking types without a refractory period; infinite for others)."""
    tau_ref = getattr(neuron_type, "tau_ref", 0.0) or 0.0
    if neuron_type.spiking:
        return 1.0 / max(tau_ref, dt)
    return 1.0 / tau_ref if tau_ref > 0 else float("inf")


def health_rows(records, outputs, dt, label):
    """Per record: ``(label, recorded, mean rate, dead, saturated)``.

    Parameters
    ----------
    records : list of EnsembleRecord
    outputs : dict
        ``{probe: array}`` with each record's ``spikes`` probe output,
        ``(n_steps, n)`` or ``(items, n_steps, n)``; rates are averaged over items.
    dt : float
    label : callable
        Names an ensemble.
    """
    rows = []
    for r in records:
        output = np.asarray(outputs[r.spikes])
        output = output.reshape(-1, *output.shape[-2:])  # (items, steps, n)
        typ = r.ensemble.neuron_type
        rates = np.mean([firing_rates(o, dt, typ.spiking) for o in output], axis=0)
        dead, saturated = health(rates, max_rate(typ, dt))
        rows.append(
            (label(r.ensemble), len(r.neurons), float(np.mean(rates)), dead, saturated)
        )
    return rows
