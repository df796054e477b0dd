"""Builders for nengo's basic operators: Reset, Copy and TimeUpdate.

The linear increments (ElementwiseInc, DotInc, SparseDotInc, BsrDotInc) are in
`nengodl_notebook.op_builders.linear`.
"""

import numpy as np
import tensorflow as tf
from nengo.builder.operator import Copy, Reset, TimeUpdate

from nengodl_notebook.op_builders.base import (
    Builder,
    OpBuilder,
    RowReader,
    scatter_rows,
)


@Builder.register(Reset)
class ResetBuilder(OpBuilder):
    """``dst[...] = value`` for every op in the group."""

    def __init__(self, ops, ctx):
        super().__init__(ops, ctx)
        self.dst_idx = np.concatenate([ctx.layout.indices(op.dst) for op in ops])
        self.values = np.concatenate(
            [np.full(op.dst.size, op.value, dtype=ctx.np_dtype) for op in ops]
        )

    def build_step(self, state, pre, step):
        values = tf.constant(self.values[:, None], dtype=self.ctx.dtype)
        return scatter_rows(state, self.dst_idx, values, "set")


def sliced_positions(sig, slc):
    """Positions (among ``sig``'s elements, C order) of ``sig[slc]``.

    nengo slices index the first axis.
    """
    pos = np.arange(sig.size).reshape(sig.shape if sig.shape else (1,))
    if slc is not None:
        pos = pos[np.asarray(slc) if not isinstance(slc, slice) else slc]
    return pos.ravel()


@Builder.register(Copy)
class CopyBuilder(OpBuilder):
    """``dst[dst_slice] = src[src_slice]`` (or ``+=`` when ``inc``)."""

    @staticmethod
    def merge_key(op, ctx):
        return (op.inc,)

    @staticmethod
    def param_reads(op):
        return [op.src]

    def __init__(self, ops, ctx):
        super().__init__(ops, ctx)
        self.src = RowReader(
            ctx, [(op.src, sliced_positions(op.src, op.src_slice)) for op in ops]
        )
        self.dst_idx = np.concatenate(
            [
                ctx.layout.indices(op.dst)[sliced_positions(op.dst, op.dst_slice)]
                for op in ops
            ]
        )
        self.mode = "inc" if ops[0].inc else "set"

    def build_pre(self, params):
        return self.src.pre(params)

    def build_step(self, state, pre, step):
        return scatter_rows(state, self.dst_idx, self.src.read(state, pre), self.mode)


@Builder.register(TimeUpdate)
class TimeUpdateBuilder(OpBuilder):
    """``step += 1; time = step * dt``: the step counter is the loop's own."""

    def __init__(self, ops, ctx):
        super().__init__(ops, ctx)
        self.time_idx = np.concatenate([ctx.layout.indices(op.time) for op in ops])

    def build_step(self, state, pre, step):
        time = tf.cast(step.k, tf.float64) * self.ctx.dt
        values = tf.fill((len(self.time_idx), 1), tf.cast(time, self.ctx.dtype))
        return scatter_rows(state, self.time_idx, values, "set")
