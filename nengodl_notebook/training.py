"""The training engine behind ``sim.train``, ``sim.loss`` and the Keras-style API.

Each minibatch is simulated from the initial state for ``n_steps`` steps inside one
compiled function: in training mode (spiking neurons as rate twins) for gradient
steps, in inference mode for losses and predictions. Gradients flow back through
time (synapses, recurrent connections).

Nothing is lost and nothing is silently wrong: an objective is checked when the
step is traced, before any parameter changes (`objectives.checked_call`); a
gradient step is applied only when the loss, the gradients and the updated
parameters are all finite; an error in a compiled chunk of minibatches undoes
the chunk; a loss that grows by orders of magnitude warns
(`TrainingDivergedWarning`), and trainable parameters that the objective's
gradient does not reach are named (`NoGradientWarning`).
"""

import threading
import time
from collections import OrderedDict

import numpy as np
import tensorflow as tf
from nengo.exceptions import SimulationError, ValidationError

from nengodl_notebook import objectives, progress
from nengodl_notebook.keras_api import (  # noqa: F401 (check_optimizer: API)
    OptimizerCopy,
    check_optimizer,
    optimizer_kind,
)
from nengodl_notebook.precomputed_inputs import InputPlan, process_rngs
from nengodl_notebook.user_warnings import warn_user

#: A minibatch loss this many times the first (positive) loss of a train call
#: means the training diverged.
DIVERGENCE_FACTOR = 1e3

#: Compiled training programs kept (see `Trainer.release`).
MAX_TRAIN_PROGRAMS = 4

#: Status of a training step, as returned by the compiled step.
APPLIED, BAD_LOSS, BAD_GRADIENT, BAD_UPDATE = 0, 1, 2, 3


class TrainingDivergedWarning(UserWarning):
    """The training loss grew by orders of magnitude (see `Trainer.train`)."""


class NoGradientWarning(UserWarning):
    """Trainable parameters that the objective's gradient does not reach."""


