"""Objective functions for training and evaluation (``nengodl_notebook.obj``).

An objective takes ``(outputs, targets)``: the probe's output and the target
values, both shaped ``(minibatch_size, n_steps, probe_size)``, and returns a
float tensor (its mean is the loss). Objectives without targets (regularisers)
get ``targets=None``, or only ``outputs`` if they take one argument.

Also here: `checked_call`, which turns a failing objective into an error naming
it, and `no_gradient_report`, which names trainable parameters that the
objective's gradient does not reach.
"""

import inspect
from collections import defaultdict

import nengo
import numpy as np
import tensorflow as tf
from nengo.exceptions import ValidationError

from nengodl_notebook.signals import PARAMS
from nengodl_notebook.tensor_node import TensorNode


def mse(outputs, targets):
    """Mean squared error; NaN targets are ignored (they mark "don't care")."""
    valid = tf.math.logical_not(tf.math.is_nan(targets))
    diff = tf.where(valid, outputs - targets, tf.zeros_like(outputs))
    count = tf.maximum(tf.reduce_sum(tf.cast(valid, outputs.dtype)), 1)
    return tf.reduce_sum(tf.square(diff)) / count


def mean_rate(outputs, targets=None):
    """Mean of the probe's output (e.g. a firing-rate regulariser); no target."""
    return tf.reduce_mean(outputs)


NAMED = {"mse": mse, "mean_rate": mean_rate}

#: Objectives for which NaN targets mean "don't care" (other objectives get
#: finite targets only: see `training_data.TrainingData`).
IGNORE_NAN_TARGETS = (mse,)


def resolve(objective):
    """A callable objective from a callable or a name (``"mse"``)."""
    if isinstance(objective, str):
        if objective not in NAMED:
            raise ValueError(
                f"Unknown objective {objective!r}; use a function or one of "
                f"{sorted(NAMED)}"
            )
        return NAMED[objective]
    if callable(objective):
        return objective
    raise TypeError(f"Objective {objective!r} is not callable")


def call(objective, outputs, targets):
    """Call an objective with targets, or without if it takes one argument."""
    try:
        n_params = len(inspect.signature(objective).parameters)
    except (TypeError, ValueError):
        n_params = 2
    if n_params == 1:
        return objective(outputs)
    return objective(outputs, targets)


def name(objective):
    """A short name of an objective for messages (function or loss name)."""
    label = getattr(objective, "name", None)
    if isinstance(label, str):
        return repr(label)
    return getattr(objective, "__name__", None) or type(objective).__name__


def checked_call(objective, probe, outputs, targets):
    """The objective's value as a non-empty float tensor, or a ValidationError.

    Runs when the training/evaluation step is traced, so a failing objective
    stops ``sim.train`` before any parameter changes. The error names the probe
    and the objective; an exception of the objective is chained to it.
    """
    what = f"The objective {name(objective)} for {probe}"
    shapes = f"outputs of shape {tuple(outputs.shape)}" + (
        "" if targets is None else f" and targets of shape {tuple(targets.shape)}"
    )
    try:
        value = call(objective, outputs, targets)
    except Exception as e:
        hint = ""
        if isinstance(e, TypeError):
            hint = " (objectives take (outputs, targets), or (outputs) only)"
        raise ValidationError(
            f"{what} failed when called with {shapes}: {type(e).__name__}: {e}{hint}",
            attr="objective",
        ) from e
    if value is None:
        raise ValidationError(
            f"{what} returned None: it must return the loss as a float tensor, e.g. "
            "tf.reduce_mean(tf.square(outputs - targets))",
            attr="objective",
        )
    try:
        value = tf.convert_to_tensor(value)
    except (TypeError, ValueError) as e:
        raise ValidationError(
            f"{what} returned {type(value).__name__}, which is not a tensor: it "
            "must return the loss as a float tensor",
            attr="objective",
        ) from e
    if not value.dtype.is_floating:
        raise ValidationError(
            f"{what} returned a {value.dtype.name} tensor: the loss must be a "
            "floating point tensor (its mean is minimised)",
            attr="objective",
        )
    if value.shape.num_elements() == 0:
        raise ValidationError(
            f"{what} returned an empty tensor (shape {tuple(value.shape)}), whose "
            f"mean is NaN; it was called with {shapes} (slicing more steps than "
            "the data has?)",
            attr="objective",
        )
    return value


# -- which objects can affect a probe --------------------------------------------------


def graph_node(obj):
    """The object standing for ``obj`` in the connection graph of `upstream`.

    Slices stand for their object, Neurons for their Ensemble, a learning rule
    for its connection (whose weights it changes).
    """
    obj = getattr(obj, "obj", obj)  # ObjView
    if isinstance(obj, nengo.ensemble.Neurons):
        return obj.ensemble
    if isinstance(obj, nengo.connection.LearningRule):
        return obj.connection
    return obj


