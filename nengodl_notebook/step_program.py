"""The step program: one compiled TensorFlow function running n time steps.

The time loop is a ``tf.while_loop`` inside one ``tf.function`` (compiled with XLA
unless a group runs Python code). Each iteration runs every op group once, then
reads all probed signals with one gather. The function is traced once per number
of steps, so repeated runs of the same length reuse the compiled program.

TensorFlow keeps every program it compiled with XLA until the process ends (its
compilation cache has no eviction), keyed by the traced function's name. So that
Simulators of one network do not each add their own copy, XLA programs are shared
by content (see `shared_programs`).
"""

import logging
from collections import namedtuple

import numpy as np
import tensorflow as tf

from nengodl_notebook import saved_programs, xla_cache
from nengodl_notebook.op_builders.base import gather_rows, seed_tracing, xla_tracing
from nengodl_notebook.op_builders.tensor_node_builder import (
    xla_for_assertions,
    xla_for_uncompilable,
)
from nengodl_notebook.program_keys import ProgramKeyMismatch, checking, step_key
from nengodl_notebook.program_names import names_for
from nengodl_notebook.shared_programs import (  # noqa: F401 (names used elsewhere)
    SHARED_PROGRAMS,
    KeyedProgram,
    SharedPrograms,
    capture_roles,
    program_fingerprint,
)
from nengodl_notebook.tf_private import call_with_captures, untraced_copy

#: What a group sees of the current step: global step number ``k`` (1-based, as
#: nengo's step counter after TimeUpdate), this step's input columns, the seed,
#: and whether this is a training pass (spiking neurons run as rate twins).
Step = namedtuple("Step", ["k", "inputs", "seed", "training"])


class _OwnRetracingFilter(logging.Filter):
    """Drops TF's "triggered tf.function retracing" warning about *our* programs.

    Every Simulator compiles its own step program, which TensorFlow counts as
    retracing of one function; that is by design, and the warning only confuses.
    """

    def filter(self, record):
        message = record.getMessage()
        return not (
            "triggered tf.function retracing" in message
            and "StepProgram" in message
            or "Trainer" in message
            and "retracing" in message
        )


logging.getLogger("tensorflow").addFilter(_OwnRetracingFilter())


