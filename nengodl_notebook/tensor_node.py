"""TensorNode: a Node whose output is computed by TensorFlow code, and Keras layers.

``TensorNode(tensor_func, shape_in, shape_out, pass_time)`` is a ``nengo.Node``
whose output is ``tensor_func(t, x)`` on minibatched tensors, run inside the
compiled time loop of `nengodl_notebook.Simulator` (with XLA when the function
compiles). ``Layer(keras_layer)(x)`` (`nengodl_notebook.layer`) makes a TensorNode
from a Keras layer and connects ``x`` to it in one line.

TensorFlow variables a function uses are found by tracing it (see
`nengodl_notebook.tensor_node_variables`): variables it assigns to are *state* (reset by
``sim.reset`` and at the start of every training/evaluation minibatch); the
others are *weights* (trained when trainable, saved by ``sim.save_params``).
"""

from collections.abc import Callable, Sequence
from typing import Any

import keras
import nengo
import numpy as np
import tensorflow as tf
from nengo.base import NengoObject
from nengo.builder.operator import Operator, Reset
from nengo.builder.signal import Signal
from nengo.exceptions import SimulationError, ValidationError
from nengo.params import BoolParam, Parameter, ShapeParam


class TensorFuncParam(Parameter):
    """A TensorNode's function (any callable; `TensorNode` checks what it returns)."""

    def coerce(self, node, func):
        func = super().coerce(node, func)
        if not callable(func):
            raise ValidationError(
                f"{node}: tensor_func must be callable (got {type(func).__name__})",
                attr=self.name,
                obj=node,
            )
        return func


class TensorNode(nengo.Node):
    """A Node whose output is computed by TensorFlow code.

    Parameters
    ----------
    tensor_func : callable
        ``tensor_func(t, x)``, ``tensor_func(x)`` (``pass_time=False``),
        ``tensor_func(t)`` (no input) or ``tensor_func()``. ``x`` has shape
        ``(minibatch_size,) + shape_in``, ``t`` is a scalar float tensor, and the
        result must have shape ``(minibatch_size,) + shape_out`` (a leading axis
        of 1 is broadcast when the node has no input) and a float dtype. Keras
        layers and models are called with ``training=`` (True in training).
    shape_in : tuple of int, optional
        Shape of the input (without the minibatch axis); None for no input.
    shape_out : tuple of int, optional
        Shape of the output; inferred by tracing ``tensor_func`` when not given.
    pass_time : bool
        Pass the simulation time ``t`` as first argument.
    label : str, optional
    size_in, size_out : int, optional
        Flat ``shape_in=(size_in,)`` / ``shape_out=(size_out,)`` (NengoDL's names).

    Notes
    -----
    TensorFlow variables must be created outside ``tensor_func`` (or by a Keras
    layer when it is built). Variables the function assigns to (with
    ``.assign``) are state: ``sim.reset()`` restores the values they had when
    the Simulator was constructed, and every training/evaluation minibatch
    starts from them; they are shared by the minibatch items unless the
    variable has a minibatch axis of its own. Other variables are weights:
    trainable ones are trained by ``sim.train``/``sim.fit`` when the node is
    trainable (``net.config[node].trainable``, see ``configure_settings``), all
    are saved by ``sim.save_params``. Weights live in the function's objects:
    every Simulator of the network shares them, and ``sim.freeze_params``
    leaves them there (the Keras layer keeps its trained weights).

    Random TensorFlow ops in ``tensor_func`` (``tf.random.uniform``,
    ``tf.random.normal``...) follow the Simulator's ``seed``: the graph-level
    seed of the traced function is derived from it (and from the node's place in
    the model), so two Simulators with the same seed give the same numbers, each
    step and minibatch item gets fresh ones, ``sim.reset()`` starts the sequence
    again and ``sim.reset(seed=s)`` gives what a new ``Simulator(net, seed=s)``
    gives. Each run of a new length starts the sequence from that seed too.
    XLA ignores the seeds of these (stateful) ops, so a model using them is
    compiled without XLA; ``tf.random.stateless_*`` ops seeded from the inputs
    keep XLA. Programs that ``sim.train``/``sim.fit`` compiled keep the seed of
    their first call. Keras random layers (Dropout...) draw from their seed
    generators, which ``sim.reset`` (and construction) seeds from the
    Simulator's seed; each training minibatch then gets new draws.

    Assertions (``tf.debugging.assert_*``) in ``tensor_func`` are checked: a
    failing one raises a SimulationError naming the node. XLA would drop them,
    so a model with such TensorNodes runs without XLA (with a warning) unless
    the Simulator gets ``jit_compile=True``, which keeps XLA and skips them.

    A TensorNode is not an input node: ``data=`` cannot override its output.
    ``nengo.Simulator`` cannot run it.
    """

    # nengo parameters are untyped descriptors: typed here as what they hold
    tensor_func: Any = TensorFuncParam("tensor_func")
    shape_in = ShapeParam("shape_in", default=None, low=1, optional=True)
    shape_out = ShapeParam("shape_out", default=None, low=1, optional=True)
    pass_time = BoolParam("pass_time", default=True)

    _param_init_order = ("shape_in", "shape_out", "pass_time", "tensor_func")

    def __init__(
        self,
        tensor_func: Callable[..., Any],
        shape_in: int | Sequence[int] | None = None,
        shape_out: int | Sequence[int] | None = None,
        pass_time: bool = True,
        label: str | None = None,
        size_in: int | None = None,
        size_out: int | None = None,
    ) -> None:
        # nengo.Node.__init__ would validate ``output`` with NumPy inputs: skip it
        NengoObject.__init__(self, label=label, seed=None)
        self.shape_in = _flat_alias(self, shape_in, size_in, "shape_in", "size_in")
        self.shape_out = _flat_alias(self, shape_out, size_out, "shape_out", "size_out")
        self.pass_time = pass_time
        self.tensor_func = tensor_func
        build_keras_layer(self, tensor_func)
        # a trace (tf.function), not an eager call: it gives the output shape without
        # running the function, so state variables (a step counter) do not change
        concrete = trace(self, tensor_func, tf.float32, 1, check_batch=False)
        if self.shape_out is None:
            self.shape_out = tuple(concrete.structured_outputs.shape[1:])

    @property
    def output(self):
        """The node's function (what ``nengo.Node.output`` is for a Node)."""
        return self.tensor_func

    @property
    def size_in(self):
        """Number of input dimensions (flattened ``shape_in``; 0 for no input)."""
        return 0 if self.shape_in is None else int(np.prod(self.shape_in))

    @property
    def size_out(self):
        """Number of output dimensions (flattened ``shape_out``)."""
        return 0 if self.shape_out is None else int(np.prod(self.shape_out))


