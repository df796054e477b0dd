"""The private TensorFlow/Keras APIs of `nengodl_notebook.tf_private` still work.

Each test names the API it checks, so that a TensorFlow or Keras upgrade that
removes or changes one fails here, with that name, first.
"""

import keras
import numpy as np
import tensorflow as tf

from nengodl_notebook import program_names, tf_private


def test_xla_dynamic_update_slice_writes_block_in_and_out_of_xla():
    """tensorflow.compiler.tf2xla.python.xla.dynamic_update_slice."""
    state = np.arange(12, dtype=np.float32).reshape(6, 2)
    update = -np.ones((2, 2), np.float32)
    expected = state.copy()
    expected[3:5] = update

    def write(x):
        return tf_private.dynamic_update_slice(x, update, tf.constant([3, 0]))

    eager = write(tf.constant(state)).numpy()
    compiled = tf.function(write, jit_compile=True)(tf.constant(state)).numpy()
    assert np.array_equal(eager, expected), "xla.dynamic_update_slice (eager)"
    assert np.array_equal(compiled, expected), "xla.dynamic_update_slice (XLA)"


def test_xla_dynamic_update_slice_has_our_gradient():
    """The gradient registered for XlaDynamicUpdateSlice."""
    state = tf.Variable(np.ones((4, 1), np.float32))
    update = tf.Variable(np.ones((2, 1), np.float32))
    weights = tf.constant([[1.0], [2.0], [3.0], [4.0]])
    with tf.GradientTape() as tape:
        out = tf_private.dynamic_update_slice(state, update, tf.constant([1, 0]))
        loss = tf.reduce_sum(out * weights)
    d_state, d_update = tape.gradient(loss, [state, update])
    # rows 1-2 are overwritten: no gradient to the state there
    assert np.array_equal(d_state.numpy(), [[1.0], [0.0], [0.0], [4.0]])
    assert np.array_equal(d_update.numpy(), [[2.0], [3.0]])


def test_concrete_function_call_flat_uses_given_captures():
    """ConcreteFunction._call_flat(tensor_inputs, captured_inputs)."""
    first, second = tf.Variable(2.0), tf.Variable(10.0)

    def make(var):
        return tf.function(lambda x: x * var).get_concrete_function(
            tf.TensorSpec((), tf.float32)
        )

    shared, other = make(first), make(second)
    assert hasattr(shared, "_call_flat"), "ConcreteFunction._call_flat is gone"
    out = tf_private.call_with_captures(
        shared, [tf.constant(3.0)], other.captured_inputs
    )
    out = tf.nest.flatten(out)[0]
    assert float(out) == 30.0, "ConcreteFunction._call_flat ignored the captures"


def test_graph_functions_hold_called_graphs():
    """Graph._functions: the FuncGraphs of cond/while/nested tf.function calls."""
    inner = tf.function(lambda x: tf.random.uniform(()) + x)

    def func(x):
        y = tf.cond(x > 0, lambda: tf.sqrt(x), lambda: x)
        return tf.while_loop(lambda i: i < 3.0, lambda i: i + 1.0, [y])[0] + inner(x)

    graph = tf.function(func).get_concrete_function(tf.constant(1.0)).graph
    assert hasattr(graph, "_functions"), "Graph._functions is gone"
    called = {}
    for op in graph.get_operations():
        for attr in ("then_branch", "body", "f"):
            try:
                name = op.get_attr(attr).name
            except ValueError:
                continue
            sub = tf_private.called_graph(graph, name)
            assert sub is not None, f"Graph._functions has no {name} ({op.type})"
            called[attr] = {o.type for o in sub.get_operations()}
    assert "Sqrt" in called["then_branch"]
    assert "AddV2" in called["body"]
    assert "RandomUniform" in called["f"]
    assert tf_private.called_graph(graph, "no_such_function") is None


def test_keras_flatten_layers_and_seed_generators():
    """keras Layer._flatten_layers and Layer._seed_generators."""
    inner = keras.Sequential([keras.layers.Dense(2), keras.layers.Dropout(0.5)])
    model = keras.Sequential([keras.Input((3,)), inner, keras.layers.Dropout(0.2)])
    states = tf_private.seed_generator_states(model)
    assert len(states) == 2, "Layer._flatten_layers / _seed_generators changed"
    dropouts = [inner.layers[1], model.layers[-1]]
    for dropout in dropouts:
        assert any(state is dropout.seed_generator.state for state in states)


def test_function_namers_take_numbers_from_our_source():
    """concrete_function._inference_name, control_flow_util_v2.unique_fn_name...

    Checked through `program_names` (which installs our number source once
    per process with `install_name_source`).
    """

    @tf.function(autograph=False)
    def loop(x):
        return tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y + 1.0), (0, x))

    key = (("portable", "tf-private-test"),)
    with program_names.names_for(key):
        concrete = loop.get_concrete_function(tf.constant(0.0))
    digest = program_names.key_digest(key)
    library = {f.signature.name for f in concrete.graph.as_graph_def().library.function}
    assert concrete.name.decode().startswith(f"__inference_loop_{digest}")
    assert len(library) == 2  # the loop's condition and body
    assert all(digest in name for name in library)
    later = tf.function(loop.python_function).get_concrete_function(tf.constant(0.0))
    assert digest not in later.name.decode()  # outside: TensorFlow's numbers


def test_untraced_copy_traces_again_with_the_same_options():
    """tf.function's ``_clone``."""
    compiled = tf.function(lambda x: x * 2.0, jit_compile=True, autograph=False)
    first = compiled.get_concrete_function(tf.constant(1.0))
    copy = tf_private.untraced_copy(compiled)
    second = copy.get_concrete_function(tf.constant(1.0))
    assert second is not first and second.name != first.name
    assert copy.experimental_get_tracing_count() == 1
    assert float(copy(tf.constant(3.0))) == 6.0
