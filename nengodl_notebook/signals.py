"""Signal layout: nengo signals packed into two flat arrays.

Every base signal the step program touches lives in one of two flat vectors:

- ``state``: signals some operator writes (sets, incs or updates), signals that are
  probed, and signals whose value can be overridden by ``data=``. Stored with the
  minibatch on the last axis, shape ``(n_state, minibatch_size)``, so that merged
  operator groups gather and scatter rows.
- ``params``: read-only signals (encoders, biases, decoders, weights...). Stored
  without a minibatch axis, shape ``(n_params,)``.

A base that nengo's merging made of read-only and written signals may be split:
its read-only elements then live in ``params`` (see `planner.make_layout`).

A view of a base signal maps to the flat positions of its elements (in C order of
the view), computed from nengo's ``elemoffset`` and ``elemstrides``.
"""

from collections.abc import Mapping

import numpy as np
import scipy.sparse
from nengo.transforms import SparseMatrix

STATE = "state"
PARAMS = "params"


def sparse_coo(value):
    """``(rows, cols, data)`` of a sparse signal value (scipy or nengo SparseMatrix)."""
    if scipy.sparse.issparse(value):
        coo = value.tocoo()
        return coo.row, coo.col, np.asarray(coo.data)
    indices = np.asarray(value.indices)  # nengo.transforms.SparseMatrix
    return indices[:, 0], indices[:, 1], np.asarray(value.data)


def sparse_like(value, data):
    """``value`` (scipy or nengo sparse matrix) with its non-zero values replaced
    by ``data`` (in `sparse_coo` order)."""
    rows, cols, _ = sparse_coo(value)
    if scipy.sparse.issparse(value):
        coo = scipy.sparse.coo_matrix((data, (rows, cols)), shape=value.shape)
        return coo.asformat(value.format)
    return SparseMatrix(np.stack([rows, cols], axis=1), np.asarray(data), value.shape)


def element_positions(sig):
    """Positions of a signal's elements inside its base's memory, in C order.

    Parameters
    ----------
    sig : nengo.builder.Signal
        A base signal or a view.

    Returns
    -------
    positions : ndarray of int64, shape ``(sig.size,)``
    """
    if sig.sparse:
        return np.arange(len(sparse_coo(sig.initial_value)[2]))
    positions = np.array(sig.elemoffset if sig.is_view else 0, dtype=np.int64)
    for n, stride in zip(sig.shape, sig.elemstrides):  # one axis at a time
        positions = positions[..., None] + stride * np.arange(n, dtype=np.int64)
    return positions.reshape(-1)


def base_memory(base):
    """The values of a base signal in memory order (what views index into)."""
    value = base.initial_value
    if base.sparse:
        return sparse_coo(value)[2]
    value = np.asarray(value)
    if value.flags.c_contiguous or value.ndim <= 1:
        return value.ravel(order="C")
    if value.flags.f_contiguous:
        return value.ravel(order="F")
    # nengo only makes views of contiguous bases; a copy keeps strides consistent
    return np.ascontiguousarray(value).ravel()


