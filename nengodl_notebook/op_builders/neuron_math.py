"""TensorFlow step functions of nengo's neuron types, one per type.

Each function takes ``(dt, J, p, s, rand)``: the input current ``J`` with shape
``(n, minibatch)``, the per-neuron parameters ``p`` (dict of ``(n, 1)`` tensors),
the state ``s`` (dict of ``(n, minibatch)`` tensors) and ``rand``, a function
returning uniform random numbers shaped like ``J`` (for stochastic types). It
returns ``(output, new_state)``. The maths follows ``nengo/neurons.py`` line by
line, so that float64 runs match ``nengo.Simulator`` to round-off.
"""

import nengo
import numpy as np
import tensorflow as tf

from nengodl_notebook import neurons
from nengodl_notebook.op_builders.base import inherited_impl


def rectified_linear(dt, J, p, s, rand):
    return p["amplitude"] * tf.maximum(J, 0), {}


def spiking_rectified_linear(dt, J, p, s, rand):
    voltage = s["voltage"] + tf.maximum(J, 0) * dt
    n_spikes = tf.floor(voltage)
    return (p["amplitude"] / dt) * n_spikes, {"voltage": voltage - n_spikes}


def sigmoid(dt, J, p, s, rand):
    return (1.0 / p["tau_ref"]) / (1 + tf.exp(-J)), {}


def tanh(dt, J, p, s, rand):
    return (1.0 / p["tau_ref"]) * tf.tanh(J), {}


def lif_rate_output(J, p):
    """LIF rate curve; zero where ``J <= 1`` (with a NaN-free gradient)."""
    j = J - 1
    active = j > 0
    safe_j = tf.where(active, j, tf.ones_like(j))
    rate = p["amplitude"] / (p["tau_ref"] + p["tau_rc"] * tf.math.log1p(1.0 / safe_j))
    return tf.where(active, rate, tf.zeros_like(rate))


def lif_rate(dt, J, p, s, rand):
    return lif_rate_output(J, p), {}


def series_terms(x_max, np_dtype, ratio):
    """Terms of a Taylor series that reach round-off for arguments up to ``x_max``.

    ``ratio(n, x_max)`` is the first omitted term's size relative to the first
    term when ``n`` terms are kept. Returns None when more than 16 terms would
    be needed (``x_max`` too large).
    """
    eps = np.finfo(np_dtype).eps
    for n in range(1, 17):
        if ratio(n, x_max) < eps / 8:
            return n
    return None


def expm1_terms(x_max, np_dtype):
    """Taylor terms that give ``expm1`` on ``[-x_max, 0]`` to round-off (or None)."""
    return series_terms(
        x_max, np_dtype, lambda n, x: x**n / float(np.prod(np.arange(2, n + 2)))
    )


def log1p_terms(y_max, np_dtype):
    """Taylor terms that give ``log1p`` on ``[-y_max, 0]`` to round-off (or None)."""
    return series_terms(y_max, np_dtype, lambda n, y: y**n / (n + 1))


def expm1_small(x, n_terms):
    """``expm1(x)`` for small ``|x|``: ``x (1 + x/2 (1 + x/3 (...)))``, n_terms terms.

    A few multiply-adds instead of a transcendental call (a third of the LIF
    update's cost); ``tf.math.expm1`` when ``n_terms`` is None.
    """
    if n_terms is None:
        return tf.math.expm1(x)
    t = tf.ones_like(x)
    for k in range(n_terms, 1, -1):
        t = 1 + x * (1.0 / k) * t
    return x * t


def log1p_small(y, n_terms):
    """``log1p(y)`` for small ``|y|``: ``y (1 - y (1/2 - y (1/3 - ...)))``, n_terms.

    ``tf.math.log1p`` when ``n_terms`` is None.
    """
    if n_terms is None:
        return tf.math.log1p(y)
    t = tf.fill(tf.shape(y), tf.constant(1.0 / n_terms, y.dtype))
    for k in range(n_terms - 1, 0, -1):
        t = (1.0 / k) - y * t
    return y * t


