"""Questions about a nengo network asked before and after building it."""

import nengo
from nengo.transforms import Convolution, ConvolutionTranspose

from nengodl_notebook.inputs import ConstantNodeOutput
from nengodl_notebook.planner import NotSupportedError


def check_supported(network):
    """Raise NotSupportedError naming the first model part we cannot run yet."""
    for conn in network.all_connections:
        if conn.learning_rule_type is not None:
            rules = conn.learning_rule_type
            raise NotSupportedError(
                f"{conn} has learning rule {rules!r}: learning rules are not "
                "supported yet by nengodl_notebook"
            )
        if isinstance(conn.transform, (Convolution, ConvolutionTranspose)):
            raise NotSupportedError(
                f"{conn} has a {type(conn.transform).__name__} transform: "
                "convolution transforms are not supported yet by nengodl_notebook"
            )


def same_signal(a, b):
    """Whether two nengo signals are the same memory (same view of one base)."""
    return a is b or (
        a.base is b.base
        and a.shape == b.shape
        and a.elemoffset == b.elemoffset
        and a.elemstrides == b.elemstrides
    )


def input_node_ops(model, network, input_ops):
    """Map each input Node (``size_in == 0``, ``size_out > 0``) to its output op."""
    if network is None:
        return {}
    mapping = {}
    for node in network.all_nodes:
        if node.size_in > 0 or node.size_out == 0:
            continue
        out = model.sig[node]["out"]
        for op in input_ops:
            if isinstance(op, ConstantNodeOutput):
                if op.node is node:
                    mapping[node] = op
            elif op.output is not None and same_signal(op.output, out):
                mapping[node] = op
    return mapping
