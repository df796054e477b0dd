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
TensorFlow's function namers
    ``concrete_function._inference_name``, ``_forward_name``,
    ``_backward_name``, ``control_flow_util_v2.unique_fn_name``,
    ``unique_grad_fn_name`` and ``custom_gradient.generate_name``:
    Where TensorFlow names traced functions (and loop bodies, branches,
    gradients) after its process-wide counter ``ops.uid()``. Replaced by
    `install_name_source` with versions that take the number from our source
    while one is active (`program_names`), so a program has the same names in
    every process and TensorFlow's persistent XLA cache finds it. If they move,
    names are TensorFlow's own again: programs compile in every process (the
    test fails first).
``tf.function``'s ``_clone``
    A tf.function with the same options and no traces. Used by
    `untraced_copy` to trace a program again when its saved XLA program
    failed to load (``xla_cache``). If it goes, such a failure is raised.
``keras.layers.Layer._flatten_layers`` and ``Layer._seed_generators``
    A layer and its nested sublayers, and the ``SeedGenerator`` objects each
    layer draws from. Used by `seed_generator_states` so that Keras random
    layers (Dropout...) follow the Simulator's seed. If they go, random
    layers in TensorNodes are no longer seeded by the Simulator.
"""

import tensorflow as tf
from tensorflow.compiler.tf2xla.python import xla
from tensorflow.python.eager.polymorphic_function import concrete_function
from tensorflow.python.ops import control_flow_util_v2, custom_gradient


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


def install_name_source(source):
    """Name TensorFlow's traced functions with numbers from ``source()``.

    ``source()`` gives the next number (a string of digits) while a naming
    context of ours is active on the calling thread, else None: TensorFlow's
    own ``ops.uid()`` then. Installed once per process.
    """
    namers = (
        (concrete_function, "_inference_name"),
        (concrete_function, "_forward_name"),
        (concrete_function, "_backward_name"),
        (control_flow_util_v2, "unique_fn_name"),
        (control_flow_util_v2, "unique_grad_fn_name"),
        (custom_gradient, "generate_name"),
    )
    if getattr(concrete_function, "_nengodl_names", False) or not all(
        hasattr(module, name) for module, name in namers
    ):
        return  # installed, or TensorFlow changed: its own names
    inference = concrete_function._inference_name
    forward = concrete_function._forward_name
    backward = concrete_function._backward_name
    fn_name = control_flow_util_v2.unique_fn_name
    grad_fn_name = control_flow_util_v2.unique_grad_fn_name
    gradient_name = custom_gradient.generate_name

    def pick(original, pattern):
        def name(*args):
            number = source()
            if number is None:
                return original(*args)
            return pattern(*args, number)

        return name

    concrete_function._inference_name = pick(
        inference, lambda n, k: f"__inference_{n}_{k}"
    )
    concrete_function._forward_name = pick(forward, lambda n, k: f"__forward_{n}_{k}")
    concrete_function._backward_name = pick(
        backward, lambda n, k: f"__backward_{n}_{k}"
    )
    control_flow_util_v2.unique_fn_name = pick(
        fn_name, lambda scope, n, k: f"{scope}{n}_{k}".replace("/", "_")
    )
    control_flow_util_v2.unique_grad_fn_name = pick(
        grad_fn_name, lambda n, k: f"{n}_grad_{k}"
    )
    custom_gradient.generate_name = pick(gradient_name, lambda k: f"CustomGradient-{k}")
    concrete_function._nengodl_names = True


def untraced_copy(function):
    """``function`` (a tf.function) with the same options and no traces."""
    return function._clone(python_function=None)
