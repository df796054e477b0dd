"""The Trainer's compiled programs, shared by Simulators whose programs are the same.

XLA compiles a training program in seconds (the tutorial's: ~2.8 s, 8x its
step program), and every ``sim.train`` of a new Simulator traced and compiled
its own. As for step programs (`shared_programs.SharedPrograms`), a program is
found by a structural key before tracing (`function_key`: the step program's
key, what the function computes, the optimizer's kind and the variables'
shapes), else traced and matched by `shared_programs.program_fingerprint`. A
shared program runs with the new Simulator's own variables: its parameters and
its optimizer copy's state (built before the trace: `keras_api.OptimizerCopy`).
A program found by key skips tracing, so an objective that would fail is
caught by the first Simulator's trace only (the key holds the same objective).
"""

import tensorflow as tf

from nengodl_notebook import saved_programs, xla_cache
from nengodl_notebook.keras_api import optimizer_kind
from nengodl_notebook.program_keys import (
    Describer,
    ProgramKeyMismatch,
    Undescribable,
    checking,
    digested,
    is_library,
    serial,
)
from nengodl_notebook.program_names import names_for
from nengodl_notebook.shared_programs import (
    SharedPrograms,
    capture_roles,
    program_fingerprint,
)
from nengodl_notebook.tf_private import call_with_captures, untraced_copy

#: Training, loss and prediction programs shared by the Simulators of the process.
SHARED_TRAINING_PROGRAMS = SharedPrograms(size=8)


def signature(args):
    """Hashable dtypes and shapes of ``args`` (nested; None where no tensor)."""
    return tuple(
        None if a is None else (a.dtype.name, tuple(a.shape))
        for a in tf.nest.flatten(args)
    )


def capture_specs(concrete):
    """Dtypes and shapes of the captured inputs of a trace, in their order; of
    the variable itself for a variable's handle (whose own shape is ``()``)."""
    variables = {id(v.handle): v for v in concrete.graph.variables}
    return tuple(
        (v.dtype.name, tuple(v.shape))
        for v in (variables.get(id(x), x) for x in concrete.captured_inputs)
    )


def candidates(parts, working=None):
    """Variables a Trainer program may capture, in `KeyedProgram` role order:
    trainable and fixed parameters, then the optimizer copy's variables."""
    store = parts.store
    extra = list(working.optimizer.variables) if working is not None else []
    return [store.trainable, store.fixed] + extra


def _term(trainer, describe, probe, fn):
    """A probe by its rows, period and history (and its objective, if any)."""
    recorder = trainer.parts.recorder
    rows = recorder.slices[probe]
    place = (rows.start, rows.stop, recorder.period(probe))
    place += (probe in trainer.last_step_only,)
    if fn is None:
        return place
    return place + (describe(fn), describe(getattr(fn, "weight", 1.0)))


def function_key(trainer, fn, what, terms, working=None):
    """The structural key of a Trainer program, before tracing; or None.

    Parameters
    ----------
    trainer : training.Trainer
    fn : function
        The Python function traced (its code, by identity, is part of the key).
    what : tuple
        Which function (``("train",)``, ``("eval", training)``, ``("predict",)``).
    terms : sequence of ``(probe, objective or None)``
        The objective (or the predicted probes).
    working : keras_api.OptimizerCopy, optional
        The training program's optimizer copy.

    Returns
    -------
    key : tuple of ``(part name, digest)`` or None
        None when the step program has no key (`StepProgram.structure_key`), the
        model has TensorNodes (their initial state is baked in), the optimizer
        is not copied, or an objective cannot be described.
    """
    parts = trainer.parts
    structure = parts.program.structure_key()
    if structure is None or parts.tensor_vars.nodes:
        return None
    if working is not None and not working.copied:
        return None
    describe = Describer(None)
    try:
        body = (
            describe(type(trainer)),
            ("function", serial(fn.__code__), fn.__qualname__),
            describe(what),
            tuple(_term(trainer, describe, p, fn) for p, fn in terms),
            describe.array(parts.store.state0),  # a constant of the trace
            None if working is None else describe(optimizer_kind(working.optimizer)),
            tuple(_spec(v) for v in candidates(parts, working)),
        )
    except Undescribable:
        return None
    user_code = describe.user_code or not is_library(fn.__module__)
    return structure + digested([("trainer", body)], user_code)


