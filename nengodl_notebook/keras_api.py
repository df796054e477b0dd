"""Keras-style ``compile / fit / evaluate / predict`` on the Simulator's engine.

Losses and metrics follow Keras' convention ``fn(y_true, y_pred)`` (Keras loss
names such as ``"mse"`` work); Keras callbacks (History, EarlyStopping, custom
ones) are called as in ``sim.train`` (see `training_callbacks`). The functions
here work on a `training.Trainer` and its `training_parts.TrainingParts`; the
Simulator checks that it is open first. `OptimizerCopy` lets one compiled
training program serve every Keras optimizer of the same kind.
"""

import copy
import functools
import json

import keras
import numpy as np
import tensorflow as tf
from nengo.exceptions import ValidationError

from nengodl_notebook import keras_data, objectives
from nengodl_notebook.run_data import check_n_steps
from nengodl_notebook.training_callbacks import check_callbacks
from nengodl_notebook.training_data import TrainingData, check_epochs


class KerasLoss:
    """Adapts a Keras loss/metric ``fn(y_true, y_pred)`` to ``fn(outputs, targets)``.

    ``weight`` (``compile``'s ``loss_weights``) scales the probe's share of the
    total loss. Two adapters of the same function and weight are equal, so
    compiling again reuses the compiled programs of the first compile.
    """

    def __init__(self, fn, weight=1.0):
        self.fn = _resolve(fn)
        self.name = _metric_name(fn)
        self.weight = float(weight)

    def __call__(self, outputs, targets):
        return self.fn(targets, outputs)

    def __eq__(self, other):
        return (
            isinstance(other, KerasLoss)
            and other.fn is self.fn
            and other.weight == self.weight
        )

    def __hash__(self):
        return hash(("KerasLoss", id(self.fn), self.weight))


def _resolve(fn):
    """A function ``fn(y_true, y_pred)`` from a Keras name, loss or metric."""
    if isinstance(fn, str):
        try:
            fn = keras.losses.get(fn)
        except ValueError:
            fn = keras.metrics.get(fn)  # may be a Metric object
    if isinstance(fn, keras.metrics.Metric):  # stateful: use its function
        inner = getattr(fn, "_fn", None)
        if inner is None:
            raise TypeError(
                f"{type(fn).__name__} keeps state across batches; pass a function "
                "or a Keras metric that averages one (e.g. 'mse', "
                "'sparse_categorical_accuracy')"
            )
        kwargs = getattr(fn, "_fn_kwargs", {}) or {}
        return functools.partial(inner, **kwargs) if kwargs else inner
    if not callable(fn):
        raise TypeError(f"{fn!r} is not callable")
    return fn


def _metric_name(fn):
    """Keras's name for a metric: the string given, or the object's name."""
    if isinstance(fn, str):
        return fn
    name = getattr(fn, "name", None)
    return name if isinstance(name, str) else getattr(fn, "__name__", type(fn).__name__)


def keras_loss(probe, spec, what, weight=1.0):
    """`KerasLoss` of ``spec``, or a ValidationError naming the probe and spec."""
    try:
        return KerasLoss(spec, weight)
    except (ValueError, TypeError) as e:
        raise ValidationError(
            f"{what} for {probe}: {spec!r} is not a Keras {what} ({e}); use a name "
            "such as 'mse' or 'mae', or a function fn(y_true, y_pred)",
            attr=what,
        ) from e


ACCURACY = {  # Keras's "accuracy" after the loss it goes with
    "sparse_categorical_crossentropy": "sparse_categorical_accuracy",
    "categorical_crossentropy": "categorical_accuracy",
    "binary_crossentropy": "binary_accuracy",
}


def _accuracy_for(loss):
    """Keras's choice of accuracy function for ``metrics=["accuracy"]``."""
    fn = loss.fn if loss is not None else None
    name = getattr(fn, "name", None) or getattr(fn, "__name__", "")
    if isinstance(fn, keras.losses.Loss):
        name = getattr(getattr(fn, "fn", None), "__name__", name)
    return ACCURACY.get(name, "accuracy")