def lif(dt, J, p, s, rand):
    """nengo's LIF step.

    With ``p["log1p_terms"]`` set, the spike time's ``log1p`` is a Taylor series:
    its argument ``-(v - 1) / (J - 1)`` lies in ``(-(1 - exp(-dt / tau_rc)), 0]``
    whenever the voltage before the step was at most 1 (always true after a
    step; the builder checks the initial voltages). The reciprocal-multiply keeps
    XLA from splitting the division into a kernel of its own.
    """
    tau_rc = p["tau_rc"]
    refractory_time = s["refractory_time"] - dt
    delta_t = tf.clip_by_value(dt - refractory_time, 0, dt)
    voltage = s["voltage"]
    # delta_t / tau_rc <= dt / min(tau_rc): the builder's "expm1_terms" fits that
    voltage = voltage - (J - voltage) * expm1_small(
        -delta_t / tau_rc, p.get("expm1_terms")
    )
    spiked = voltage > 1
    output = tf.cast(spiked, J.dtype) * (p["amplitude"] / dt)
    safe_den = tf.where(spiked, J - 1, tf.ones_like(J))
    overshoot = -(tf.where(spiked, voltage, tf.ones_like(voltage)) - 1)
    log1p_terms = p.get("log1p_terms")
    if log1p_terms is None:
        t_spike = dt + tau_rc * tf.math.log1p(overshoot / safe_den)
    else:
        y = overshoot * tf.math.reciprocal(safe_den)
        t_spike = dt + tau_rc * log1p_small(y, log1p_terms)
    voltage = tf.where(voltage < p["min_voltage"], p["min_voltage"], voltage)
    voltage = tf.where(spiked, tf.zeros_like(voltage), voltage)
    refractory_time = tf.where(spiked, p["tau_ref"] + t_spike, refractory_time)
    return output, {"voltage": voltage, "refractory_time": refractory_time}


def _adapt(dt, p, n, output):
    return n + (dt / p["tau_n"]) * (p["inc_n"] * output - n)


def adaptive_lif_rate(dt, J, p, s, rand):
    n = s["adaptation"]
    output = lif_rate_output(J - n, p)
    return output, {"adaptation": _adapt(dt, p, n, output)}


def adaptive_lif(dt, J, p, s, rand):
    n = s["adaptation"]
    output, state = lif(dt, J - n, p, s, rand)
    state["adaptation"] = _adapt(dt, p, n, output)
    return output, state


def izhikevich(dt, J, p, s, rand):
    J = tf.maximum(-30.0 * tf.ones_like(J), J)
    voltage, recovery = s["voltage"], s["recovery"]
    dV = (0.04 * voltage**2 + 5 * voltage + 140 - recovery + J) * 1000
    voltage = voltage + dV * dt
    spiked = voltage >= 30
    output = tf.cast(spiked, J.dtype) / dt
    voltage = tf.where(spiked, p["reset_voltage"] + tf.zeros_like(voltage), voltage)
    dU = (p["tau_recovery"] * (p["coupling"] * voltage - recovery)) * 1000
    recovery = recovery + dU * dt
    recovery = tf.where(spiked, recovery + p["reset_recovery"], recovery)
    return output, {"voltage": voltage, "recovery": recovery}


def regular_spiking(dt, J, p, s, rand):
    voltage = s["voltage"] + dt * J
    n_spikes = tf.floor(voltage)
    return (p["amplitude"] / dt) * n_spikes, {"voltage": voltage - n_spikes}


def _signed(J, p):
    """``(|J|, sign)`` for types whose base can be negative, else ``(J, 1)``."""
    negative = p["negative"] > 0
    return tf.where(negative, tf.abs(J), J), tf.where(
        negative, tf.sign(J), tf.ones_like(J)
    )


def stochastic_spiking(dt, J, p, s, rand):
    magnitude, sign = _signed(J, p)
    expected = dt * magnitude
    n_spikes = tf.sign(expected) * tf.floor(tf.abs(expected))  # np.modf's integer part
    frac = expected - n_spikes
    n_spikes = n_spikes + tf.cast(rand(J) < frac, J.dtype)
    return (p["amplitude"] / dt) * n_spikes * sign, {}


def poisson_spiking(dt, J, p, s, rand):
    """Poisson counts by inversion of uniform draws (XLA-friendly, exact law)."""
    magnitude, sign = _signed(J, p)
    lam = tf.maximum(magnitude * dt, 0)
    u = rand(J)
    term = tf.exp(-lam)
    cdf = term
    count = tf.zeros_like(lam)
    for k in range(1, 32):  # P(count >= 32) < 1e-9 for lam = rate * dt <= 10
        more = u > cdf
        count = count + tf.cast(more, J.dtype)
        term = term * lam / k
        cdf = cdf + term
    return (p["amplitude"] / dt) * count * sign, {}


def _leaky(J, p):
    return tf.where(J < 0, p["negative_slope"] * J, J)


def leaky_relu(dt, J, p, s, rand):
    return p["amplitude"] * _leaky(J, p), {}


def spiking_leaky_relu(dt, J, p, s, rand):
    voltage = s["voltage"] + _leaky(J, p) * dt
    n_spikes = tf.sign(voltage) * tf.floor(tf.abs(voltage))  # np.trunc
    return (p["amplitude"] / dt) * n_spikes, {"voltage": voltage - n_spikes}


