"""Weight-initialisation distributions, as ``nengodl_notebook.dists``.

Nengo distributions, usable wherever nengo takes one: a connection
``transform``, ``nengo.Dense(shape, init=...)`` or ensemble ``encoders``.
A sample of shape ``(n, d)`` is read as a weight matrix with ``n`` outputs
(fan-out) and ``d`` inputs (fan-in); a sample of shape ``(n,)`` has fan-in 1.
"""

import numpy as np
from nengo.dists import Distribution
from nengo.exceptions import ValidationError
from nengo.params import EnumParam, NumberParam

__all__ = ["Glorot", "He", "TruncatedNormal", "VarianceScaling"]


class TruncatedNormal(Distribution):
    """Normal distribution whose samples lie within ``limit`` of the mean.

    Samples further than ``limit`` from the mean are drawn again until none is.

    Parameters
    ----------
    mean : float, optional
        Mean of the normal distribution.
    stddev : float, optional
        Standard deviation of the normal distribution before truncation (> 0).
    limit : float or None, optional
        Largest distance from the mean (> 0); None means ``2 * stddev``.
    """

    mean = NumberParam("mean")
    stddev = NumberParam("stddev", low=0, low_open=True)
    limit = NumberParam("limit", low=0, low_open=True)

    def __init__(
        self, mean: float = 0.0, stddev: float = 1.0, limit: float | None = None
    ) -> None:
        super().__init__()
        self.mean = mean
        self.stddev = stddev
        self.limit = 2 * self.stddev if limit is None else limit

    def sample(self, n, d=None, rng=np.random):
        """Draw ``n`` samples (shape ``(n,)``) or ``n`` vectors (``(n, d)``).

        Parameters
        ----------
        n : int
            Number of samples.
        d : int or None, optional
            Dimensions of each sample; None gives a 1-d array.
        rng : `numpy.random.RandomState`, optional
            Random number generator.

        Returns
        -------
        samples : (n,) or (n, d) ndarray
        """
        shape = self._sample_shape(n, d)
        samples = rng.normal(loc=self.mean, scale=self.stddev, size=shape)
        outside = np.abs(samples - self.mean) > self.limit
        while np.any(outside):
            samples[outside] = rng.normal(
                loc=self.mean, scale=self.stddev, size=int(np.sum(outside))
            )
            outside = np.abs(samples - self.mean) > self.limit
        return samples


class VarianceScaling(Distribution):
    """Zero-mean weights whose variance is ``scale`` divided by a fan.

    Like TensorFlow's ``VarianceScaling`` initialiser. The fan is the number
    of inputs ``d`` (``"fan_in"``), of outputs ``n`` (``"fan_out"``) or their
    mean (``"fan_avg"``) for a sample of shape ``(n, d)``.

    Parameters
    ----------
    scale : float, optional
        Variance times fan (>= 0).
    mode : ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``, optional
        Which fan divides ``scale``.
    distribution : ``"uniform"`` or ``"normal"``, optional
        Uniform on ``[-sqrt(3 v), sqrt(3 v)]``, or a `TruncatedNormal` with
        standard deviation ``sqrt(v)`` cut at two standard deviations, where
        ``v = scale / fan`` (the cut leaves a variance of about ``0.774 v``).
    """

    scale = NumberParam("scale", low=0)
    mode = EnumParam("mode", values=("fan_in", "fan_out", "fan_avg"))
    distribution = EnumParam("distribution", values=("uniform", "normal"))

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_avg",
        distribution: str = "uniform",
    ) -> None:
        super().__init__()
        self.scale = scale
        self.mode = mode
        self.distribution = distribution

    def variance(self, n: int, d: int | None = None) -> float:
        """The variance ``scale / fan`` for samples of shape ``(n, d)``."""
        fan_in = 1 if d is None else d
        fans = {"fan_in": fan_in, "fan_out": n, "fan_avg": (fan_in + n) / 2}
        fan = fans[self.mode]
        if fan <= 0:
            raise ValidationError(
                f"cannot sample shape {self._sample_shape(n, d)}: the fan "
                f"({self.mode}) must be positive",
                attr="mode",
                obj=self,
            )
        return self.scale / fan

    def sample(self, n, d=None, rng=np.random):
        """Draw ``n`` samples (shape ``(n,)``) or an ``(n, d)`` weight matrix.

        Parameters
        ----------
        n : int
            Number of samples (fan-out).
        d : int or None, optional
            Dimensions of each sample (fan-in); None gives a 1-d array.
        rng : `numpy.random.RandomState`, optional
            Random number generator.

        Returns
        -------
        samples : (n,) or (n, d) ndarray
        """
        var = self.variance(n, d)
        if self.distribution == "uniform":
            bound = np.sqrt(3.0 * var)
            return rng.uniform(-bound, bound, size=self._sample_shape(n, d))
        if var == 0:
            return np.zeros(self._sample_shape(n, d))
        return TruncatedNormal(stddev=np.sqrt(var)).sample(n, d, rng=rng)


class Glorot(VarianceScaling):
    """Glorot (Xavier) initialisation: `VarianceScaling` with ``"fan_avg"``.

    Parameters
    ----------
    scale : float, optional
        Variance times ``(fan_in + fan_out) / 2``; 1 gives Glorot & Bengio
        (2010).
    distribution : ``"uniform"`` or ``"normal"``, optional
        Shape of the distribution (see `VarianceScaling`).
    """

    def __init__(self, scale: float = 1.0, distribution: str = "uniform") -> None:
        super().__init__(scale=scale, mode="fan_avg", distribution=distribution)


class He(VarianceScaling):
    """He initialisation: `VarianceScaling` with ``"fan_in"``; ``scale`` is a gain.

    Parameters
    ----------
    scale : float, optional
        Gain; the variance is ``scale**2 / fan_in``. Use ``sqrt(2)`` for
        rectified linear units, as in He et al. (2015).
    distribution : ``"uniform"`` or ``"normal"``, optional
        Shape of the distribution (see `VarianceScaling`).
    """

    def __init__(self, scale: float = 1.0, distribution: str = "normal") -> None:
        super().__init__(scale=scale, mode="fan_in", distribution=distribution)

    def variance(self, n: int, d: int | None = None) -> float:
        """The variance ``scale**2 / fan_in`` for samples of shape ``(n, d)``."""
        return self.scale * super().variance(n, d)
