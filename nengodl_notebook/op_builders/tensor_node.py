"""Builder for SimTensorNode ops: TensorFlow functions inside the time loop.

Unlike Python Nodes (``pyfunc.py``), a TensorNode's function is TensorFlow code:
it is traced into the compiled step, so it runs with XLA when it compiles.
"""

import tensorflow as tf
from nengo.exceptions import ValidationError

from nengodl_notebook.op_builders.base import (
    Builder,
    OpBuilder,
    gather_rows,
    scatter_rows,
    tracing_seed,
)
from nengodl_notebook.tensor_node import SimTensorNode, call, traced_error
from nengodl_notebook.tensor_node_variables import derived_seed, graph_random_seed


@Builder.register(SimTensorNode)
class SimTensorNodeBuilder(OpBuilder):
    """``output = tensor_func(t, x)`` for one TensorNode (one group per node).

    Random ops in ``tensor_func`` get a graph seed derived from the Simulator's
    seed (`tracing_seed`) and this node's place in the model.
    """

    @staticmethod
    def merge_key(op, ctx):
        return (id(op),)

    def __init__(self, ops, ctx):
        super().__init__(ops, ctx)
        (self.op,) = ops
        self.node = self.op.node
        inp = self.op.input
        self.x_idx = None if inp is None else ctx.layout.indices(inp)
        self.out_idx = ctx.layout.indices(self.op.output)
        self.seed_offset = ctx.new_seed_offset()

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
            with graph_random_seed(seed), tf.control_dependencies([state]):
                y = call(self.node, self.node.tensor_func, args, self.ctx.dtype, batch,
                         training=step.training)
        except ValidationError:
            raise
        except Exception as e:  # e.g. a Keras layer failing only with training=True
            raise traced_error(self.node, e) from e
        y = tf.transpose(tf.reshape(y, (batch, self.node.size_out)))
        return scatter_rows(state, self.out_idx, y, "set")
