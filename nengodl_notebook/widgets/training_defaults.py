"""Training defaults read from the network: sequence length, trainability, rates.

With synapses on the path from the input Nodes to a trained probe, a filtered
signal needs time to reach the probe: a 1-step training sequence never lets it
(each synapse also delays by one step). `trained_path` finds the slowest such
path through something trainable; `auto_n_steps` turns it into a sequence
length. `nothing_trainable` says when training cannot change anything.
The panels' optimizers come from `make_optimizer` (kept by `OptimizerCache`).
"""

import math
from dataclasses import dataclass

import keras
import nengo
import numpy as np
from nengo.transforms import NoTransform

from nengodl_notebook.config import trainable_objects

#: Adam's default learning rate in the panel: 0.01 diverged once connection
#: weights were trainable (measured in tests/test_training_defaults.py).
DEFAULT_LEARNING_RATE = 1e-4

#: Optimizers the training panels offer, by name.
OPTIMIZERS = {
    "Adam": keras.optimizers.Adam,
    "RMSprop": keras.optimizers.RMSprop,
    "SGD": keras.optimizers.SGD,
}

#: Sequence length = ``SETTLE_FACTOR`` x the synapse time on the trained path ...
SETTLE_FACTOR = 5
#: ... at most this many steps.
MAX_AUTO_STEPS = 300

#: Shown when nothing in the network is trainable.
NOTHING_TRAINABLE = (
    "Nothing is trainable: click an ensemble or connection in the Network tab "
    "(or set trainable=True in the network's config)"
)


def synapse_tau(synapse):
    """Time (s) a synapse takes to follow its input (0 for None).

    Lowpass and Alpha give their ``tau``; other linear filters the slowest pole's
    time constant; FIR filters such as Triangle their length.
    """
    if synapse is None:
        return 0.0
    tau = getattr(synapse, "tau", None)
    if tau is not None:
        return float(tau)
    if getattr(synapse, "t", None) is not None:  # Triangle
        return float(synapse.t)
    den = getattr(synapse, "den", None)
    if den is None or len(den) < 2:
        return 0.0
    poles = np.roots(den)
    if not getattr(synapse, "analog", True):  # z-domain poles: as continuous
        poles = np.log(np.maximum(np.abs(poles), 1e-12))
    real = -np.real(poles)
    return float(1 / real.min()) if np.all(real > 0) else 0.0


@dataclass(frozen=True)
class TrainedPath:
    """The slowest path from the inputs to trained probes through something trainable.

    Attributes
    ----------
    taus : tuple of float
        Synapse time constants along the slowest path (largest first).
    n_synapses : int
        Most synapses on one such path (each delays the signal by a step).
    """

    taus: tuple = ()
    n_synapses: int = 0

    @property
    def seconds(self):
        """Sum of the synapse time constants on the slowest path."""
        return float(sum(self.taus))

    def settle_steps(self, dt, factor=SETTLE_FACTOR):
        """Steps for the path to settle: ``factor`` x its time, one per synapse."""
        if not self.taus:
            return 1
        return max(math.ceil(factor * self.seconds / dt - 1e-9), self.n_synapses + 1)


def _vertex(obj):
    """The graph vertex of a connection end or probe target (None: not one)."""
    if isinstance(obj, nengo.base.ObjView):
        obj = obj.obj
    if isinstance(obj, nengo.ensemble.Neurons):
        obj = obj.ensemble
    if isinstance(obj, nengo.Connection):
        return _vertex(obj.post_obj)
    return obj if isinstance(obj, (nengo.Ensemble, nengo.Node)) else None


