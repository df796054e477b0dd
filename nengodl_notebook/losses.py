"""Keras losses for probes (``nengo_dl.losses``): `nan_mse` and `Regularize`.

Both follow Keras' convention ``loss(y_true, y_pred)``, so they work as
``sim.compile(loss={probe: ...})`` values and in a plain Keras model. Probe
outputs and targets are shaped ``(batch, n_steps, size)``.

NaN targets are accepted by ``sim.fit``/``evaluate`` for a loss marked
``ignores_nan_targets`` (`nan_mse`; see `training_data.ignores_nan_targets`).
"""

import keras
import numpy as np
import tensorflow as tf
from nengo.exceptions import ValidationError


def nan_mse(y_true, y_pred):
    """Mean squared error in which NaN targets count as zero error.

    NaN marks a "don't care" target: that element adds nothing to the sum, and
    the mean is still taken over all elements (as NengoDL's ``nan_mse``; this
    differs from ``obj.mse``, which averages over the finite targets only).

    Parameters
    ----------
    y_true : tf.Tensor
        Targets; NaN where any output will do.
    y_pred : tf.Tensor
        Probe outputs.

    Returns
    -------
    tf.Tensor
        The scalar loss.
    """
    y_pred = tf.convert_to_tensor(y_pred)
    y_true = tf.cast(y_true, y_pred.dtype)
    targets = tf.where(tf.math.is_nan(y_true), y_pred, y_true)
    return tf.reduce_mean(tf.square(y_pred - targets))


#: Marks the loss for data checks: NaN targets are allowed with it.
nan_mse.ignores_nan_targets = True  # type: ignore[attr-defined]


def _check_order(order):
    ok = order in ("euclidean", "fro", np.inf) or (
        isinstance(order, (int, float)) and not isinstance(order, bool) and order > 0
    )
    if not ok:
        raise ValidationError(
            f"Regularize order must be a positive number, np.inf, 'euclidean' or "
            f"'fro' (got {order!r})",
            attr="order",
        )
    return order


def _check_axis(axis):
    if axis is not None and (
        isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or axis < 0
    ):
        raise ValidationError(
            f"Regularize axis must be None or a non-negative int: an axis of one "
            f"time step's output, batch and time not counted (got {axis!r})",
            attr="axis",
        )
    return axis


@keras.saving.register_keras_serializable(package="nengodl_notebook")
class Regularize(keras.losses.Loss):
    """A penalty on the norm of a probed signal; the target is ignored.

    For probes of parameters or activities, e.g.
    ``sim.compile(loss={nengo.Probe(conn, "weights"): Regularize()})``, with
    ``y=None`` (or any array) for that probe.

    Parameters
    ----------
    order : int, float or str
        Order of the norm (``1``: L1, ``2``: L2; also ``np.inf``,
        ``"euclidean"`` and ``"fro"``, as in ``tf.norm``).
    axis : int or None
        Axis of one time step's output along which to take the norm (batch and
        time not counted). None: the norm of each step's whole output,
        flattened.
    name : str

    Notes
    -----
    The loss is the mean of the norms over every other axis, batch and time
    included.
    """

    def __init__(self, order=2, axis=None, name="regularize"):
        super().__init__(name=name)
        self.order = _check_order(order)
        self.axis = _check_axis(axis)

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The loss of ``y_pred`` (``y_true`` may be None: it is not used)."""
        return super().__call__(
            tf.zeros((), keras.backend.floatx()) if y_true is None else y_true,
            y_pred,
            sample_weight,
        )

    def call(self, y_true, y_pred):
        """Mean norm of ``y_pred`` (``(batch, n_steps, ...)``); ``y_true`` unused."""
        y_pred = tf.convert_to_tensor(y_pred)
        if self.axis is None:
            flat = tf.reshape(y_pred, tf.concat([tf.shape(y_pred)[:2], [-1]], 0))
            norms = tf.norm(flat, ord=self.order, axis=2)
        else:
            if self.axis + 2 >= y_pred.shape.rank:
                raise ValidationError(
                    f"Regularize axis {self.axis} does not exist in outputs of shape "
                    f"{tuple(y_pred.shape)} (batch, time, ...)",
                    attr="axis",
                )
            norms = tf.norm(y_pred, ord=self.order, axis=self.axis + 2)
        return tf.reduce_mean(norms)

    def get_config(self):
        """Keras config (for saving a model that uses this loss)."""
        order = self.order
        return {"order": "inf" if order == np.inf else order, "axis": self.axis}

    @classmethod
    def from_config(cls, config):
        """A Regularize from `get_config`'s dict."""
        config = dict(config)
        if config.get("order") == "inf":
            config["order"] = np.inf
        return cls(**config)
