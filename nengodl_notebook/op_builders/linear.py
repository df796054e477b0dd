"""Builders for nengo's linear increments.

ElementwiseInc, DotInc, SparseDotInc, BsrDotInc.

All of them are ``Y += A * X``. A merged group computes its products in parts:

- *block products*: dense matrices times vectors (DotInc with a 2-D ``A``,
  BsrDotInc) with equal block shapes are stacked into one batched matrix
  product (BLAS instead of per-element work);
- *triples*: everything else (elementwise, sparse, scalar, matrix ``X``) as
  index triples ``(y, a, x)``: gather, multiply, segment-sum.

The parts' results are summed per output row and added to the state at once.
"""

from collections import defaultdict

import numpy as np
import tensorflow as tf
from nengo.builder.operator import BsrDotInc, DotInc, ElementwiseInc, SparseDotInc

from nengodl_notebook.op_builders.base import (
    Builder,
    OpBuilder,
    RowReader,
    scatter_rows,
)
from nengodl_notebook.signals import sparse_coo


def _grid(*sizes):
    """Flattened index grids over ``sizes`` (C order)."""
    return [g.ravel() for g in np.meshgrid(*map(np.arange, sizes), indexing="ij")]


def positions(sig):
    """``0, 1, ...`` over a signal's elements (C order; nonzeros if sparse)."""
    return np.arange(len(sparse_coo(sig.initial_value)[2]) if sig.sparse else sig.size)


def elementwise_triples(op):
    """``(y, a, x)`` position triples of ``Y += A * X`` (numpy broadcasting)."""
    y = positions(op.Y).reshape(op.Y.shape)
    a = positions(op.A).reshape(op.A.shape)
    x = positions(op.X).reshape(op.X.shape)
    a, x = np.broadcast_to(a, y.shape), np.broadcast_to(x, y.shape)
    return y.ravel(), a.ravel(), x.ravel()


def dense_dot_triples(op):
    """``(y, a, x)`` index triples of ``Y += A.dot(X)`` for dense A."""
    a_idx, x_idx, y_idx = (positions(s) for s in (op.A, op.X, op.Y))
    if op.A.ndim == 0 or op.X.ndim == 0:  # scalar times array
        n = max(len(a_idx), len(x_idx))
        return y_idx, np.broadcast_to(a_idx, n), np.broadcast_to(x_idx, n)
    m, n = op.A.shape if op.A.ndim == 2 else (1, op.A.shape[0])
    k = op.X.shape[1] if op.X.ndim == 2 else 1
    i, j, kk = _grid(m, n, k)
    return y_idx[i * k + kk], a_idx[i * n + j], x_idx[j * k + kk]


def sparse_dot_triples(op):
    """``(y, a, x)`` index triples of ``Y += A.dot(X)`` for a sparse A signal."""
    rows, cols, data = sparse_coo(op.A.initial_value)
    a_idx, x_idx, y_idx = (positions(s) for s in (op.A, op.X, op.Y))
    k = op.X.shape[1] if op.X.ndim == 2 else 1
    b, kk = _grid(len(data), k)
    return y_idx[rows[b] * k + kk], a_idx[b], x_idx[cols[b] * k + kk]


def bsr_dot_triples(op):
    """``(y, a, x)`` index triples of ``Y += A.dot(X)`` for block-sparse A."""
    _, br, bc = op.A.shape
    a_idx, x_idx, y_idx = (positions(s) for s in (op.A, op.X, op.Y))
    rows = np.repeat(np.arange(len(op.indptr) - 1), np.diff(op.indptr))
    b, i, j = _grid(len(op.indices), br, bc)
    return (
        y_idx[rows[b] * br + i],
        a_idx[(b * br + i) * bc + j],
        x_idx[np.asarray(op.indices)[b] * bc + j],
    )


def linear_triples(op):
    """Position triples ``(y, a, x)`` for any of the linear increment operators.

    Positions count the elements of ``Y``, ``A`` and ``X`` (see `positions`).
    """
    if isinstance(op, ElementwiseInc):
        return elementwise_triples(op)
    if isinstance(op, BsrDotInc):
        return bsr_dot_triples(op)
    if isinstance(op, SparseDotInc):
        return sparse_dot_triples(op)
    return dense_dot_triples(op)


def dense_blocks(op):
    """``Y += A.dot(X)`` as blocks ``Y[y[b]] += A[a[b]] @ X[x[b]]`` (if of that form).

    Returns
    -------
    (a, x, y) : ndarrays of shapes ``(nb, br, bc)``, ``(nb, bc)``, ``(nb, br)``
        Positions (see `positions`) of each block's matrix, input and output
        elements; None for ops that
        are not a dense or block-sparse matrix times a vector.
    """
    if isinstance(op, BsrDotInc) and op.X.ndim == 1 and op.A.ndim == 3:
        nb, br, bc = op.A.shape
        rows = np.repeat(np.arange(len(op.indptr) - 1), np.diff(op.indptr))
        a = positions(op.A).reshape(nb, br, bc)
        x = positions(op.X).reshape(-1, bc)[np.asarray(op.indices)]
        y = positions(op.Y).reshape(-1, br)[rows]
        return a, x, y
    if type(op) is DotInc and op.A.ndim == 2 and op.X.ndim == 1:
        (m, n), pos = op.A.shape, positions
        return (
            pos(op.A).reshape(1, m, n),
            pos(op.X).reshape(1, n),
            pos(op.Y).reshape(1, m),
        )
    return None


