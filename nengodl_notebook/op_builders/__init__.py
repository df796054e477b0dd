"""Op builders: TensorFlow code for each kind of nengo operator.

Importing this package registers every builder with `Builder` (explicit imports,
as in ``nengo/builder/__init__.py``).
"""

from nengodl_notebook.op_builders.base import Builder, OpBuilder
from nengodl_notebook.op_builders import basic  # Reset, Copy, TimeUpdate
from nengodl_notebook.op_builders import linear  # ElementwiseInc, *DotInc
from nengodl_notebook.op_builders import (
    learning,
)  # SimPES, SimBCM, SimOja, SimVoja, SimRLS
from nengodl_notebook.op_builders import neurons  # SimNeurons
from nengodl_notebook.op_builders import processes  # SimProcess with an input
from nengodl_notebook.op_builders import pyfunc  # SimPyFunc with an input
from nengodl_notebook.op_builders import tensor_node  # SimTensorNode (TensorNode)
from nengodl_notebook.op_builders import transforms  # ConvInc, ConvTransposeInc
from nengodl_notebook.op_builders.inputs import InputBuilder  # inputs computed ahead

__all__ = ["Builder", "OpBuilder", "InputBuilder"]
