"""The Trainer's compiled programs, shared by Simulators whose traces are identical.

XLA compiles a training program in seconds (the tutorial's: ~2.8 s, 8x its
step program), and every ``sim.train`` of a new Simulator traced and compiled
its own. As for step programs (`shared_programs.SharedPrograms`), a new Simulator
still traces its programs (tracing checks the objective), but when a trace
matches one compiled before (same `shared_programs.program_fingerprint`, and the
same dtypes and shapes of the variables it reads), it runs the first trace
with its own captured inputs: its parameters, TensorNode weights and its
optimizer copy's state (built before the trace: `keras_api.OptimizerCopy`).
"""

import tensorflow as tf

from nengodl_notebook.shared_programs import SharedPrograms

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


class SharedFunction:
    """A ``tf.function`` whose traces come from `SHARED_TRAINING_PROGRAMS`.

    Called like the function; traced once per `signature` of the arguments
    (tensors, or None in nested tuples).

    Parameters
    ----------
    function : tf.function
    share : bool
        Whether traces are shared: only XLA programs whose random ops are not
        seeded when traced (`step_program.StepProgram.shares_programs`).

    Attributes
    ----------
    shared : int
        Traces of this function that run an earlier Simulator's program.
    """

    def __init__(self, function, share):
        self.function = function
        self.share = bool(share)
        self.shared = 0
        self._traces = {}

    def __call__(self, *args):
        key = signature(args)
        run = self._traces.get(key)
        if run is None:
            run = self._traces[key] = self._trace(args)
        return run(*args)

    def _trace(self, args):
        concrete = self.function.get_concrete_function(*args)
        if not self.share:
            return concrete
        run = SHARED_TRAINING_PROGRAMS.get(concrete, capture_specs(concrete))
        if run is concrete:
            return concrete
        self.shared += 1
        return lambda *args: run(*[a for a in tf.nest.flatten(args) if a is not None])

    def experimental_get_tracing_count(self):
        """Traces made of this function (shared ones included), as tf.function's."""
        return self.function.experimental_get_tracing_count()
