"""A Simulator's run state: what a run changes and a reset puts back.

The run state is the time step, the state rows (neuron voltages, synapse
values, weights learned online...), the TensorNodes' state variables, the
random streams of processes (nengo's step functions run ahead of the loop or
through Python, and the Keras seed generators of TensorNodes) and, optionally,
the probe data. `RunState` is a snapshot of it; `RunStateMethods` (a mixin of
`nengodl_notebook.Simulator`) resets it and takes and restores snapshots, which is how
``run_steps(..., stateful=False)``, ``reset(include_processes=False)`` and
`callbacks.IsolateState` leave the simulator where it was.

Parameters are not run state (see `params.py`).
"""

import warnings
from dataclasses import dataclass
from typing import Any

import nengo
import numpy as np
import tensorflow as tf
from nengo.exceptions import ValidationError

from nengodl_notebook import validation
from nengodl_notebook.config import get_setting
from nengodl_notebook.params import revert_params, take_params
from nengodl_notebook.precomputed_inputs import process_rngs
from nengodl_notebook.single_user import exclusive


def network_is_stateful(network: nengo.Network | None) -> bool:
    """Whether runs of ``network`` may keep their final state (NengoDL's setting).

    ``configure_settings(stateful=False)`` makes every run, step and Keras-style
    call of the network stateless, whatever their own ``stateful`` argument says
    (as in NengoDL, where it overrides ``stateful=True``). A Simulator built
    from a model without a network is stateful.
    """
    return network is None or bool(get_setting(network, "stateful"))


@dataclass(frozen=True, eq=False)
class RunState:
    """A snapshot of a Simulator's run state (`Simulator.get_run_state`).

    Attributes
    ----------
    n_steps : int
        Steps simulated (``sim.n_steps``).
    seed : int
        The Simulator's seed.
    stream_seed : int
        The seed the process streams were made from (differs from ``seed``
        after ``reset(seed=s, include_processes=False)``).
    state : ndarray, shape ``(n_state, minibatch)``
        The state rows.
    tensor_node_state : tuple of ndarray
        Values of the TensorNodes' state variables.
    seed_generators : tuple of ndarray
        States of the TensorNodes' Keras seed generators.
    streams : tuple
        ``(input streams, Python process streams)``: generator states and
        process state arrays, as ``precomputed_inputs.capture_streams`` gives.
    probe_chunks : dict or None
        Probe data by probe (lists of chunks), or None if not taken.

    Notes
    -----
    TensorNodes with stateful TensorFlow random ops (``tf.random.uniform``)
    keep their random state inside the compiled program; it is not part of
    the snapshot.
    """

    n_steps: int
    seed: int
    stream_seed: int
    state: np.ndarray
    tensor_node_state: tuple
    seed_generators: tuple
    streams: tuple
    probe_chunks: dict | None = None


def _copies(variables):
    return tuple(np.array(var.numpy(), copy=True) for var in variables)


