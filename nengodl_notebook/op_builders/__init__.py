"""Op builders: TensorFlow code for each kind of nengo operator.

Importing this package registers every builder with `Builder` (explicit imports,
as in ``nengo/builder/__init__.py``).
"""

from nengodl_notebook.op_builders import (
    basic,
    learning,
    linear,
    neurons,
    processes,
    pyfunc,
    tensor_node_builder,
    transforms,
)
from nengodl_notebook.op_builders.base import Builder, OpBuilder
from nengodl_notebook.op_builders.precomputed import (
    InputBuilder,  # inputs computed ahead
)

__all__ = ["Builder", "OpBuilder", "InputBuilder"]

#: The modules whose import registered their builders, with what they build.
REGISTERING_MODULES = {
    basic: "Reset, Copy, TimeUpdate",
    learning: "SimPES, SimBCM, SimOja, SimVoja, SimRLS",
    linear: "ElementwiseInc, DotInc, SparseDotInc, BsrDotInc",
    neurons: "SimNeurons",
    processes: "SimProcess with an input",
    pyfunc: "SimPyFunc with an input",
    tensor_node_builder: "SimTensorNode (TensorNode)",
    transforms: "ConvInc, ConvTransposeInc",
}
