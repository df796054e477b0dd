"""The training engine behind ``sim.train``, ``sim.loss`` and the Keras-style API.

Each minibatch is simulated from the initial state for ``n_steps`` steps inside one
compiled function: in training mode (spiking neurons as rate twins) for gradient
steps, in inference mode for losses and predictions. Gradients flow back through
time (synapses, recurrent connections). A gradient step is applied only when the
loss and gradients are finite, so a NaN never corrupts the parameters.
"""

import threading
import time

import keras
import numpy as np
import tensorflow as tf
from nengo.exceptions import SimulationError, ValidationError

from nengodl_notebook import objectives, progress
from nengodl_notebook.inputs import InputPlan, process_rngs


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


class Trainer:
    """Compiled training/evaluation steps over a Simulator's step program.

    Parameters
    ----------
    sim : Simulator
        Provides the step program, parameters, inputs layout and probes.
    """

    def __init__(self, sim):
        self.sim = sim
        self.stop_event = threading.Event()
        self._train_fns = {}
        self._eval_fns = {}
        self.chunk = ChunkSize()

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
            value = objectives.call(fn, outputs, target)
            losses.append(tf.cast(tf.reduce_mean(value), outputs.dtype))
        return losses

    def _train_fn(self, optimizer, objective):
        """The compiled training function: gradient steps on minibatches ``start..stop``.

        Takes the inputs and targets of a whole epoch (leading axis: minibatch) and
        runs its steps in one compiled loop, stopping early at a non-finite loss or
        gradient (that step is not applied). Returns ``(next minibatch, totals,
        per-probe losses, all finite)``.
        """
        key = (id(optimizer), tuple((p, fn) for p, fn in objective))
        if key not in self._train_fns:
            variables = self.variables()
            optimizer.build(variables)

            def apply(grads):
                optimizer.apply_gradients(list(zip(grads, variables)))
                return tf.constant(True)

            def train_step(inputs, targets):
                with tf.GradientTape() as tape:
                    probes = self._forward(inputs, training=True)
                    losses = self._losses(probes, objective, targets)
                    total = tf.add_n(losses)
                grads = [
                    tf.zeros_like(v) if g is None else tf.convert_to_tensor(g)
                    for g, v in zip(tape.gradient(total, variables), variables)
                ]
                finite = tf.math.is_finite(total)
                for g in grads:
                    finite &= tf.reduce_all(tf.math.is_finite(g))
                applied = tf.cond(finite, lambda: apply(grads), lambda: tf.constant(False))
                return total, tf.stack(losses), applied

            def train_chunk(inputs, targets, start, stop):
                n_batches, dtype = inputs.shape[0], self.sim._ctx.dtype

                def body(i, totals, per_probe, finite):
                    total, losses, applied = train_step(
                        inputs[i], tuple(None if t is None else t[i] for t in targets)
                    )
                    totals = tf.tensor_scatter_nd_update(totals, [[i]], total[None])
                    per_probe = tf.tensor_scatter_nd_update(per_probe, [[i]], losses[None])
                    return i + 1, totals, per_probe, applied

                return tf.while_loop(
                    lambda i, totals, per_probe, finite: (i < stop) & finite,
                    body,
                    (
                        start,
                        tf.zeros(n_batches, dtype),
                        tf.zeros((n_batches, len(objective)), dtype),
                        tf.constant(True),
                    ),
                )

            self._train_fns[key] = tf.function(
                train_chunk, autograph=False, jit_compile=self.sim._program.jit_compile
            )
        return self._train_fns[key]

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
            None if data.targets[p] is None else tf.constant(data.targets[p][idx], dtype)
            for p in data.objective
        )
        return tf.constant(inputs, dtype), targets

    # -- loops ------------------------------------------------------------------------

    def train(self, data, optimizer, n_epochs, shuffle, listeners, show_progress):
        """Run ``n_epochs`` of minibatch gradient steps; returns per-epoch losses."""
        objective = list(data.objective.items())
        step_fn = self._train_fn(optimizer, objective)
        defaults = self.default_inputs(data.n_steps)
        rng = np.random.RandomState(self.sim.seed)
        history = []
        self.stop_event.clear()
        notify(listeners, "on_train_begin", {"epochs": n_epochs, "batches": data.n_batches})
        total = n_epochs * data.n_batches
        try:
            with self.sim._tensor_vars.kept(), progress.Phase(
                "Training", "Training", total, show_progress
            ) as bar:
                for epoch in range(n_epochs):
                    notify(listeners, "on_epoch_begin", {"epoch": epoch})
                    epoch_losses = self._train_epoch(
                        data, step_fn, defaults, rng, shuffle, epoch, listeners, bar
                    )
                    history.append(float(np.mean(epoch_losses)))
                    bar.extra = f" (loss: {history[-1]:.4f})"
                    notify(listeners, "on_epoch_end", {"epoch": epoch, "loss": history[-1]})
                    if self.stop_event.is_set():
                        break
        finally:  # also after errors and interrupts: the last completed step counts
            self.sim._store.mark_trained()
            self.sim._params_changed()
        notify(listeners, "on_train_end", {"history": history, "stopped": self.stop_event.is_set()})
        return history

    def _train_epoch(self, data, step_fn, defaults, rng, shuffle, epoch, listeners, bar):
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
            done, totals, per_probe, finite = step_fn(
                inputs, targets, tf.constant(start), tf.constant(stop)
            )
            done, finite = int(done), bool(finite)
            self.chunk.update(time.perf_counter() - t0)
            n_applied = done - start if finite else done - start - 1
            totals = totals.numpy()
            for b in range(start, start + n_applied):
                losses.append(float(totals[b]))
                notify(listeners, "on_batch_end", {"epoch": epoch, "batch": b, "loss": losses[-1]})
            bar.update(n_applied)
            if losses:
                bar.set_postfix(loss=losses[-1])
            if not finite:
                bad = done - 1
                raise SimulationError(
                    nan_message(data.objective, per_probe.numpy()[bad], epoch, bad)
                )
            start = done
            if self.stop_event.is_set():
                break
        return losses

    def evaluate(self, data, training=False, show_progress=True):
        """Mean loss (and per-probe losses) over all minibatches of ``data``."""
        objective = list(data.objective.items())
        eval_fn = self._eval_fn(objective, training)
        defaults = self.default_inputs(data.n_steps)
        totals, per_probe = [], []
        with self.sim._tensor_vars.kept(), progress.Phase(
            "Calculating", "Calculation", data.n_batches, show_progress
        ) as bar:
            for idx in data.batches(False, None):
                total, losses = eval_fn(*self.batch_arrays(data, idx, defaults))
                totals.append(float(total))
                per_probe.append(losses.numpy())
                bar.update(1)
        return float(np.mean(totals)), np.mean(per_probe, axis=0)

    def predict(self, data, probes, show_progress=True):
        """Probe outputs ``{probe: (batch_size, n_steps, size)}`` in inference mode."""
        fn = self._predict_fn(tuple(probes))
        defaults = self.default_inputs(data.n_steps)
        outputs = {p: [] for p in probes}
        with self.sim._tensor_vars.kept(), progress.Phase(
            "Predicting", "Prediction", data.n_batches, show_progress
        ) as bar:
            for idx in data.batches(False, None):
                for p, value in zip(probes, fn(self.batch_arrays(data, idx, defaults)[0])):
                    outputs[p].append(value.numpy())
                bar.update(1)
        return {p: np.concatenate(v, axis=0) for p, v in outputs.items()}

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


def nan_message(objective, per_probe, epoch, batch):
    """Which probes' objectives went non-finite, for the error."""
    bad = [str(p) for p, v in zip(objective, per_probe) if not np.isfinite(v)]
    where = ", ".join(bad) if bad else "the gradients"
    return (
        f"Training stopped: non-finite loss or gradient for {where} in epoch "
        f"{epoch}, minibatch {batch}. That step was not applied: the parameters are "
        "those of the last finite step. Try a smaller learning rate."
    )


def notify(listeners, event, info):
    """Call ``event`` on every listener that has it."""
    for listener in listeners:
        method = getattr(listener, event, None)
        if method is not None:
            method(info)