class SignalLayout:
    """Assigns the elements of base signals to the flat ``state`` or ``params`` arrays.

    Parameters
    ----------
    state_bases : iterable of Signal
        Base signals that live in the state array.
    param_bases : iterable of Signal
        Base signals that live in the params array.
    state_masks : dict, optional
        ``{base: bool array over the base's memory}`` for state bases of which
        only the marked elements need to be state (the rest is never written and
        only read by readers that accept params, see `make_layout`); the others
        live in params, after the param bases.

    Notes
    -----
    nengo's operator merging may concatenate read-only signals (biases) with
    written ones into one base; splitting such a base keeps the state, which
    every step reads and writes, small.
    """

    def __init__(self, state_bases, param_bases, state_masks=None):
        state_masks = state_masks or {}
        self.sizes = {STATE: 0, PARAMS: 0}
        self._in_state = {}  # base -> bool per memory element
        self._index = {}  # base -> index of each memory element in its array
        self._parts = {STATE: [], PARAMS: []}  # (base, memory positions) in order
        split = []
        for kind, bases in ((STATE, state_bases), (PARAMS, param_bases)):
            for base in bases:
                if base in self._in_state:
                    continue
                n = base_memory(base).size
                mask = np.full(n, kind == STATE)
                if kind == STATE and base in state_masks:
                    mask = np.asarray(state_masks[base], bool)
                    split.append(base)
                self._in_state[base] = mask
                self._index[base] = np.zeros(n, dtype=np.int64)
                self._place(
                    base, kind, np.flatnonzero(mask if kind == STATE else ~mask)
                )
        for base in split:
            self._place(base, PARAMS, np.flatnonzero(~self._in_state[base]))

    def _place(self, base, kind, positions):
        if len(positions) == 0:
            return
        self._index[base][positions] = self.sizes[kind] + np.arange(len(positions))
        self.sizes[kind] += len(positions)
        self._parts[kind].append((base, positions))

    def kind(self, sig):
        """``"state"`` or ``"params"``: which flat array holds ``sig``.

        Raises ValueError for a signal with elements in both (see `in_state`).
        """
        in_state = self.in_state(sig)
        if in_state.all():
            return STATE
        if not in_state.any():
            return PARAMS
        raise ValueError(f"{sig} has elements in both the state and the params arrays")

    def in_state(self, sig):
        """Per element of ``sig`` (C order): whether it lives in ``state``."""
        return self._in_state[sig.base][element_positions(sig)]

    def __contains__(self, sig):
        return sig.base in self._in_state

    def indices(self, sig):
        """Index of each of ``sig``'s elements (C order) in the array holding it."""
        return self._index[sig.base][element_positions(sig)]

    def initial_values(self, kind, dtype):
        """The initial contents of one flat array, as a NumPy vector."""
        parts = [base_memory(b)[pos].astype(dtype) for b, pos in self._parts[kind]]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    def bases(self):
        """Every base signal in the layout."""
        return list(self._in_state)


class SignalValues(Mapping):
    """``sim.signals``: read-only current values of simulated base signals.

    Like ``nengo.Simulator.signals`` (Signal -> array), for inspection. Values are
    copies in the simulator's dtype (integer signals keep theirs); with a
    ``minibatch_size``, state signals get a leading minibatch axis. Sparse signals
    give their nonzero values.

    Parameters
    ----------
    layout : SignalLayout
    get_values : callable
        Returns ``(state (n_state, minibatch), params (n_params,))`` arrays.
    np_dtype : numpy dtype
    minibatch_size : int or None
    """

    def __init__(self, layout, get_values, np_dtype, minibatch_size):
        self.layout = layout
        self.get_values = get_values
        self.np_dtype = np_dtype
        self.minibatch_size = minibatch_size

    def __getitem__(self, sig):
        if sig not in self.layout:
            raise KeyError(sig)
        idx = self.layout.indices(sig)
        shape = (idx.size,) if sig.sparse else sig.shape
        dtype = sig.dtype if np.issubdtype(sig.dtype, np.integer) else self.np_dtype
        state, params = self.get_values()
        in_state = self.layout.in_state(sig)
        if not in_state.any():
            return params[idx].astype(dtype).reshape(shape)
        if in_state.all():
            values = state[idx]  # (n, minibatch)
        else:  # a base split between the arrays: params broadcast over the minibatch
            values = np.where(
                in_state[:, None],
                state[np.where(in_state, idx, 0)],
                params[np.where(in_state, 0, idx)][:, None],
            )
        values = values.astype(dtype)
        if self.minibatch_size is None:
            return values[:, 0].reshape(shape)
        return np.moveaxis(values, 1, 0).reshape((values.shape[1],) + shape)

    def __iter__(self):
        return iter(self.layout.bases())

    def __len__(self):
        return len(self.layout.bases())
