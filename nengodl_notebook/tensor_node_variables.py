"""The variables and random seeds of TensorNode functions, found by tracing them.

A TensorNode's function is traced once at Simulator construction. Variables it
assigns to are *state* (reset by ``sim.reset`` and at the start of every
training/evaluation minibatch); the others are *weights* (trained when
trainable, saved by ``sim.save_params``). Random ops follow the Simulator's seed:
stateful TF random ops through a graph seed derived from it while the step
program is traced, Keras seed generators by being seeded on ``sim.reset``.
"""

import contextlib

import keras
import numpy as np
import tensorflow as tf

from nengodl_notebook.tensor_node import trace
from nengodl_notebook.tf_private import called_graph, seed_generator_states

#: TensorFlow ops keeping a random state in their kernel, seeded by graph/op seeds.
STATEFUL_RANDOM_OPS = {
    "RandomUniform",
    "RandomUniformInt",
    "RandomStandardNormal",
    "TruncatedNormal",
    "ParameterizedTruncatedNormal",
    "RandomGamma",
    "RandomPoisson",
    "RandomPoissonV2",
    "RandomShuffle",
    "Multinomial",
}


def derived_seed(seed, offset):
    """A graph seed for one TensorNode from the Simulator's seed and an offset."""
    return int(
        np.random.SeedSequence([int(seed) % 2**32, int(offset)]).generate_state(1)[0]
    )


@contextlib.contextmanager
def graph_random_seed(seed):
    """Within this block, random ops traced into the current graph use ``seed``.

    ``tf.random.set_seed`` while tracing sets the seed of the graph being traced
    only (not the process-wide one); the graph's previous seed is restored after.
    """
    if tf.executing_eagerly():  # only traced functions are seeded here
        yield
        return
    graph = tf.compat.v1.get_default_graph()
    previous = graph.seed
    tf.random.set_seed(seed)
    try:
        yield
    finally:
        graph.seed = previous


#: Op types that write a resource variable given as their first input.
ASSIGN_PREFIXES = (
    "Assign",
    "ResourceScatter",
    "ResourceStridedSliceAssign",
    "ResourceApply",
    "ResourceSparseApply",
)
#: Ops calling nested functions: function attributes and the offset of their inputs.
CALL_OPS = {
    "If": (("then_branch", "else_branch"), 1),
    "StatelessIf": (("then_branch", "else_branch"), 1),
    "While": (("cond", "body"), 0),
    "StatelessWhile": (("cond", "body"), 0),
    "PartitionedCall": (("f",), 0),
    "StatefulPartitionedCall": (("f",), 0),
}


def _source(tensor):
    while tensor.op.type == "Identity":
        tensor = tensor.op.inputs[0]
    return tensor


def assigned_tensors(graph, top):
    """Resource tensors of ``graph`` that it (or a function it calls) writes to."""
    assigned = set()
    for op in graph.get_operations():
        if op.type.startswith(ASSIGN_PREFIXES) and op.inputs:
            assigned.add(_source(op.inputs[0]).ref())
        elif op.type in CALL_OPS:
            names, offset = CALL_OPS[op.type]
            for name in names:
                sub = called_graph(top, op.get_attr(name).name)
                if sub is None:
                    continue
                written = assigned_tensors(sub, top)
                for i, tensor in enumerate(sub.inputs):
                    if tensor.ref() in written and i + offset < len(op.inputs):
                        assigned.add(_source(op.inputs[i + offset]).ref())
    return assigned


def uses_op_types(graph, top, types):
    """Whether ``graph`` (or a function it calls) has an op of one of ``types``.

    ``top`` is the outermost graph, which holds the called functions.
    """
    for op in graph.get_operations():
        if op.type in types:
            return True
        for name in CALL_OPS.get(op.type, ((), 0))[0]:
            sub = called_graph(top, op.get_attr(name).name)
            if sub is not None and uses_op_types(sub, top, types):
                return True
    return False


def uses_stateful_random(graph, top):
    """Whether ``graph`` (or a function it calls) has a `STATEFUL_RANDOM_OPS` op."""
    return uses_op_types(graph, top, STATEFUL_RANDOM_OPS)