def soft_lif_rate(dt, J, p, s, rand):
    """`nengodl_notebook.neurons.SoftLIFRate`'s step (see ``soft_lif_q``)."""
    sigma = p["sigma"]
    x = (J - 1) / sigma
    valid = x > neurons.SOFTPLUS_LOW
    x_valid = tf.where(valid, x, tf.zeros_like(x))  # NaN-free gradients
    high = neurons.SOFTPLUS_HIGH
    softplus = tf.where(
        x_valid > high, x_valid, tf.math.log1p(tf.exp(tf.minimum(x_valid, high)))
    )
    q = tf.where(
        valid, tf.math.log1p(1.0 / (sigma * softplus)), -x - tf.math.log(sigma)
    )
    return p["amplitude"] / (p["tau_ref"] + p["tau_rc"] * q), {}


# neuron type -> (parameter names, step function); state names come from nengo
TF_NEURON_IMPL = {
    nengo.RectifiedLinear: (("amplitude",), rectified_linear),
    nengo.SpikingRectifiedLinear: (("amplitude",), spiking_rectified_linear),
    nengo.Sigmoid: (("tau_ref",), sigmoid),
    nengo.Tanh: (("tau_ref",), tanh),
    nengo.LIFRate: (("tau_rc", "tau_ref", "amplitude"), lif_rate),
    nengo.LIF: (("tau_rc", "tau_ref", "min_voltage", "amplitude"), lif),
    nengo.AdaptiveLIFRate: (
        ("tau_n", "inc_n", "tau_rc", "tau_ref", "amplitude"),
        adaptive_lif_rate,
    ),
    nengo.AdaptiveLIF: (
        ("tau_n", "inc_n", "tau_rc", "tau_ref", "min_voltage", "amplitude"),
        adaptive_lif,
    ),
    nengo.Izhikevich: (
        ("tau_recovery", "coupling", "reset_voltage", "reset_recovery"),
        izhikevich,
    ),
    nengo.RegularSpiking: (("amplitude",), regular_spiking),
    nengo.StochasticSpiking: (("amplitude", "negative"), stochastic_spiking),
    nengo.PoissonSpiking: (("amplitude", "negative"), poisson_spiking),
    # nengodl_notebook.neurons (NengoDL 3.6's neuron types)
    neurons.SoftLIFRate: (("sigma", "tau_rc", "tau_ref", "amplitude"), soft_lif_rate),
    neurons.LeakyReLU: (("negative_slope", "amplitude"), leaky_relu),
    neurons.SpikingLeakyReLU: (("negative_slope", "amplitude"), spiking_leaky_relu),
}


def soft_lif_rate_output(J, p, sigma):
    """SoftLIF rate curve: LIFRate with ``J - 1`` smoothed by a softplus of width
    ``sigma`` (Hunsberger & Eliasmith 2015), differentiable everywhere."""
    j = sigma * tf.nn.softplus((J - 1) / sigma)
    safe_j = tf.maximum(j, tf.cast(1e-30, J.dtype))
    return p["amplitude"] / (p["tau_ref"] + p["tau_rc"] * tf.math.log1p(1.0 / safe_j))


def lif_rate_twin(sigma):
    """LIF in training: LIFRate forward; SoftLIF gradient when ``sigma`` is set."""

    def lif_training(dt, J, p, s, rand):
        hard = lif_rate_output(J, p)
        if sigma is None:
            return hard, {}
        soft = soft_lif_rate_output(J, p, sigma)
        return soft + tf.stop_gradient(hard - soft), {}

    return lif_training


def scaled_rate(dt, J, p, s, rand):
    """Rate twin of RegularSpiking/StochasticSpiking/PoissonSpiking: the rate."""
    return p["amplitude"] * J, {}


def neuron_impl_class(neuron_type):
    """The class of ``TF_NEURON_IMPL`` whose maths ``neuron_type`` runs, or None.

    Subclasses of a listed type run its maths unless they override ``step``
    (what nengo 4.1's simulator calls; ``step_math`` is only an alias of it).
    """
    return inherited_impl(neuron_type, TF_NEURON_IMPL, ("step",))


def rate_twin(neuron_type, sigma=None):
    """The step function a neuron type trains with (its non-spiking twin).

    None for a type without a TensorFlow implementation (see `neuron_impl_class`).
    """
    klass = neuron_impl_class(neuron_type)
    if klass is None:
        return None
    twins = {
        nengo.LIF: lif_rate_twin(sigma),
        nengo.AdaptiveLIF: adaptive_lif_rate,
        nengo.SpikingRectifiedLinear: rectified_linear,
        nengo.RegularSpiking: scaled_rate,
        nengo.StochasticSpiking: scaled_rate,
        nengo.PoissonSpiking: scaled_rate,
        neurons.SpikingLeakyReLU: leaky_relu,
    }
    if klass in twins:
        return twins[klass]
    return TF_NEURON_IMPL[klass][1]  # rate types (and Izhikevich) as is
