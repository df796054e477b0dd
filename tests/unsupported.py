"""A Node whose build adds an operator nengodl_notebook has no builder for.

``UnknownNode(...)`` builds in nengo (so ``nengo.Simulator`` would fail on its
operator only when run); our Simulator refuses it at construction with a
`NotSupportedError` naming ``SimUnknown``. Its signal is kept in
``model.sig[node]["unknown"]``, so that messages can name the node.
"""

import nengo
import numpy as np


class SimUnknown(nengo.builder.Operator):
    """An operator kind nengodl_notebook does not know.

    Notes
    -----
    1. sets ``[out]``
    2. incs ``[]``
    3. reads ``[]``
    4. updates ``[]``
    """

    def __init__(self, out, tag=None):
        super().__init__(tag=tag)
        self.sets, self.incs, self.reads, self.updates = [out], [], [], []


class UnknownNode(nengo.Node):
    """A Node whose builder adds an operator we have no op builder for."""


@nengo.builder.Builder.register(UnknownNode)
def build_unknown_node(model, node):
    out = nengo.builder.Signal(np.zeros(node.size_out), name=f"{node}.out")
    model.sig[node]["out"] = out
    model.sig[node]["in"] = None
    model.params[node] = None
    model.sig[node]["unknown"] = nengo.builder.Signal(np.zeros(1), name="unknown")
    model.add_op(SimUnknown(model.sig[node]["unknown"], tag="unknown op"))
