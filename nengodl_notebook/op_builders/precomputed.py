"""Builder writing the precomputed model-independent inputs into the state."""

import numpy as np

from nengodl_notebook.op_builders.base import OpBuilder, scatter_rows
from nengodl_notebook.precomputed_inputs import op_mode, op_output


class InputBuilder(OpBuilder):
    """Copies this step's slice of the input array into the ops' outputs.

    The planner gives each group one contiguous run of input columns, so the read
    is a slice of ``step.inputs``.
    """

    #: Attributes the program key leaves out: the ops compute the inputs ahead
    #: of the loop; the trace reads only the columns and ``dst_idx``.
    key_skip = ("ops",)

    @staticmethod
    def merge_key(op, ctx):
        return (op_mode(op),)

    @classmethod
    def input_columns(cls, op):
        out = op_output(op)
        return 0 if out is None else out.size

    def __init__(self, ops, ctx):
        super().__init__(ops, ctx)
        self.start, self.stop = ctx.allocate_input_columns(ops, self.input_columns)
        outputs = [op_output(op) for op in ops if op_output(op) is not None]
        self.dst_idx = (
            np.concatenate([ctx.layout.indices(s) for s in outputs])
            if outputs
            else np.zeros(0, dtype=np.int64)
        )
        self.mode = op_mode(ops[0])

    def build_step(self, state, pre, step):
        if self.stop == self.start:
            return state
        values = step.inputs[self.start : self.stop]
        return scatter_rows(state, self.dst_idx, values, self.mode)
