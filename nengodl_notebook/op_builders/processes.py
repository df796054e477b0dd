"""Builders for SimProcess ops that read an input signal (synapses and the like).

Processes without input (noise, WhiteSignal, Piecewise...) never reach these
builders: they are computed ahead of the time loop (see
`nengodl_notebook.precomputed_inputs`).
LinearFilter (Lowpass, Alpha, any LTI system) and Triangle run natively in
TensorFlow; any other process with an input runs nengo's own step function
through ``tf.numpy_function``.
"""

import numpy as np
import tensorflow as tf
from nengo.builder.processes import SimProcess
from nengo.synapses import LinearFilter, Triangle

from nengodl_notebook.op_builders.base import (
    Builder,
    OpBuilder,
    RowReader,
    SingleOpBuilder,
    gather_rows,
    inherited_impl,
    scatter_rows,
)
from nengodl_notebook.precomputed_inputs import (
    capture_streams,
    check_process_size,
    process_state,
    rewind_streams,
)
from nengodl_notebook.user_warnings import warn_user

#: nengo's steps of plain LinearFilters, by what determines them (see below).
_STEPS: dict = {}


def linear_filter_step(op, dt, dtype):
    """nengo's step object for a LinearFilter op (its class says which maths).

    nengo discretizes the filter (``expm``) for each call; filters whose
    ``_get_ss``, ``make_state`` and ``make_step`` are LinearFilter's own give
    one step per (type, num, den, analog, method, shape, dt, dtype), kept here.
    The step is only read (``A``, ``B``, ``C``, ``D`` and its class).
    """
    process, shape = op.process, op.output.shape
    key = None
    if all(
        getattr(type(process), name) is getattr(LinearFilter, name)
        for name in ("_get_ss", "make_state", "make_step")
    ):
        num, den = np.asarray(process.num), np.asarray(process.den)
        key = (type(process), num.dtype.str, num.tobytes(), num.shape)
        key += (den.dtype.str, den.tobytes(), den.shape)
        key += (process.analog, process.method, shape, dt, np.dtype(dtype).str)
        if key in _STEPS:
            return _STEPS[key]
    state = process.make_state(shape, shape, dt, dtype=dtype)
    step = process.make_step(shape, shape, dt, rng=None, state=state)
    if key is not None:
        if len(_STEPS) > 1000:
            _STEPS.clear()
        _STEPS[key] = step
    return step


def process_kind(op, dt):
    """Which builder class handles a SimProcess op with input.

    Subclasses of LinearFilter (Lowpass, Alpha...) and Triangle run natively
    unless they override ``make_step`` (their maths is then their own).
    """
    kinds = {LinearFilter: LinearFilterBuilder, Triangle: TriangleBuilder}
    klass = inherited_impl(op.process, kinds, ("make_step",))
    return PythonProcessBuilder if klass is None else kinds[klass]


def input_reader(ops, ctx):
    """A `RowReader` of the ops' inputs, concatenated.

    An input may be a read-only signal living in ``params`` (a filtered probe of
    a connection's weights or of an ensemble's encoders), not only in ``state``.
    """
    return RowReader(ctx, [(op.input, np.arange(op.input.size)) for op in ops])


def read_input(reader, state, pre):
    """The inputs as ``(n, minibatch)`` rows (constant inputs broadcast)."""
    u = reader.read(state, pre)
    return tf.broadcast_to(u, (reader.size, state.shape[1]))


def write_output(state, out_idx, y, mode, state_idx, new_state):
    """Write a filter's output (mode set/inc/update) and its new internal state."""
    if mode == "inc":
        state = scatter_rows(state, state_idx, new_state, "set")
        return scatter_rows(state, out_idx, y, "inc")
    idx = np.concatenate([out_idx, state_idx])
    return scatter_rows(state, idx, tf.concat([y, new_state], axis=0), "set")


