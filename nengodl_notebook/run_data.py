"""Checks on what users pass to ``run``: run times and ``data=`` input arrays.

Every check raises a ``nengo.exceptions.ValidationError`` naming the object, what
was expected and what was given; nothing is changed before all checks pass.
"""

import numbers

import nengo
import numpy as np
from nengo.exceptions import ValidationError

from nengodl_notebook.keras_data import by_object, io_names
from nengodl_notebook.tensor_node import TensorNode, not_overridable


def steps_for_time(time_in_seconds, dt):
    """Number of steps for a run time (rounded to the nearest ``dt``, as nengo)."""
    if isinstance(time_in_seconds, bool) or not isinstance(
        time_in_seconds, (numbers.Real, np.floating, np.integer)
    ):
        raise ValidationError(
            f"Run time must be a number of seconds (got {time_in_seconds!r} of type "
            f"{type(time_in_seconds).__name__})",
            attr="time_in_seconds",
        )
    if not np.isfinite(time_in_seconds) or time_in_seconds < 0:
        raise ValidationError(
            f"Run time must be a finite, non-negative number of seconds "
            f"(got {time_in_seconds:g})",
            attr="time_in_seconds",
        )
    return int(np.round(float(time_in_seconds) / dt))


def check_n_steps(steps, attr="steps", positive=False):
    """Validate a number of steps (an integer, not a bool; ``2.5`` is refused).

    Parameters
    ----------
    steps : int
    attr : str
        The argument's name, for the error.
    positive : bool
        Refuse 0 as well (``predict`` needs at least one step).

    Returns
    -------
    int
    """
    if isinstance(steps, bool) or not isinstance(steps, (numbers.Integral, np.integer)):
        raise ValidationError(
            f"Number of steps {attr} must be an integer (got {steps!r})", attr=attr
        )
    if steps < int(positive):
        raise ValidationError(
            f"Number of steps {attr} must be "
            f"{'positive' if positive else 'non-negative'} (got {steps})",
            attr=attr,
        )
    return int(steps)


def input_overrides(data, node_ops, minibatch_size, n_steps):
    """Check ``data=`` and map it to the input ops whose output it replaces.

    Parameters
    ----------
    data : dict, list, array or None
        Maps input Nodes (or their names, ``sim.get_name``) to arrays
        ``(minibatch_size, n_steps, node.size_out)``; or a list of arrays in
        the order of the input Nodes, or one array for the only input Node.
    node_ops : dict
        Maps each input Node of the network to the op computing its output.
    minibatch_size : int
    n_steps : int

    Returns
    -------
    dict
        Maps input ops to float64 arrays of the checked shape.
    """
    if data is None:
        return {}
    if not isinstance(data, dict) or any(isinstance(k, str) for k in data):
        nodes = list(node_ops)  # in the order of network.all_nodes
        data = by_object(data, nodes, io_names(nodes, []), "data")
    return {
        node_ops[_check_key(key, node_ops)]: _check_array(
            key, value, minibatch_size, n_steps
        )
        for key, value in data.items()
    }


def _check_key(key, node_ops):
    if not isinstance(key, nengo.Node):
        raise ValidationError(
            f"data key {key!r} is a {type(key).__name__}; data= can only override "
            "the output of input Nodes (Nodes with no input)",
            attr="data",
        )
    if isinstance(key, TensorNode):
        raise not_overridable(key)
    if key.size_in > 0:
        raise ValidationError(
            f"{key} is not an input Node: it has size_in={key.size_in}; data= "
            "overrides only Nodes with size_in=0",
            attr="data",
            obj=key,
        )
    if key not in node_ops:
        raise ValidationError(
            f"{key} is not an input Node of this simulator's network (or has "
            "size_out=0)",
            attr="data",
            obj=key,
        )
    return key


def _check_array(node, value, minibatch_size, n_steps):
    expected = (minibatch_size, n_steps, node.size_out)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValidationError(
            f"data for {node} must be a numeric array of shape {expected} (got a "
            f"{type(value).__name__})",
            attr="data",
            obj=node,
        ) from e
    names = ("minibatch size", "number of steps", "node size (size_out)")
    if array.ndim != 3:
        raise ValidationError(
            f"data for {node} must have 3 dimensions (minibatch_size, n_steps, "
            f"size_out) = {expected}; got shape {array.shape}",
            attr="data",
            obj=node,
        )
    for axis, (got, want) in enumerate(zip(array.shape, expected)):
        if got != want:
            raise ValidationError(
                f"data for {node} has {names[axis]} {got} on axis {axis}, expected "
                f"{want}: shape must be {expected}, got {array.shape}",
                attr="data",
                obj=node,
            )
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValidationError(
            f"data for {node} contains non-finite values (first at index "
            f"{tuple(int(i) for i in bad)})",
            attr="data",
            obj=node,
        )
    return array