class RunStateMethods:
    """``reset``, ``soft_reset``, ``get_run_state`` and ``set_run_state`` of the
    Simulator, and the snapshots behind stateless runs."""

    # set by the Simulator (see `nengodl_notebook.simulator`)
    seed: int
    minibatch_size: Any
    data: Any
    _state: Any
    _n_steps: int
    _stream_seed: int
    _recorder: Any
    _tensor_vars: Any
    _store: Any
    _check_open: Any
    _inputs: Any
    _ctx: Any
    _program: Any
    _nengo_step_order: Any
    _traces_dropped: int
    _step_program_traces: Any

    @exclusive("reset")
    def reset(
        self,
        seed: int | None = None,
        include_trainable: bool = True,
        include_probes: bool = True,
        include_processes: bool = True,
    ) -> None:
        """Reset the simulator to time 0 (state and TensorNode state always).

        Parameters
        ----------
        seed : int, optional
            A new seed (kept for later resets too).
        include_trainable : bool
            Also put every parameter back to its value at construction (undoing
            training, `set_params` and `load_params`).
        include_probes : bool
            Also forget probe data (else it stays, and new data is appended).
        include_processes : bool
            Also restart the random streams of processes and TensorNodes from
            the seed (else they continue where they are).
        """
        self._check_open("reset")
        if seed is not None:
            self.seed = validation.check_seed(seed)  # a bad seed leaves the old one
        values = None
        if not hasattr(self, "_initial_params"):  # the constructor's reset
            # the arrays the variables were made from: no TensorFlow kernel runs
            # (each kernel's first eager run in a process costs milliseconds)
            values = self._store.built_values()
            self._initial_params = take_params(self._store, self._tensor_vars, values)
        elif include_trainable:
            revert_params(self._store, self._tensor_vars, self._initial_params)
        batch = self.minibatch_size
        if include_processes:
            self._restart_processes(self.seed)
        self._tensor_vars.reset()
        self._state = self._store.initial_state_value(batch, values)
        self._n_steps = 0
        if include_probes:
            self._recorder.clear()
        self.data.reset()

    def _restart_processes(self, seed):
        """Process step functions and random streams made afresh from ``seed``."""
        rngs = process_rngs(self._nengo_step_order, seed, self.minibatch_size)
        self._inputs.reset(rngs)
        for builder in self._ctx.python_processes:
            builder.reset(rngs[builder.op])
        self._tensor_vars.reseed(seed)
        traced = self._step_program_traces()
        self._program.restart_random(seed)
        # a new traced function (seeded by trace) starts counting at 0 again
        self._traces_dropped += traced - self._step_program_traces()
        self._stream_seed = seed

    def _capture_streams(self):
        """Where the processes' random streams are (to rewind after a failure)."""
        return self._inputs.capture(), [
            builder.capture() for builder in self._ctx.python_processes
        ]

    def _rewind_streams(self, captured):
        inputs, python_processes = captured
        self._inputs.rewind(inputs)
        for builder, streams in zip(self._ctx.python_processes, python_processes):
            builder.rewind(streams)

    def _take_run_state(self, include_probes=True):
        inputs, python = self._capture_streams()
        chunks = None
        if include_probes:
            chunks = {p: list(c) for p, c in self._recorder.chunks.items()}
        return RunState(
            n_steps=self._n_steps,
            seed=self.seed,
            stream_seed=self._stream_seed,
            state=np.array(self._state, copy=True),
            tensor_node_state=_copies(self._tensor_vars.state),
            seed_generators=_copies(self._tensor_vars.seed_states),
            streams=(inputs, python),
            probe_chunks=chunks,
        )

    def _restore_run_state(self, snapshot):
        """Put back ``snapshot`` (checked); probe data only if it holds some."""
        if snapshot.stream_seed != self._stream_seed:  # step functions of that seed
            self._restart_processes(snapshot.stream_seed)
        self._rewind_streams(snapshot.streams)
        for var, value in zip(self._tensor_vars.state, snapshot.tensor_node_state):
            var.assign(value)
        for var, value in zip(self._tensor_vars.seed_states, snapshot.seed_generators):
            var.assign(value)
        self._state = tf.constant(snapshot.state)
        self._n_steps = snapshot.n_steps
        self.seed, self._stream_seed = snapshot.seed, snapshot.stream_seed
        if snapshot.probe_chunks is not None:
            chunks = snapshot.probe_chunks.items()
            self._recorder.chunks = {p: list(c) for p, c in chunks}
        self.data.reset()

    def _check_run_state(self, snapshot, origin="the run state"):
        """Raise a ValidationError unless ``snapshot`` fits this Simulator."""
        if not isinstance(snapshot, RunState):
            raise ValidationError(
                f"expected a RunState (Simulator.get_run_state), got "
                f"{type(snapshot).__name__}",
                attr="run_state",
            )
        own = self._take_run_state(include_probes=False)
        checks = [
            ("state", snapshot.state.shape, own.state.shape),
            (
                "TensorNode state",
                [np.shape(v) for v in snapshot.tensor_node_state],
                [np.shape(v) for v in own.tensor_node_state],
            ),
            (
                "seed generators",
                [np.shape(v) for v in snapshot.seed_generators],
                [np.shape(v) for v in own.seed_generators],
            ),
            ("process streams", _stream_shapes(snapshot), _stream_shapes(own)),
        ]
        for what, got, expected in checks:
            if got != expected:
                raise ValidationError(
                    f"{origin} does not fit this Simulator: its {what} has shape "
                    f"{got}, this Simulator's {expected} (another network or "
                    "minibatch_size?)",
                    attr="run_state",
                )
        if snapshot.probe_chunks is not None and set(snapshot.probe_chunks) != set(
            self._recorder.chunks
        ):
            raise ValidationError(
                f"{origin} holds probe data of other probes than this Simulator's",
                attr="run_state",
            )

    @exclusive("get the run state")
    def get_run_state(self, include_probes: bool = True) -> RunState:
        """A snapshot of the run state (time step, state, TensorNode state,
        process streams and, with ``include_probes``, probe data).

        `set_run_state` puts it back; parameters are not part of it (see
        `get_params`).
        """
        self._check_open("get the run state")
        return self._take_run_state(include_probes)

    @exclusive("set the run state")
    def set_run_state(self, run_state: RunState) -> None:
        """Put back a snapshot from `get_run_state` (of this network and
        minibatch size): the next run continues from it. Probe data is replaced
        only if the snapshot holds some.

        Raises
        ------
        nengo.exceptions.ValidationError
            The snapshot does not fit this Simulator; nothing is changed.
        """
        self._check_open("set the run state")
        self._check_run_state(run_state)
        self._restore_run_state(run_state)

    def soft_reset(
        self, include_trainable: bool = False, include_probes: bool = False
    ) -> None:
        """Deprecated (as in NengoDL 3): ``reset(include_trainable=...,
        include_probes=..., include_processes=False)`` does the same."""
        warnings.warn(
            "Simulator.soft_reset is deprecated; use Simulator.reset("
            "include_trainable=..., include_probes=..., include_processes=False)",
            DeprecationWarning,
            stacklevel=2,
        )
        self.reset(
            include_trainable=include_trainable,
            include_probes=include_probes,
            include_processes=False,
        )


def _stream_shapes(snapshot):
    """The structure of a snapshot's streams (generator key shapes, state shapes)."""
    return [
        [
            (np.shape(rng_state[1]), {k: np.shape(v) for k, v in values.items()})
            for rng_state, values in group
        ]
        for group in snapshot.streams[:1] + tuple(snapshot.streams[1])
    ]
