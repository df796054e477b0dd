"""NengoDL's ways of naming inputs and targets in ``fit/evaluate/predict``.

``x`` (inputs) and ``y`` (targets), and ``compile``'s ``loss``, ``metrics`` and
``loss_weights``, may each be given as a dict keyed by the Node/Probe or by its
name (`io_names`), a list in the order of the input Nodes / Probes, or a single
value for the only input / for every probe. `by_object` turns any of these into
``{Node or Probe: value}``.
"""

import re
import warnings
from collections import defaultdict

import nengo
from nengo.exceptions import ValidationError

from nengodl_notebook.config import get_setting


def io_names(nodes, probes):
    """``{obj: name}``: the label (or ``"node"``/``"probe"``), made unique.

    Characters other than letters, digits and ``_.-/`` become ``_``; a name
    seen before (case ignored) gets ``_1``, ``_2``... appended, counting the
    input Nodes first and then the Probes (NengoDL's scheme).
    """
    names, count = {}, defaultdict(int)
    for obj in list(nodes) + list(probes):
        if obj.label is None:
            name = type(obj).__name__.lower()
        else:
            name = re.sub(r"[^\w.\-/]", "_", str(obj.label))
        key = name.lower()
        if count[key]:
            name = f"{name}_{count[key]}"
        count[key] += 1
        names[obj] = name
    return names


def input_nodes(network, node_ops):
    """The input Nodes in the order of ``network.all_nodes`` (the list order)."""
    if network is None:
        return list(node_ops)
    return [n for n in network.all_nodes if n in node_ops]


def by_object(value, objs, names, what, broadcast=False):
    """``{obj: value}`` from a dict (objects or names), a list or a single value.

    Parameters
    ----------
    value : dict, list, tuple, other or None
    objs : list
        The input Nodes or Probes, in their list order.
    names : dict
        ``{obj: name}`` (see `io_names`).
    what : str
        The argument's name, for errors (``"x"``, ``"y"``, ``"loss"``...).
    broadcast : bool
        A single value applies to every object (``loss``, ``metrics``);
        otherwise it needs exactly one object.
    """
    if value is None:
        return {}
    kind = "input Nodes" if objs and isinstance(objs[0], nengo.Node) else "Probes"
    if isinstance(value, dict):
        return {_key(k, objs, names, what, kind): v for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if len(value) != len(objs):
            raise ValidationError(
                f"{what} is a list of {len(value)} entries but the network has "
                f"{len(objs)} {kind} ({', '.join(names[o] for o in objs)}): give "
                f"one per {kind[:-1]} in that order, or a dict keyed by them",
                attr=what,
            )
        return dict(zip(objs, value))
    if broadcast:
        return dict.fromkeys(objs, value)
    if len(objs) != 1:
        raise ValidationError(
            f"{what} is a single array but the network has {len(objs)} {kind} "
            f"({', '.join(names[o] for o in objs)}): give a dict keyed by them "
            "(objects or names) or a list in that order",
            attr=what,
        )
    return {objs[0]: value}


def _key(key, objs, names, what, kind):
    if isinstance(key, str):
        for obj in objs:
            if names[obj] == key:
                return obj
        raise ValidationError(
            f"{what} names {key!r}, which is none of the {kind} of this network "
            f"(valid names: {[names[o] for o in objs]})",
            attr=what,
        )
    return key  # objects are checked where the data is checked


def last_step_probes(network, probes):
    """Probes whose outputs are only their last step (``keep_history=False``).

    The network's ``configure_settings(keep_history=...)`` is the default; a
    probe's own ``net.config[probe].keep_history`` (where the config has that
    parameter) overrides it.
    """
    if network is None:
        return frozenset()
    default = get_setting(network, "keep_history")
    config = network.config
    own = nengo.Probe in config.params and (
        "keep_history" in config[nengo.Probe].extra_params
    )
    result = set()
    for probe in probes:
        keep = default
        if own and "keep_history" in config[probe]:
            keep = config[probe].keep_history
        if not keep:
            result.add(probe)
    return frozenset(result)


def truncated(batch_size, minibatch_size):
    """The batch size that is used: a multiple of ``minibatch_size``.

    Warns when items are dropped (as NengoDL); raises when there is less than
    one minibatch.
    """
    if batch_size < minibatch_size:
        raise ValidationError(
            f"Batch size of the data ({batch_size}) is less than the Simulator's "
            f"minibatch_size ({minibatch_size})",
            attr="x",
        )
    used = batch_size - batch_size % minibatch_size
    if used != batch_size:
        warnings.warn(
            f"Number of elements in the data ({batch_size}) is not evenly divisible "
            f"by Simulator.minibatch_size ({minibatch_size}); the data is truncated "
            f"to the first {used}",
            stacklevel=4,
        )
    return used
