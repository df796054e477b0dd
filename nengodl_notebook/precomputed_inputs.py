"""Model-independent inputs, computed ahead of the time loop.

Operators whose output does not depend on the model (processes without input such
as ``WhiteSignal`` or ensemble noise, Node functions of ``t`` only, constant Node
outputs) are evaluated in NumPy before the compiled loop runs, as one array of
shape ``(n_steps, n_columns, minibatch_size)`` that the loop indexes per step.
``data=`` overrides replace a Node's columns in that array.

Processes draw their random generators exactly as ``nengo.Simulator`` does (one
draw per SimProcess op, in nengo's step order), so minibatch item 0 reproduces
nengo's random inputs; items 1, 2, ... get generators seeded from ``(seed, item)``.
"""

import numpy as np
from nengo.builder.operator import Operator, SimPyFunc
from nengo.builder.processes import SimProcess
from nengo.exceptions import SimulationError
from nengo.processes import WhiteSignal
from nengo.utils.numpy import is_array_like


class ConstantNodeOutput(Operator):
    """Sets a constant Node's output each step, so ``data=`` can override it.

    The value is the built one (the output signal's initial value), kept here:
    like nengo.Simulator, changing ``node.output`` after the build changes nothing.

    Notes
    -----
    1. sets ``[output]``
    2. incs ``[]``
    3. reads ``[]``
    4. updates ``[]``
    """

    def __init__(self, node, output, tag=None):
        super().__init__(tag=tag)
        self.node = node
        self.value = np.array(output.initial_value, dtype=np.float64).ravel()
        self.sets = [output]
        self.incs, self.reads, self.updates = [], [], []

    @property
    def output(self):
        return self.sets[0]

    @property
    def mode(self):
        return "set"


def is_input_op(op):
    """Whether ``op``'s output is independent of the model (computed ahead)."""
    if isinstance(op, SimProcess):
        return op.input is None
    if isinstance(op, SimPyFunc):
        return op.x is None
    return isinstance(op, ConstantNodeOutput)


def op_output(op):
    """The signal an input op writes (None for side-effect-only functions)."""
    return op.output


def op_mode(op):
    """How an input op writes its output: ``"set"`` or ``"inc"``."""
    return "inc" if getattr(op, "mode", "set") == "inc" else "set"


def constant_node_ops(model, network):
    """One `ConstantNodeOutput` op per Node whose output is a constant array."""
    ops = []
    for node in network.all_nodes:
        if node.size_in == 0 and node.size_out > 0 and is_array_like(node.output):
            ops.append(ConstantNodeOutput(node, model.sig[node]["out"], tag=str(node)))
    return ops


def batch_rngs(seed, minibatch_size):
    """One generator per minibatch item; item 0's is nengo.Simulator's."""
    rngs = [np.random.RandomState(seed)]
    for item in range(1, minibatch_size):
        child = np.random.SeedSequence([seed, item]).generate_state(1)[0]
        rngs.append(np.random.RandomState(child))
    return rngs


def process_rngs(step_order, seed, minibatch_size):
    """Each SimProcess op's generators, drawn in nengo's order (one per item)."""
    sim_rngs = batch_rngs(seed, minibatch_size)
    return {
        op: [op.process.get_rng(rng) for rng in sim_rngs]
        for op in step_order
        if isinstance(op, SimProcess)
    }


class InputPlan:
    """Computes the per-step input array for a list of input ops.

    Parameters
    ----------
    ops : list of Operator
        Input ops, in the order of their columns.
    columns : dict
        Maps each op to its ``(start, stop)`` columns.
    dt : float
    np_dtype : numpy dtype
    minibatch_size : int
    """

    def __init__(self, ops, columns, dt, np_dtype, minibatch_size):
        self.ops = ops
        self.columns = columns
        self.dt = dt
        self.np_dtype = np_dtype
        self.minibatch_size = minibatch_size
        self.n_columns = max([stop for _, stop in columns.values()], default=0)
        self.step_fns = {}
        self.streams = []  # (generator, nengo state dict) of each stateful process
        self.time_only = False  # until reset() made the step functions

    def reset(self, rngs):
        """Make fresh process step functions from per-op generators ``rngs``."""
        self.step_fns = {}
        self.streams = []
        for op in self.ops:
            if isinstance(op, SimProcess):
                self.step_fns[op] = []
                for rng in rngs[op]:
                    state = process_state(op, np.float64)
                    step = op.process.make_step(
                        (0,), op.output.shape, self.dt, rng, state
                    )
                    self.step_fns[op].append(step)
                    if periodic_table(step) is None:  # tables are indexed by time
                        self.streams.append((rng, state))
        self.time_only = self._time_only()  # see _time_only

    def capture(self):
        """Where the random streams are now (for `rewind`)."""
        return capture_streams(self.streams)

    def rewind(self, captured):
        """Put the random streams back where `capture` found them."""
        rewind_streams(self.streams, captured)

    def _time_only(self):
        """Whether the inputs are a function of the seed and the step numbers only.

        True when every input is a constant Node or a process indexed from a
        precomputed signal (WhiteSignal); such inputs can be cached between runs
        of the same steps with the same seed. Python functions and stateful
        processes are called afresh every run, as nengo does.
        """
        for op in self.ops:
            if isinstance(op, ConstantNodeOutput):
                continue
            if not isinstance(op, SimProcess) or op not in self.step_fns:
                return False
            if any(periodic_table(step) is None for step in self.step_fns[op]):
                return False
        return True

    def values(self, start_step, n_steps, overrides):
        """Inputs for steps ``start_step + 1 ... start_step + n_steps``.

        Parameters
        ----------
        overrides : dict
            Maps input ops to arrays ``(minibatch_size, n_steps, size)``.

        Returns
        -------
        ndarray, shape ``(n_steps, n_columns, minibatch_size)``
        """
        out = np.zeros((n_steps, self.n_columns, self.minibatch_size), self.np_dtype)
        times = (start_step + 1 + np.arange(n_steps)) * self.dt
        for op in self.ops:
            start, stop = self.columns[op]
            if op in overrides:
                out[:, start:stop, :] = np.transpose(overrides[op], (1, 2, 0))
                continue
            values = self._op_values(op, times)
            if values is not None:
                check_finite(op, values)
                out[:, start:stop, :] = values
        return out

    def _op_values(self, op, times):
        """``(n_steps, size, minibatch or 1)`` values of one op (None if no output)."""
        if isinstance(op, ConstantNodeOutput):
            value = op.value
            return np.broadcast_to(value[None, :, None], (len(times), value.size, 1))
        if isinstance(op, SimProcess):
            items = [process_values(step, times, self.dt) for step in self.step_fns[op]]
            check_process_size(op.process, items[0].shape[1], op.output.size)
            return np.stack(items, axis=2)
        return pyfunc_values(op, times)


