"""How panels reach their Simulator: find it, hold it, list what it simulates.

The panels talk to a Simulator through its public API only. One lock per
Simulator, shared by all panels, keeps a run, a training and a comparison from
using it at the same time (the Simulator itself refuses a second thread's call;
the lock lets a panel say so before it starts).
"""

import threading
import weakref

import ipywidgets as widgets

from nengodl_notebook.widgets.labels import error_html, probe_label

_LOCKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()

#: Shown when a panel finds its Simulator held by another panel.
BUSY = (
    "The Simulator is busy (another panel is running or training it): "
    "wait, or press Stop."
)


def resolve_sim(source):
    """The Simulator behind ``source``.

    A Simulator, an object with ``.sim``, or a callable returning one.
    """
    if hasattr(source, "run_steps") and hasattr(source, "train"):
        return source
    if hasattr(source, "sim"):
        return source.sim
    if callable(source):
        return source()
    raise TypeError(f"{source!r} is neither a Simulator nor provides one")


def sim_lock(sim):
    """The lock that panels hold while they use ``sim`` (run, train, compare).

    Parameters
    ----------
    sim : Simulator

    Returns
    -------
    threading.Lock
        One lock per Simulator, shared by all panels (kept beside the Simulator,
        not set on it).
    """
    with _LOCKS_GUARD:
        if sim not in _LOCKS:
            _LOCKS[sim] = threading.Lock()
        return _LOCKS[sim]


def hold_sim(sim, message):
    """Take ``sim``'s lock without waiting, or say in ``message`` that it is busy.

    Returns
    -------
    threading.Lock or None
        The held lock (release it when done), or None when the Simulator is busy.
    """
    lock = sim_lock(sim)
    if lock.acquire(blocking=False):
        return lock
    message.value = error_html(BUSY)
    return None


def show_failure(message, action, error):
    """Say in ``message`` that ``action`` failed with ``error``."""
    message.value = error_html(f"{action} failed: {type(error).__name__}: {error}")


def sim_probes(sim):
    """The probes of the simulated model, in build order."""
    return list(sim.model.probes)


def sim_network(sim):
    """The network a Simulator was built from (nengo's ``model.toplevel``)."""
    return sim.model.toplevel


def innermost_network(net, obj):
    """The innermost network of ``net`` holding ``obj`` (an Ensemble, Connection
    or Node), or None."""
    if obj in net.ensembles or obj in net.connections or obj in net.nodes:
        return net
    for sub in net.networks:
        found = innermost_network(sub, obj)
        if found is not None:
            return found
    return None


def input_nodes(network):
    """Nodes that feed the model from outside (``size_in == 0``, ``size_out > 0``)."""
    return [n for n in network.all_nodes if n.size_in == 0 and n.size_out > 0]


def probe_chooser(probes, targets, multiple):
    """A probe selector: values are indices into ``probes``.

    Probes with a known target are chosen first (all of them when ``multiple``).
    """
    options = [(probe_label(p), i) for i, p in enumerate(probes)]
    with_target = [i for i, p in enumerate(probes) if p in targets] or [0]
    if multiple:
        return widgets.SelectMultiple(
            options=options, value=with_target if probes else [], description="Probes"
        )
    return widgets.Dropdown(
        options=options,
        value=with_target[0] if probes else None,
        description="Probe",
    )


def batch_item_chooser(minibatch_size):
    """A selector of one batch item (``0 .. minibatch_size - 1``)."""
    return widgets.Dropdown(
        options=list(range(minibatch_size)), description="Batch item"
    )