class Compiled:
    """What ``sim.compile`` set: optimizer, losses, weights and metrics by probe.

    Parameters
    ----------
    probes : list of nengo.Probe
        The model's probes (list order for lists; a single loss or metric
        applies to every probe, as NengoDL).
    names : dict
        ``{probe: name}`` (`keras_data.io_names`); dict keys may be names.
    optimizer : keras.optimizers.Optimizer or None
        None: ``evaluate``/``predict`` only.
    loss, metrics, loss_weights
        As ``sim.compile``'s.
    """

    def __init__(self, probes, names, optimizer, loss, metrics, loss_weights=None):
        self.optimizer = optimizer
        weights = keras_data.by_object(loss_weights, probes, names, "loss_weights")
        self.loss = {
            p: keras_loss(p, v, "loss", _weight(p, weights.get(p, 1.0)))
            for p, v in keras_data.by_object(
                loss, probes, names, "loss", broadcast=True
            ).items()
            if v is not None
        }
        for p in weights:
            if p not in self.loss:
                raise ValidationError(
                    f"loss_weights given for {p}, which has no loss",
                    attr="loss_weights",
                )
        self.metrics = {}
        for p, v in keras_data.by_object(
            metrics, probes, names, "metrics", broadcast=True
        ).items():
            specs = v if isinstance(v, (list, tuple)) else [v]
            self.metrics[p] = [
                self._metric(p, m, keras_loss(p, m, "metric"))
                for m in specs
                if m is not None
            ]

    def probes(self):
        """The probes with a loss or metrics (those `evaluate` needs)."""
        return list(self.loss) + [p for p in self.metrics if p not in self.loss]

    def _metric(self, probe, spec, metric):
        if spec in ("accuracy", "acc"):
            metric.fn = _resolve(_accuracy_for(self.loss.get(probe)))
        return metric


def _weight(probe, value):
    try:
        return float(value)
    except (TypeError, ValueError) as e:
        raise ValidationError(
            f"loss_weights for {probe} must be a number (got {value!r})",
            attr="loss_weights",
        ) from e


def _require_compiled(compiled, optimizer=False):
    if compiled is None:
        raise ValidationError(
            "Call sim.compile(optimizer, loss={probe: ...}) before fit/evaluate",
            attr="compile",
        )
    if optimizer and compiled.optimizer is None:
        raise ValidationError(
            "sim.compile was called without an optimizer, so fit cannot train: "
            "call sim.compile(tf.keras.optimizers.Adam(...), loss=...) first",
            attr="optimizer",
        )
    return compiled


def to_data(io, x, y):
    """One ``data`` dict from Keras-style inputs ``x`` and targets ``y``.

    ``io`` is ``(input Nodes, Probes, names)`` (see `keras_data`).
    """
    nodes, probes, names = io
    return {
        **keras_data.by_object(x, nodes, names, "x"),
        **keras_data.by_object(y, probes, names, "y"),
    }


def check_validation_data(validation_data):
    """``(x, y)`` from ``fit``'s ``validation_data``, or a clear error."""
    if isinstance(validation_data, tuple) and len(validation_data) == 2:
        return validation_data
    got = type(validation_data).__name__
    if isinstance(validation_data, tuple):
        got = f"a tuple of {len(validation_data)}"
        if len(validation_data) == 3:
            got += " (sample weights are not supported)"
    raise ValidationError(
        "validation_data must be a tuple (x, y) of validation inputs and targets, "
        "each an array or a dict {Node or Probe: array} as for fit's x and y, like "
        f"Keras' validation_data=(x_val, y_val) (got {got})",
        attr="validation_data",
    )


