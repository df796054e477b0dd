"""TensorBoard logs of training: ``NengoSummaries`` and ``TensorBoard`` callbacks.

Both write TensorBoard event files (``tensorboard --logdir ...`` shows them).
TensorFlow's own ``tf.summary.scalar``/``histogram`` need the ``tensorboard``
package, which TensorFlow no longer installs; `SummaryOps` writes scalars and
histograms in TensorBoard's format with TensorFlow alone (``tf.summary.write``),
so the logs are the same with or without it.
"""

import re

import keras
import nengo
import numpy as np
import tensorflow as tf
from nengo.exceptions import ValidationError

from nengodl_notebook.params import take_params
from nengodl_notebook.probe_function import ProbeFunction

#: Buckets of a histogram (TensorBoard's default).
HISTOGRAM_BUCKETS = 30


def _metadata(plugin):
    metadata = tf.compat.v1.SummaryMetadata()
    metadata.plugin_data.plugin_name = plugin
    return metadata


def write_scalar(name, value, step):
    """A TensorBoard scalar (plugin ``scalars``) to the default writer."""
    with tf.summary.experimental.summary_scope(name, "scalar_summary") as (tag, _):
        value = tf.cast(tf.convert_to_tensor(value), tf.float32)
        return tf.summary.write(tag, value, step=step, metadata=_metadata("scalars"))


def histogram_buckets(values, buckets=HISTOGRAM_BUCKETS):
    """``(k, 3)`` rows ``[left edge, right edge, count]`` of ``values``."""
    values = np.asarray(values, np.float64).ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.zeros((0, 3))
    lo, hi = values.min(), values.max()
    if lo == hi:  # one bucket holding every value
        return np.array([[lo, hi, values.size]], np.float64)
    counts, edges = np.histogram(values, bins=buckets, range=(lo, hi))
    return np.stack([edges[:-1], edges[1:], counts], axis=1).astype(np.float64)


def write_histogram(name, values, step, buckets=HISTOGRAM_BUCKETS):
    """A TensorBoard histogram (plugin ``histograms``) to the default writer."""
    with tf.summary.experimental.summary_scope(name, "histogram_summary") as (tag, _):
        data = histogram_buckets(np.asarray(values), buckets or HISTOGRAM_BUCKETS)
        return tf.summary.write(
            tag, tf.constant(data), step=step, metadata=_metadata("histograms")
        )


class SummaryOps:
    """``tf.summary`` with `write_scalar` and `write_histogram` as its
    ``scalar`` and ``histogram`` (what Keras's TensorBoard callback calls)."""

    def __getattr__(self, name):
        return getattr(tf.summary, name)

    @staticmethod
    def scalar(name, data, step=None, description=None):
        """See `write_scalar`."""
        return write_scalar(name, data, step)

    @staticmethod
    def histogram(name, data, step=None, buckets=None, description=None):
        """See `write_histogram`."""
        return write_histogram(name, data, step, buckets)


def _summary_name(obj, param):
    if isinstance(obj, nengo.Ensemble):
        name = f"Ensemble_{obj.label}"
    elif isinstance(obj, nengo.ensemble.Neurons):
        name = f"Ensemble.neurons_{obj.ensemble.label}"
    else:
        name = f"Connection_{obj.label}"
    return re.sub(r"[^A-Za-z0-9_.\-/]", "_", f"{name}_{param}")


