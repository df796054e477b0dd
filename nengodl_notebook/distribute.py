"""Runs, losses, predictions and training split across a ``tf.distribute`` strategy.

``Simulator(..., strategy=s)`` (or a Simulator made inside ``s.scope()``) runs
each minibatch as ``s.num_replicas_in_sync`` slices, one per replica: minibatch
items never interact, so every replica runs the same step program on
``minibatch_size / n_replicas`` items. Parameters are created in the strategy's
scope (mirrored variables); a training step averages the replicas' losses and
gradients with the strategy's own reductions (``Strategy.reduce``), and the
optimizer (a copy made in the scope, see `keras_api.OptimizerCopy`) applies
them once, outside the replicas and outside the scope: Keras then finds the
default replica context (no second all-reduce) and the mirrored variables'
``assign`` writes every copy. (Inside the scope Keras 3's optimizer fails in
cross-replica context: it calls ``merge_call`` on a missing replica context.)
Results are
gathered with ``Strategy.gather``, so every worker of a
``MultiWorkerMirroredStrategy`` gets all of them.

The replicas' work (simulation, gradients) is compiled with XLA as on one
device; the collectives run outside XLA.

Notes
-----
Random numbers drawn inside the loop (stochastic neuron types) depend on the
shape of the slice, so they differ from a run on one device; inputs computed
ahead of the loop (processes, ``data``) are the same. Objectives must average
over minibatch items (Keras losses and the built-in objectives do). Runs
are cut into chunks of a fixed length with a strategy (one
`run_chunks.ChunkLength` that does not adapt to timing), so every worker runs
the same chunks, as the workers' collectives need; training agrees on its
chunks (`_agreed_stop`).
"""

import contextlib
import json
import socket

import keras
import tensorflow as tf
from nengo.exceptions import ValidationError

from nengodl_notebook.training_run import minibatch_loop, reached_flags

#: Reductions for which Keras divides a loss by the replicas in sync.
_KERAS_SCALED = ("sum_over_batch_size", "mean", "mean_with_sample_weight")


def find_strategy(strategy):
    """The strategy to use: ``strategy``, else the one whose scope is open, else None.

    Raises
    ------
    nengo.exceptions.ValidationError
        ``strategy`` is not a ``tf.distribute.Strategy``.
    """
    if strategy is None:
        return tf.distribute.get_strategy() if tf.distribute.has_strategy() else None
    if not isinstance(strategy, tf.distribute.Strategy):
        raise ValidationError(
            f"expected a tf.distribute.Strategy, got {type(strategy).__name__}",
            attr="strategy",
        )
    return strategy


def scope_of(distribution):
    """``distribution``'s strategy scope; a no-op context for None (one device)."""
    return contextlib.nullcontext() if distribution is None else distribution.scope()


def check_model(program, tensor_vars, device):
    """Refuse what a split minibatch cannot run (naming it)."""
    if device is not None:
        raise ValidationError(
            f"device={device!r} and a strategy exclude each other: the strategy "
            "places the replicas",
            attr="device",
        )
    if tensor_vars.nodes:
        names = ", ".join(str(node) for node in tensor_vars.nodes)
        raise ValidationError(
            f"{names}: TensorNodes are traced for the whole minibatch and cannot "
            "run on a strategy's replicas (yet)",
            attr="strategy",
        )
    if program.uses_python:
        raise ValidationError(
            "This model runs Python code in the loop (Nodes with input, Direct "
            "mode...), which a strategy's replicas cannot run",
            attr="strategy",
        )