def fit(
    trainer,
    compiled,
    data,
    epochs,
    callbacks,
    validation_data,
    shuffle,
    show,
    restore_best_on_divergence=None,
    n_steps=None,
):
    """Train like ``keras.Model.fit``; returns the ``History`` callback (epoch
    logs: ``loss``, ``<probe>_loss``, ``<probe>_<metric>`` in training mode,
    then the ``val_`` ones).

    ``data`` and ``validation_data``: ``data`` dicts (see `to_data`);
    ``restore_best_on_divergence``: see `training.Trainer.train` (None: the
    Trainer's default); ``show``: the progress bar setting.
    """
    compiled = _require_compiled(compiled, optimizer=True)
    epochs = check_epochs(epochs)
    callbacks = check_callbacks(callbacks)
    checked = checked_data(trainer.parts, data, compiled.loss, n_steps)
    _add_metrics(checked, compiled, trainer.names)
    extra_logs = None
    if validation_data is not None:
        validation = checked_data(
            trainer.parts, validation_data, compiled.loss, n_steps
        )

        def extra_logs():
            logs = evaluate_data(trainer, compiled, validation, show=False)
            return {f"val_{k}": v for k, v in logs.items()}

    _, history = trainer.train(
        checked,
        compiled.optimizer,
        epochs,
        shuffle,
        callbacks,
        show,
        restore_best_on_divergence=restore_best_on_divergence,
        extra_logs=extra_logs,
    )
    return history


def _add_metrics(checked, compiled, names):
    """Training metrics and the epoch log names (Keras's keys) of ``fit``."""
    checked.metrics = []
    for probe, metrics in compiled.metrics.items():
        if checked.targets.get(probe) is None:
            continue  # a metric needs targets
        for metric in metrics:
            term = copy.copy(metric)
            term.weight = 0.0  # computed, not trained on
            checked.metrics.append((probe, term))
    checked.log_names = [f"{names[p]}_loss" for p in checked.objective] + [
        f"{names[p]}_{m.name}" for p, m in checked.metrics
    ]


def checked_data(parts, data, objective, n_steps=None):
    """`TrainingData` checked as NengoDL's ``fit``/``evaluate``/``predict`` do."""
    sizes = {p: s.size for p, s in zip(parts.recorder.probes, parts.recorder.signals)}
    if n_steps is not None:
        n_steps = check_n_steps(n_steps, "n_steps", positive=True)
    if not data:
        if n_steps is None:
            raise ValidationError(
                "Give input data x or n_steps (the number of steps to run)",
                attr="n_steps",
            )
        return TrainingData.without_inputs(n_steps, parts.minibatch_size)
    return TrainingData(
        data,
        objective,
        parts.node_ops,
        sizes,
        parts.minibatch_size,
        keras_style=True,
        n_steps=n_steps,
    )


def evaluate_data(trainer, compiled, checked, show, outputs=None):
    """``{"loss", "<probe>_loss", "<probe>_<metric>"...}`` on ``checked``.

    Losses and metrics are computed on the inference model's outputs
    (``outputs``: from `Trainer.predict` unless given), per minibatch, then
    averaged over minibatches; ``loss`` sums the probes' losses times their
    ``loss_weights``; per-probe losses are not weighted (as Keras).
    """
    if outputs is None:
        outputs = trainer.predict(checked, compiled.probes(), show)
    names = trainer.names
    scores = {"loss": []}
    for idx in checked.batches(False, None):
        total = 0.0
        for probe, fn in compiled.loss.items():
            value = _score(fn, probe, outputs[probe][idx], checked.targets[probe], idx)
            scores.setdefault(f"{names[probe]}_loss", []).append(value)
            total += fn.weight * value
        scores["loss"].append(total)
        for probe, metrics in compiled.metrics.items():
            target = checked.targets.get(probe)
            for metric in metrics:
                value = _score(metric, probe, outputs[probe][idx], target, idx)
                scores.setdefault(f"{names[probe]}_{metric.name}", []).append(value)
    return {k: float(np.mean(v)) for k, v in scores.items()}


def _score(fn, probe, output, targets, idx):
    target = None if targets is None else targets[idx]
    value = objectives.checked_call(fn, probe, tf.constant(output), target)
    return float(tf.reduce_mean(tf.cast(value, tf.float64)))


def evaluate(trainer, compiled, data, show, n_steps=None):
    """Losses and metrics in the spiking (inference) model, as a dict."""
    compiled = _require_compiled(compiled)
    checked = checked_data(trainer.parts, data, compiled.loss, n_steps)
    return evaluate_data(trainer, compiled, checked, show)


def predict(trainer, data, n_steps, show):
    """``{probe: (batch_size, n_steps, size)}`` for inputs ``x`` (inference mode)."""
    checked = checked_data(trainer.parts, data, None, n_steps)
    return trainer.predict(checked, list(trainer.parts.recorder.probes), show)


