"""The private TensorFlow/Keras APIs of `nengodl_notebook.tf_private` still work.

Each test names the API it checks, so that a TensorFlow or Keras upgrade that
removes or changes one fails here, with that name, first.
"""

import keras
import numpy as np
import tensorflow as tf

from nengodl_notebook import tf_private


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