class Distribution:
    """A Simulator's strategy and how its minibatch is split.

    Parameters
    ----------
    strategy : tf.distribute.Strategy
    minibatch_size : int

    Attributes
    ----------
    n_replicas : int
        Replicas in sync (all workers).
    per_replica : int
        Minibatch items each replica simulates.
    replica_items : list of int
        Items each replica received in the last call (local replicas, in
        order), measured from the tensors on the replicas.
    """

    def __init__(self, strategy, minibatch_size):
        self.strategy = strategy
        self.n_replicas = strategy.num_replicas_in_sync
        if minibatch_size % self.n_replicas:
            raise ValidationError(
                f"minibatch_size {minibatch_size} does not split among the "
                f"{self.n_replicas} replicas of {type(strategy).__name__}: use a "
                f"multiple of {self.n_replicas}",
                attr="minibatch_size",
            )
        self.per_replica = minibatch_size // self.n_replicas
        self.replica_items = []
        self._functions = {}

    def release(self):
        """Forget the compiled run programs (the Simulator is closed)."""
        self._functions.clear()

    def scope(self):
        """The strategy's scope (variables made in it are mirrored)."""
        return self.strategy.scope()

    def split(self, tensor, axis):
        """Per-replica slices of ``tensor`` along ``axis`` (None stays None)."""
        if tensor is None:
            return None
        parts = tf.split(tensor, self.n_replicas, axis=axis)
        return self.strategy.experimental_distribute_values_from_function(
            lambda ctx: parts[ctx.replica_id_in_sync_group]
        )

    def _record(self, items):
        self.replica_items = [
            int(n) for n in self.strategy.experimental_local_results(items)
        ]

    def _agreed_stop(self, stop):
        """The smallest ``stop`` of all workers (chunk sizes follow each
        worker's own timing; the workers' collectives must match)."""
        own = tf.fill([self.n_replicas], tf.cast(stop, tf.int32))
        return tf.reduce_min(self.strategy.gather(self.split(own, 0), axis=0))

    def _function(self, key, make):
        if key not in self._functions:
            self._functions[key] = make()
        return self._functions[key]

    # -- simulation -------------------------------------------------------------

    def run(self, program, store, state, inputs, start_step, seed):
        """`StepProgram.run` with the minibatch split; ``(state, probes)``."""
        fn = self._function(("run", id(program)), lambda: self._run_fn(program, store))
        state, probes, items = fn(
            self.split(state, 1),
            self.split(inputs, 2),
            tf.constant(start_step, tf.int64),
            tf.constant(seed, tf.int64),
        )
        self._record(items)
        return state, probes

    def _run_fn(self, program, store):
        simulate = tf.function(
            lambda s, x, k, seed, params: program.simulate(
                s, x, k, seed, params, program.learning_phase
            ),
            jit_compile=program.jit_compile,
            autograph=False,
        )

        def replica(state, inputs, start_step, seed):
            out = simulate(state, inputs, start_step, seed, store.full())
            return (*out, tf.shape(inputs)[2])

        def run(state, inputs, start_step, seed):
            state, probes, items = self.strategy.run(
                replica, args=(state, inputs, start_step, seed)
            )
            gather = self.strategy.gather
            return gather(state, axis=1), gather(probes, axis=2), items

        return tf.function(run, autograph=False)

    # -- losses and predictions ------------------------------------------------------

    def _start(self, trainer):
        """Initial state and parameters of this replica (tensors).

        Read outside XLA: an XLA program reads no variable of another device,
        and the mirrored variables' reads resolve to the replica's own copy here.
        """
        store = trainer.parts.store
        return store.initial_state(self.per_replica), store.full()

    def _losses(self, trainer, probes, objective, targets):
        """The probes' losses on this replica's slice, as one device would
        compute them on it (the strategy averages them over the replicas).

        Keras losses divide their value by the replicas in sync when called
        inside a strategy (for a sum over replicas); that is undone here.
        """
        losses = trainer._losses(probes, objective, targets)
        for i, (_, fn) in enumerate(objective):
            fn = getattr(fn, "fn", fn)  # a `keras_api.KerasLoss` adapter
            if isinstance(fn, keras.losses.Loss) and fn.reduction in _KERAS_SCALED:
                losses[i] = losses[i] * self.n_replicas
        return losses

    @staticmethod
    def _forward(trainer, start, inputs, training, seed):
        """Probed values of this replica's slice, run from t=0."""
        program = trainer.parts.program
        _, probes = program.simulate(
            start[0],
            inputs,
            tf.constant(0, tf.int64),
            seed,
            start[1],
            training=training or program.learning_phase,
        )
        return probes

    def eval_function(self, trainer, objective, training, total_fn):
        """``fn(inputs, targets, seed) -> (total, per-probe losses)``, averaged
        over the replicas (the Trainer's evaluation function)."""
        jit = trainer.parts.program.jit_compile

        def losses(start, inputs, targets, seed):
            probes = self._forward(trainer, start, inputs, training, seed)
            losses = self._losses(trainer, probes, objective, targets)
            return total_fn(losses, objective), tf.stack(losses)

        losses = tf.function(losses, jit_compile=jit, autograph=False)

        def replica(inputs, targets, seed):
            start = self._start(trainer)
            return (*losses(start, inputs, targets, seed), tf.shape(inputs)[2])

        def evaluate(inputs, targets, seed):
            total, losses, items = self.strategy.run(
                replica, args=(inputs, targets, seed)
            )
            mean = tf.distribute.ReduceOp.MEAN
            reduce = self.strategy.reduce
            return reduce(mean, total, None), reduce(mean, losses, None), items

        compiled = tf.function(evaluate, autograph=False)

        def call(inputs, targets, seed):
            targets = tuple(self.split(t, 0) for t in targets)
            total, losses, items = compiled(self.split(inputs, 2), targets, seed)
            self._record(items)
            return total, losses

        return call

    def predict_function(self, trainer, probes):
        """``fn(inputs, seed) -> [outputs per probe]`` (the Trainer's prediction)."""
        jit = trainer.parts.program.jit_compile

        def outputs(start, inputs, seed):
            out = self._forward(trainer, start, inputs, False, seed)
            return [trainer._probe_output(out, p) for p in probes]

        outputs = tf.function(outputs, jit_compile=jit, autograph=False)

        def replica(inputs, seed):
            start = self._start(trainer)
            return outputs(start, inputs, seed), tf.shape(inputs)[2]

        def predict(inputs, seed):
            values, items = self.strategy.run(replica, args=(inputs, seed))
            return [self.strategy.gather(v, axis=0) for v in values], items

        compiled = tf.function(predict, autograph=False)

        def call(inputs, seed):
            values, items = compiled(self.split(inputs, 2), seed)
            self._record(items)
            return values

        return call

    # -- training ------------------------------------------------------------------

    def train_function(self, trainer, working, objective, total_fn):
        """The Trainer's compiled training function (see
        `training.Trainer._compile_train`), with the minibatch split: the
        replicas' losses and gradients are averaged by the strategy and the
        step is applied (or refused) in cross-replica context."""
        variables = trainer.variables()
        n_store = 1 if trainer.parts.store.n_trainable else 0
        jit = trainer.parts.program.jit_compile
        strategy, mean = self.strategy, tf.distribute.ReduceOp.MEAN

        def losses(start, inputs, targets, seed):
            """Loss and its gradient by ``start`` (all inside XLA: the loop's
            tensor lists cannot cross into TensorFlow's own gradient)."""
            with tf.GradientTape() as tape:
                tape.watch(start)
                probes = self._forward(trainer, start, inputs, True, seed)
                losses = self._losses(trainer, probes, objective, targets)
                total = total_fn(losses, objective)
            grads = tape.gradient(
                total, start, unconnected_gradients=tf.UnconnectedGradients.ZERO
            )
            return total, tf.stack(losses), grads

        losses = tf.function(losses, jit_compile=jit, autograph=False)

        def replica_step(inputs, targets, i, seed):
            batch = tuple(None if t is None else t[i] for t in targets)
            with tf.GradientTape() as tape:
                start = self._start(trainer)  # the variables' reads, outside XLA
            total, per_probe, by_start = losses(start, inputs[i], batch, seed)
            grads = [
                tf.zeros_like(v) if g is None else tf.convert_to_tensor(g)
                for g, v in zip(tape.gradient(start, variables, by_start), variables)
            ]
            return total, per_probe, grads, tf.shape(inputs)[3]

        def train_step(inputs, targets, i, seed):
            out = strategy.run(replica_step, args=(inputs, targets, i, seed))
            total, losses = (strategy.reduce(mean, v, None) for v in out[:2])
            grads = [strategy.reduce(mean, g, None) for g in out[2]]
            status = trainer._step_status(working.optimizer, variables, total, grads)
            return total, losses, status, reached_flags(grads, n_store)

        def train_chunk(inputs, targets, start, stop, seed, n_batches):
            dtype = trainer.parts.context.dtype
            n_reach = trainer.parts.store.n_trainable + len(variables) - n_store

            out = minibatch_loop(
                lambda i: train_step(inputs, targets, i, seed),
                start,
                stop,
                n_batches,
                len(objective),
                n_reach,
                dtype,
            )
            items = strategy.run(lambda x: tf.shape(x)[3], args=(inputs,))
            return (*out, items)

        compiled = tf.function(train_chunk, autograph=False)

        def call(inputs, targets, start, stop, seed):
            n_batches = int(inputs.shape[0])
            targets = tuple(self.split(t, 1) for t in targets)
            stop = self._agreed_stop(stop)
            *out, items = compiled(
                self.split(inputs, 3), targets, start, stop, seed, n_batches
            )
            self._record(items)
            return tuple(out)

        return call


def loopback_tf_configs(n_workers):
    """``TF_CONFIG`` values (JSON) for ``n_workers`` worker processes on this
    machine, one per worker, on loopback ports free now.

    Set worker ``i``'s environment variable ``TF_CONFIG`` to the ``i``-th before
    it starts TensorFlow, then make a ``tf.distribute.MultiWorkerMirroredStrategy``
    in each (see ``examples/multi_worker.py``).
    """
    sockets = [socket.socket() for _ in range(n_workers)]
    for s in sockets:
        s.bind(("localhost", 0))
    cluster = {"worker": [f"localhost:{s.getsockname()[1]}" for s in sockets]}
    for s in sockets:
        s.close()
    return [
        json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})
        for i in range(n_workers)
    ]
