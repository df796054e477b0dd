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
)
from nengodl_notebook.tensor_node import SimTensorNode, call, traced_error


@Builder.register(SimTensorNode)
class SimTensorNodeBuilder(OpBuilder):
    """``output = tensor_func(t, x)`` for one TensorNode (one group per node)."""

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
            y = call(self.node, self.node.tensor_func, args, self.ctx.dtype, batch,
                     training=step.training)
        except ValidationError:
            raise
        except Exception as e:  # e.g. a Keras layer failing only with training=True
            raise traced_error(self.node, e) from e
        y = tf.transpose(tf.reshape(y, (batch, self.node.size_out)))
        return scatter_rows(state, self.out_idx, y, "set")