@Builder.register(SimProcess)
class SimProcessBuilder(OpBuilder):
    """Dispatches SimProcess ops with an input to the builder for their process."""

    @staticmethod
    def merge_key(op, ctx):
        kind = process_kind(op, ctx.dt)
        return (kind,) + kind.merge_key(op, ctx)

    @staticmethod
    def param_reads(op):
        return [op.input]

    def __new__(cls, ops, ctx):
        kind = process_kind(ops[0], ctx.dt)
        obj = object.__new__(kind)
        obj.__init__(ops, ctx)
        return obj


class LinearFilterBuilder(OpBuilder):
    """``X <- A X + B u; y = C X (+ D u)`` for LTI synapses, per element."""

    @staticmethod
    def merge_key(op, ctx):
        step = linear_filter_step(op, ctx.dt, ctx.np_dtype)
        return (type(step).__name__, step.A.shape[0], op.mode)

    def __init__(self, ops, ctx):
        super().__init__(ops, ctx)
        layout = ctx.layout
        steps = [linear_filter_step(op, ctx.dt, np.float64) for op in ops]
        self.kind = type(steps[0]).__name__
        self.order = steps[0].A.shape[0]
        self.mode = ops[0].mode
        self.u = input_reader(ops, ctx)
        self.out_idx = np.concatenate([layout.indices(op.output) for op in ops])
        sizes = [op.output.size for op in ops]
        k = self.order
        self.X_idx = (
            np.concatenate(
                [layout.indices(op.state["X"]).reshape(k, -1) for op in ops], axis=1
            )
            if k > 0
            else np.zeros((0, sum(sizes)), dtype=np.int64)
        )

        def per_elem(values):  # one scalar per op -> one value per element
            return np.repeat(np.asarray(values, dtype=np.float64), sizes)[:, None]

        self.A = [
            [per_elem([s.A[i, j] for s in steps]) for j in range(k)] for i in range(k)
        ]
        self.B = [per_elem([s.B.ravel()[i] for s in steps]) for i in range(k)]
        self.C = [per_elem([s.C.ravel()[j] for s in steps]) for j in range(k)]
        self.D = per_elem([s.D.ravel()[0] for s in steps])

    def build_pre(self, params):
        def const(x):
            return tf.constant(x, dtype=self.ctx.dtype)

        return {
            "A": [[const(a) for a in row] for row in self.A],
            "B": [const(b) for b in self.B],
            "C": [const(c) for c in self.C],
            "D": const(self.D),
            "u": self.u.pre(params),
        }

    def build_step(self, state, pre, step):
        u = read_input(self.u, state, pre["u"])
        if self.kind == "NoX":
            return scatter_rows(state, self.out_idx, pre["D"] * u, self.mode)
        k, A, B, C = self.order, pre["A"], pre["B"], pre["C"]
        X = [gather_rows(state, self.X_idx[i]) for i in range(k)]
        if self.kind in ("OneX", "OneXScalar"):  # nengo keeps C folded into X
            new_X = [A[0][0] * X[0] + (C[0] * B[0]) * u]
            y = new_X[0]
        else:
            if self.kind == "General":  # output from the old state
                y = pre["D"] * u + tf.add_n([C[j] * X[j] for j in range(k)])
            new_X = [
                tf.add_n([A[i][j] * X[j] for j in range(k)]) + B[i] * u
                for i in range(k)
            ]
            if self.kind == "NoD":  # output from the new state
                y = tf.add_n([C[j] * new_X[j] for j in range(k)])
        return write_output(
            state,
            self.out_idx,
            y,
            self.mode,
            self.X_idx.ravel(),
            tf.concat(new_X, axis=0),
        )


