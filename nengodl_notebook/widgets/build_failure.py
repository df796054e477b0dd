"""Why a network cannot be simulated, in one line naming the nengo object."""

from __future__ import annotations

from typing import Any

import nengo
from nengo.builder import Model
from nengo.ensemble import Neurons

from nengodl_notebook.planner import NotSupportedError, builder_class


def _owners(model: Model) -> dict[Any, Any]:
    """``{signal base: nengo object}`` of the built model's signals."""
    owners = {}
    for obj, signals in model.sig.items():
        owner = obj.ensemble if isinstance(obj, Neurons) else obj
        for sig in signals.values():
            if sig is not None:
                owners.setdefault(sig.base, owner)
    return owners


def unsupported_objects(net: nengo.Network, dt: float = 0.001) -> list[Any]:
    """The nengo objects whose operators have no op builder here, in build order.

    Builds the network with nengo's builder (an object is found through the
    signals its operators write, then those they read).
    """
    model = Model(dt=dt)
    model.build(net)
    owners = _owners(model)
    found: list[Any] = []
    for op in model.operators:
        try:
            builder_class(op)
        except NotSupportedError:
            signals = op.sets + op.incs + op.updates + op.reads
            obj = next((owners[s.base] for s in signals if s.base in owners), None)
            if obj is not None and not any(obj is f for f in found):
                found.append(obj)
    return found


def describe_build_failure(
    net: nengo.Network, error: BaseException, dt: float = 0.001
) -> str:
    """One line: what failed to build and, for unsupported parts, in which objects."""
    text = f"This network cannot be simulated here: {type(error).__name__}: {error}"
    if isinstance(error, NotSupportedError):
        try:
            objects = unsupported_objects(net, dt)
        except Exception:  # noqa: BLE001 -- the message stays useful without the names
            objects = []
        if objects:
            text += " (in " + ", ".join(str(o) for o in objects) + ")"
    return text
