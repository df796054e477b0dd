"""Write trained parameters back into nengo objects (``sim.freeze_params``).

After freezing, ``nengo.Simulator`` (or a new Simulator of ours) built from the
network reproduces the trained model: ensembles get explicit encoders, gains and
biases; connections get their trained weights as a transform, or as decoders
through ``NoSolver``.
"""

import nengo
import numpy as np
from nengo.exceptions import ValidationError
from nengo.solvers import NoSolver

from nengodl_notebook.signals import sparse_coo, sparse_like


def freeze_ensemble(ens, scaled_encoders, bias, built):
    """Make ``ens`` build with the given scaled encoders and biases."""
    gain = np.asarray(built.gain)
    ens.encoders = scaled_encoders * ens.radius / gain[:, None]
    ens.normalize_encoders = False
    ens.gain = gain
    ens.bias = bias


class _Constant:
    """A connection function of the right output size (decoders are fixed)."""

    def __init__(self, size):
        self.size = size

    def __call__(self, x):
        return np.zeros(self.size)


def _with_kernel(transform, kernel):
    """A copy of a (transposed) convolution transform with the given kernel."""
    args = dict(
        n_filters=transform.n_filters,
        input_shape=transform.input_shape.shape,
        kernel_size=transform.kernel_size,
        strides=transform.strides,
        padding=transform.padding,
        channels_last=transform.channels_last,
        init=kernel,
    )
    if isinstance(transform, nengo.ConvolutionTranspose):
        return nengo.ConvolutionTranspose(
            output_shape=transform.output_shape.shape, **args
        )
    return nengo.Convolution(groups=transform.groups, **args)


def freeze_connection(conn, weights):
    """Make ``conn`` build with the given (trained) weights."""
    decoded = isinstance(conn.pre_obj, nengo.Ensemble) and not isinstance(
        conn.pre_obj.neuron_type, nengo.Direct
    )
    if decoded and conn.solver.weights:
        conn.solver = NoSolver(weights.T, weights=True)
        conn.transform = None
    elif decoded:
        if conn.size_mid != weights.shape[0]:
            conn.function = _Constant(weights.shape[0])
        conn.solver = NoSolver(weights.T, weights=False)
        conn.transform = None
    elif isinstance(conn.transform, nengo.Sparse):
        rows, cols, data = sparse_coo(weights)
        conn.transform = nengo.Sparse(
            weights.shape, indices=np.stack([rows, cols], axis=1), init=data
        )
    elif isinstance(conn.transform, (nengo.Convolution, nengo.ConvolutionTranspose)):
        conn.transform = _with_kernel(conn.transform, weights)
    elif weights.ndim == 2:
        conn.transform = nengo.Dense(weights.shape, init=weights)
    else:
        conn.transform = weights if weights.ndim else float(weights)


#: What ``freeze_params`` accepts in an iterable (a Network is expanded).
NENGO_OBJECTS = (
    nengo.Network,
    nengo.base.NengoObject,
    nengo.ensemble.Neurons,
    nengo.base.ObjView,
    nengo.connection.LearningRule,
)


def objects_to_freeze(objs):
    """The ensembles and connections of ``objs`` (a Network, or nengo objects).

    Networks in ``objs`` give all their ensembles and connections (subnetworks
    included); other nengo objects (Nodes, Probes...) are accepted and have
    nothing to freeze. Raises a ValidationError naming what was given otherwise.
    """
    expected = (
        "expected a nengo Network or an iterable of nengo objects (Ensembles, "
        "Connections, ...)"
    )
    if isinstance(objs, nengo.Network):
        return objs.all_ensembles + objs.all_connections
    if isinstance(objs, (str, bytes)) or not hasattr(objs, "__iter__"):
        raise ValidationError(
            f"freeze_params got {objs!r} ({type(objs).__name__}): {expected}",
            attr="objs",
        )
    found = []
    objs = list(objs)
    for obj in objs:
        if not isinstance(obj, NENGO_OBJECTS):
            shown = repr(objs) if len(objs) <= 10 else f"{len(objs)} objects"
            raise ValidationError(
                f"freeze_params got {obj!r} ({type(obj).__name__}) among {shown}: "
                f"{expected}",
                attr="objs",
            )
        found += objects_to_freeze(obj) if isinstance(obj, nengo.Network) else [obj]
    return found


def freeze(store, model, objects):
    """Write the current parameters of ``objects`` into them (see module doc).

    ``objects``: a Network or nengo objects (see `objects_to_freeze`).
    """
    objects = objects_to_freeze(objects)
    values = store.values()
    by_obj = {}
    for obj, name, sig in store.signals:
        by_obj.setdefault(obj, {})[name] = store.signal_value(sig, values)
    for obj in objects:
        if isinstance(obj, nengo.Ensemble) and obj in by_obj:
            freeze_ensemble(
                obj,
                by_obj[obj]["encoders"],
                by_obj[obj.neurons]["bias"],
                model.params[obj],
            )
        elif isinstance(obj, nengo.Connection) and obj in by_obj:
            weights = by_obj[obj]["weights"]
            built = model.params[obj].weights
            if isinstance(obj.transform, nengo.Sparse):
                weights = sparse_like(built, weights)
            freeze_connection(obj, weights)
