"""Builder for SimTensorNode ops: TensorFlow functions inside the time loop.

Unlike Python Nodes (``pyfunc.py``), a TensorNode's function is TensorFlow code:
it is traced into the compiled step, so it runs with XLA when it compiles. XLA
drops assertions (``tf.debugging.assert_*``), so a model whose TensorNodes
assert is compiled without XLA unless XLA is asked for (see
`xla_for_assertions`); a model with a TensorNode XLA cannot compile
(``tf.print``, ``tf.numpy_function``, string ops) too (see
`xla_for_uncompilable`).
"""

import re
import weakref

import tensorflow as tf
from nengo.exceptions import SimulationError, ValidationError

from nengodl_notebook.op_builders.base import (
    Builder,
    SingleOpBuilder,
    gather_rows,
    scatter_rows,
    tracing_seed,
)
from nengodl_notebook.tensor_node import (
    SimTensorNode,
    arg_specs,
    call,
    trace,
    traced_error,
)
from nengodl_notebook.tensor_node_variables import (
    derived_seed,
    graph_random_seed,
    uses_op_types,
)
from nengodl_notebook.user_warnings import warn_user

#: Op types of TensorFlow assertions, which XLA compiles to nothing.
ASSERT_OPS = {"Assert"}

#: TensorNodes already warned about (see `xla_for_assertions`).
_warned: "weakref.WeakSet[object]" = weakref.WeakSet()
#: TensorNodes already warned about (see `xla_for_uncompilable`).
_warned_uncompilable: "weakref.WeakSet[object]" = weakref.WeakSet()


@Builder.register(SimTensorNode)
class SimTensorNodeBuilder(SingleOpBuilder):
    """``output = tensor_func(t, x)`` for one TensorNode (one group per node).

    Random ops in ``tensor_func`` get a graph seed derived from the Simulator's
    seed (`tracing_seed`) and this node's place in the model.
    """

    def __init__(self, ops, ctx):
        super().__init__(ops, ctx)
        self.node = self.op.node
        inp = self.op.input
        self.x_idx = None if inp is None else ctx.layout.indices(inp)
        self.out_idx = ctx.layout.indices(self.op.output)
        self.seed_offset = ctx.new_seed_offset()
        label = re.sub(r"[^A-Za-z0-9_.-]", "_", self.node.label or "")
        #: Name scope of the node's ops: TensorFlow's errors name it.
        self.scope = f"TensorNode{self.seed_offset}_{label}".rstrip("_")
        self._asserts = None
        self._xla_error = False  # not checked yet; then a str or None

    def key_extra(self):
        """None: the node's function and Keras objects are made when traced."""
        return None

    @property
    def asserts(self):
        """Whether the node's function has assertions (``tf.debugging.assert_*``).

        Found by tracing the function (once, when asked).
        """
        if self._asserts is None:
            node, ctx = self.node, self.ctx
            concrete = trace(node, node.tensor_func, ctx.dtype, ctx.minibatch_size)
            self._asserts = uses_op_types(concrete.graph, concrete.graph, ASSERT_OPS)
        return self._asserts

    @property
    def xla_error(self):
        """Why XLA cannot compile the node's function (None when it can).

        Found by lowering the function alone to XLA's HLO (once, when asked):
        unsupported ops (``tf.print``, ``tf.numpy_function``, string ops) fail
        there, in milliseconds, without compiling machine code.
        """
        if self._xla_error is False:
            self._xla_error = xla_error(
                self.node, self.ctx.dtype, self.ctx.minibatch_size
            )
        return self._xla_error

    def failed_assertion(self, error):
        """The SimulationError for ``error`` if an assertion of this node failed."""
        message = getattr(error, "message", str(error))
        found = re.search(r"assertion failed:.*", message)
        scope = rf"(?<![\w.-]){re.escape(self.scope)}(_\d+)?/"
        if found is None or not re.search(scope, message):
            return None
        return SimulationError(
            f"{self.node}: an assertion in its tensor_func failed while simulating "
            f"({found.group(0)})"
        )

    def build_step(self, state, pre, step):
        batch = state.shape[1]
        args = []
        if self.node.pass_time:
            time = tf.cast(step.k, tf.float64) * self.ctx.dt
            args.append(tf.cast(time, self.ctx.dtype))
        if self.x_idx is not None:
            x = tf.transpose(gather_rows(state, self.x_idx))  # (minibatch, size_in)
            args.append(tf.reshape(x, (batch,) + tuple(self.node.shape_in)))
        try:
            # after this step's state: random ops draw in step order, not ahead
            # in parallel loop iterations
            seed = derived_seed(tracing_seed(), self.seed_offset)
            with (
                graph_random_seed(seed),
                tf.control_dependencies([state]),
                tf.name_scope(self.scope),
            ):
                y = call(
                    self.node,
                    self.node.tensor_func,
                    args,
                    self.ctx.dtype,
                    batch,
                    training=step.training,
                )
        except ValidationError:
            raise
        except Exception as e:  # e.g. a Keras layer failing only with training=True
            raise traced_error(self.node, e) from e
        y = tf.transpose(tf.reshape(y, (batch, self.node.size_out)))
        return scatter_rows(state, self.out_idx, y, "set")