def reach(network, starts, forward):
    """Graph nodes reachable from ``starts`` along connections.

    Parameters
    ----------
    network : nengo.Network
    starts : iterable
        Nengo objects (see `graph_node`).
    forward : bool
        Follow connections from pre to post (what ``starts`` affect), or from
        post to pre (what affects ``starts``).
    """
    edges = defaultdict(set)
    for conn in network.all_connections:
        pre, post = graph_node(conn.pre_obj), graph_node(conn.post_obj)
        for a, b in ((pre, conn), (conn, post)):
            if forward:
                edges[a].add(b)
            else:
                edges[b].add(a)
    found = {graph_node(obj) for obj in starts}
    todo = list(found)
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in found:
                found.add(nxt)
                todo.append(nxt)
    return found


def upstream(network, probes):
    """Objects whose values can affect the probes' outputs (graph nodes)."""
    return reach(network, [graph_node(p.target) for p in probes], forward=False)


# -- trainable parameters without gradient ---------------------------------------------


def trainable_parts(store, tensor_vars):
    """Each trainable parameter array, and where its gradient flags are.

    Parameters
    ----------
    store : params.ParamStore
    tensor_vars : tensor_node_variables.TensorNodeVariables

    Returns
    -------
    list of ``(description, owner, positions)``
        ``positions`` index the flags of the compiled training step: one per
        element of ``store.trainable``, then one per trainable TensorNode weight.
    """
    parts = []
    for obj, name, sig in store.signals:
        params = store.layout.kind(sig) == PARAMS
        trained = store.train_p if params else store.train_s
        offset = 0 if params else len(store.train_p)
        idx = store.layout.indices(sig)
        pos = np.minimum(np.searchsorted(trained, idx), max(len(trained) - 1, 0))
        if len(trained) and np.all(trained[pos] == idx):
            parts.append((f"{obj} {name}", obj, offset + pos))
    node_of = {
        id(var): tensor_vars.nodes[int(key[len("tensor_node") :].split(".")[0])]
        for key, _, var in tensor_vars.weights
    }
    for i, var in enumerate(tensor_vars.trainable):
        node = node_of[id(var)]
        parts.append((f"{node} {var.name}", node, [store.n_trainable + i]))
    return parts


def _unused_encoders(part, network):
    """Whether ``part`` is the encoders of an Ensemble no Connection drives as an
    Ensemble (only its ``.neurons`` get input, as in ``Layer(neuron_type)``):
    such encoders cannot change anything, so no gradient is expected."""
    text, owner, _ = part
    if not (isinstance(owner, nengo.Ensemble) and text.endswith(" encoders")):
        return False
    return not any(c.post_obj is owner for c in network.all_connections)


def no_gradient_report(parts, reached, network, probes):
    """Text of a warning about parameters that got no gradient, or None.

    Parameters that can affect the probes (see `upstream`) but got no gradient
    are named, with the TensorNodes between them and the probes. Parameters that
    cannot affect the probes are expected to get none, unless no parameter
    gets any: then training would change nothing, and all are named.

    Parameters
    ----------
    parts : list
        From `trainable_parts`.
    reached : np.ndarray of bool
        Gradient flags (non-zero on some minibatch).
    network : nengo.Network or None
    probes : list of nengo.Probe
        The objective's probes.
    """
    if network is not None:  # encoders of ensembles driven only at .neurons
        parts = [part for part in parts if not _unused_encoders(part, network)]
    none = [(text, owner) for text, owner, pos in parts if not reached[pos].any()]
    ups = {p: upstream(network, [p]) if network is not None else set() for p in probes}
    up = set().union(*ups.values())
    blocked = [(text, owner) for text, owner in none if graph_node(owner) in up]
    everything = len(none) == len(parts)
    if not blocked and not everything:
        return None  # only parameters that cannot affect the probes
    below = reach(network, [o for _, o in blocked], True) if blocked else set()
    between = sorted(str(n) for n in up & below if isinstance(n, TensorNode))
    names = [text for text, _ in (none if everything else blocked)]
    listed = ", ".join(names[:10]) + (
        f" and {len(names) - 10} more" if len(names) > 10 else ""
    )
    affected = [p for p in probes if any(graph_node(o) in ups[p] for _, o in blocked)]
    targets = ", ".join(str(p) for p in (probes if everything else affected))
    text = f"these trainable parameters get no gradient from the objective: {listed}"
    if everything:
        text = (
            "Training changes nothing: no trainable parameter gets a gradient from "
            f"the objective for {targets} ({text})."
        )
    else:
        text = (
            f"{text[0].upper()}{text[1:]}. They can affect {targets}, but the "
            "gradient does not reach them."
        )
    if between:
        return (
            f"{text} Between them and the probes: {', '.join(between)}; a "
            "TensorNode using tf.round, tf.argmax, tf.cast to an integer or "
            "tf.stop_gradient passes no gradient."
        )
    return (
        f"{text} Possible causes: an operation without gradient, neurons silent "
        "for the whole first minibatch, synapses delaying their effect past the "
        "last of the n_steps steps (train with more steps or synapse=None), or "
        "parameters not connected to the probes."
    )
