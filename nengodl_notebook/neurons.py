"""Neuron types added to nengo's: SoftLIFRate, LeakyReLU, SpikingLeakyReLU.

They are ordinary nengo ``NeuronType`` subclasses (nengo Params, NumPy ``step``),
so ``nengo.Simulator`` runs them too; our simulator runs their TensorFlow twins
in ``op_builders/neuron_math.py``.
"""

import nengo
import numpy as np
from nengo.params import NumberParam

# softplus(x) is x above SOFTPLUS_HIGH (to round-off); below SOFTPLUS_LOW, log1p(1 / z)
# is replaced by its asymptote -log(z) = -(x + log(sigma))
SOFTPLUS_HIGH = 30.0
SOFTPLUS_LOW = -20.0


def soft_lif_q(J, sigma):
    """``log1p(1 / z)`` with ``z = sigma * softplus((J - 1) / sigma)``, stably.

    Parameters
    ----------
    J : ndarray
        Input currents.
    sigma : float
        Smoothing width.

    Returns
    -------
    q : ndarray
        The term multiplying ``tau_rc`` in the LIF rate's denominator.
    """
    x = (J - 1) / sigma
    valid = x > SOFTPLUS_LOW
    x_valid = np.where(valid, x, 0.0)  # no overflow or log of 0 in unused entries
    softplus = np.where(
        x_valid > SOFTPLUS_HIGH,
        x_valid,
        np.log1p(np.exp(np.minimum(x_valid, SOFTPLUS_HIGH))),
    )
    return np.where(valid, np.log1p(1.0 / (sigma * softplus)), -x - np.log(sigma))


def leaky(J, negative_slope):
    """``J`` where positive, ``negative_slope * J`` where negative."""
    return np.where(J < 0, negative_slope * J, J)


class SoftLIFRate(nengo.LIFRate):
    """LIFRate whose rate curve is smoothed around the firing threshold.

    ``J - 1`` in the LIF rate is replaced by ``sigma * softplus((J - 1) / sigma)``
    (Hunsberger & Eliasmith 2015, https://arxiv.org/abs/1510.08829), so the rate
    has a continuous derivative and is small but positive below threshold. It
    approaches LIFRate as ``sigma`` goes to 0. Gain and bias are LIFRate's.

    Parameters
    ----------
    sigma : float
        Smoothing width (> 0); larger values smooth more.
    tau_rc, tau_ref, amplitude : float
        As in `nengo.LIFRate`.
    initial_state : dict, optional
        As in `nengo.NeuronType`.
    """

    sigma = NumberParam("sigma", low=0, low_open=True)

    def __init__(
        self, sigma=1.0, tau_rc=0.02, tau_ref=0.002, amplitude=1, initial_state=None
    ):
        super().__init__(
            tau_rc=tau_rc,
            tau_ref=tau_ref,
            amplitude=amplitude,
            initial_state=initial_state,
        )
        self.sigma = sigma

    def rates(self, x, gain, bias):
        """The smoothed rates for inputs ``x`` (LIFRate's would be unsmoothed)."""
        J = self.current(x, gain, bias)
        out = np.zeros_like(J)
        self.step(1.0, J, out)
        return out

    def step(self, dt, J, output):
        """Set ``output`` to the smoothed LIF rate of the currents ``J``."""
        q = soft_lif_q(J, self.sigma)
        output[...] = self.amplitude / (self.tau_ref + self.tau_rc * q)


class LeakyReLU(nengo.RectifiedLinear):
    """Rectified linear rate with slope ``negative_slope`` below zero.

    The rate is ``amplitude * J`` for ``J >= 0`` and
    ``amplitude * negative_slope * J`` otherwise (negative). Gain and bias are
    RectifiedLinear's (they depend on the positive side only).

    Parameters
    ----------
    negative_slope : float
        Slope for negative currents (>= 0).
    amplitude : float
        Output scale (> 0); multiplies both slopes.
    initial_state : dict, optional
        As in `nengo.NeuronType`.
    """

    negative = True  # it can output negative rates

    negative_slope = NumberParam("negative_slope", low=0)

    def __init__(self, negative_slope=0.3, amplitude=1, initial_state=None):
        super().__init__(amplitude=amplitude, initial_state=initial_state)
        self.negative_slope = negative_slope

    def step(self, dt, J, output):
        """Set ``output`` to the leaky rectified rate of the currents ``J``."""
        output[...] = self.amplitude * leaky(J, self.negative_slope)


class SpikingLeakyReLU(nengo.SpikingRectifiedLinear):
    """Spiking LeakyReLU: integrate the leaky rate, spike per unit of voltage.

    The voltage integrates ``leaky(J) * dt``; each step emits the voltage's
    integer part (rounded towards zero) as spikes of height ``amplitude / dt``
    and keeps the remainder. Negative currents give negative spikes. Its
    ``rates`` are LeakyReLU's.

    Parameters
    ----------
    negative_slope : float
        Slope for negative currents (>= 0).
    amplitude : float
        Spike scale (> 0); multiplies both slopes.
    initial_state : dict, optional
        As in `nengo.NeuronType`; ``voltage`` starts uniform in [0, 1).
    """

    negative = True  # negative currents give negative spikes

    negative_slope = NumberParam("negative_slope", low=0)

    def __init__(self, negative_slope=0.3, amplitude=1, initial_state=None):
        super().__init__(amplitude=amplitude, initial_state=initial_state)
        self.negative_slope = negative_slope

    def rates(self, x, gain, bias):
        """LeakyReLU's rates for inputs ``x``."""
        J = self.current(x, gain, bias)
        return self.amplitude * leaky(J, self.negative_slope)

    def step(self, dt, J, output, voltage):
        """Integrate ``voltage``; set ``output`` to this step's (signed) spikes."""
        voltage += leaky(J, self.negative_slope) * dt
        n_spikes = np.trunc(voltage)
        output[...] = (self.amplitude / dt) * n_spikes
        voltage -= n_spikes