class Trainer:
    """Compiled training/evaluation steps over a Simulator's step program.

    Parameters
    ----------
    sim : Simulator
        Provides the step program, parameters, inputs layout and probes.

    Attributes
    ----------
    restore_best_on_divergence : bool
        Default of `train`'s option of the same name.
    """

    def __init__(self, sim):
        self.sim = sim
        self.stop_event = threading.Event()
        self._train_fns = OrderedDict()  # (optimizer kind, objective) -> program
        self._eval_fns = {}
        self.chunk = ChunkSize()
        self.restore_best_on_divergence = False

    def release(self):
        """Drop every compiled program (``Simulator.close`` calls this).

        Later calls compile them again.
        """
        self._train_fns.clear()
        self._eval_fns.clear()

    # -- graph pieces -------------------------------------------------------------

    def _forward(self, inputs, training):
        sim = self.sim
        sim._tensor_vars.reset()  # TensorNode state variables: every minibatch from t=0
        state0 = sim._store.initial_state(sim.minibatch_size or 1)
        _, probes = sim._program.simulate(
            state0,
            inputs,
            tf.constant(0, tf.int64),
            tf.constant(sim.seed, tf.int64),
            sim._store.full(),
            training=training,
        )
        return probes  # (n_steps, rows, minibatch)

    def _probe_output(self, probes, probe):
        """``(minibatch, n_steps, size)`` values of one probe (sample_every applied)."""
        rows = self.sim._recorder.slices[probe]
        out = tf.transpose(probes[:, rows.start : rows.stop, :], (2, 0, 1))
        period = self.sim._recorder.period(probe)
        if period != 1:
            steps = np.arange(1, probes.shape[0] + 1)
            out = tf.gather(out, np.flatnonzero(steps % period < 1), axis=1)
        return out

    def _losses(self, probes, objective, targets):
        losses = []
        for (probe, fn), target in zip(objective, targets):
            outputs = self._probe_output(probes, probe)
            value = objectives.checked_call(fn, probe, outputs, target)
            losses.append(tf.cast(tf.reduce_mean(value), outputs.dtype))
        return losses

    def _train_program(self, optimizer, objective):
        """``(OptimizerCopy, compiled training function)`` for this kind of
        optimizer and objective (see `keras_api.OptimizerCopy`)."""
        kind = optimizer_kind(optimizer)
        key = (kind or id(optimizer), tuple((p, fn) for p, fn in objective))
        if key in self._train_fns:
            self._train_fns.move_to_end(key)
        else:
            working = OptimizerCopy(optimizer, self.variables(), copy=kind is not None)
            self._train_fns[key] = (working, self._compile_train(working, objective))
            while len(self._train_fns) > MAX_TRAIN_PROGRAMS:
                self._train_fns.popitem(last=False)
        return self._train_fns[key]

    def _compile_train(self, working, objective):
        """The compiled training function: steps on minibatches ``start..stop``.

        Takes the inputs and targets of a whole epoch (leading axis: minibatch) and
        runs its steps in one compiled loop, stopping early at a step that is not
        applied (see `_step_status`). Returns ``(next minibatch, totals, per-probe
        losses, status of the last step, reached)``, where ``reached`` tells, per
        trainable element and per TensorNode weight, whether any step of the chunk
        gave it a non-zero gradient.
        """
        variables = self.variables()
        n_store = 1 if self.sim._store.n_trainable else 0

        def train_step(inputs, targets):
            with tf.GradientTape() as tape:
                probes = self._forward(inputs, training=True)
                losses = self._losses(probes, objective, targets)
                total = tf.add_n(losses)
            grads = [
                tf.zeros_like(v) if g is None else tf.convert_to_tensor(g)
                for g, v in zip(tape.gradient(total, variables), variables)
            ]
            reached = [tf.not_equal(g, 0) for g in grads[:n_store]] + [
                tf.reduce_any(tf.not_equal(g, 0))[None] for g in grads[n_store:]
            ]
            status = self._step_status(working.optimizer, variables, total, grads)
            return total, tf.stack(losses), status, tf.concat(reached, axis=0)

        def train_chunk(inputs, targets, start, stop):
            n_batches, dtype = inputs.shape[0], self.sim._ctx.dtype
            n_reach = self.sim._store.n_trainable + len(variables) - n_store

            def body(i, totals, per_probe, status, reached):
                total, losses, status, step_reached = train_step(
                    inputs[i], tuple(None if t is None else t[i] for t in targets)
                )
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
                    tf.zeros((n_batches, len(objective)), dtype),
                    tf.constant(APPLIED),
                    tf.zeros(n_reach, tf.bool),
                ),
            )

        return tf.function(
            train_chunk, autograph=False, jit_compile=self.sim._program.jit_compile
        )

    @staticmethod
    def _step_status(optimizer, variables, total, grads):
        """Apply the gradients if all is finite; the step's status (`APPLIED`...).

        The update is checked too: if it makes a parameter or the optimizer's
        state non-finite (overflow), the old values are put back (`BAD_UPDATE`).
        """
        finite_grads = tf.constant(True)
        for g in grads:
            finite_grads &= tf.reduce_all(tf.math.is_finite(g))
        state = variables + list(optimizer.variables)

        def apply():
            old = [tf.identity(v) for v in state]
            optimizer.apply_gradients(list(zip(grads, variables)))
            ok = tf.constant(True)
            for v in state:
                if tf.as_dtype(v.dtype).is_floating:
                    ok &= tf.reduce_all(tf.math.is_finite(v))

            def undo():
                for v, value in zip(state, old):
                    v.assign(value)
                return tf.constant(BAD_UPDATE)

            return tf.cond(ok, lambda: tf.constant(APPLIED), undo)

        return tf.cond(
            tf.math.is_finite(total) & finite_grads,
            apply,
            lambda: tf.where(tf.math.is_finite(total), BAD_GRADIENT, BAD_LOSS),
        )

    def variables(self):
        """What training changes: trainable parameters, then TensorNode weights."""
        store = self.sim._store
        nodes = self.sim._tensor_vars.trainable
        return ([store.trainable] if store.n_trainable else []) + nodes

    def _eval_fn(self, objective, training=False):
        key = (tuple((p, fn) for p, fn in objective), training)
        if key not in self._eval_fns:

            def eval_step(inputs, targets):
                probes = self._forward(inputs, training=training)
                losses = self._losses(probes, objective, targets)
                return tf.add_n(losses), tf.stack(losses)

            self._eval_fns[key] = tf.function(
                eval_step, autograph=False, jit_compile=self.sim._program.jit_compile
            )
        return self._eval_fns[key]

    # -- data -----------------------------------------------------------------------

    def default_inputs(self, n_steps):
        """Inputs for steps 1..n_steps from a fresh copy of the model's input ops."""
        sim = self.sim
        batch = sim.minibatch_size or 1
        plan = InputPlan(
            sim._inputs.ops, sim._ctx.input_columns, sim.dt, sim._ctx.np_dtype, batch
        )
        plan.reset(process_rngs(sim._nengo_step_order, sim.seed, batch))
        return plan.values(0, n_steps, {})

    def batch_arrays(self, data, idx, defaults):
        """Input tensor and target tensors for the minibatch of items ``idx``."""
        inputs, targets = self.epoch_arrays(data, [idx], defaults)
        return inputs[0], tuple(None if t is None else t[0] for t in targets)

    def epoch_arrays(self, data, batches, defaults):
        """Inputs and targets of several minibatches, stacked on a leading axis.

        Returns
        -------
        inputs : tf.Tensor, shape ``(n_batches, n_steps, n_input_columns, minibatch)``
        targets : tuple of tf.Tensor ``(n_batches, minibatch, n_steps, size)`` or None
        """
        idx = np.stack(batches)
        inputs = np.repeat(defaults[None], len(batches), axis=0)
        columns = self.sim._ctx.input_columns
        for node, values in data.inputs.items():
            start, stop = columns[self.sim._node_ops[node]]
            inputs[:, :, start:stop, :] = np.transpose(values[idx], (0, 2, 3, 1))
        dtype = self.sim._ctx.dtype
        targets = tuple(
            None
            if data.targets[p] is None
            else tf.constant(data.targets[p][idx], dtype)
            for p in data.objective
        )
        return tf.constant(inputs, dtype), targets

    # -- loops ------------------------------------------------------------------------

    def train(
        self,
        data,
        optimizer,
        n_epochs,
        shuffle,
        listeners,
        show_progress,
        restore_best_on_divergence=None,
    ):
        """Run ``n_epochs`` of minibatch gradient steps; returns per-epoch losses.

        A minibatch loss over `DIVERGENCE_FACTOR` times the call's first
        (positive) loss warns (`TrainingDivergedWarning`, once per call). With
        ``restore_best_on_divergence`` (default: the attribute of that name),
        training then stops, and the parameters (and optimizer state) with the
        lowest loss seen are restored; they are restored too when a step is not
        finite (the SimulationError says so). The candidates are the parameters
        at the start of each compiled chunk of minibatches (see `ChunkSize`),
        scored by the loss of the chunk's first minibatch.

        After the first chunk, trainable parameters that got no gradient (None
        or zero) are named in a `NoGradientWarning` if they can affect a probe
        of the objective (something blocks the gradient: a TensorNode using
        ``tf.round``, ``tf.argmax``, ``tf.stop_gradient``..., or synapses
        delaying their effect past ``n_steps``), or if no trainable parameter
        gets any (training would change nothing). Parameters that cannot affect
        the objective's probes are expected to get none: no warning.
        """
        if restore_best_on_divergence is None:
            restore_best_on_divergence = self.restore_best_on_divergence
        objective = list(data.objective.items())
        working, step_fn = self._train_program(optimizer, objective)
        working.attach(optimizer)
        run = TrainRun(data.objective, bool(restore_best_on_divergence), listeners)
        defaults = self.default_inputs(data.n_steps)
        rng = np.random.RandomState(self.sim.seed)
        history = []
        self.stop_event.clear()
        notify(
            listeners, "on_train_begin", {"epochs": n_epochs, "batches": data.n_batches}
        )
        total = n_epochs * data.n_batches
        try:
            with (
                self.sim._tensor_vars.kept(),
                progress.Phase("Training", "Training", total, show_progress) as bar,
            ):
                for epoch in range(n_epochs):
                    notify(listeners, "on_epoch_begin", {"epoch": epoch})
                    epoch_losses = self._train_epoch(
                        data,
                        (working, step_fn),
                        defaults,
                        rng,
                        shuffle,
                        epoch,
                        listeners,
                        bar,
                        run,
                    )
                    history.append(float(np.mean(epoch_losses)))
                    bar.extra = f" (loss: {history[-1]:.4f})"
                    notify(
                        listeners, "on_epoch_end", {"epoch": epoch, "loss": history[-1]}
                    )
                    if self.stop_event.is_set():
                        break
        finally:  # also after errors and interrupts: the last completed step counts
            working.detach()
            if run.changed:  # else nengo's values stay exact
                self.sim._store.mark_trained()
                self.sim._params_changed()
        notify(
            listeners,
            "on_train_end",
            {"history": history, "stopped": self.stop_event.is_set()},
        )
        return history

    def _train_epoch(
        self, data, program, defaults, rng, shuffle, epoch, listeners, bar, run
    ):
        """One epoch, in compiled chunks of minibatches (see `ChunkSize`).

        Listeners' ``on_batch_end`` runs after each chunk, once per minibatch; a
        listener with ``on_batch_end`` gets chunks of one minibatch (so that it
        can stop training after any of them) unless it sets ``chunked_batches``.
        """
        batches = list(data.batches(shuffle, rng))
        inputs, targets = self.epoch_arrays(data, batches, defaults)
        # a listener that may stop training after any minibatch needs them one by one
        one_by_one = any(
            hasattr(li, "on_batch_end") and not getattr(li, "chunked_batches", False)
            for li in listeners
        )
        losses, start = [], 0
        while start < len(batches):
            stop = min(len(batches), start + (1 if one_by_one else self.chunk.size))
            t0 = time.perf_counter()
            done, totals, per_probe, status, reached = self._run_chunk(
                program, run, inputs, targets, epoch, start, stop
            )
            self.chunk.update(time.perf_counter() - t0)
            n_applied = done - start - (status != APPLIED)
            for b in range(start, start + n_applied):
                losses.append(float(totals[b]))
                notify(
                    listeners,
                    "on_batch_end",
                    {"epoch": epoch, "batch": b, "loss": losses[-1]},
                )
            bar.update(n_applied)
            if losses:
                bar.set_postfix(loss=losses[-1])
            if run.last is None and n_applied:
                self._check_reached(reached, data.objective)
            if n_applied:
                run.last = (epoch, start + n_applied - 1)
            run.record(totals, epoch, start, done)
            stop_now = run.diverged() and run.restore_best
            if status != APPLIED:
                message = run.failure_message(
                    per_probe[done - 1], status, epoch, done - 1
                )
                self._restore(program, run.restored)
                raise SimulationError(message)
            if stop_now:
                self._restore(program, run.restored)
                self.stop_event.set()
            start = done
            if self.stop_event.is_set():
                break
        return losses

    def _run_chunk(self, program, run, inputs, targets, epoch, start, stop):
        """One call of the compiled training function, undone if it fails.

        Returns ``(done, totals, per-probe losses, status, reached)`` as NumPy
        values. Parameters and optimizer state are kept (as tensors) first: an
        error or interrupt inside the call puts them back, so they are those
        after the last minibatch reported to listeners.
        """
        working, step_fn = program
        state = self._state(working)
        kept = tf.identity_n(state)  # one op: cheap next to a chunk
        run.offer(kept, epoch, start)
        self.sim._ctx.errors.clear()
        if run.listeners:
            working.before_chunk()
        try:
            out = call_compiled(
                step_fn, inputs, targets, tf.constant(start), tf.constant(stop)
            )
        except BaseException as e:
            self._assign(state, kept)
            if not isinstance(e, tf.errors.OpError):
                raise
            cause = self.sim._ctx.errors[0] if self.sim._ctx.errors else e
            raise SimulationError(
                run.error_message(cause, epoch, start, stop)
            ) from cause
        if run.listeners:
            working.after_chunk()
        done, totals, per_probe, status, reached = out
        return (
            int(done),
            totals.numpy(),
            per_probe.numpy(),
            int(status),
            reached.numpy(),
        )

    def _state(self, working):
        """Trainable variables and optimizer state, as TensorFlow variables."""
        return self.variables() + [
            getattr(v, "value", v) for v in working.optimizer.variables
        ]

    @staticmethod
    def _assign(variables, values):
        for v, value in zip(variables, values):
            v.assign(value)

    def _restore(self, program, restored):
        """Put back parameters and optimizer state kept by `TrainRun` (if any)."""
        if restored is not None:
            self._assign(self._state(program[0]), restored[2])

    def _check_reached(self, reached, probes):
        """Warn about trainable parameters without gradient (see `train`)."""
        parts = objectives.trainable_parts(self.sim._store, self.sim._tensor_vars)
        text = objectives.no_gradient_report(
            parts, reached, self.sim._network, list(probes)
        )
        if text is not None:
            warn_user(NoGradientWarning(text))

    def evaluate(self, data, training=False, show_progress=True):
        """Mean loss (and per-probe losses) over all minibatches of ``data``."""
        objective = list(data.objective.items())
        eval_fn = self._eval_fn(objective, training)
        defaults = self.default_inputs(data.n_steps)
        totals, per_probe = [], []
        with (
            self.sim._tensor_vars.kept(),
            progress.Phase(
                "Calculating", "Calculation", data.n_batches, show_progress
            ) as bar,
        ):
            for idx in data.batches(False, None):
                arrays = self.batch_arrays(data, idx, defaults)
                total, losses = self._call_inference(
                    eval_fn, arrays, "computing a loss"
                )
                totals.append(float(total))
                per_probe.append(losses.numpy())
                bar.update(1)
        return float(np.mean(totals)), np.mean(per_probe, axis=0)

    def predict(self, data, probes, show_progress=True):
        """Probe outputs ``{probe: (batch_size, n_steps, size)}`` in inference mode."""
        fn = self._predict_fn(tuple(probes))
        defaults = self.default_inputs(data.n_steps)
        outputs = {p: [] for p in probes}
        with (
            self.sim._tensor_vars.kept(),
            progress.Phase(
                "Predicting", "Prediction", data.n_batches, show_progress
            ) as bar,
        ):
            for idx in data.batches(False, None):
                inputs = self.batch_arrays(data, idx, defaults)[0]
                values = self._call_inference(fn, [inputs], "predicting")
                for p, value in zip(probes, values):
                    outputs[p].append(value.numpy())
                bar.update(1)
        return {p: np.concatenate(v, axis=0) for p, v in outputs.items()}

    def _call_inference(self, fn, args, what):
        """``fn(*args)``; an exception of Python code in the loop (a Node, a neuron
        type) is re-raised as itself, other TensorFlow errors as SimulationError."""
        self.sim._ctx.errors.clear()
        try:
            return call_compiled(fn, *args)
        except tf.errors.OpError as e:
            if self.sim._ctx.errors:
                raise self.sim._ctx.errors[0] from None
            error = self.sim._program.failed_assertion(e)
            if error is not None:  # a TensorNode's assertion
                raise error from e
            raise SimulationError(f"TensorFlow failed while {what}: {e.message}") from e

    def _predict_fn(self, probes):
        key = ("predict", probes)
        if key not in self._eval_fns:

            def predict_step(inputs):
                out = self._forward(inputs, training=False)
                return [self._probe_output(out, p) for p in probes]

            self._eval_fns[key] = tf.function(
                predict_step, autograph=False, jit_compile=self.sim._program.jit_compile
            )
        return self._eval_fns[key]


class ChunkSize:
    """How many minibatches one compiled training call runs.

    Starts at 1 and doubles while calls take under ``fast`` seconds; halves when
    one takes over ``slow``. Short calls keep progress bars, listeners and
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
    listeners : list
        The call's listeners (they may change the learning rate).
    """

    def __init__(self, objective, restore_best, listeners):
        self.objective = objective
        self.restore_best = restore_best
        self.listeners = bool(listeners)
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


def notify(listeners, event, info):
    """Call ``event`` on every listener that has it."""
    for listener in listeners:
        method = getattr(listener, event, None)
        if method is not None:
            method(info)
