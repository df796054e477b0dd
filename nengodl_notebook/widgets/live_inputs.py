"""What steers a live run: the held value and mode of each input Node.

A Node in "slider" mode gets its held value as ``data=`` of every chunk (a
change applies from the next chunk on); in "own" mode it computes its own
output. `input_range` suggests a slider range from the Node's output. Used by
`live_engine.LiveEngine`; no thread and no user interface here.
"""

import threading

import nengo
import numpy as np
from nengo.exceptions import ValidationError

#: Modes of an input Node: its own output, or the value set with `set_input`.
MODES = ("own", "slider")


class HeldInputs:
    """Held values ``(minibatch, size_out)`` and modes of input Nodes.

    Parameters
    ----------
    nodes : list of nengo.Node
        The input Nodes that can be steered (all start in "own" mode at 0).
    minibatch_size : int
    """

    def __init__(self, nodes, minibatch_size):
        self.nodes, self.minibatch_size = list(nodes), minibatch_size
        self._values = {n: np.zeros((minibatch_size, n.size_out)) for n in self.nodes}
        self._modes = dict.fromkeys(self.nodes, "own")
        self._lock = threading.Lock()

    def set_input(self, node, value, item=None):
        """Hold ``value`` for ``node`` (all items, or batch item ``item``).

        The Node switches to "slider" mode.
        """
        node = self._check_node(node)
        value = np.asarray(value, dtype=float)
        if value.shape not in ((node.size_out,), ()) or not np.all(np.isfinite(value)):
            raise ValidationError(
                f"the input value of {node} must be {node.size_out} finite "
                f"number(s), got {value!r}",
                attr="value",
                obj=node,
            )
        items = self._check_item(item)
        with self._lock:
            self._values[node] = self._values[node].copy()
            self._values[node][items] = value
            self._modes[node] = "slider"

    def input_value(self, node, item=0):
        """The held value of ``node`` for batch item ``item`` (a copy)."""
        node = self._check_node(node)
        return self._values[node][self._check_item(item)].copy()

    def set_mode(self, node, mode):
        """``"own"`` (the Node's own output) or ``"slider"`` (the held value)."""
        node = self._check_node(node)
        if mode not in MODES:
            raise ValidationError(
                f"mode of {node} must be one of {MODES}, got {mode!r}",
                attr="mode",
                obj=node,
            )
        with self._lock:
            self._modes[node] = mode

    def mode(self, node):
        """The mode of ``node``: ``"own"`` or ``"slider"``."""
        return self._modes[self._check_node(node)]

    def chunk_data(self, n_steps):
        """``data=`` for a chunk of ``n_steps``: the Nodes in "slider" mode."""
        with self._lock:
            return {
                node: np.broadcast_to(v[:, None, :], (v.shape[0], n_steps, v.shape[1]))
                for node, v in self._values.items()
                if self._modes[node] == "slider"
            }

    def _check_node(self, node):
        if node not in self._values:
            raise ValidationError(
                f"{node!r} is not an input Node of the live network (one with "
                f"size_in=0 and size_out>0); input Nodes: {self.nodes}",
                attr="node",
            )
        return node

    def _check_item(self, item):
        mb = self.minibatch_size
        if item is None:
            return slice(None)
        if not isinstance(item, (int, np.integer)) or not 0 <= item < mb:
            raise ValidationError(
                f"batch item must be None (all) or an integer in 0..{mb - 1}, got "
                f"{item!r}",
                attr="item",
            )
        return int(item)


def input_range(node, dt, seconds=1.0):
    """A slider range ``(low, high)`` for ``node``: its output over ``seconds``.

    Symmetric around 0, 20% wider than the output (a process: one sample of
    it) and at least ``(-1, 1)``; ``(-1, 1)`` when the output
    cannot be evaluated outside a simulation.
    """
    out = node.output
    try:
        if isinstance(out, nengo.Process):
            rng = np.random.RandomState(0)
            values = out.run(seconds, d=node.size_out, dt=dt, rng=rng)
        elif callable(out):
            values = [out(t) for t in np.arange(1, int(seconds / dt) + 1, 10) * dt]
        else:
            values = out
        high = float(np.max(np.abs(np.asarray(values, dtype=float))))
    except Exception:  # noqa: BLE001 (e.g. a function of the model's state)
        return (-1.0, 1.0)
    if not np.isfinite(high):
        return (-1.0, 1.0)
    high = max(1.0, float(np.ceil(high * 1.2 * 10) / 10))
    return (-high, high)
