"""The bookkeeping of one training call: chunk sizes, the best parameters seen,
divergence, and the messages of steps that failed.

`Trainer.train` runs minibatches in compiled chunks (`ChunkSize`); `TrainRun`
follows what the call has done so far, to restore the best parameters after a
divergence and to say in an error which parameters are left.
"""

import numpy as np
import tensorflow as tf
from nengo.exceptions import ValidationError

from nengodl_notebook.user_warnings import warn_user

#: A minibatch loss this many times the first (positive) loss of a train call
#: means the training diverged.
DIVERGENCE_FACTOR = 1e3

#: Status of a training step, as returned by the compiled step.
APPLIED, BAD_LOSS, BAD_GRADIENT, BAD_UPDATE = 0, 1, 2, 3


class TrainingDivergedWarning(UserWarning):
    """The training loss grew by orders of magnitude (see `Trainer.train`)."""


class ChunkSize:
    """How many minibatches one compiled training call runs.

    Starts at 1 and doubles while calls take under ``fast`` seconds; halves when
    one takes over ``slow``. Short calls keep progress bars, callbacks and
    ``stop_training()`` responsive; long ones keep Python out of the loop.
    """

    def __init__(self, fast=0.1, slow=0.4):
        self.size, self.fast, self.slow = 1, fast, slow

    def update(self, seconds):
        """Adapt to the duration of the last call."""
        if seconds < self.fast:
            self.size *= 2
        elif seconds > self.slow:
            self.size = max(1, self.size // 2)


class TrainRun:
    """What one ``train`` call has done: for divergence, restoring and messages.

    Parameters
    ----------
    objective : dict
        ``{probe: objective}``.
    restore_best : bool
        Keep the parameters with the lowest loss, to restore them after a
        divergence or a non-finite step.
    """

    def __init__(self, objective, restore_best):
        self.objective = objective
        self.restore_best = restore_best
        self.last = None  # (epoch, batch) of the last step applied
        self.first = None  # (loss, epoch, batch) of the first positive loss
        self.growth = None  # (loss, epoch, batch) of a diverged loss
        self.warned = False
        self.best = None  # (loss, (epoch, batch), kept values): see `offer`
        self.offered = None
        self.restored = None
        self.start = None  # the values kept at the start of the call

    def offer(self, kept, epoch, start):
        """Values kept at the start of a chunk; `record` knows their loss."""
        self.offered = (kept, (epoch, start)) if self.restore_best else None
        if self.start is None:
            self.start = kept

    @property
    def changed(self):
        """Whether the parameters differ from those at the start of the call."""
        unchanged = self.restored is not None and self.restored[2] is self.start
        return self.last is not None and not unchanged

    def record(self, totals, epoch, start, done):
        """Note the losses of minibatches ``start..done - 1`` (finite ones)."""
        first = float(totals[start])
        if self.offered is not None and np.isfinite(first):
            if self.best is None or first < self.best[0]:
                self.best = (first, self.offered[1], self.offered[0])
        for b in range(start, done):
            loss = float(totals[b])
            if not np.isfinite(loss) or self.growth is not None:
                continue
            if self.first is None:
                self.first = (loss, epoch, b) if loss > 0 else None
            elif loss > DIVERGENCE_FACTOR * self.first[0]:
                self.growth = (loss, epoch, b)

    def diverged(self):
        """True once, when a diverging loss is first seen (warns then)."""
        if self.growth is None or self.warned:
            return False
        self.warned = True
        if self.restore_best and self.best is not None:
            self.restored = self.best
        x, e0, b0 = self.first
        y, e1, b1 = self.growth
        then = (
            " Training stopped, and the parameters that gave the lowest loss "
            f"({self.best[0]:.4g}, at epoch {self.best[1][0]}, minibatch "
            f"{self.best[1][1]}) were restored."
            if self.restored
            else " (sim.train(..., restore_best_on_divergence=True) stops training "
            "then and restores the parameters with the lowest loss.)"
        )
        warn_user(
            TrainingDivergedWarning(
                f"The training loss grew from {x:.4g} (epoch {e0}, minibatch {b0}) to "
                f"{y:.4g} (epoch {e1}, minibatch {b1}): training is diverging. Try a "
                f"smaller learning rate.{then}"
            )
        )
        return True

    def parameters(self):
        """What the parameters are now, for messages."""
        if self.restored:
            loss, (epoch, batch), _ = self.restored
            return (
                "the parameters and optimizer state were restored to those that "
                f"gave the lowest loss ({loss:.4g}, at the start of epoch {epoch}, "
                f"minibatch {batch})"
            )
        if self.last is None:
            return "the parameters are unchanged (no step of this call was applied)"
        epoch, batch = self.last
        return (
            f"the parameters are those after epoch {epoch}, minibatch {batch}, the "
            "last step applied (all finite)"
        )

    def failure_message(self, per_probe, status, epoch, batch):
        """The error of a step that was not applied (see `Trainer._step_status`)."""
        if self.restore_best and self.best is not None:
            self.restored = self.best
        where = f"in epoch {epoch}, minibatch {batch}"
        bad = [str(p) for p, v in zip(self.objective, per_probe) if not np.isfinite(v)]
        if status == BAD_LOSS:
            values = ", ".join(f"{v}" for v in per_probe if not np.isfinite(v))
            what = f"the loss for {', '.join(bad)} is not finite ({values}) {where}"
        elif status == BAD_GRADIENT:
            what = f"the gradient of the loss is not finite {where} (the loss is)"
        else:
            what = (
                f"the update of the step {where} would have made parameters or the "
                "optimizer's state non-finite (an overflow; loss and gradients were "
                "finite)"
            )
        advice = "Try a smaller learning rate."
        if self.last is None and status != BAD_UPDATE:
            advice = (
                "This happened before any parameter update of this call: check "
                "the objective, the data and the current parameters."
            )
        return (
            f"Training stopped: {what}. That step was not applied; "
            f"{self.parameters()}. {advice}"
        )

    def error_message(self, cause, epoch, start, stop):
        """The error of a compiled chunk that failed (its steps are undone)."""
        text = getattr(cause, "message", None) or f"{type(cause).__name__}: {cause}"
        return (
            f"TensorFlow failed while training (epoch {epoch}, minibatches "
            f"{start}..{stop - 1}): {text}\nThe steps of these minibatches were "
            f"undone: {self.parameters()}."
        )


def call_compiled(fn, *args):
    """``fn(*args)``, keeping the cause of a ValidationError raised while tracing.

    TensorFlow's traceback filter re-raises errors ``from None``; an objective's
    own exception is chained to our error again (it is the error's context).
    """
    try:
        return fn(*args)
    except ValidationError as e:
        if e.__cause__ is None and e.__context__ is not None:
            e.__cause__ = e.__context__
        raise


def reached_flags(grads, n_store):
    """Which trainable elements (the first ``n_store`` gradients, element-wise)
    and TensorNode weights (one flag each) got a non-zero gradient."""
    flags = [tf.not_equal(g, 0) for g in grads[:n_store]]
    flags += [tf.reduce_any(tf.not_equal(g, 0))[None] for g in grads[n_store:]]
    return tf.concat(flags, axis=0)


def minibatch_loop(step, start, stop, n_batches, n_terms, n_reach, dtype):
    """The loop of a compiled training chunk (for use inside a ``tf.function``).

    Runs ``step(i)`` (returning ``(total, losses, status, reached)``) on
    minibatches ``start..stop``, stopping after a step that is not `APPLIED`.

    Returns
    -------
    next, totals, per_probe, status, reached : tf.Tensor
        The next minibatch, each minibatch's total and per-term losses, the
        last step's status, and `reached_flags` of any step.
    """

    def body(i, totals, per_probe, status, reached):
        total, losses, status, step_reached = step(i)
        totals = tf.tensor_scatter_nd_update(totals, [[i]], total[None])
        per_probe = tf.tensor_scatter_nd_update(per_probe, [[i]], losses[None])
        return i + 1, totals, per_probe, status, reached | step_reached

    return tf.while_loop(
        lambda i, totals, per_probe, status, reached: (
            (i < stop) & tf.equal(status, APPLIED)
        ),
        body,
        (
            start,
            tf.zeros(n_batches, dtype),
            tf.zeros((n_batches, n_terms), dtype),
            tf.constant(APPLIED),
            tf.zeros(n_reach, tf.bool),
        ),
    )