def xla_for_assertions(groups, jit_compile):
    """The XLA setting for a step program, given its TensorNodes' assertions.

    XLA compiles ``Assert`` ops to nothing: an assertion would never fail. With
    the default (``jit_compile=None``) a program with asserting TensorNodes runs
    without XLA; with ``jit_compile=True`` it keeps XLA and ignores them. Either
    way a warning says so, once per TensorNode.

    Parameters
    ----------
    groups : list of OpBuilder
    jit_compile : bool or None

    Returns
    -------
    bool or None
        ``jit_compile``, or False when assertions rule XLA out.
    """
    if jit_compile is False:
        return False
    nodes = [
        g.node for g in groups if isinstance(g, SimTensorNodeBuilder) and g.asserts
    ]
    new = [node for node in nodes if node not in _warned]
    _warned.update(new)
    names = ", ".join(str(node) for node in new)
    if jit_compile and new:
        warn_user(
            f"{names}: XLA drops the assertions (tf.debugging.assert_*) of "
            "tensor_func, so with jit_compile=True they are not checked"
        )
    elif new:
        warn_user(
            f"{names}: XLA drops the assertions (tf.debugging.assert_*) of "
            "tensor_func, so this model runs without XLA (slower). Pass "
            "jit_compile=True to the Simulator to run it with XLA, unchecked."
        )
    return jit_compile if jit_compile or not nodes else False


#: `xla_error` results: node -> {(dtype, minibatch size): (weakref to func, result)}.
_xla_checked: "weakref.WeakKeyDictionary[object, dict]" = weakref.WeakKeyDictionary()


def xla_error(node, dtype, batch):
    """Why XLA cannot compile ``node``'s function, or None when it can.

    Remembered per node, function, dtype and minibatch size: another Simulator of
    the same network does not lower the function again.
    """
    key = (tf.as_dtype(dtype).name, batch)
    checked = _xla_checked.setdefault(node, {})
    func_ref, result = checked.get(key, (lambda: None, None))
    if func_ref() is not node.tensor_func:
        result = _lowering_error(node, dtype, batch)
        try:  # a weak reference: the function may refer to the node
            checked[key] = (weakref.ref(node.tensor_func), result)
        except TypeError:  # no weak references to it: not remembered
            pass
    return result


def _lowering_error(node, dtype, batch):
    def traced(*args):
        return call(node, node.tensor_func, args, dtype, batch)

    func = tf.function(traced, jit_compile=True, autograph=False)
    try:
        func.experimental_get_compiler_ir(*arg_specs(node, dtype, batch))(stage="hlo")
    except Exception as e:  # noqa: BLE001 -- any failure: run it without XLA
        message = str(e)
        ops = re.findall(r"(\w+) \(No registered '\w+' OpKernel for XLA", message)
        if ops:
            return f"unsupported TensorFlow ops: {', '.join(dict.fromkeys(ops))}"
        return f"{type(e).__name__}: {message.splitlines()[0] if message else ''}"
    return None


def xla_for_uncompilable(groups, jit_compile):
    """The XLA setting for a step program, given TensorNodes XLA cannot compile.

    With the default (``jit_compile=None``) a program with such TensorNodes
    (``tf.print``, ``tf.numpy_function``, string ops...) runs without XLA, and
    one warning names them (once per TensorNode). An explicit ``True`` or
    ``False`` is returned as it is (``True`` then fails when the program runs).

    Parameters
    ----------
    groups : list of OpBuilder
    jit_compile : bool or None

    Returns
    -------
    bool or None
    """
    if jit_compile is not None:
        return jit_compile
    failing = [
        (g.node, g.xla_error)
        for g in groups
        if isinstance(g, SimTensorNodeBuilder) and g.xla_error is not None
    ]
    new = [(node, why) for node, why in failing if node not in _warned_uncompilable]
    _warned_uncompilable.update(node for node, _ in new)
    if new:
        names = "; ".join(f"{node} ({why})" for node, why in new)
        warn_user(
            f"XLA cannot compile the tensor_func of {names}, so this model runs "
            "without XLA (slower). Pass jit_compile=False to the Simulator to choose "
            "that without this check."
        )
    return False if failing else None