def process_state(op, dtype):
    """Fresh copies of a SimProcess op's nengo state arrays (its ``state`` dict)."""
    return {
        name: np.array(sig.initial_value, dtype=dtype) for name, sig in op.state.items()
    }


def capture_streams(streams):
    """Copies of the generator states and state arrays of ``(rng, state)`` pairs.

    A process's step function draws from its generator and keeps its state in
    nengo's ``state`` dict; both are captured, so a run that fails can rewind
    them. State a custom Process keeps elsewhere (its own closure variables) is
    not seen.
    """
    return [
        (rng.get_state(), {name: value.copy() for name, value in state.items()})
        for rng, state in streams
    ]


def rewind_streams(streams, captured):
    """Restore ``(rng, state)`` pairs to what `capture_streams` returned."""
    for (rng, state), (rng_state, values) in zip(streams, captured):
        rng.set_state(rng_state)
        for name, value in values.items():
            state[name][...] = value


#: The qualified name of the step function nengo's ``WhiteSignal.make_step`` returns.
WHITE_SIGNAL_STEP = "WhiteSignal.make_step.<locals>.step_whitesignal"


def periodic_table(step):
    """The precomputed signal behind nengo's WhiteSignal step function, or None.

    nengo's ``step_whitesignal(t)`` returns ``signal[round(t / dt) % len(signal)]``
    of an array it made in ``make_step``; reading that array lets us index all
    steps at once instead of calling Python once per step. Only nengo's own
    function qualifies: a subclass of WhiteSignal that keeps ``make_step`` does, one
    with a ``make_step`` of its own is called step by step.
    """
    code = getattr(step, "__code__", None)
    if (
        code is None
        or getattr(step, "__module__", None) != WhiteSignal.__module__
        or getattr(step, "__qualname__", None) != WHITE_SIGNAL_STEP
        or not step.__closure__
    ):
        return None
    cells = dict(zip(code.co_freevars, (c.cell_contents for c in step.__closure__)))
    signal = cells.get("signal")
    return signal if isinstance(signal, np.ndarray) else None


def process_values(step, times, dt):
    """``(n_steps, size)`` outputs of an input-less process step function."""
    table = periodic_table(step)
    if table is not None:
        idx = np.round(times / dt).astype(np.int64) % table.shape[0]
        return np.asarray(table[idx], dtype=np.float64).reshape(len(times), -1)
    # copies: some step functions return a view of their internal state
    return np.array([np.array(step(t), dtype=np.float64).ravel() for t in times])


def check_process_size(process, got, expected):
    """Refuse a process step function output of the wrong size, naming it."""
    if got != expected:
        raise SimulationError(
            f"{process} returned {got} values per step, expected {expected} (the "
            "size_out of its output); check its make_step's step function"
        )


def pyfunc_values(op, times):
    """Values of a SimPyFunc of time only, called once per step as nengo does."""
    size = 0 if op.output is None else op.output.size
    rows = []
    for t in times:
        y = op.fn(t) if op.t is not None else op.fn()
        if size == 0:
            continue
        if y is None:
            raise SimulationError(f"Function '{fn_name(op.fn)}' returned None")
        try:
            rows.append(np.array(y, dtype=np.float64).reshape(size))  # a copy
        except (TypeError, ValueError) as e:
            raise SimulationError(
                f"Function '{fn_name(op.fn)}' returned a value {y!r} of invalid "
                f"type {type(y)!r} (expected {size} numbers)"
            ) from e
    return np.array(rows)[:, :, None] if size else None


def check_finite(op, values):
    """Raise a SimulationError naming the op's source if values are not finite."""
    if not np.all(np.isfinite(values)):
        source = fn_name(op.fn) if isinstance(op, SimPyFunc) else str(op.tag)
        raise SimulationError(f"Function '{source}' returned non-finite value")


def fn_name(fn):
    """A readable name for a Node's function."""
    return getattr(fn, "__name__", repr(fn))
