"""Keras-style ``compile / fit / evaluate / predict`` on the Simulator's engine.

Losses and metrics follow Keras' convention ``fn(y_true, y_pred)`` (Keras loss
names such as ``"mse"`` work); Keras callbacks (History, EarlyStopping, custom
ones) are called as in ``sim.train`` (see `training_callbacks`). The functions
here work on a `training.Trainer` and its `training_parts.TrainingParts`; the
Simulator checks that it is open first. `OptimizerCopy` lets one compiled
training program serve every Keras optimizer of the same kind.
"""

import copy
import json

import keras
import tensorflow as tf
from nengo.exceptions import ValidationError

from nengodl_notebook.run_data import check_n_steps
from nengodl_notebook.training_callbacks import check_callbacks
from nengodl_notebook.training_data import TrainingData, check_epochs


class KerasLoss:
    """Adapts a Keras loss/metric ``fn(y_true, y_pred)`` to ``fn(outputs, targets)``.

    Two adapters of the same function are equal, so compiling again reuses the
    compiled programs of the first compile.
    """

    def __init__(self, fn):
        self.fn = keras.losses.get(fn) if isinstance(fn, str) else fn
        self.name = (
            fn if isinstance(fn, str) else getattr(fn, "__name__", type(fn).__name__)
        )

    def __call__(self, outputs, targets):
        return self.fn(targets, outputs)

    def __eq__(self, other):
        return isinstance(other, KerasLoss) and other.fn is self.fn

    def __hash__(self):
        return hash(("KerasLoss", id(self.fn)))


def keras_loss(probe, spec, what):
    """`KerasLoss` of ``spec``, or a ValidationError naming the probe and spec."""
    try:
        return KerasLoss(spec)
    except (ValueError, TypeError) as e:
        raise ValidationError(
            f"{what} for {probe}: {spec!r} is not a Keras {what} ({e}); use a name "
            "such as 'mse' or 'mae', or a function fn(y_true, y_pred)",
            attr=what,
        ) from e


def _by_probe(probes, spec, what):
    """``{probe: [spec, ...]}`` from a dict, or a single spec for the only probe."""
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        if len(probes) != 1:
            raise ValidationError(
                f"{what} must be a dict mapping Probes to {what} functions when the "
                f"network has {len(probes)} probes",
                attr=what,
            )
        spec = {probes[0]: spec}
    return {p: v if isinstance(v, (list, tuple)) else [v] for p, v in spec.items()}


class Compiled:
    """What ``sim.compile`` set: optimizer, losses and metrics by probe.

    Parameters
    ----------
    probes : list of nengo.Probe
        The model's probes (a single loss or metric is for the only one).
    optimizer : keras.optimizers.Optimizer
    loss, metrics
        As ``sim.compile``'s.
    """

    def __init__(self, probes, optimizer, loss, metrics):
        self.optimizer = optimizer
        self.loss = {
            p: keras_loss(p, v[0], "loss")
            for p, v in _by_probe(probes, loss, "loss").items()
        }
        self.metrics = {
            p: [keras_loss(p, m, "metric") for m in v]
            for p, v in _by_probe(probes, metrics, "metrics").items()
        }


def _require_compiled(compiled):
    if compiled is None:
        raise ValidationError(
            "Call sim.compile(optimizer, loss={probe: ...}) before fit/evaluate",
            attr="compile",
        )
    return compiled


def to_data(parts, x, y):
    """One ``data`` dict from Keras-style inputs ``x`` and targets ``y``."""
    data = {}
    for values, kind, objs in (
        (x, "x", parts.node_ops),
        (y, "y", parts.recorder.probes),
    ):
        if values is None:
            continue
        if not isinstance(values, dict):
            if len(objs) != 1:
                raise ValidationError(
                    f"{kind} must be a dict when there are {len(objs)} candidate "
                    f"{'input Nodes' if kind == 'x' else 'Probes'}",
                    attr=kind,
                )
            values = {next(iter(objs)): values}
        data.update(values)
    return data


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
    x,
    y,
    epochs,
    callbacks,
    validation_data,
    shuffle,
    show,
    restore_best_on_divergence=None,
):
    """Train like ``keras.Model.fit``; returns the ``History`` callback.

    ``restore_best_on_divergence``: see `training.Trainer.train` (None: the
    Trainer's default); ``show``: the progress bar setting.
    """
    compiled = _require_compiled(compiled)
    epochs = check_epochs(epochs)
    callbacks = check_callbacks(callbacks)
    data = _checked_data(trainer.parts, to_data(trainer.parts, x, y), compiled.loss)
    extra_logs = None
    if validation_data is not None:
        val_xy = check_validation_data(validation_data)
        validation = _checked_data(
            trainer.parts, to_data(trainer.parts, *val_xy), compiled.loss
        )

        def extra_logs():
            logs = evaluate_data(trainer, compiled, validation, show=False)
            return {f"val_{k}": v for k, v in logs.items()}

    _, history = trainer.train(
        data,
        compiled.optimizer,
        epochs,
        shuffle,
        callbacks,
        show,
        restore_best_on_divergence=restore_best_on_divergence,
        extra_logs=extra_logs,
    )
    return history


def _checked_data(parts, data, objective):
    sizes = {p: s.size for p, s in zip(parts.recorder.probes, parts.recorder.signals)}
    return TrainingData(data, objective, parts.node_ops, sizes, parts.minibatch_size)


def evaluate_data(trainer, compiled, checked, show):
    """``{"loss", "<probe>_loss", "<probe>_<metric>"...}`` on ``checked``."""
    total, per_probe = trainer.evaluate(checked, False, show)
    logs = {"loss": total}
    for i, probe in enumerate(checked.objective):
        logs[f"{_name(probe)}_loss"] = float(per_probe[i])
    for probe, metrics in compiled.metrics.items():
        for metric in metrics:
            one = copy.copy(checked)  # the same data, scored by one metric
            one.objective = {probe: metric}
            logs[f"{_name(probe)}_{metric.name}"] = trainer.evaluate(one, False, False)[
                0
            ]
    return logs


def evaluate(trainer, compiled, x, y, show):
    """Losses and metrics in the spiking (inference) model, as a dict."""
    compiled = _require_compiled(compiled)
    checked = _checked_data(trainer.parts, to_data(trainer.parts, x, y), compiled.loss)
    return evaluate_data(trainer, compiled, checked, show)


def predict(trainer, x, n_steps, show):
    """``{probe: (batch_size, n_steps, size)}`` for inputs ``x`` (inference mode)."""
    parts = trainer.parts
    data = to_data(parts, x, None)
    if n_steps is not None:
        n_steps = check_n_steps(n_steps, "n_steps", positive=True)
    if data:
        checked = _checked_data(parts, data, None)
    elif n_steps is not None:
        checked = TrainingData.without_inputs(n_steps, parts.minibatch_size)
    else:
        raise ValidationError("predict needs inputs x or n_steps", attr="n_steps")
    return trainer.predict(checked, list(parts.recorder.probes), show)


def _name(probe):
    return probe.label or f"probe{id(probe)}"


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
            optimizer = type(optimizer).from_config(optimizer.get_config())
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