class StepProgram:
    """Runs op groups over a chunk of time steps.

    Parameters
    ----------
    groups : list of OpBuilder
        The merged op groups, in execution order.
    ctx : BuildContext
    probe_idx : ndarray of int
        State rows of all probed signals, concatenated.
    params : callable
        Returns the flat parameter vector (a tensor).
    jit_compile : bool or None
        XLA compilation; None means "when no group runs Python code and every
        TensorNode compiles with XLA and has no assertions" (see
        `xla_for_assertions`, `xla_for_uncompilable`).
    seeded_by_trace : bool
        Some ops take the seed when traced (stateful random ops in TensorNodes):
        programs are then traced per seed and afresh after `restart_random`.
    device : str, optional
        TensorFlow device of every op of the loop (None: TensorFlow chooses).
    learning_phase : bool
        `run` (and the Trainer's inference) use training behaviour too
        (``configure_settings(learning_phase=True)``).
    store : ParamStore, optional
        Whose ``full`` is ``params``: with it, programs are shared by a
        structural key before tracing (`program_keys.step_key`), run with
        this store's variables.

    Attributes
    ----------
    programs_made : int
        Programs of the current function made for `run` (traced or shared).
    """

    def __init__(
        self,
        groups,
        ctx,
        probe_idx,
        params,
        jit_compile=None,
        seeded_by_trace=False,
        device=None,
        learning_phase=False,
        store=None,
    ):
        self.store = store
        self._key = False  # the structural key, once computed (None: none)
        self.programs_made = 0
        self.device = device
        self.learning_phase = bool(learning_phase)
        self.groups = groups
        self.ctx = ctx
        self.probe_idx = np.asarray(probe_idx, dtype=np.int64)
        self.params = params
        self.uses_python = any(g.needs_python for g in groups)
        if not self.uses_python:
            jit_compile = xla_for_assertions(groups, jit_compile)
            jit_compile = xla_for_uncompilable(groups, jit_compile)
        if jit_compile is None:
            jit_compile = not self.uses_python
        self.jit_compile = bool(jit_compile) and not self.uses_python
        self._run = tf.function(
            self._run_chunk, jit_compile=self.jit_compile, autograph=False
        )
        self._programs = {}  # (state shape, inputs shape) -> ConcreteFunction
        self.seeded_by_trace = seeded_by_trace
        self.trace_seed = 0  # the seed (a Python int) traced into such ops
        self._n_groups = len(groups)
        self.released = False

    def restart_random(self, seed):
        """Trace with ``seed`` from now on; random ops seeded when traced restart.

        Stateful random kernels keep their state between calls of one traced
        program, so a reset needs a new trace for the same numbers again.
        """
        self.trace_seed = int(seed)
        if self.seeded_by_trace:  # a new tf.function: its traces are new too
            self._programs.clear()
            self.programs_made = 0
            self._run = tf.function(
                self._run_chunk, jit_compile=self.jit_compile, autograph=False
            )

    @property
    def n_groups(self):
        """Number of op groups run per step."""
        return self._n_groups

    @property
    def shares_programs(self):
        """Whether compiled programs are shared with identical ones (`SharedPrograms`).

        Only XLA programs: other programs are freed with their Simulator, and
        programs whose random ops are seeded when traced keep their own state.
        """
        return self.jit_compile and not self.seeded_by_trace

    def release(self):
        """Forget the traced programs and op groups (the Simulator is closed).

        Their memory is freed once nothing else refers to them; XLA programs
        stay in `SHARED_PROGRAMS` (and in TensorFlow's cache) for the next
        Simulator of the same network. `run` and `simulate` raise afterwards.
        """
        self.released = True
        self._programs.clear()
        self.programs_made = 0
        self.store = None
        self._run = None
        self.groups = []
        self.params = None
        self.ctx.errors.clear()

    def run(self, state, inputs, start_step, seed):
        """Run ``inputs.shape[0]`` steps from ``state``.

        Returns
        -------
        state : tf.Tensor, shape ``(n_state, minibatch)``
        probes : tf.Tensor, shape ``(n_steps, n_probe_rows, minibatch)``
        """
        if not isinstance(inputs, tf.Tensor):
            inputs = tf.constant(inputs, dtype=self.ctx.dtype)
        args = (
            tf.convert_to_tensor(state, dtype=self.ctx.dtype),
            inputs,
            tf.constant(start_step, dtype=tf.int64),
            tf.constant(seed, dtype=tf.int64),
        )
        # the traced program per run length, called directly: tf.function's
        # argument matching costs a sizeable part of a short run
        key = (tuple(args[0].shape), tuple(inputs.shape))
        program = self._programs.get(key)
        try:
            if program is None:
                return self._first_call(args, key)
            return program(*args)
        except tf.errors.InvalidArgumentError as e:
            error = self.failed_assertion(e)
            if error is None:
                raise
            raise error from e

    def _first_call(self, args, shapes):
        """Make the program for ``shapes`` and run it (XLA compiles it, or loads
        it from `xla_cache`; a damaged saved program is compiled anew)."""
        self._check_live()
        self.programs_made += 1

        def make(look_up):
            program = self._program_for(args, shapes, look_up)
            self._programs[shapes] = program
            return program

        return xla_cache.first_call(make, args)

    def structure_key(self):
        """`program_keys.step_key` of this program (None: it is not shared by key)."""
        if self._key is False:
            describable = self.shares_programs and self.store is not None
            self._key = step_key(self, self.store) if describable else None
        return self._key

    def _variables(self):
        return (self.store.trainable, self.store.fixed)

    def _program_for(self, args, shapes, look_up=True):
        """The program running ``args``: shared by key, else traced (and shared
        by fingerprint when an identical trace was compiled before).

        Traces with a key are named after it (`program_names`);
        ``look_up=False`` traces anew (under new names) and stores that.
        """
        function = self._run if look_up else untraced_copy(self._run)
        if not self.shares_programs:
            return function.get_concrete_function(*args)
        structure = self.structure_key()
        key = None if structure is None else structure + (("run", shapes),)
        found = None
        if key is not None and look_up:
            found = saved_programs.find(SHARED_PROGRAMS, key)
        if found is not None:
            if checking():
                self._check_key(key, found, args)
            captured = [self._variables()[i].handle for i in found.roles]
            return lambda *a: call_with_captures(found.concrete, a, captured)
        with names_for(key):
            concrete = function.get_concrete_function(*args)
        shared, fingerprint = SHARED_PROGRAMS.share(concrete, replace=not look_up)
        captured = concrete.captured_inputs
        roles = capture_roles(captured, self._variables()) if key else None
        if roles is not None:  # (not on disk again after its load failed)
            keep = (SHARED_PROGRAMS, key, shared, roles, fingerprint, look_up)
            shared = saved_programs.keep(*keep).concrete
        if shared is concrete:
            return concrete
        return lambda *a: call_with_captures(shared, a, captured)

    def _check_key(self, key, found, args):
        """Trace anyway; raise `ProgramKeyMismatch` if the graphs differ."""
        concrete = self._run.get_concrete_function(*args)
        roles = capture_roles(concrete.captured_inputs, self._variables())
        if program_fingerprint(concrete) != found.fingerprint or roles != found.roles:
            parts = ", ".join(name for name, _ in key)
            raise ProgramKeyMismatch(
                "A step program's structural key matched a stored program, but "
                f"its trace differs: the key (parts: {parts}) misses something"
            )

    def failed_assertion(self, error):
        """A SimulationError naming the TensorNode whose assertion raised ``error``.

        None when ``error`` (a TensorFlow error from a program that simulated
        these groups) is not a TensorNode's failed assertion.
        """
        for group in self.groups:
            found = getattr(group, "failed_assertion", lambda e: None)(error)
            if found is not None:
                return found
        return None

    def _check_live(self):
        if self.released:
            raise RuntimeError(
                "This step program was released (its Simulator is closed)"
            )

    def _run_chunk(self, state, inputs, start_step, seed):
        with tf.device(self.device):
            return self.simulate(
                state, inputs, start_step, seed, self.params(), self.learning_phase
            )

    def simulate(self, state, inputs, start_step, seed, params, training=False):
        """Emit the time loop (for use inside a ``tf.function``).

        Parameters
        ----------
        state : tf.Tensor, shape ``(n_state, minibatch)``
        inputs : tf.Tensor, shape ``(n_steps, n_input_columns, minibatch)``
        start_step : tf.Tensor (int64)
        seed : tf.Tensor (int64)
        params : tf.Tensor, shape ``(n_params,)``
        training : bool
            Run spiking neurons as their rate twins.
        """
        self._check_live()
        with (
            tf.device(self.device),
            xla_tracing(self.jit_compile),
            seed_tracing(self.trace_seed),
        ):
            return self._emit_loop(state, inputs, start_step, seed, params, training)

    def _emit_loop(self, state, inputs, start_step, seed, params, training):
        n_steps = inputs.shape[0]
        pre = [group.build_pre(params) for group in self.groups]
        if n_steps == 1:  # no loop: a smaller graph, faster to compile and to train
            step = Step(start_step + 1, inputs[0], seed, training)
            state = self._step(state, pre, step)
            return state, gather_rows(state, self.probe_idx)[None]
        probes = tf.TensorArray(
            self.ctx.dtype,
            size=n_steps,
            element_shape=(len(self.probe_idx), state.shape[1]),
        )

        def body(i, state, probes):
            k = start_step + tf.cast(i, tf.int64) + 1
            state = self._step(state, pre, Step(k, inputs[i], seed, training))
            probes = probes.write(i, gather_rows(state, self.probe_idx))
            return i + 1, state, probes

        _, state, probes = tf.while_loop(
            lambda i, *_: i < n_steps,
            body,
            (tf.constant(0), state, probes),
            maximum_iterations=n_steps,
        )
        return state, probes.stack()

    def _step(self, state, pre, step):
        """Every group's step, in order: one time step."""
        for group, group_pre in zip(self.groups, pre):
            state = group.build_step(state, group_pre, step)
        return state
