"""Builder for SimPyFunc ops that take an input (Nodes with ``size_in > 0``).

Python functions of model values cannot run inside a compiled TensorFlow loop:
they run through ``tf.numpy_function``, once per step and minibatch item. This is
the slow path (and rules out XLA), so the simulator warns once when a model uses
it. Functions of time only are computed ahead of the loop instead.
"""

import numpy as np
import tensorflow as tf
from nengo.builder.operator import SimPyFunc
from nengo.exceptions import SimulationError

from nengodl_notebook.op_builders.base import (
    Builder,
    SingleOpBuilder,
    gather_rows,
    scatter_rows,
)
from nengodl_notebook.precomputed_inputs import fn_name


@Builder.register(SimPyFunc)
class SimPyFuncBuilder(SingleOpBuilder):
    """``output = fn(t, x)`` for one Node, through ``tf.numpy_function``."""

    needs_python = True

    def __init__(self, ops, ctx):
        super().__init__(ops, ctx)
        self.x_idx = ctx.layout.indices(self.op.x)
        out = self.op.output
        self.out_idx = None if out is None else ctx.layout.indices(out)
        self.size = 0 if out is None else out.size

    def _call(self, k, x):
        try:
            return self._call_items(float(k) * self.ctx.dt, x)
        except Exception as e:  # re-raised by the Simulator, not lost in TF's error
            self.ctx.record_error(e)
            raise

    def _call_items(self, t, x):
        columns = []
        for b in range(x.shape[1]):
            # a fresh array that is not a view (nengo passes a copy of x)
            xb = np.array(x[:, b].reshape(self.op.x.shape), dtype=np.float64)
            y = self.op.fn(t, xb) if self.op.t is not None else self.op.fn(xb)
            if self.size:
                columns.append(self._checked(y))
        if not self.size:
            return np.zeros((0, x.shape[1]), dtype=x.dtype)
        return np.stack(columns, axis=1).astype(x.dtype)

    def _checked(self, y):
        name = fn_name(self.op.fn)
        try:
            y = np.asarray(y, dtype=np.float64).reshape(self.size)
        except (TypeError, ValueError) as e:
            raise SimulationError(
                f"Function '{name}' returned a value {y!r} of invalid type "
                f"{type(y)!r} (expected {self.size} numbers)"
            ) from e
        if not np.all(np.isfinite(y)):
            raise SimulationError(f"Function '{name}' returned non-finite value")
        return y

    def build_step(self, state, pre, step):
        x = gather_rows(state, self.x_idx)
        y = tf.numpy_function(self._call, [step.k, x], self.ctx.dtype, stateful=True)
        if self.out_idx is None:
            with tf.control_dependencies([y]):
                return tf.identity(state)
        y = tf.reshape(y, (self.size, state.shape[1]))
        return scatter_rows(state, self.out_idx, y, "set")
