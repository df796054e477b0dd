"""The Simulator's runs: ``run``, ``run_steps`` and ``step``.

A mixin of `nengodl_notebook.Simulator`. A run executes in compiled chunks
(`run_chunks`): each chunk's inputs are made ahead of the loop (and cached when
they repeat), the step program runs them, and the chunk is committed (probe
data, state, time) only if it succeeded. Stateless runs put the run state back
afterwards (see `run_state`).
"""

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import nengo
import tensorflow as tf
from nengo.exceptions import SimulationError
from numpy.typing import ArrayLike

from nengodl_notebook import progress, run_data, validation
from nengodl_notebook.run_chunks import HeldInterrupt
from nengodl_notebook.run_state import network_is_stateful
from nengodl_notebook.single_user import exclusive
from nengodl_notebook.user_warnings import warn_user

#: Input tensors of this many (seed, start step, steps) runs are kept (see
#: `RunMethods._input_tensor`): repeated runs after ``reset()`` reuse them.
INPUT_CACHE_SIZE = 4


class RunMethods:
    """``run``, ``run_steps`` and ``step`` of `nengodl_notebook.Simulator`."""

    # set by the Simulator (see `nengodl_notebook.simulator`)
    dt: float
    seed: int
    progress_bar: Any
    minibatch_size: Any
    _state: Any
    _n_steps: int
    _stream_seed: int
    _network: Any
    _node_ops: Any
    _inputs: Any
    _input_cache: Any
    _chunks: Any
    _recorder: Any
    _program: Any
    _ctx: Any
    _tensor_vars: Any
    _store: Any
    _distribution: Any
    _check_open: Any
    _take_run_state: Any
    _restore_run_state: Any
    _capture_streams: Any
    _rewind_streams: Any

    if TYPE_CHECKING:  # a read-only property of the Simulator

        @property
        def time(self) -> float: ...

    def run(
        self,
        time_in_seconds: float,
        data: Mapping[nengo.Node, ArrayLike] | None = None,
        progress_bar: bool | None = None,
        stateful: bool = True,
    ) -> None:
        """Simulate for ``time_in_seconds`` (rounded to a whole number of steps).

        Parameters
        ----------
        time_in_seconds : float
        data : dict, optional
            Maps input Nodes to arrays ``(minibatch_size, n_steps, size_out)``
            that replace the Nodes' outputs during this run.
        progress_bar : bool, optional
            Show a progress bar (default: the Simulator's ``progress_bar``).
        stateful : bool
            Keep the final state (see `run_steps`).
        """
        steps = run_data.steps_for_time(time_in_seconds, self.dt)
        if steps == 0:
            warn_user(
                f"{time_in_seconds} results in running for 0 timesteps. Simulator "
                f"still at time {self.time}."
            )
            return
        self.run_steps(steps, data=data, progress_bar=progress_bar, stateful=stateful)

    @exclusive("run")
    def run_steps(
        self,
        steps: int,
        data: Mapping[nengo.Node, ArrayLike] | None = None,
        progress_bar: bool | None = None,
        stateful: bool = True,
    ) -> None:
        """Simulate for ``steps`` time steps (see `run` for ``data``).

        With ``stateful=False`` (or ``configure_settings(stateful=False)`` on
        the network, which overrides ``stateful=True``) the run starts from the
        current state and its probe data is appended to ``sim.data`` as usual,
        but afterwards the time step, state, TensorNode state and random
        streams are those from before the run: the next run starts where this
        one started. ``sim.trange()`` then has fewer entries than the data.

        Runs execute in compiled chunks (see `run_chunks`). Ctrl-C stops a run
        after the chunk in progress, with a ``KeyboardInterrupt``; a run that fails
        stops at the failing chunk. Either way, time, probe data and random input
        streams are those after the last completed chunk, and the next run
        continues from there as an uninterrupted run would.
        """
        self._check_open("run")
        steps = run_data.check_n_steps(steps)
        overrides = run_data.input_overrides(
            data, self._node_ops, self.minibatch_size, steps
        )
        if steps == 0:
            return
        estimate = validation.run_memory_estimate(
            self._recorder,
            self._inputs,
            self._n_steps,
            steps,
            chunk_steps=self._chunks.next(steps),
        )
        validation.check_run_memory(estimate, steps)  # refuses before any change
        show = self.progress_bar if progress_bar is None else progress_bar
        stateful = stateful and network_is_stateful(self._network)
        before = None if stateful else self._take_run_state(include_probes=False)
        try:
            self._run_steps(steps, overrides, show, stateful)
        finally:
            if before is not None:
                self._restore_run_state(before)

    def _run_steps(self, steps, overrides, show, stateful):
        with (
            progress.Phase("Simulating", "Simulation", steps, enabled=show) as phase,
            HeldInterrupt() as interrupt,
        ):
            done = 0
            while done < steps:
                n = self._chunks.next(steps - done)
                chunk_data = {op: v[:, done : done + n] for op, v in overrides.items()}
                self._run_chunk(n, chunk_data)
                done += n
                phase.update(n)
                interrupt.deliver(
                    f"Simulation interrupted after step {self._n_steps} (t = "
                    f"{self.time:g} s), {steps - done} steps before the end of this "
                    "run. "
                    + (
                        "State, probe data and random inputs are those of that "
                        "step: run again to continue."
                        if stateful
                        else "Probe data is kept; the state is that before the "
                        "run (stateful=False)."
                    )
                )

    def _run_chunk(self, steps, overrides):
        """Simulate one chunk and commit it; a failed chunk changes nothing."""
        streams = self._capture_streams()
        try:
            inputs = self._input_tensor(steps, overrides)
            start = time.perf_counter()
            state, probes = self._run_program(inputs)
            values = probes.numpy()
            self._recorder.record(values, self._n_steps)  # all probes or none
        except BaseException as e:
            self._rewind_streams(streams)
            if isinstance(e, Exception):
                e.add_note(
                    f"The Simulator stays at step {self._n_steps} (t = {self.time:g} "
                    "s): the steps of the failed chunk were not applied."
                )
            raise
        self._chunks.update(steps, time.perf_counter() - start)
        self._state = state
        self._n_steps += steps

    def _input_tensor(self, steps, overrides):
        """The inputs of the next ``steps`` steps (cached when they repeat)."""
        key = (self._stream_seed, self._n_steps, steps)
        cacheable = not overrides and self._inputs.time_only
        if cacheable and key in self._input_cache:
            return self._input_cache[key]
        values = self._inputs.values(self._n_steps, steps, overrides)
        tensor = tf.constant(values, dtype=self._ctx.dtype)
        if cacheable:
            if len(self._input_cache) >= INPUT_CACHE_SIZE:
                self._input_cache.pop(next(iter(self._input_cache)))
            self._input_cache[key] = tensor
        return tensor

    def _run_program(self, inputs):
        self._ctx.errors.clear()
        try:
            if self._distribution is not None:  # the minibatch split (`distribute`)
                return self._distribution.run(
                    self._program,
                    self._store,
                    self._state,
                    inputs,
                    self._n_steps,
                    self.seed,
                )
            return self._program.run(self._state, inputs, self._n_steps, self.seed)
        except tf.errors.OpError as e:
            if self._ctx.errors:
                raise self._ctx.errors[0] from None
            hint = ""
            if "XLA" in e.message and self._tensor_vars.nodes:
                hint = (
                    "\n(A TensorNode function XLA cannot compile? Pass "
                    "jit_compile=False to the Simulator.)"
                )
            raise SimulationError(
                f"TensorFlow failed while simulating: {e.message}{hint}"
            ) from e

    def step(
        self,
        data: Mapping[nengo.Node, ArrayLike] | None = None,
        progress_bar: bool = False,
        stateful: bool = True,
    ) -> None:
        """Advance the simulator by one time step (`run_steps` of 1 step; no
        progress bar unless asked for). ``data`` arrays have shape
        ``(minibatch_size, 1, size_out)``."""
        self.run_steps(1, data=data, progress_bar=progress_bar, stateful=stateful)
