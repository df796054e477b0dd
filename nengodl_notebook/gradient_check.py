"""``sim.check_gradients``: analytic gradients against finite differences.

The gradients of each probe's output with respect to the values of the input
Nodes are computed twice, by TensorFlow's automatic differentiation through the
whole simulation (as training uses them: spiking neurons as their rate twins)
and by central differences (``tf.test.compute_gradient``), and must agree.
"""

import numpy as np
import tensorflow as tf
from nengo.exceptions import SimulationError, ValidationError

from nengodl_notebook.probe_function import ProbeFunction

#: Steps simulated when no inputs are given (NengoDL: twice ``unroll_simulation``).
DEFAULT_STEPS = 2


def _check_inputs(fn, inputs, dtype):
    """Input arrays, one per input Node, all ``(minibatch, n_steps, size)``."""
    batch = fn.parts.minibatch_size
    if inputs is None:
        return [np.zeros((batch, DEFAULT_STEPS, n.size_out), dtype) for n in fn.nodes]
    if not isinstance(inputs, (list, tuple)) or len(inputs) != len(fn.nodes):
        raise ValidationError(
            f"inputs must be a list of {len(fn.nodes)} arrays, one per input Node "
            f"({', '.join(map(str, fn.nodes))}), in the order of network.all_nodes",
            attr="inputs",
        )
    arrays = [np.asarray(x, dtype) for x in inputs]
    n_steps = arrays[0].shape[1] if arrays and arrays[0].ndim == 3 else None
    for node, x in zip(fn.nodes, arrays):
        if x.shape != (batch, n_steps, node.size_out):
            raise ValidationError(
                f"inputs for {node} must have shape (minibatch_size, n_steps, "
                f"size_out) = {(batch, n_steps, node.size_out)} (got {x.shape})",
                attr="inputs",
            )
    return arrays


def _check_outputs(fn, outputs):
    if outputs is None:
        return list(fn.probes)
    outputs = list(outputs)
    for probe in outputs:
        if probe not in fn.probes:
            raise ValidationError(
                f"{probe} is not a probe of this Simulator's model", attr="outputs"
            )
    return outputs


def _compare(probe, analytic, numeric, atol, rtol):
    for a, n in zip(analytic, numeric):
        if np.any(np.isnan(a)) or np.any(np.isnan(n)):
            raise SimulationError(f"NaNs in the gradient of {probe}")
        fail = np.abs(a - n) >= atol + rtol * np.abs(n)
        if np.any(fail):
            raise SimulationError(
                f"Gradient check failed for {probe} ({np.count_nonzero(fail)} of "
                f"{fail.size} elements differ)\nnumeric values:\n{n[fail]}\n"
                f"analytic values:\n{a[fail]}"
            )


def _shape(fn, probe, n_steps):
    """Shape of a probe's output in the check."""
    period = fn.parts.recorder.period(probe)
    kept = sum(1 for k in range(1, n_steps + 1) if k % period < 1)
    return (fn.parts.minibatch_size, kept, probe.size_in)


def check_gradients(parts, inputs=None, outputs=None, atol=1e-5, rtol=1e-3):
    """Compare analytic and numeric gradients of probe outputs (see module).

    Parameters
    ----------
    parts : training_parts.TrainingParts
    inputs : list of array_like, optional
        Values of the input Nodes, ``(minibatch_size, n_steps, size_out)``
        each, in the order of ``network.all_nodes``; None: zeros for 2 steps.
    outputs : list of nengo.Probe, optional
        Probes whose gradients are checked (None: all).
    atol, rtol : float
        An element fails when ``|analytic - numeric| >= atol + rtol * |numeric|``.

    Returns
    -------
    dict
        ``{probe: {"analytic": [...], "numeric": [...]}}``, one Jacobian per
        input Node (rows: output elements, columns: input elements).

    Raises
    ------
    nengo.exceptions.SimulationError
        A gradient contains NaN or the two differ.
    """
    fn = ProbeFunction(parts)
    arrays = _check_inputs(fn, inputs, parts.context.np_dtype)
    probes = _check_outputs(fn, outputs)
    n_steps = arrays[0].shape[1] if arrays else DEFAULT_STEPS

    indices = [fn.probes.index(p) for p in probes]

    def flat_outputs(*xs):  # one function (one gradient graph) for all probes
        outs = fn(xs, n_steps, training=True)
        return tf.concat([tf.reshape(outs[i], [-1]) for i in indices], axis=0)

    compiled = tf.function(
        flat_outputs, autograph=False, jit_compile=False
    )  # the tape runs outside the function: XLA would need TensorLists to cross
    if arrays:
        with parts.tensor_vars.kept():
            analytic, numeric = tf.test.compute_gradient(compiled, arrays)
    else:
        analytic = numeric = ()
    sizes = [int(np.prod(_shape(fn, p, n_steps))) for p in probes]
    bounds = np.cumsum([0, *sizes])
    grads = {}
    for probe, a, b in zip(probes, bounds, bounds[1:]):
        grads[probe] = {
            "analytic": [jac[a:b] for jac in analytic],
            "numeric": [jac[a:b] for jac in numeric],
        }
        _compare(probe, grads[probe]["analytic"], grads[probe]["numeric"], atol, rtol)
    return grads