class TriangleBuilder(OpBuilder):
    """Triangle FIR synapse: ``Y += n0 u - sum(X)``, ring buffer ``X`` of taps."""

    @staticmethod
    def merge_key(op, ctx):
        return (op.process._get_coefficients(ctx.dt)[0], op.mode)

    def __init__(self, ops, ctx):
        super().__init__(ops, ctx)
        layout = ctx.layout
        self.mode = ops[0].mode
        self.n_taps, self.n0, self.ndiff = ops[0].process._get_coefficients(ctx.dt)
        sizes = [op.output.size for op in ops]
        self.u = input_reader(ops, ctx)
        self.out_idx = np.concatenate([layout.indices(op.output) for op in ops])
        self.Y_idx = np.concatenate([layout.indices(op.state["Y"]) for op in ops])
        self.X_idx = np.concatenate(
            [layout.indices(op.state["X"]).reshape(self.n_taps, -1) for op in ops],
            axis=1,
        )
        xi = np.concatenate([layout.indices(op.state["Xi"]) for op in ops])
        self.Xi_per_elem = np.repeat(xi, sizes)
        self.Xi_idx = xi

    def build_pre(self, params):
        return self.u.pre(params)

    def build_step(self, state, pre, step):
        dtype = self.ctx.dtype
        u = read_input(self.u, state, pre)
        X = tf.stack([gather_rows(state, row) for row in self.X_idx])
        Y = gather_rows(state, self.Y_idx) + tf.cast(self.n0, dtype) * u
        Y = Y - tf.reduce_sum(X, axis=0)
        xi = tf.math.floormod(gather_rows(state, self.Xi_per_elem) + 1, self.n_taps)
        taps = tf.reshape(tf.range(self.n_taps, dtype=dtype), (-1, 1, 1))
        X = tf.where(taps == xi[None], tf.cast(self.ndiff, dtype) * u[None], X)
        new_xi = tf.math.floormod(gather_rows(state, self.Xi_idx) + 1, self.n_taps)
        internal = tf.concat([Y, tf.reshape(X, (-1, state.shape[1])), new_xi], 0)
        internal_idx = np.concatenate([self.Y_idx, self.X_idx.ravel(), self.Xi_idx])
        return write_output(state, self.out_idx, Y, self.mode, internal_idx, internal)


class PythonProcessBuilder(SingleOpBuilder):
    """Any other process with an input: nengo's step function per minibatch item.

    The step functions keep their state in Python; they are made anew on reset
    (``reset``) with the random generator nengo would give this op.
    """

    needs_python = True

    def __init__(self, ops, ctx):
        super().__init__(ops, ctx)
        warn_user(
            f"{type(self.op.process).__name__} takes an input and has no TensorFlow "
            "implementation; it runs nengo's NumPy step function each time step "
            "(slow, no XLA)."
        )
        self.u = input_reader(ops, ctx)
        self.out_idx = ctx.layout.indices(self.op.output)
        self.step_fns = []
        ctx.python_processes.append(self)

    def reset(self, rngs):
        """Make one step function per minibatch item from nengo's random generators."""
        op, dt = self.op, self.ctx.dt
        shape_in, shape_out = op.input.shape, op.output.shape
        self.step_fns, self.streams = [], []
        for rng in rngs:
            state = process_state(op, self.ctx.np_dtype)
            self.step_fns.append(
                op.process.make_step(shape_in, shape_out, dt, rng, state)
            )
            self.streams.append((rng, state))

    def capture(self):
        """Where the step functions' random streams and states are now."""
        return capture_streams(self.streams)

    def rewind(self, captured):
        """Put them back where `capture` found them (after a failed run)."""
        rewind_streams(self.streams, captured)

    def _step_numpy(self, k, u):
        try:
            t = float(k) * self.ctx.dt
            out = [
                np.asarray(f(t, u[:, b].copy()), dtype=u.dtype).ravel()
                for b, f in enumerate(self.step_fns)
            ]
            check_process_size(self.op.process, out[0].size, len(self.out_idx))
            return np.stack(out, axis=1)
        except Exception as e:  # re-raised by the Simulator, not lost in TF's error
            self.ctx.record_error(e)
            raise

    def build_pre(self, params):
        return self.u.pre(params)

    def build_step(self, state, pre, step):
        u = read_input(self.u, state, pre)
        y = tf.numpy_function(self._step_numpy, [step.k, u], self.ctx.dtype)
        y = tf.reshape(y, (len(self.out_idx), state.shape[1]))
        mode = "inc" if self.op.mode == "inc" else "set"
        return scatter_rows(state, self.out_idx, y, mode)