def _spec(variable):
    """A variable's dtype name and shape."""
    return tf.as_dtype(variable.dtype).name, tuple(variable.shape)


def _flat(concrete, captured):
    """Run ``concrete`` on nested arguments (None: no tensor) with ``captured``."""

    def run(*args):
        flat = [a for a in tf.nest.flatten(args) if a is not None]
        return call_with_captures(concrete, flat, captured)

    return run


class SharedFunction:
    """A ``tf.function`` whose traces come from `SHARED_TRAINING_PROGRAMS`.

    Called like the function; traced once per `signature` of the arguments
    (tensors, or None in nested tuples), unless a program is found by key.

    Parameters
    ----------
    function : tf.function
    share : bool
        Whether traces are shared: only XLA programs whose random ops are not
        seeded when traced (`step_program.StepProgram.shares_programs`).
    key : tuple, optional
        `function_key` (None: shared by fingerprint only).
    variables : list, optional
        What the function may capture (`candidates`): a program found by key
        runs with these, by role.

    Attributes
    ----------
    shared : int
        Programs of this function that are an earlier Simulator's.
    """

    def __init__(self, function, share, key=None, variables=()):
        self.function = function
        self.share = bool(share)
        self.key = key if self.share else None
        self.variables = list(variables)
        self.shared = 0
        self._traces = {}

    def __call__(self, *args):
        key = signature(args)
        run = self._traces.get(key)
        if run is not None:
            return run(*args)

        def make(look_up):
            program = self._traces[key] = self._program(args, key, look_up)
            return program

        return xla_cache.first_call(make, args)

    def _program(self, args, shapes, look_up=True):
        """A program found by key, else a trace (shared by fingerprint).

        Traces with a key are named after it (`program_names`); ``look_up=False``
        traces anew (a saved program failed to load) and stores that.
        """
        function = self.function if look_up else untraced_copy(self.function)
        if not self.share:
            return function.get_concrete_function(*args)
        key = None if self.key is None else self.key + (("args", shapes),)
        found = None
        if key is not None and look_up:
            found = saved_programs.find(SHARED_TRAINING_PROGRAMS, key)
        if found is not None:
            if checking():
                self._check_key(key, found, args)
            self.shared += 1
            captured = [self.variables[i].handle for i in found.roles]
            return _flat(found.concrete, captured)
        with names_for(key):
            concrete = function.get_concrete_function(*args)
        shared, fingerprint = SHARED_TRAINING_PROGRAMS.share(
            concrete, capture_specs(concrete), replace=not look_up
        )
        captured = concrete.captured_inputs
        roles = capture_roles(captured, self.variables) if key else None
        own = shared is concrete
        if roles is not None:  # (not on disk again after its load failed)
            keep = (SHARED_TRAINING_PROGRAMS, key, shared, roles, fingerprint, look_up)
            shared = saved_programs.keep(*keep).concrete
        self.shared += not own
        return concrete if shared is concrete else _flat(shared, captured)

    def _check_key(self, key, found, args):
        """Trace anyway; raise `ProgramKeyMismatch` if the graphs differ."""
        concrete = self.function.get_concrete_function(*args)
        roles = capture_roles(concrete.captured_inputs, self.variables)
        if program_fingerprint(concrete) != found.fingerprint or roles != found.roles:
            parts = ", ".join(name for name, _ in key)
            raise ProgramKeyMismatch(
                "A training program's structural key matched a stored program, "
                f"but its trace differs: the key (parts: {parts}) misses something"
            )

    def experimental_get_tracing_count(self):
        """Traces made of this function (shared ones included), as tf.function's."""
        return self.function.experimental_get_tracing_count()
