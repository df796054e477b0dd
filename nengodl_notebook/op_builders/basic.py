"""Builders for nengo's basic operators: Reset, Copy, the linear incs and TimeUpdate.

ElementwiseInc, DotInc, SparseDotInc and BsrDotInc are all ``Y += A * X`` summed
over index triples ``(y, a, x)``, so any number of them (of any shapes) merge into
one gather -> multiply -> segment-sum -> scatter group.
"""

import numpy as np
import tensorflow as tf
from nengo.builder.operator import (
    BsrDotInc,
    Copy,
    DotInc,
    ElementwiseInc,
    Reset,
    SparseDotInc,
    TimeUpdate,
)
from nengo.builder.probe import SimProbe

from nengodl_notebook.op_builders.base import (
    Builder,
    OpBuilder,
    RowReader,
    scatter_rows,
)
from nengodl_notebook.signals import sparse_coo


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


def sliced_indices(layout, sig, slc):
    """Flat indices of ``sig[slc]`` (nengo slices index the first axis)."""
    idx = layout.indices(sig).reshape(sig.shape if sig.shape else (1,))
    if slc is not None:
        idx = idx[np.asarray(slc) if not isinstance(slc, slice) else slc]
    return idx.ravel()


@Builder.register(Copy)
class CopyBuilder(OpBuilder):
    """``dst[dst_slice] = src[src_slice]`` (or ``+=`` when ``inc``)."""

    @staticmethod
    def merge_key(op, ctx):
        return (op.inc,)

    def __init__(self, ops, ctx):
        super().__init__(ops, ctx)
        layout = ctx.layout
        self.src = RowReader(
            ctx, [(op.src, sliced_indices(layout, op.src, op.src_slice)) for op in ops]
        )
        self.dst_idx = np.concatenate(
            [sliced_indices(layout, op.dst, op.dst_slice) for op in ops]
        )
        self.mode = "inc" if ops[0].inc else "set"

    def build_pre(self, params):
        return self.src.pre(params)

    def build_step(self, state, pre, step):
        return scatter_rows(state, self.dst_idx, self.src.read(state, pre), self.mode)


def _grid(*sizes):
    """Flattened index grids over ``sizes`` (C order)."""
    return [g.ravel() for g in np.meshgrid(*map(np.arange, sizes), indexing="ij")]


def elementwise_triples(layout, op):
    """``(y, a, x)`` index triples of ``Y += A * X`` (numpy broadcasting)."""
    y = layout.indices(op.Y).reshape(op.Y.shape)
    a = layout.indices(op.A).reshape(op.A.shape)
    x = layout.indices(op.X).reshape(op.X.shape)
    a, x = np.broadcast_to(a, y.shape), np.broadcast_to(x, y.shape)
    return y.ravel(), a.ravel(), x.ravel()


def dense_dot_triples(layout, op):
    """``(y, a, x)`` index triples of ``Y += A.dot(X)`` for dense A."""
    a_idx, x_idx, y_idx = (layout.indices(s) for s in (op.A, op.X, op.Y))
    if op.A.ndim == 0 or op.X.ndim == 0:  # scalar times array
        n = max(len(a_idx), len(x_idx))
        return y_idx, np.broadcast_to(a_idx, n), np.broadcast_to(x_idx, n)
    m, n = op.A.shape if op.A.ndim == 2 else (1, op.A.shape[0])
    k = op.X.shape[1] if op.X.ndim == 2 else 1
    i, j, kk = _grid(m, n, k)
    return y_idx[i * k + kk], a_idx[i * n + j], x_idx[j * k + kk]


def sparse_dot_triples(layout, op):
    """``(y, a, x)`` index triples of ``Y += A.dot(X)`` for a sparse A signal."""
    rows, cols, data = sparse_coo(op.A.initial_value)
    a_idx, x_idx, y_idx = (layout.indices(s) for s in (op.A, op.X, op.Y))
    k = op.X.shape[1] if op.X.ndim == 2 else 1
    b, kk = _grid(len(data), k)
    return y_idx[rows[b] * k + kk], a_idx[b], x_idx[cols[b] * k + kk]


def bsr_dot_triples(layout, op):
    """``(y, a, x)`` index triples of ``Y += A.dot(X)`` for block-sparse A."""
    _, br, bc = op.A.shape
    a_idx, x_idx, y_idx = (layout.indices(s) for s in (op.A, op.X, op.Y))
    rows = np.repeat(np.arange(len(op.indptr) - 1), np.diff(op.indptr))
    b, i, j = _grid(len(op.indices), br, bc)
    return (
        y_idx[rows[b] * br + i],
        a_idx[(b * br + i) * bc + j],
        x_idx[np.asarray(op.indices)[b] * bc + j],
    )


def linear_triples(layout, op):
    """Index triples for any of the linear increment operators."""
    if isinstance(op, ElementwiseInc):
        return elementwise_triples(layout, op)
    if isinstance(op, BsrDotInc):
        return bsr_dot_triples(layout, op)
    if isinstance(op, SparseDotInc):
        return sparse_dot_triples(layout, op)
    return dense_dot_triples(layout, op)


@Builder.register(ElementwiseInc)
@Builder.register(DotInc)
class LinearIncBuilder(OpBuilder):
    """``Y += A * X`` summed over index triples, for a whole group of ops."""

    def __init__(self, ops, ctx):
        super().__init__(ops, ctx)
        triples = [linear_triples(ctx.layout, op) for op in ops]
        y = np.concatenate([t[0] for t in triples])
        self.A = RowReader(ctx, [(op.A, t[1]) for op, t in zip(ops, triples)])
        self.X = RowReader(ctx, [(op.X, t[2]) for op, t in zip(ops, triples)])
        self.y_unique, self.y_local = np.unique(y, return_inverse=True)

    def _sum(self, a, x):
        return tf.math.unsorted_segment_sum(
            a * x, tf.constant(self.y_local, tf.int32), len(self.y_unique)
        )

    def build_pre(self, params):
        a_pre, x_pre = self.A.pre(params), self.X.pre(params)
        if self.A.constant and self.X.constant:  # constant product: sum it once
            return self._sum(a_pre, x_pre)
        return a_pre, x_pre

    def build_step(self, state, pre, step):
        if self.A.constant and self.X.constant:
            total = pre
        else:
            total = self._sum(self.A.read(state, pre[0]), self.X.read(state, pre[1]))
        return scatter_rows(state, self.y_unique, total, "inc")


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


@Builder.register(SimProbe)
class SimProbeBuilder(OpBuilder):
    """Probes are read after each step by the step program; nothing to do here."""

    def build_step(self, state, pre, step):
        return state