class NengoSummaries(keras.callbacks.Callback):
    """Logs parameter values of nengo objects at each epoch's end (histograms).

    Parameters
    ----------
    log_dir : str or os.PathLike
        Directory of the event file.
    sim : Simulator
        The simulator whose (trained) parameters are logged.
    objects : list of nengo.Ensemble, nengo.ensemble.Neurons or nengo.Connection
        An Ensemble logs its (scaled) encoders, Neurons their biases, a
        Connection its weights (decoders, for a connection from an Ensemble).
    """

    def __init__(self, log_dir, sim, objects):
        super().__init__()
        self.log_dir = str(log_dir)
        self.sim = sim
        self.summaries = [self._summary(obj) for obj in objects]
        self.writer = None

    def _summary(self, obj):
        kinds = {
            nengo.Ensemble: "encoders",
            nengo.ensemble.Neurons: "bias",
            nengo.Connection: "weights",
        }
        param = next((p for cls, p in kinds.items() if isinstance(obj, cls)), None)
        if param is None:
            raise ValidationError(
                f"Unknown summary object {obj!r}: expected an Ensemble, Neurons or "
                "Connection",
                attr="objects",
            )
        if obj not in self.sim.model.params and not isinstance(
            obj, nengo.ensemble.Neurons
        ):
            raise ValidationError(
                f"{obj} is not part of this Simulator's model", attr="objects"
            )
        if param == "weights" and self._value(obj, param) is None:
            raise ValidationError(
                f"{obj} has no weights to log (a passthrough connection)",
                attr="objects",
            )
        return _summary_name(obj, param), obj, param

    def _value(self, obj, param):
        live = self._live_value(obj, param)
        if live is not None:
            return live
        if param == "encoders":
            return self.sim.data[obj].scaled_encoders
        if param == "bias":
            return self.sim.data[obj.ensemble].bias
        weights = self.sim.data[obj].weights
        return None if weights is None or np.size(weights) == 0 else weights

    def _live_value(self, obj, param):
        """The value in the Simulator's parameter store now (``sim.data`` shows
        trained values only once training has ended)."""
        store = getattr(self.sim, "_store", None)
        owners = [obj]
        if isinstance(obj, nengo.ensemble.Neurons):
            owners.append(obj.ensemble)
        for owner, name, sig in getattr(store, "signals", ()):
            if name == param and any(owner == o for o in owners):
                return store.signal_value(sig, store.values())
        return None

    def on_train_begin(self, logs=None):
        """Open the event file (again, after an earlier training's end)."""
        if self.writer is None:
            self.writer = tf.summary.create_file_writer(self.log_dir)

    def on_epoch_end(self, epoch, logs=None):
        """Write a histogram of each object's parameter."""
        self.on_train_begin()
        with self.writer.as_default():
            for name, obj, param in self.summaries:
                write_histogram(name, self._value(obj, param), step=epoch)
        self.writer.flush()

    def on_train_end(self, logs=None):
        """Close the event file."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class TensorBoard(keras.callbacks.TensorBoard):
    """Keras's TensorBoard callback, for a Simulator's ``fit`` and ``train``.

    Takes Keras's arguments and writes what Keras writes: epoch (and, with
    ``update_freq``, batch) losses and learning rate under ``log_dir/train``,
    validation losses under ``log_dir/validation``. For a Simulator it also
    writes: with ``histogram_freq``, a histogram of each parameter array (keyed
    as in ``sim.get_params()``) instead of Keras layer weights; with
    ``write_graph``, the TensorFlow graph of one simulation step. As NengoDL's
    version, prediction hooks are logged as training ones. A callback that
    overrides batch hooks, as this one does, makes training run one
    minibatch per compiled chunk.
    """

    @property
    def summary(self):
        """``tf.summary`` that writes scalars and histograms (`SummaryOps`)."""
        return SummaryOps()

    def _parts(self):
        return getattr(self.model, "parts", None)

    def _write_keras_model_train_graph(self):
        parts = self._parts()
        if parts is None:
            return super()._write_keras_model_train_graph()
        fn = ProbeFunction(parts)
        shapes = [
            tf.TensorSpec((parts.minibatch_size, 1, n.size_out), fn.dtype)
            for n in fn.nodes
        ]
        step = tf.function(lambda *xs: fn(xs, 1), autograph=False)
        graph = step.get_concrete_function(*shapes).graph
        with self._train_writer.as_default():
            tf.summary.graph(graph)
        return None

    def _log_weights(self, epoch):
        parts = self._parts()
        if parts is None:
            return super()._log_weights(epoch)
        params = take_params(parts.store, parts.tensor_vars)
        with self._train_writer.as_default():
            for key, value in params.items():
                write_histogram(f"{key.replace(':', '_')}/histogram", value, epoch)
        self._train_writer.flush()
        return None

    def on_predict_begin(self, logs=None):
        """Logged as the beginning of training (as NengoDL)."""
        self.on_train_begin(logs)

    def on_predict_batch_end(self, batch, logs=None):
        """Logged as the end of a training batch (as NengoDL)."""
        self.on_train_batch_end(batch, logs)

    def on_predict_end(self, logs=None):
        """Logged as the end of training (as NengoDL)."""
        self.on_train_end(logs)