def split_variables(concrete):
    """``(weights, state)``: variables a traced function reads / writes."""
    graph = concrete.graph
    internal = {id(external): inner for external, inner in graph.captures}
    written = assigned_tensors(graph, graph)
    weights, state = [], []
    for var in concrete.variables:
        inner = internal.get(id(var.handle))
        (state if inner is not None and inner.ref() in written else weights).append(var)
    return weights, state


def seed_generators(func):
    """The Keras ``SeedGenerator`` states of a Keras layer or model (and its sublayers).

    Keras random layers (Dropout, GaussianNoise...) draw from these generators in
    training; an empty list for anything that is not a Keras layer.
    """
    if not isinstance(func, keras.layers.Layer):
        return []
    return seed_generator_states(func)


class TensorNodeVariables:
    """The TensorFlow variables of a model's TensorNodes: weights and state.

    Parameters
    ----------
    nodes : list of TensorNode
        In build order (keys of saved weights follow it).
    dtype : str
        The simulator's dtype.
    minibatch_size : int
    trainable : dict
        Resolved ``trainable`` setting of each node (default True).

    Notes
    -----
    Each function is traced once (as the simulator will run it) to find the
    variables it uses. State values are recorded now, at Simulator construction.
    A variable shared by several nodes (a layer used twice) is listed once.
    """

    def __init__(self, nodes, dtype, minibatch_size, trainable):
        self.nodes = list(nodes)
        self.weights = []  # (key, label, variable)
        self.trainable = []
        self.state = []
        self.stateful_random = []  # nodes using random ops XLA cannot seed
        seen = set()
        for i, node in enumerate(nodes):
            concrete = trace(node, node.tensor_func, tf.as_dtype(dtype), minibatch_size)
            if uses_stateful_random(concrete.graph, concrete.graph):
                self.stateful_random.append(node)
            weights, state = split_variables(concrete)
            for j, var in enumerate(weights):
                self.weights.append((f"tensor_node{i}.{j}", f"{node} {var.name}", var))
                if var.trainable and trainable.get(node, True) and id(var) not in seen:
                    self.trainable.append(var)
                    seen.add(id(var))
            for var in state:
                if id(var) not in seen:
                    self.state.append(var)
                    seen.add(id(var))
        self.state0 = [var.numpy().copy() for var in self.state]
        self.seed_states = []  # Keras seed generators, seeded from the Simulator's seed
        for node in nodes:
            for var in seed_generators(node.tensor_func):
                if all(var is not other for other in self.seed_states):
                    self.seed_states.append(var)

    def release(self):
        """Forget the state variables, their initial values and the seed generators.

        Called when the Simulator closes. The weights stay listed (they live in
        the TensorNodes' own objects, and ``save_params`` still reads them);
        `reset` and `kept` then do nothing.
        """
        self.state, self.state0, self.seed_states = [], [], []

    def reseed(self, seed):
        """Seed the Keras layers' random generators from the Simulator's ``seed``.

        Called by ``Simulator.reset``; training minibatches do not reseed, so
        their random draws (dropout masks) differ from one minibatch to the next.
        """
        for i, var in enumerate(self.seed_states):
            value = [derived_seed(seed, 2**20 + i), 0]
            var.assign(
                np.array(value, dtype=np.dtype(getattr(var.dtype, "name", var.dtype)))
            )

    def reset(self):
        """Restore the state variables (eagerly, or as ops inside a tf.function)."""
        for var, value in zip(self.state, self.state0):
            var.assign(value)

    @contextlib.contextmanager
    def kept(self):
        """Keep the state variables' values (training and evaluation reset them)."""
        values = [var.numpy().copy() for var in self.state]
        try:
            yield
        finally:
            for var, value in zip(self.state, values):
                var.assign(value)

    def by_key(self):
        """``({key: weight value}, {key: label})`` of every weight, for saving."""
        arrays = {key: var.numpy() for key, _, var in self.weights}
        labels = {key: label for key, label, _ in self.weights}
        return arrays, labels

    def assign(self, arrays):
        """Set weights from ``{key: value}`` (see `by_key`)."""
        for key, _, var in self.weights:
            var.assign(arrays[key])
