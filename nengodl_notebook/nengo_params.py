"""``Simulator.get_nengo_params``: trained values as nengo object arguments.

Each object's parameters (with their current, possibly trained, values, as
``sim.data[obj]`` reports them) become the keyword arguments that give a new
nengo object the same parameters: ``nengo.Ensemble(n, d, **params)``.
"""

from collections.abc import Sequence

import nengo
import numpy as np
from nengo.exceptions import ValidationError
from nengo.solvers import NoSolver


def ensemble_params(ens, built):
    """Arguments rebuilding ``ens``'s encoders, gains and biases."""
    if isinstance(ens.neuron_type, nengo.Direct):
        return {}  # Direct mode: no neurons, nothing trained
    return {
        "encoders": np.array(built.encoders, copy=True),
        "normalize_encoders": False,  # trained encoders need not be unit length
        "gain": np.array(built.gain, copy=True),
        "bias": np.array(built.bias, copy=True),
        # nengo ignores these when gain and bias are given; defaults keep it quiet
        "max_rates": nengo.Ensemble.max_rates.default,
        "intercepts": nengo.Ensemble.intercepts.default,
    }


def connection_params(conn, built):
    """Arguments rebuilding ``conn``'s weights (decoders or transform)."""
    weights = built.weights
    if weights is None:
        return {"transform": None}  # no weights: nothing to train
    weights = np.array(weights, copy=True)
    pre = conn.pre_obj
    decoded = isinstance(pre, nengo.Ensemble) and not isinstance(
        pre.neuron_type, nengo.Direct
    )
    if decoded:
        if conn.solver.weights:
            raise ValidationError(
                f"{conn}: its solver solves for full weights (weights=True), which "
                "include the post ensemble's encoders and cannot be given back as "
                "Connection arguments; use Simulator.freeze_params instead",
                attr="nengo_objs",
            )
        size_out = weights.shape[0]
        return {
            # decoders hold the trained weights (transform folded in); the
            # function only sets the output size (NoSolver ignores its targets)
            "solver": NoSolver(weights.T, weights=False),
            "function": lambda x, size=size_out: np.zeros(size),
            "transform": None,
        }
    if not isinstance(conn.transform, nengo.transforms.Dense):
        raise ValidationError(
            f"{conn}: get_nengo_params gives Dense transforms only, not "
            f"{type(conn.transform).__name__}; use Simulator.freeze_params",
            attr="nengo_objs",
        )
    return {"transform": weights}


def nengo_params(data, nengo_objs, as_dict=False):
    """The keyword-argument dicts of ``nengo_objs`` (see `Simulator.get_nengo_params`).

    Parameters
    ----------
    data : SimulationData
        ``sim.data``, giving built parameters with current values.
    nengo_objs : Ensemble, Connection or sequence of them
    as_dict : bool
        Key the dicts by object label (labels must be unique and not None).
    """
    single = not isinstance(nengo_objs, Sequence)
    objs = [nengo_objs] if single else list(nengo_objs)
    params = []
    for obj in objs:
        if isinstance(obj, nengo.Ensemble):
            params.append(ensemble_params(obj, data[obj]))
        elif isinstance(obj, nengo.Connection):
            params.append(connection_params(obj, data[obj]))
        else:
            raise ValidationError(
                f"get_nengo_params takes Ensembles and Connections, got {obj!r}",
                attr="nengo_objs",
            )
    if as_dict:
        labels = [obj.label for obj in objs]
        if None in labels or len(set(labels)) != len(labels):
            raise ValidationError(
                f"as_dict=True needs unique labels; these objects have {labels}",
                attr="as_dict",
            )
        return dict(zip(labels, params))
    return params[0] if single else params