# -- optimizers: checked, and one compiled training program per kind -------------------


def check_optimizer(optimizer):
    """Accept Keras 3 optimizers; explain what to use instead of TF1 ones."""
    if isinstance(optimizer, keras.optimizers.Optimizer):
        return optimizer
    if isinstance(optimizer, tf.compat.v1.train.Optimizer):
        raise ValidationError(
            f"{type(optimizer).__name__} is a TensorFlow 1 optimizer "
            "(tf.compat.v1.train), which TensorFlow 2 / Keras 3 cannot use: pass a "
            "Keras optimizer instead, e.g. tf.keras.optimizers.RMSprop(0.01) for "
            "tf.train.RMSPropOptimizer(0.01)",
            attr="optimizer",
        )
    raise ValidationError(
        f"optimizer must be a Keras optimizer such as tf.keras.optimizers.Adam(0.01) "
        f"(got {optimizer!r})",
        attr="optimizer",
    )


def optimizer_kind(optimizer):
    """What a compiled training step depends on: the optimizer's class and
    configuration, without its name and a constant learning rate (which is a
    variable); None if the optimizer cannot be rebuilt from its configuration."""
    try:
        config = dict(optimizer.get_config())
        type(optimizer).from_config(dict(config))
    except Exception:  # noqa: BLE001 (custom optimizers: anything may go wrong)
        return None
    config.pop("name", None)
    if isinstance(config.get("learning_rate"), (int, float)):
        config.pop("learning_rate")
    return type(optimizer), json.dumps(config, sort_keys=True, default=repr)


class OptimizerCopy:
    """A private optimizer that a compiled training program updates.

    Compiling a training program takes seconds, and memory that TensorFlow
    does not give back, so a program is made for each kind of optimizer (see
    `optimizer_kind`), not for each optimizer object: ``sim.train`` with a new
    ``Adam(0.01)`` each time reuses the first one's program. The program updates
    this copy; `attach` loads the user's optimizer state into it (iterations,
    learning rate, moments), `before_chunk` / `after_chunk` keep the learning
    rate (callbacks may change it) and iteration count in step, and `detach`
    writes the whole state back, so the user's optimizer ends as if it had been
    used directly.

    Parameters
    ----------
    optimizer : keras.optimizers.Optimizer
        The first optimizer of this kind.
    variables : list
        The trainable variables.
    copy : bool
        Whether to copy ``optimizer`` (False: update it directly, for
        optimizers that `optimizer_kind` cannot describe).
    """

    def __init__(self, optimizer, variables, copy=True):
        if copy:
            # one name for every copy: its ops' names are in the traced program,
            # which Simulators share by content (`training_programs`)
            config = {**optimizer.get_config(), "name": "optimizer_copy"}
            optimizer = type(optimizer).from_config(config)
        self.optimizer = optimizer
        self.variables = variables
        self.copied = copy
        self.user = None
        optimizer.build(variables)

    def attach(self, user):
        """Load ``user``'s state (building it for these variables if needed)."""
        if not user.built:
            user.build(self.variables)
        if self.copied:
            shapes = [
                [tuple(v.shape) for v in o.variables] for o in (self.optimizer, user)
            ]
            if shapes[0] != shapes[1]:
                raise ValidationError(
                    f"optimizer {user.name} was already used for other parameters "
                    "(another Simulator or Keras model): pass a new optimizer",
                    attr="optimizer",
                )
            for mine, theirs in zip(self.optimizer.variables, user.variables):
                mine.assign(theirs)
        self.user = user
        self.variable_rate = isinstance(
            user.get_config().get("learning_rate"), (int, float)
        )

    def before_chunk(self):
        """Follow the user's learning rate (a callback may have changed it)."""
        if self.copied and self.variable_rate:
            self.optimizer.learning_rate.assign(self.user.learning_rate)

    def after_chunk(self):
        """Show the iteration count on the user's optimizer."""
        if self.copied:
            self.user.iterations.assign(self.optimizer.iterations)

    def detach(self):
        """Write the whole state back to the user's optimizer."""
        if self.copied and self.user is not None:
            for mine, theirs in zip(self.optimizer.variables, self.user.variables):
                theirs.assign(mine)
        self.user = None