def build_keras_layer(node, func):
    """Build an unbuilt Keras layer on a symbolic ``keras.Input``, as Keras does.

    Only for a layer taking the node's input alone (``pass_time=False``). A
    layer whose ``build`` runs eager code (``clone_model`` then ``set_weights``,
    ``.numpy()``...) could not be built inside the trace that follows. A layer
    that fails here is left to that trace, which reports the error.
    """
    if (
        not isinstance(func, keras.layers.Layer)
        or func.built
        or node.pass_time
        or node.shape_in is None
    ):
        return
    try:
        func(keras.Input(shape=tuple(node.shape_in)))
    except Exception:  # noqa: BLE001 -- reported by the trace (traced_error)
        return


def not_overridable(node):
    """The ValidationError for ``data=`` given for a TensorNode."""
    return ValidationError(
        f"{node} is a TensorNode: its output is computed by TensorFlow inside the "
        "simulation, so data= cannot override it (feed its input from an input Node "
        "instead)",
        attr="data",
        obj=node,
    )


def _flat_alias(node, shape, size, shape_name, size_name):
    if size is None:
        return shape
    if shape is not None:
        raise ValidationError(
            f"{node}: give {shape_name} or {size_name}, not both",
            attr=size_name,
            obj=node,
        )
    return (int(size),)


# -- calling the function -----------------------------------------------------------


def arg_specs(node, dtype, batch):
    """TensorSpecs of the arguments ``tensor_func`` receives."""
    specs = [tf.TensorSpec((), dtype)] if node.pass_time else []
    if node.shape_in is not None:
        specs.append(tf.TensorSpec((batch,) + tuple(node.shape_in), dtype))
    return specs


def call(node, func, args, dtype, batch, training=False):
    """``func(*args)`` checked: a float tensor ``(batch,) + shape_out`` in ``dtype``.

    With ``batch=None`` (minibatch size unknown) any leading axis is accepted.
    """
    if isinstance(func, keras.layers.Layer):
        result = func(*args, training=training)
    else:
        result = func(*args)
    return check_output(node, result, dtype, batch)


def _expected(node, batch):
    if node.shape_out is None:
        return "(minibatch_size,) + shape_out, with shape_out at least 1-D"
    size = "minibatch_size" if batch is None else batch
    return f"(minibatch_size,) + shape_out = ({size},) + {node.shape_out}"


def _float_tensor(node, result):
    if result is None or not tf.is_tensor(result):
        try:
            result = tf.convert_to_tensor(result)
        except (TypeError, ValueError) as e:
            raise _invalid(
                node, f"returned {type(result).__name__}, not a tensor"
            ) from e
    if not result.dtype.is_floating:
        raise _invalid(
            node, f"returned dtype {result.dtype.name}; expected a float tensor"
        )
    return result


