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
from nengo.exceptions import SimulationError

from nengodl_notebook import objectives, progress
from nengodl_notebook.distribute import scope_of
from nengodl_notebook.keras_api import (  # noqa: F401 (check_optimizer: API)
    OptimizerCopy,
    check_optimizer,
    optimizer_kind,
)
from nengodl_notebook.keras_data import input_nodes, io_names, last_step_probes
from nengodl_notebook.precomputed_inputs import InputPlan, process_rngs
from nengodl_notebook.progress_callback import TrainingProgress
from nengodl_notebook.training_callbacks import ModelProxy, TrainingCallbacks
from nengodl_notebook.training_programs import (
    SharedFunction,
    candidates,
    function_key,
)
from nengodl_notebook.training_run import (  # noqa: F401 (TrainingDivergedWarning: API)
    APPLIED,
    BAD_GRADIENT,
    BAD_LOSS,
    BAD_UPDATE,
    ChunkSize,
    TrainingDivergedWarning,
    TrainRun,
    call_compiled,
    minibatch_loop,
    reached_flags,
)
from nengodl_notebook.user_warnings import warn_user

#: Compiled training programs kept (see `Trainer.release`).
MAX_TRAIN_PROGRAMS = 4


def weighted_total(losses, objective):
    """Sum of the probes' losses, each times its ``weight`` (``loss_weights``);
    terms of weight 0 (metrics) are left out, so they get no gradient."""
    terms = [
        loss * getattr(fn, "weight", 1.0)
        for loss, (_, fn) in zip(losses, objective)
        if getattr(fn, "weight", 1.0) != 0
    ]
    return tf.add_n(terms) if terms else tf.zeros((), losses[0].dtype)


class NoGradientWarning(UserWarning):
    """Trainable parameters that the objective's gradient does not reach."""