def _components(vertices, edges):
    """Strongly connected components, in topological order (iterative Tarjan)."""
    succ = {v: [] for v in vertices}
    for a, b, _, _ in edges:
        succ[a].append(b)
    index, low, stack, on_stack, comps = {}, {}, [], set(), []
    for root in vertices:
        if root in index:
            continue
        work = [(root, iter(succ[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(succ[w])))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.add(w)
                    if w is v:
                        break
                comps.append(comp)
    return comps[::-1]


def _better(a, b):
    """The slower of two (taus, n_synapses) path values (None: no path)."""
    if a is None:
        return b
    if b is None:
        return a
    slow = a if sum(a[0]) >= sum(b[0]) else b
    return (slow[0], max(a[1], b[1]))


def trained_path(network, probes, trainable=None):
    """The slowest path from an input Node to ``probes`` through trainable objects.

    Parameters
    ----------
    network : nengo.Network
    probes : iterable of nengo.Probe
        The probes with an objective (their own synapses count).
    trainable : dict, optional
        ``{object: bool}`` (default: `config.trainable_objects` of ``network``).

    Returns
    -------
    TrainedPath
        Empty when no path reaches the probes through something trainable.
    """
    trainable = trainable_objects(network) if trainable is None else trainable
    vertices = list(network.all_ensembles) + list(network.all_nodes)
    edges = []
    for conn in network.all_connections:
        a, b = _vertex(conn.pre_obj), _vertex(conn.post_obj)
        if a is not None and b is not None:
            edges.append((a, b, synapse_tau(conn.synapse), trainable.get(conn, False)))
    comps = _components(vertices, edges)
    comp_of = {v: i for i, comp in enumerate(comps) for v in comp}
    inner = [[(), 0, False] for _ in comps]  # a loop counts its slowest synapse once
    for v in vertices:
        if isinstance(v, nengo.Ensemble):
            on = trainable.get(v, False) or trainable.get(v.neurons, False)
            inner[comp_of[v]][2] |= on
    cross = [[] for _ in comps]
    for a, b, tau, on in edges:
        i, j = comp_of[a], comp_of[b]
        if i == j:
            taus = inner[i][0] + ((tau,) if tau > 0 else ())
            inner[i][0] = (max(taus),) if taus else ()
            inner[i][1] = 1 if taus else 0
            inner[i][2] |= on
        else:
            cross[i].append((j, tau, on))
    # best[i][flag]: slowest (taus, n_synapses) from an input into component i,
    # through something trainable (flag 1) or not (flag 0)
    best = [[None, None] for _ in comps]
    sources = {comp_of[n] for n in network.all_nodes if n.size_in == 0}
    for i in sources:
        best[i][int(inner[i][2])] = (inner[i][0], inner[i][1])
    for i in range(len(comps)):
        for j, tau, on in cross[i]:
            for flag in (0, 1):
                if best[i][flag] is None:
                    continue
                taus, n = best[i][flag]
                value = (
                    taus + ((tau,) if tau > 0 else ()) + inner[j][0],
                    n + (tau > 0) + inner[j][1],
                )
                to = int(flag or on or inner[j][2])
                best[j][to] = _better(best[j][to], value)
    result = None
    for probe in probes:
        target = _vertex(probe.target)
        if target is not None and target not in comp_of:
            raise ValueError(f"{probe} probes {target}, which is not in {network}")
        if target is None or best[comp_of[target]][1] is None:
            continue
        taus, n = best[comp_of[target]][1]
        tau = synapse_tau(probe.synapse)
        result = _better(result, (taus + ((tau,) if tau > 0 else ()), n + (tau > 0)))
    if result is None:
        return TrainedPath()
    return TrainedPath(tuple(sorted(result[0], reverse=True)), result[1])


def auto_n_steps(path, dt, factor=SETTLE_FACTOR, cap=MAX_AUTO_STEPS):
    """Training sequence length for ``path``: 1 without synapses, else settled.

    Returns
    -------
    n_steps : int
        ``ceil(factor * path.seconds / dt)`` (at least one step per synapse
        plus one), at most ``cap``.
    hint : str
        Why, in words, for the n_steps field.
    """
    if not path.taus:
        return 1, "auto: no synapses on the trained path"
    n_steps = min(path.settle_steps(dt, factor), cap)
    capped = " (capped)" if n_steps == cap else ""
    return n_steps, (
        f"auto: {factor} x the {path.seconds:.3g} s of synapses on the trained "
        f"path{capped}"
    )


def settle_skip(path, dt, factor=2):
    """Steps at the start of a sequence before ``path`` has settled enough.

    ``factor`` x the path's synapse time (0 without synapses): targets there
    are left out of the loss.
    """
    if not path.taus:
        return 0
    return max(math.ceil(factor * path.seconds / dt - 1e-9), path.n_synapses)


def n_steps_warning(path, n_steps, dt, factor=SETTLE_FACTOR):
    """A warning when ``n_steps`` is too short for ``path``'s synapses, else None.

    Too short: under 2 time constants of the path, or not one step per synapse.
    """
    if not path.taus:
        return None
    if n_steps > path.n_synapses and n_steps * dt >= 2 * path.seconds:
        return None
    wanted = min(path.settle_steps(dt, factor), MAX_AUTO_STEPS)
    return (
        f"n_steps={n_steps} ({n_steps * dt:.3g} s) is too short for the "
        f"{path.seconds:.3g} s of synapses on the trained path: the filtered signal "
        f"{'never reaches' if n_steps <= path.n_synapses else 'barely reaches'} the "
        f"probe, so the loss cannot fall. Use n_steps={wanted} (tick 'auto'), or "
        "train a probe with synapse=None on connections without synapses."
    )


def has_trainable(network, trainable=None):
    """Whether training can change anything in ``network``.

    True when an Ensemble, its Neurons, a TensorNode, or a Connection with
    weights (from an ensemble, or with a transform) is trainable.
    """
    trainable = trainable_objects(network) if trainable is None else trainable
    for obj, on in trainable.items():
        if not on:
            continue
        if not isinstance(obj, nengo.Connection):
            return True
        pre = obj.pre_obj
        if isinstance(pre, (nengo.Ensemble, nengo.ensemble.Neurons)) or not (
            isinstance(obj.transform, NoTransform)
        ):
            return True
    return False


def suggest_rate(rates, losses):
    """The learning rate to try after a sweep: a tenth of the best one.

    Parameters
    ----------
    rates : sequence of float
        Increasing rates.
    losses : sequence of float
        Loss after a few minibatches from the same start at each rate (inf or
        NaN when it failed).

    Returns
    -------
    float or None
        None when no rate gave a finite loss.
    """
    losses = np.asarray(losses, dtype=float)
    if not np.isfinite(losses).any():
        return None
    best = int(np.nanargmin(np.where(np.isfinite(losses), losses, np.nan)))
    return float(max(rates[best] / 10, rates[0]))


def split_test(data, n_test):
    """Split a data dict's last ``n_test`` items off as a held-out test set.

    Returns
    -------
    train, test : dict
    """
    if n_test <= 0:
        return data, None
    size = len(next(iter(data.values())))
    if n_test >= size:
        raise ValueError(f"Cannot hold out {n_test} of {size} items for testing")
    train = {k: v[: size - n_test] for k, v in data.items()}
    test = {k: v[size - n_test :] for k, v in data.items()}
    return train, test


def mask_settling(data, network, objective, dt, n_steps):
    """Set the targets of ``objective``'s probes to NaN while synapses settle.

    NaN targets are "don't care" for mse: the loss counts the steps after
    `settle_skip` (2 x the synapse time on the trained path), at most the
    first 40% left out. Changes ``data`` (targets become float arrays).
    """
    path = trained_path(network, objective)
    n_skip = min(settle_skip(path, dt), 2 * n_steps // 5)
    for probe in objective:
        data[probe] = np.array(data[probe], dtype=float)
        data[probe][:, :n_skip] = np.nan
    return data


def make_optimizer(name, learning_rate):
    """A new Keras optimizer: ``OPTIMIZERS[name](learning_rate=learning_rate)``."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {name!r}")
    return OPTIMIZERS[name](learning_rate=learning_rate)


class OptimizerCache:
    """One optimizer, reused while the Simulator and settings stay the same.

    Training again with the same settings continues with the optimizer's
    moments; new settings, another Simulator or `clear` give a new one.
    """

    def __init__(self):
        self._key, self._optimizer = None, None

    def get(self, sim, name, learning_rate):
        """The optimizer for ``sim`` with these settings (`make_optimizer`)."""
        key = (id(sim), name, learning_rate)
        if self._optimizer is None or self._key != key:
            self._optimizer = make_optimizer(name, learning_rate)
            self._key = key
        return self._optimizer

    def clear(self):
        """Forget the optimizer (its moments belong to old parameters)."""
        self._key, self._optimizer = None, None