def check_output(node, result, dtype, batch):
    """Raise a ValidationError naming ``node`` unless ``result`` is a valid output.

    Returns the output cast to ``dtype`` with shape ``(batch,) + shape_out``
    (``batch=None``: any leading axis).
    """
    expected = _expected(node, batch)
    result = _float_tensor(node, result)
    if result.shape.rank is None or None in tuple(result.shape)[1:]:
        if node.shape_out is None:
            raise _invalid(
                node,
                f"returned a tensor of unknown shape {result.shape}: give shape_out",
            )
        result = tf.ensure_shape(result, (None,) + tuple(node.shape_out))
    shape = tuple(result.shape)
    if len(shape) < 2:
        raise _invalid(node, f"returned a tensor of shape {shape}; expected {expected}")
    if node.shape_out is not None and shape[1:] != tuple(node.shape_out):
        raise _invalid(
            node,
            f"returned a tensor of shape {shape}, which does not match shape_out "
            f"{node.shape_out}: expected {expected}",
        )
    if batch is None:
        return tf.cast(result, dtype)
    if shape[0] is None and node.shape_in is not None:
        result = tf.ensure_shape(result, (batch,) + shape[1:])
    leading_ok = shape[0] in (batch, None) or (shape[0] == 1 and node.shape_in is None)
    if not leading_ok:
        raise _invalid(
            node,
            f"returned {shape[0]} items on the minibatch axis (shape {shape}); "
            f"expected {expected}",
        )
    return tf.broadcast_to(tf.cast(result, dtype), (batch,) + shape[1:])


def _invalid(node, what):
    return ValidationError(f"{node}: tensor_func {what}", attr="tensor_func", obj=node)


def trace(node, func, dtype, batch, check_batch=True):
    """Trace ``func`` in a ``tf.function`` (no execution); returns the ConcreteFunction.

    A function that fails when traced raises a ValidationError naming ``node``,
    chained to the function's own exception. Without ``check_batch`` (at node
    construction, where the minibatch size is not known yet) the leading axis of
    the output is not checked.
    """

    def traced(*args):
        return call(node, func, args, dtype, batch if check_batch else None)

    try:
        return tf.function(traced, autograph=False).get_concrete_function(
            *arg_specs(node, dtype, batch)
        )
    except ValidationError:
        raise
    except Exception as e:
        raise traced_error(node, e) from e


def traced_error(node, error):
    """The ValidationError for a function that failed when traced (chain ``error``)."""
    return ValidationError(
        f"{node}: tensor_func failed when traced by TensorFlow "
        f"({type(error).__name__}: {error}). It must work on symbolic tensors inside "
        "a tf.function (no .numpy(), no Python `if` on tensor values)",
        attr="tensor_func",
        obj=node,
    )


# -- building into a nengo model ------------------------------------------------------


class SimTensorNode(Operator):
    """Compute a TensorNode's output with its TensorFlow function.

    Implements ``output[...] = tensor_func(t, input)`` (with the arguments the
    node takes), run by `nengodl_notebook.Simulator` only.

    Parameters
    ----------
    node : TensorNode
    time : Signal or None
        The simulation time, when the node takes it.
    input : Signal or None
        The node's (flat) input.
    output : Signal
        The node's (flat) output.
    tag : str, optional

    Notes
    -----
    1. sets ``[output]``
    2. incs ``[]``
    3. reads ``([] if time is None else [time]) + ([] if input is None else [input])``
    4. updates ``[]``
    """

    def __init__(self, node, time, input, output, tag=None):
        super().__init__(tag=tag)
        self.node = node
        self.time_passed = time is not None
        self.input_passed = input is not None
        self.sets = [output]
        self.incs = []
        self.reads = ([] if time is None else [time]) + (
            [] if input is None else [input]
        )
        self.updates = []

    @property
    def output(self):
        return self.sets[0]

    @property
    def time(self):
        return self.reads[0] if self.time_passed else None

    @property
    def input(self):
        return self.reads[-1] if self.input_passed else None

    @property
    def _descstr(self):
        return f"{self.input} -> {self.output}, {self.node}"

    def make_step(self, signals, dt, rng):
        raise SimulationError(
            f"{self.node} computes its output with TensorFlow: running a TensorNode "
            "needs nengodl_notebook.Simulator, not nengo.Simulator"
        )


@nengo.builder.Builder.register(TensorNode)
def build_tensor_node(model, node):
    """Build a `TensorNode`: input/output signals and a `SimTensorNode` op.

    Notes
    -----
    Sets ``model.params[node]`` to ``None`` (as for ``nengo.Node``).
    """
    sig_in = None
    if node.size_in > 0:
        sig_in = Signal(shape=(node.size_in,), name=f"{node}.in")
        model.add_op(Reset(sig_in))
    sig_out = Signal(shape=(node.size_out,), name=f"{node}.out")
    time = model.time if node.pass_time else None
    model.add_op(SimTensorNode(node, time, sig_in, sig_out, tag=str(node)))
    model.sig[node]["in"] = sig_in
    model.sig[node]["out"] = sig_out
    model.params[node] = None
