"""Questions about a nengo network asked before and after building it."""

from nengodl_notebook.precomputed_inputs import ConstantNodeOutput


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