class Products:
    """Products ``A[a] * X[x]`` written to rows ``y``: the reads both kinds share.

    Parameters
    ----------
    ctx : BuildContext
    y : ndarray
        Output row of each product (for blocks: of each block row).
    a_reads, x_reads : list of ``(Signal, positions)``
        What `RowReader` reads for ``A`` and ``X``.
    """

    def __init__(self, ctx, y, a_reads, x_reads):
        self.y = y
        self.A = RowReader(ctx, a_reads)
        self.X = RowReader(ctx, x_reads)
        self.constant = self.A.constant and self.X.constant

    def pre(self, params):
        return self.A.pre(params), self.X.pre(params)


class TripleProducts(Products):
    """``A[a] * X[x]`` per index triple, for ops of any shape.

    Parameters
    ----------
    ctx : BuildContext
    parts : list of ``(op, (y, a, x))``
    """

    def __init__(self, ctx, parts):
        super().__init__(
            ctx,
            np.concatenate([t[0] for _, t in parts]),
            [(op.A, t[1]) for op, t in parts],
            [(op.X, t[2]) for op, t in parts],
        )

    def values(self, state, pre):
        """``(len(self.y), minibatch or 1)`` products."""
        return self.A.read(state, pre[0]) * self.X.read(state, pre[1])


class BlockProducts(Products):
    """Stacked blocks of one shape ``(br, bc)`` as one batched matrix product.

    Parameters
    ----------
    ctx : BuildContext
    parts : list of ``(op, (a, x, y))`` from `dense_blocks`, all of one block shape
    """

    def __init__(self, ctx, parts):
        self.shape = parts[0][1][0].shape[1:]
        super().__init__(
            ctx,
            np.concatenate([blocks[2] for _, blocks in parts]).ravel(),
            [(op.A, blocks[0].ravel()) for op, blocks in parts],
            [(op.X, blocks[1].ravel()) for op, blocks in parts],
        )

    def values(self, state, pre):
        """``(len(self.y), minibatch or 1)``: the blocks' products, stacked."""
        br, bc = self.shape
        a = self.A.read(state, pre[0])  # (nb * br * bc, 1 or minibatch)
        x = self.X.read(state, pre[1])  # (nb * bc, 1 or minibatch)
        a = tf.reshape(a, (-1, br, bc, a.shape[-1]))
        x = tf.reshape(x, (-1, 1, bc, x.shape[-1]))
        if min(br, bc) == 1 or a.shape[-1] > 1:
            # vectors (e.g. 1-D encoders or decoders): XLA fuses multiply and sum,
            # where a batched matrix product of thin blocks is slow
            y = tf.reduce_sum(a * x, axis=2)
        else:
            y = tf.einsum("ijk,ikb->ijb", a[..., 0], x[:, 0])
        return tf.reshape(y, (-1, y.shape[-1]))


@Builder.register(ElementwiseInc)
@Builder.register(DotInc)
class LinearIncBuilder(OpBuilder):
    """``Y += A * X`` for a whole group of ops (block products and triples)."""

    @staticmethod
    def param_reads(op):
        return [op.A, op.X]

    def __init__(self, ops, ctx):
        super().__init__(ops, ctx)
        by_shape, triples = defaultdict(list), []
        for op in ops:
            y_rows = ctx.layout.indices(op.Y)
            blocks = dense_blocks(op)
            if blocks is None:
                y, a, x = linear_triples(op)
                triples.append((op, (y_rows[y], a, x)))
            else:
                a, x, y = blocks
                by_shape[a.shape[1:]].append((op, (a, x, y_rows[y])))
        self.parts = [BlockProducts(ctx, parts) for parts in by_shape.values()]
        if triples:
            self.parts.append(TripleProducts(ctx, triples))
        y = np.concatenate([part.y for part in self.parts])
        self.y_unique, self.y_local = np.unique(y, return_inverse=True)
        # products needing no summation are written as they come
        self.y_write = y if len(self.y_unique) == len(y) else None

    def _total(self, state, pres):
        """Sum of all products per output row; rows ``y_write`` or ``y_unique``."""
        values = [part.values(state, pre) for part, pre in zip(self.parts, pres)]
        width = max(v.shape[-1] for v in values)
        values = [tf.broadcast_to(v, (v.shape[0], width)) for v in values]
        total = values[0] if len(values) == 1 else tf.concat(values, axis=0)
        if self.y_write is not None:
            return total
        return tf.math.unsorted_segment_sum(
            total, tf.constant(self.y_local, tf.int32), len(self.y_unique)
        )

    @property
    def _constant(self):
        return all(part.constant for part in self.parts)

    def build_pre(self, params):
        pres = [part.pre(params) for part in self.parts]
        if self._constant:  # constant products: sum them once per run
            return self._total(None, pres)
        return pres

    def build_step(self, state, pre, step):
        total = pre if self._constant else self._total(state, pre)
        rows = self.y_write if self.y_write is not None else self.y_unique
        return scatter_rows(state, rows, total, "inc")
