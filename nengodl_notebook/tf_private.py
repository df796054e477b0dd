"""Every private TensorFlow and Keras API the package uses, in one place.

Each has no public equivalent that behaves the same. A TensorFlow or Keras
release may rename or remove them without notice: ``tests/test_tf_private.py``
checks each one, so an upgrade fails there with the API's name instead of deep
inside a simulation.

``tensorflow.compiler.tf2xla.python.xla.dynamic_update_slice``
    The ``XlaDynamicUpdateSlice`` op (not in ``tf.raw_ops``): writes a block of
    rows of the state in place under XLA. Used by `dynamic_update_slice` for
    every contiguous write of the step program (``op_builders.base.scatter_rows``).
    If it moves, nothing imports. The public alternative,
    ``tf.tensor_scatter_nd_update``, is lowered by XLA to a scatter loop
    (several times slower per step).
``ConcreteFunction._call_flat(tensor_inputs, captured_inputs)``
    Runs a traced function with another function's captured inputs (its
    variables). Used by `call_with_captures` for XLA programs shared by
    Simulators of the same network (``shared_programs.SharedPrograms``). If it
    goes, every Simulator after the first fails to run.
``Graph._functions``
    The functions (``FuncGraph`` objects) that a graph's ``If``/``While``/
    ``PartitionedCall`` ops call, by name. Used by `called_graph` to find the
    variables a TensorNode function writes and the random/assert ops it uses
    (``tensor_node_variables``). If it goes, Simulators with TensorNodes fail
    to build.
``keras.layers.Layer._flatten_layers`` and ``Layer._seed_generators``
    A layer and its nested sublayers, and the ``SeedGenerator`` objects each
    layer draws from. Used by `seed_generator_states` so that Keras random
    layers (Dropout...) follow the Simulator's seed. If they go, random
    layers in TensorNodes are no longer seeded by the Simulator.
"""

import tensorflow as tf
from tensorflow.compiler.tf2xla.python import xla


def dynamic_update_slice(tensor, update, indices):
    """``tensor`` with the block at ``indices`` replaced by ``update`` (in place).

    Parameters
    ----------
    tensor : tf.Tensor
    update : tf.Tensor
        Same rank as ``tensor``.
    indices : tf.Tensor of int32
        Start of the block along each axis.
    """
    return xla.dynamic_update_slice(tensor, update, indices)


def _dynamic_update_slice_grad(op, grad):
    """Gradients of ``XlaDynamicUpdateSlice`` (TensorFlow defines none).

    Registered once for the op type: a ``tf.custom_gradient`` per slice write
    would add a function holding the traced graph to TensorFlow's global
    gradient registry in every trace, which keeps every traced step program
    alive until the process ends.
    """
    update, indices = op.inputs[1], op.inputs[2]
    d_input = dynamic_update_slice(grad, tf.zeros_like(update), indices)
    return d_input, tf.slice(grad, indices, tf.shape(update)), None


try:
    tf.RegisterGradient("XlaDynamicUpdateSlice")(_dynamic_update_slice_grad)
except KeyError:  # already defined (by a later TensorFlow): use that one
    pass


def call_with_captures(concrete, args, captured):
    """Run the trace ``concrete`` on ``args``, with ``captured`` as its captures.

    Parameters
    ----------
    concrete : ConcreteFunction
    args : sequence of tf.Tensor
        The function's own inputs, flat.
    captured : list of tf.Tensor or tf.Variable handles
        In the order of ``concrete.captured_inputs`` (another trace of the same
        graph gives them in that order).
    """
    return concrete._call_flat(list(args), captured)


def called_graph(top, name):
    """The graph of the function ``name`` that ``top`` holds, or None.

    Parameters
    ----------
    top : tf.Graph
        The outermost graph of a trace (it holds the nested functions).
    name : str
        A function name, as in an ``If``/``While``/``PartitionedCall`` op's
        function attribute (``op.get_attr("f").name``).
    """
    return getattr(top._functions.get(name), "graph", None)


def seed_generator_states(layer):
    """The state variables of the Keras ``SeedGenerator`` objects of ``layer``.

    Those of its nested sublayers included.

    Parameters
    ----------
    layer : keras.layers.Layer
    """
    return [
        generator.state
        for sub in layer._flatten_layers(include_self=True)
        for generator in getattr(sub, "_seed_generators", [])
    ]