class Trainer:
    """Compiled training/evaluation steps over a Simulator's step program.

    Parameters
    ----------
    parts : training_parts.TrainingParts
        The Simulator's step program, parameters, inputs layout and probes.

    Attributes
    ----------
    restore_best_on_divergence : bool
        Default of `train`'s option of the same name.
    """

    def __init__(self, parts):
        self.parts = parts
        self.stop_event = threading.Event()
        self._train_fns = OrderedDict()  # (optimizer kind, objective) -> program
        self._eval_fns = {}
        self.chunk = ChunkSize()
        self.restore_best_on_divergence = False
        self.last_step_only = last_step_probes(parts.network, parts.recorder.probes)
        self.input_nodes = input_nodes(parts.network, parts.node_ops)
        self.names = io_names(self.input_nodes, parts.recorder.probes)

    def release(self):
        """Drop every compiled program (``Simulator.close`` calls this).

        Later calls trace them again; XLA programs stay shared in
        `training_programs.SHARED_TRAINING_PROGRAMS` for other Simulators.
        """
        self._train_fns.clear()
        self._eval_fns.clear()

    # -- graph pieces -------------------------------------------------------------

    def _forward(self, inputs, training, seed=None):
        """Probed values of one minibatch run from t=0 (``seed``: a tensor, an
        argument of the program so that programs are shared across seeds;
        None: the current seed)."""
        parts = self.parts
        parts.tensor_vars.reset()  # TensorNode state: every minibatch from t=0
        state0 = parts.store.initial_state(parts.minibatch_size)
        if seed is None:
            seed = tf.constant(parts.seed(), tf.int64)
        _, probes = parts.program.simulate(
            state0,
            inputs,
            tf.constant(0, tf.int64),
            seed,
            parts.store.full(),
            training=training or parts.program.learning_phase,
        )
        return probes  # (n_steps, rows, minibatch)

    def _probe_output(self, probes, probe):
        """``(minibatch, n_steps, size)`` values of one probe (sample_every applied)."""
        rows = self.parts.recorder.slices[probe]
        out = tf.transpose(probes[:, rows.start : rows.stop, :], (2, 0, 1))
        period = self.parts.recorder.period(probe)
        if period != 1:
            steps = np.arange(1, probes.shape[0] + 1)
            out = tf.gather(out, np.flatnonzero(steps % period < 1), axis=1)
        if probe in self.last_step_only:  # keep_history=False
            out = out[:, -1:]
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
            with scope_of(self.parts.distribution):  # its variables mirrored
                working = OptimizerCopy(
                    optimizer, self.variables(), copy=kind is not None
                )
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
        if self.parts.distribution is not None:  # minibatches split (`distribute`)
            return self.parts.distribution.train_function(
                self, working, objective, weighted_total
            )
        variables = self.variables()
        n_store = 1 if self.parts.store.n_trainable else 0

        def train_step(inputs, targets, seed):
            with tf.GradientTape() as tape:
                probes = self._forward(inputs, True, seed)
                losses = self._losses(probes, objective, targets)
                total = weighted_total(losses, objective)
            grads = [
                tf.zeros_like(v) if g is None else tf.convert_to_tensor(g)
                for g, v in zip(tape.gradient(total, variables), variables)
            ]
            status = self._step_status(working.optimizer, variables, total, grads)
            return total, tf.stack(losses), status, reached_flags(grads, n_store)

        def train_chunk(inputs, targets, start, stop, seed):
            n_batches, dtype = inputs.shape[0], self.parts.context.dtype
            n_reach = self.parts.store.n_trainable + len(variables) - n_store

            def step(i):
                batch_targets = tuple(None if t is None else t[i] for t in targets)
                return train_step(inputs[i], batch_targets, seed)

            return minibatch_loop(
                step, start, stop, n_batches, len(objective), n_reach, dtype
            )

        return self._shared_function(train_chunk, ("train",), objective, working)

    def _shared_function(self, fn, what, terms, working=None):
        """``fn`` compiled (XLA as the step program), its programs shared by
        Simulators when the step program's are (see `training_programs`;
        ``what``, ``terms``, ``working``: see `training_programs.function_key`)."""
        program = self.parts.program
        compiled = tf.function(fn, autograph=False, jit_compile=program.jit_compile)
        share = program.shares_programs
        key = function_key(self, fn, what, terms, working) if share else None
        variables = candidates(self.parts, working)
        return SharedFunction(compiled, share, key, variables)

    def _seed(self):
        """The current seed, as the programs' ``seed`` argument."""
        return tf.constant(self.parts.seed(), tf.int64)

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
        store = self.parts.store
        nodes = self.parts.tensor_vars.trainable
        return ([store.trainable] if store.n_trainable else []) + nodes

    def _eval_fn(self, objective, training=False):
        key = (tuple((p, fn) for p, fn in objective), training)
        if key not in self._eval_fns:

            def eval_step(inputs, targets, seed):
                probes = self._forward(inputs, training, seed)
                losses = self._losses(probes, objective, targets)
                return weighted_total(losses, objective), tf.stack(losses)

            self._eval_fns[key] = self._shared_function(
                eval_step, ("eval", training), objective
            )
            if self.parts.distribution is not None:  # minibatches split
                self._eval_fns[key] = self.parts.distribution.eval_function(
                    self, objective, training, weighted_total
                )
        return self._eval_fns[key]

    # -- data -----------------------------------------------------------------------

    def default_inputs(self, n_steps):
        """Inputs for steps 1..n_steps from a fresh copy of the model's input ops."""
        parts = self.parts
        batch, context = parts.minibatch_size, parts.context
        plan = InputPlan(
            parts.input_ops, context.input_columns, parts.dt, context.np_dtype, batch
        )
        plan.reset(process_rngs(parts.step_order, parts.seed(), batch))
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
        columns = self.parts.context.input_columns
        for node, values in data.inputs.items():
            start, stop = columns[self.parts.node_ops[node]]
            inputs[:, :, start:stop, :] = np.transpose(values[idx], (0, 2, 3, 1))
        dtype = self.parts.context.dtype
        targets = tuple(
            None
            if data.targets[p] is None
            else tf.constant(data.targets[p][idx], dtype)
            for p, _ in data.terms()
        )
        return tf.constant(inputs, dtype), targets

    # -- loops ------------------------------------------------------------------------

    def train(
        self,
        data,
        optimizer,
        n_epochs,
        shuffle,
        callbacks,
        show_progress,
        restore_best_on_divergence=None,
        extra_logs=None,
    ):
        """Run ``n_epochs`` of minibatch gradient steps.

        ``callbacks`` (``keras.callbacks.Callback``) are called as described in
        `training_callbacks`, after them a ``History`` and the progress bar
        (`progress_callback.TrainingProgress`); ``extra_logs()`` adds to each
        epoch's logs (``fit``'s validation losses).

        A minibatch loss over `training_run.DIVERGENCE_FACTOR` times the call's
        first (positive) loss warns (`TrainingDivergedWarning`, once per call).
        With ``restore_best_on_divergence`` (default: the attribute of that
        name), training then stops, and the parameters (and optimizer state)
        with the lowest loss seen are restored; they are restored too when a
        step is not finite (the SimulationError says so). The candidates are
        the parameters at the start of each compiled chunk of minibatches (see
        `ChunkSize`), scored by the loss of the chunk's first minibatch.

        After the first chunk, trainable parameters that got no gradient (None
        or zero) are named in a `NoGradientWarning` if they can affect a probe
        of the objective (something blocks the gradient: a TensorNode using
        ``tf.round``, ``tf.argmax``, ``tf.stop_gradient``..., or synapses
        delaying their effect past ``n_steps``), or if no trainable parameter
        gets any (training would change nothing). Parameters that cannot affect
        the objective's probes are expected to get none: no warning.

        Returns
        -------
        losses : list of float
            Mean training loss of each epoch.
        history : keras.callbacks.History
        """
        if restore_best_on_divergence is None:
            restore_best_on_divergence = self.restore_best_on_divergence
        objective = data.terms()
        program = self._train_program(optimizer, objective)
        run = TrainRun(data.objective, bool(restore_best_on_divergence))
        model = ModelProxy(self.parts, self.stop_event, optimizer)
        bar = TrainingProgress(show_progress)
        hooks = TrainingCallbacks(callbacks, model, n_epochs, data.n_batches, bar)
        hooks.log_names = data.log_names
        defaults = self.default_inputs(data.n_steps)
        rng = np.random.RandomState(self.parts.seed())
        losses = []
        self.stop_event.clear()
        program[0].attach(optimizer)
        try:
            with self.parts.tensor_vars.kept():
                hooks.train_begin()
                for epoch in range(n_epochs):
                    hooks.epoch_begin(epoch)
                    self._train_epoch(
                        data, program, defaults, (rng, shuffle), epoch, hooks, run
                    )
                    if run.changed:  # callbacks reading sim.data see this epoch's
                        self.parts.store.mark_trained()
                        self.parts.data_changed()
                    losses.append(hooks.epoch_end(epoch, extra_logs))
                    if self.stop_event.is_set():
                        break
        except BaseException as e:
            bar.close(e)
            raise
        finally:  # also after errors and interrupts: the last completed step counts
            program[0].detach()
            if run.changed:  # else nengo's values stay exact
                self.parts.store.mark_trained()
                self.parts.params_changed()
        hooks.train_end()
        return losses, model.history

    def _train_epoch(self, data, program, defaults, order, epoch, hooks, run):
        """One epoch, in compiled chunks of minibatches (see `ChunkSize`).

        Batch-end hooks run after each chunk, once per minibatch that ran;
        chunks have one minibatch when a callback needs it (``hooks.single``).
        """
        batches = list(data.batches(order[1], order[0]))
        inputs, targets = self.epoch_arrays(data, batches, defaults)
        start = 0
        while start < len(batches):
            stop = min(len(batches), start + (1 if hooks.single else self.chunk.size))
            hooks.chunk_begin(start)
            t0 = time.perf_counter()
            done, totals, per_probe, status, reached = self._run_chunk(
                program, run, inputs, targets, epoch, start, stop
            )
            self.chunk.update(time.perf_counter() - t0)
            n_applied = done - start - (status != APPLIED)
            if run.last is None and n_applied:
                self._check_reached(reached, data.objective)
            if n_applied:
                run.last = (epoch, start + n_applied - 1)
            run.record(totals, epoch, start, done)
            stopped = self.stop_event.is_set()
            # a step not applied is reported too
            hooks.minibatches_end(
                start, [float(t) for t in totals[start:done]], per_probe[start:done]
            )
            stop_now = run.diverged() and run.restore_best
            if status != APPLIED:
                message = run.failure_message(
                    per_probe[done - 1], status, epoch, done - 1
                )
                self._restore(program, run.restored)
                if stopped or not self.stop_event.is_set():
                    raise SimulationError(message)
                break  # a callback stopped training at this step (TerminateOnNaN)
            if stop_now:
                self._restore(program, run.restored)
                self.stop_event.set()
            start = done
            if self.stop_event.is_set():
                break

    def _run_chunk(self, program, run, inputs, targets, epoch, start, stop):
        """One call of the compiled training function, undone if it fails.

        Returns ``(done, totals, per-probe losses, status, reached)`` as NumPy
        values. Parameters and optimizer state are kept (as tensors) first: an
        error or interrupt inside the call puts them back, so they are those
        after the last minibatch reported to callbacks.
        """
        working, step_fn = program
        state = self._state(working)
        kept = tf.identity_n(state)  # one op: cheap next to a chunk
        run.offer(kept, epoch, start)
        errors = self.parts.context.errors
        errors.clear()
        working.before_chunk()
        try:
            out = call_compiled(
                step_fn,
                inputs,
                targets,
                tf.constant(start),
                tf.constant(stop),
                self._seed(),
            )
        except BaseException as e:
            self._assign(state, kept)
            if not isinstance(e, tf.errors.OpError):
                raise
            cause = errors[0] if errors else e
            raise SimulationError(
                run.error_message(cause, epoch, start, stop)
            ) from cause
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
        parts = self.parts
        trainable = objectives.trainable_parts(parts.store, parts.tensor_vars)
        text = objectives.no_gradient_report(
            trainable, reached, parts.network, list(probes)
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
            self.parts.tensor_vars.kept(),
            progress.Phase(
                "Calculating", "Calculation", data.n_batches, show_progress
            ) as bar,
        ):
            for idx in data.batches(False, None):
                arrays = self.batch_arrays(data, idx, defaults)
                total, losses = self._call_inference(
                    eval_fn, [*arrays, self._seed()], "computing a loss"
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
            self.parts.tensor_vars.kept(),
            progress.Phase(
                "Predicting", "Prediction", data.n_batches, show_progress
            ) as bar,
        ):
            for idx in data.batches(False, None):
                inputs = self.batch_arrays(data, idx, defaults)[0]
                values = self._call_inference(fn, [inputs, self._seed()], "predicting")
                for p, value in zip(probes, values):
                    outputs[p].append(value.numpy())
                bar.update(1)
        return {p: np.concatenate(v, axis=0) for p, v in outputs.items()}

    def _call_inference(self, fn, args, what):
        """``fn(*args)``; an exception of Python code in the loop (a Node, a neuron
        type) is re-raised as itself, other TensorFlow errors as SimulationError."""
        self.parts.context.errors.clear()
        try:
            return call_compiled(fn, *args)
        except tf.errors.OpError as e:
            if self.parts.context.errors:
                raise self.parts.context.errors[0] from None
            error = self.parts.program.failed_assertion(e)
            if error is not None:  # a TensorNode's assertion
                raise error from e
            raise SimulationError(f"TensorFlow failed while {what}: {e.message}") from e

    def _predict_fn(self, probes):
        key = ("predict", probes)
        if key not in self._eval_fns:

            def predict_step(inputs, seed):
                out = self._forward(inputs, False, seed)
                return [self._probe_output(out, p) for p in probes]

            self._eval_fns[key] = self._shared_function(
                predict_step, ("predict",), [(p, None) for p in probes]
            )
            if self.parts.distribution is not None:  # minibatches split
                self._eval_fns[key] = self.parts.distribution.predict_function(
                    self, probes
                )
        return self._eval_fns[key]
