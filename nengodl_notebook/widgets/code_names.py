"""Names of nengo objects in exported code: the user's variable names, else a path.

`ObjectNames` finds each object of a network by identity in the IPython namespace
(``get_ipython().user_ns``); objects without a variable get a path from the
network, such as ``net.networks[1].connections[2]`` or ``net.ensembles[0].neurons``.
"""

import keyword
from collections.abc import Mapping
from typing import Any

import nengo
from nengo.ensemble import Neurons

#: Lists of a nengo Network that hold its objects, in the order paths use them.
_KINDS = ("ensembles", "nodes", "connections", "probes", "networks")


#: Names the exported script assigns itself: never used for the user's objects.
RESERVED = frozenset(
    "t dt ti n_steps minibatch_size data sim rng train_data train_t train_x values "
    "node n i k v objective optimizer batch_size train_steps n_items keras nengo np "
    "nengo_dl".split()
)


def user_namespace() -> dict:
    """The IPython user namespace, or an empty dict outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return {}
    shell = get_ipython()
    return dict(shell.user_ns) if shell is not None else {}


def _usable(name: str) -> bool:
    return (
        name.isidentifier()
        and not keyword.iskeyword(name)
        and not name.startswith("_")
        and name not in ("In", "Out")
        and name not in RESERVED
    )


def _object_paths(net: nengo.Network, base: str, paths: dict, names: dict) -> None:
    """Paths of all objects under ``net``, from the nearest network with a name."""
    for kind in _KINDS:
        for i, obj in enumerate(getattr(net, kind)):
            path = f"{base}.{kind}[{i}]"
            paths.setdefault(id(obj), path)
            if isinstance(obj, nengo.Network):
                _object_paths(obj, names.get(id(obj), path), paths, names)


class ObjectNames:
    """The Python expression that names each object of a network.

    Parameters
    ----------
    net : nengo.Network
    namespace : dict, optional
        Variables to look objects up in by identity (default: the IPython user
        namespace; empty outside IPython).
    default : str
        The network's name when no variable holds it.

    Attributes
    ----------
    net_name : str
        The network's variable name (or ``default``).
    """

    def __init__(
        self,
        net: nengo.Network,
        namespace: Mapping[str, Any] | None = None,
        default: str = "net",
    ) -> None:
        namespace = user_namespace() if namespace is None else namespace
        self._vars: dict[int, str] = {}
        nengo_types = (nengo.base.NengoObject, Neurons, nengo.Network)
        for name, value in namespace.items():
            if _usable(name) and isinstance(value, nengo_types):
                self._vars.setdefault(id(value), name)
        self.net = net
        self.net_name = self._vars.get(id(net), default)
        self._paths: dict[int, str] = {}
        _object_paths(net, self.net_name, self._paths, self._vars)

    def __call__(self, obj: Any) -> str:
        """The expression for ``obj`` (an object, Neurons or sub-network of the net).

        Raises
        ------
        ValueError
            When ``obj`` is not in the network.
        """
        if obj is self.net:
            return self.net_name
        if id(obj) in self._vars:
            return self._vars[id(obj)]
        if isinstance(obj, Neurons):
            return f"{self(obj.ensemble)}.neurons"
        if id(obj) in self._paths:
            return self._paths[id(obj)]
        raise ValueError(f"{obj!r} is not an object of the network {self.net!r}")

    def has_variable(self, obj: Any) -> bool:
        """Whether a user variable holds ``obj``."""
        return id(obj) in self._vars

    def variable(self, value: Any) -> str | None:
        """The variable name of any value (a function, a dict...), or None."""
        return self._vars.get(id(value))

    def add_values(self, namespace: Mapping[str, Any], values: list) -> None:
        """Also name these non-nengo ``values`` (e.g. target functions) by identity."""
        wanted = {id(v) for v in values}
        for name, value in namespace.items():
            if _usable(name) and id(value) in wanted:
                self._vars.setdefault(id(value), name)
