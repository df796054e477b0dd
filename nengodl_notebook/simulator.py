"""The Simulator: nengo.Simulator's API on a TensorFlow step program.

User API only; the work is done by nengo's builder, the planner, the op builders,
the step program and the input/probe helpers. Construction, pickling and
nengo.Simulator's properties are here; the other methods come from mixins:
runs (`simulator_run`), resets and run state (`run_state`), parameter files
(`param_methods`), training, gradient checks and the Keras model
(`simulator_training`).
"""

import math
import os
import warnings
from collections.abc import Mapping, Sequence

import nengo
import numpy as np
import tensorflow as tf
from nengo.builder import Model
from nengo.cache import get_default_decoder_cache
from nengo.exceptions import ReadonlyError, SimulatorClosed
from nengo.utils.progress import ProgressBar
from nengo.utils.simulator import operator_dependency_graph
from numpy.typing import ArrayLike

from nengodl_notebook import (
    progress,
    sim_settings,
    validation,
)
from nengodl_notebook.config import get_setting, trainable_objects
from nengodl_notebook.distribute import Distribution, check_model, find_strategy
from nengodl_notebook.freeze import freeze
from nengodl_notebook.keras_data import io_names, last_step_probes
from nengodl_notebook.model_checks import input_node_ops
from nengodl_notebook.param_methods import ParamMethods
from nengodl_notebook.params import (
    Params,
    ParamStore,
    apply_params,
    parameter_signals,
    take_params,
)
from nengodl_notebook.planner import (
    BuildContext,
    build_groups,
    group_ops,
    make_layout,
    merge_operators,
    simulated_ops,
    step_order,
)
from nengodl_notebook.precomputed_inputs import (
    InputPlan,
    constant_node_ops,
)
from nengodl_notebook.probe_files import check_probe_dir
from nengodl_notebook.probes import ProbeRecorder, SimulationData
from nengodl_notebook.run_chunks import ChunkLength
from nengodl_notebook.run_state import RunStateMethods
from nengodl_notebook.signals import SignalValues, sparse_like
from nengodl_notebook.simulator_run import RunMethods
from nengodl_notebook.simulator_training import TrainingMethods
from nengodl_notebook.single_user import SingleUser, exclusive
from nengodl_notebook.step_program import StepProgram
from nengodl_notebook.tensor_node import SimTensorNode
from nengodl_notebook.tensor_node_variables import TensorNodeVariables
from nengodl_notebook.training import Trainer
from nengodl_notebook.training_parts import TrainingParts
from nengodl_notebook.user_warnings import warn_user


def random_tensor_nodes_jit(tensor_vars, jit_compile):
    """XLA setting for a model whose TensorNodes use stateful random ops.

    XLA ignores the seeds of those ops, so they could not follow the Simulator's
    seed: no XLA unless asked for explicitly (then with a warning).
    """
    names = ", ".join(str(node) for node in tensor_vars.stateful_random)
    if jit_compile:
        warn_user(
            f"{names} use random ops such as tf.random.uniform, whose seeds XLA "
            "ignores: with jit_compile=True their numbers do not follow the seed"
        )
        return True
    return False


class Simulator(RunMethods, RunStateMethods, ParamMethods, TrainingMethods):
    """Simulate a Nengo network in TensorFlow (a drop-in for ``nengo.Simulator``).

    Parameters
    ----------
    network : nengo.Network or None
        The network to simulate (None when ``model`` is given).
    dt : float
        Length of a time step, in seconds: positive, finite and at least
        ``validation.MIN_DT`` (1e-9).
    seed : int, optional
        Seed for stochastic parts (noise, random inputs), in 0 ... 2**32 - 1;
        ``network.seed + 1`` by default, as in nengo.
    minibatch_size : int, optional
        Number of simulations run in parallel. Probe data then has shape
        ``(minibatch_size, n_steps, size)`` (without it: ``(n_steps, size)``,
        as in nengo; ``sim.minibatch_size`` then reads 1, as in NengoDL).
    progress_bar : bool, None or nengo.utils.progress.ProgressBar
        Show progress bars and one-line summaries (or drive a nengo ProgressBar);
        None means False, as in nengo.
    dtype : ``"float32"``, ``"float64"`` or None
        Floating point precision of the simulation (``np.float32``,
        ``tf.float64``... are accepted and stored as these strings). None: the
        network's ``configure_settings(dtype=...)``, or float32.
    model : nengo.builder.Model, optional
        A model to build into (as in nengo).
    optimize : bool
        Run nengo's operator-merging optimizer first (same as nengo's default,
        which also makes random inputs identical to ``nengo.Simulator``'s).
    jit_compile : bool, optional
        Compile the time loop with XLA (default: when no Python Node needs input).
    device : str, optional
        TensorFlow device of the simulation and training programs, e.g.
        ``"/cpu:0"`` or ``"/gpu:1"`` (a device this process does not have is
        refused, naming it); None lets TensorFlow choose.
    unroll_simulation : int
        NengoDL's loop-unrolling hint, accepted and kept as ``sim.unroll``. It
        changes nothing here: the time loop is compiled with XLA, results are
        the same for every value, and exactly the requested steps run.
    probe_dir : str or os.PathLike, optional
        Stream probe data to ``.npy`` files in this directory (created if
        missing) as each chunk of a run completes; ``sim.data[probe]`` is then a
        read-only memory map of its file (see `probe_files`). ``reset()`` and
        ``clear_probes()`` delete the files of the data they clear; ``close()``
        keeps them. Probes with ``keep_history=False`` stay in RAM.
    strategy : tf.distribute.Strategy, optional
        Split each minibatch across the strategy's replicas (default: the
        strategy whose ``scope()`` is open, if any); see `distribute`.
    """

    def __init__(
        self,
        network: nengo.Network | None,
        dt: float = 0.001,
        seed: int | None = None,
        minibatch_size: int | None = None,
        progress_bar: bool | ProgressBar | None = True,
        dtype: str | np.dtype | tf.DType | None = None,
        model: Model | None = None,
        optimize: bool = True,
        jit_compile: bool | None = None,
        device: str | None = None,
        unroll_simulation: int = 1,
        probe_dir: str | os.PathLike | None = None,
        strategy: tf.distribute.Strategy | None = None,
    ) -> None:
        self.closed = True  # until construction succeeds
        self._user = SingleUser()
        validation.check_network(network, model)
        dt = validation.check_dt(dt)
        seed = None if seed is None else validation.check_seed(seed)
        minibatch_size = validation.check_minibatch_size(minibatch_size)
        self._batch_axis = minibatch_size is not None  # probe data has one
        self.minibatch_size = minibatch_size or 1
        self.progress_bar = validation.check_progress_bar(progress_bar)
        self.unroll = validation.check_unroll_simulation(unroll_simulation)
        self.device = validation.check_device(device)
        self.probe_dir = check_probe_dir(probe_dir)
        strategy = find_strategy(strategy)
        self._distribution = (
            None if strategy is None else Distribution(strategy, self.minibatch_size)
        )
        self._settings = sim_settings.resolve(network, dtype)
        self.dtype = self._settings.dtype
        self.model = model or Model(
            dt=float(dt),
            label=f"{network}, dt={dt:f}",
            decoder_cache=get_default_decoder_cache(),
        )
        self.optimize = optimize
        self._network = network
        self._jit_compile = jit_compile
        self._build(network, optimize)
        if self._distribution is None:
            self._construct(network, jit_compile)
        else:  # parameters mirrored on the replicas
            with self._distribution.scope():
                self._construct(network, jit_compile)
            check_model(self._program, self._tensor_vars, self.device)
        if seed is None:
            if network is not None and network.seed is not None:
                seed = network.seed + 1
            else:
                seed = np.random.randint(np.iinfo(np.int32).max)
        self.closed = False
        self.reset(seed=seed)

    def _build(self, network, optimize):
        show = self.progress_bar  # bool, or a nengo ProgressBar kept open until built
        with progress.Phase("Building", "Build", enabled=show, close_bar=False):
            if network is not None:
                self.model.build(network)
        with progress.Phase(
            "Optimizing", "Optimization", enabled=show, close_bar=False
        ):
            dg = operator_dependency_graph(self.model.operators)
            if optimize:
                merge_operators(self.model, dg)  # the same merges in every build
        # nengo's step order: processes draw their random seeds in this order
        order = step_order(dg)
        self._nengo_step_order = [op for op in order if hasattr(op, "make_step")]

    def _construct(self, network, jit_compile):
        with progress.Phase("Constructing", "Construction", enabled=self.progress_bar):
            extra = constant_node_ops(self.model, network) if network else []
            ops = simulated_ops(self.model.operators) + extra
            probe_sigs = [self.model.sig[p]["in"] for p in self.model.probes]
            batch = self.minibatch_size
            smoothing = get_setting(network, "lif_smoothing") if network else None
            self._ctx = BuildContext(None, self.dtype, self.dt, batch, smoothing)
            grouped = group_ops(ops, self._ctx)
            layout = make_layout(ops, probe_sigs, grouped)
            self._ctx.layout = layout
            groups = build_groups(grouped, self._ctx)
            input_ops = sorted(self._ctx.input_columns, key=self._ctx.input_columns.get)
            self._inputs = InputPlan(
                input_ops, self._ctx.input_columns, self.dt, self._ctx.np_dtype, batch
            )
            self._node_ops = input_node_ops(self.model, network, input_ops)
            trainable = trainable_objects(network) if network else {}
            self._store = ParamStore(
                layout,
                self.dtype,
                parameter_signals(self.model, network) if network else [],
                trainable,
            )
            tensor_nodes = [op.node for op in ops if isinstance(op, SimTensorNode)]
            self._tensor_vars = TensorNodeVariables(
                tensor_nodes, self.dtype, batch, trainable
            )
            self._recorder = ProbeRecorder(
                self.model,
                layout,
                self.dt,
                last_only=last_step_probes(network, self.model.probes),
                probe_dir=self.probe_dir,
                names=io_names([], self.model.probes),
                batch_axis=self._batch_axis,
                minibatch_size=batch,
            )
            seeded_by_trace = bool(self._tensor_vars.stateful_random)
            if seeded_by_trace:
                jit_compile = random_tensor_nodes_jit(self._tensor_vars, jit_compile)
            self._program = StepProgram(
                groups,
                self._ctx,
                self._recorder.rows,
                self._store.full,
                jit_compile,
                seeded_by_trace=seeded_by_trace,
                device=self.device,
                learning_phase=self._settings.learning_phase,
                store=self._store,
            )
            self.data = SimulationData(
                self._recorder, self.model.params, self._given_minibatch, self._built
            )
            self.signals = SignalValues(
                layout,
                lambda: (np.asarray(self._state), self._store.values()[0]),
                self._ctx.np_dtype,
                self._given_minibatch,
            )
            self._trainer = Trainer(self._training_parts(network))
            self._input_cache = {}  # (seed, start step, steps) -> inputs tensor
            self._traces_dropped = 0  # see `programs_built`
            # with a strategy, chunk lengths do not follow timing: the workers
            # of a multi-worker strategy must all run the same chunks
            distributed = self._distribution is not None
            self._chunks = ChunkLength(slow=math.inf) if distributed else ChunkLength()
            self.keras = None  # set by compile()
        if self._program.uses_python:
            warn_user(
                "This model has Python functions of model values (Nodes with input, "
                "Direct mode, or neuron types/processes without a TensorFlow "
                "implementation); they run through tf.numpy_function each step, "
                "which is slow and rules out XLA compilation."
            )

    def _training_parts(self, network):
        """What the Trainer uses of this Simulator (see `training_parts`)."""
        return TrainingParts(
            network=network,
            context=self._ctx,
            store=self._store,
            tensor_vars=self._tensor_vars,
            program=self._program,
            recorder=self._recorder,
            input_ops=self._inputs.ops,
            node_ops=self._node_ops,
            step_order=self._nengo_step_order,
            dt=self.dt,
            minibatch_size=self.minibatch_size,
            seed=lambda: self.seed,
            params_changed=self._params_changed,
            data_changed=self.data.reset,
            distribution=self._distribution,
        )

    # -- pickling (as nengo.Simulator: model, run state and probe data) -------------

    def __getstate__(self):
        """What a pickle keeps: the built model and network, the state at this time
        step, current parameters and probe data (not compiled programs)."""
        return {
            "network": self._network,
            "model": self.model,
            "step_order": self._nengo_step_order,
            "options": {
                "seed": self.seed,
                "minibatch_size": self._given_minibatch,
                "progress_bar": self.progress_bar,
                "dtype": self.dtype,
                "optimize": self.optimize,
                "jit_compile": self._jit_compile,
                "device": self.device,
                "unroll": self.unroll,
                "settings": self._settings,
                "probe_dir": self.probe_dir,
            },
            "state": np.asarray(self._state),
            "params": self._store.values(),
            "n_steps": self._n_steps,
            "probe_chunks": self._recorder.chunks,
            "closed": self.closed,
        }

    def __setstate__(self, pickled):
        """Construct the step program anew from the pickled model (nengo's builder
        and optimizer do not run again) and restore state, parameters and data.

        Processes and Python functions with internal state start afresh, as
        with ``nengo.Simulator``.
        """
        options = pickled["options"]
        self.closed = True
        self._user = SingleUser()
        self._distribution = None  # a strategy is not pickled: one device
        for name in ("progress_bar", "dtype", "optimize"):
            setattr(self, name, options[name])
        self._batch_axis = options["minibatch_size"] is not None
        self.minibatch_size = options["minibatch_size"] or 1
        self.device, self.unroll = options["device"], options["unroll"]
        self.probe_dir = options.get("probe_dir")
        self._settings = options["settings"]
        self._jit_compile = options["jit_compile"]
        self.model = pickled["model"]
        self._network = pickled["network"]
        self._nengo_step_order = pickled["step_order"]
        self._construct(self._network, self._jit_compile)
        self.closed = False
        self.reset(seed=options["seed"])
        self._store.assign(*pickled["params"])
        self._state = tf.constant(pickled["state"])
        self._n_steps = pickled["n_steps"]
        self._recorder.chunks = pickled["probe_chunks"]
        self.closed = pickled["closed"]

    # -- nengo.Simulator's API ------------------------------------------------------

    @property
    def dt(self) -> float:
        """(float) The time step of the simulator."""
        return self.model.dt

    @dt.setter
    def dt(self, dummy):
        raise ReadonlyError(attr="dt", obj=self)

    @property
    def n_steps(self) -> int:
        """(int) The number of time steps simulated so far."""
        return self._n_steps

    @property
    def time(self) -> float:
        """(float) The current time of the simulator."""
        return self._n_steps * self.dt

    @property
    def n_op_groups(self) -> int:
        """(int) Number of merged operator groups run per time step."""
        return self._program.n_groups

    @property
    def programs_built(self) -> int:
        """(int) Step programs made for simulation by this Simulator so far.

        Traced, or taken from an earlier Simulator whose program has the same
        structural key (`program_keys`; no trace then).

        ``run``, ``run_steps`` and ``step`` trace one program per chunk length
        and input shape; a second run of a length already run adds none (nor
        do other ``data=`` values of the same shape). Programs dropped on the
        way count too: a ``reset`` of a model whose random TensorNode ops are
        seeded when traced, or ``close``. Programs of ``predict``,
        ``evaluate``, ``loss`` and training are not counted.
        """
        return self._traces_dropped + self._step_program_traces()

    def _step_program_traces(self):
        """Traces of the step program's current function (none once closed)."""
        return 0 if self._program._run is None else self._program.programs_made

    @property
    def _given_minibatch(self):
        """``minibatch_size`` as given: None for a Simulator without one."""
        return self.minibatch_size if self._batch_axis else None

    def __del__(self):
        """Warn (ResourceWarning, as nengo.Simulator) if deallocated while open."""
        if not getattr(self, "closed", True):
            warnings.warn(
                f"Simulator with model={self.model} was deallocated while open. "
                "Please close simulators manually to ensure resources are properly "
                "freed.",
                ResourceWarning,
                stacklevel=2,
            )

    def __enter__(self):
        if self.closed:
            raise SimulatorClosed("Cannot re-open after simulator is closed")
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()

    def close(self) -> None:
        """Close the simulator and release its compiled programs.

        ``data`` stays readable; running, training and resetting raise. Not held
        like other calls (see `single_user`): closing while another thread runs
        or trains lets that call finish (the programs are released when it ends),
        and later calls raise.
        """
        self.closed = True
        self._user.when_free(self._release)

    def _release(self):
        """Forget compiled programs, TensorNode state and cached inputs."""
        self._trainer.release()
        self._traces_dropped += self._step_program_traces()
        self._program.release()
        if self._distribution is not None:
            self._distribution.release()
        self._tensor_vars.release()
        self._input_cache.clear()

    def _check_open(self, action):
        if self.closed:
            raise SimulatorClosed(f"Cannot {action}: this Simulator is closed")

    @exclusive("clear probes")
    def clear_probes(self) -> None:
        """Forget probe data recorded so far."""
        self._recorder.clear()
        self.data.reset()

    def trange(
        self, dt: float | None = None, sample_every: float | None = None
    ) -> np.ndarray:
        """Times of the probed data (starting at ``dt``, as in nengo).

        ``dt`` is nengo's deprecated name for ``sample_every`` (kept for
        compatibility with ``nengo.Simulator.trange``).
        """
        if dt is not None:
            if sample_every is not None:
                raise nengo.exceptions.ValidationError(
                    "Cannot specify both `dt` and `sample_every`. "
                    "Use `sample_every` only.",
                    attr="dt",
                    obj=self,
                )
            warn_user(
                "`dt` is deprecated. Use `sample_every` instead.", DeprecationWarning
            )
            sample_every = dt
        period = 1 if sample_every is None else sample_every / self.dt
        steps = np.arange(1, self._n_steps + 1)
        return self.dt * steps[steps % period < 1]

    # -- parameters ---------------------------------------------------------------

    def _built(self, obj):
        """``model.params[obj]`` with current (possibly trained) parameter values."""
        built = self.model.params[obj]
        owners = (obj, getattr(obj, "neurons", None))  # Neurons compare by ensemble
        store = self._store
        changed = [
            (owner, name, sig)
            for owner, name, sig in store.signals
            if any(owner == o for o in owners)
            and any(owner == c for c in store.changed)
        ]
        values = store.values() if changed else None  # untouched: nengo's exact values
        for _owner, name, sig in changed:
            current = store.signal_value(sig, values)
            if name == "weights":
                if sig.sparse:  # non-zero values only: keep the sparse structure
                    current = sparse_like(built.weights, current)
                built = built._replace(weights=current)
            elif name == "encoders":
                unscaled = current * obj.radius / np.asarray(built.gain)[:, None]
                built = built._replace(scaled_encoders=current, encoders=unscaled)
            elif name == "bias":
                built = built._replace(bias=current)
        return built

    def _params_changed(self):
        """Parameters changed (training, loading): refresh views and live state."""
        self.data.reset()
        store = self._store
        if len(store.train_s):  # trainable parameters that live in the state array
            values = store.values()[1][store.train_s]
            self._state = tf.tensor_scatter_nd_update(
                self._state,
                store.train_s[:, None],
                tf.tile(tf.constant(values[:, None]), (1, self._state.shape[1])),
            )

    @exclusive("get parameters")
    def get_params(self) -> Params:
        """A snapshot of all parameters, in memory (copies: training does not
        change it).

        Returns
        -------
        Params
            A read-only mapping ``{key: array}`` of every parameter array
            (encoders, biases, connection weights and kernels) and TensorNode
            (Keras) weight, keyed as in a `save_params` file (``"0.encoders"``,
            ``"tensor_node0.1"``...); ``print(params)`` shows what each belongs
            to. `set_params` restores it, here or in another Simulator of the
            same network.
        """
        return take_params(self._store, self._tensor_vars)

    @exclusive("set parameters")
    def set_params(self, params: Mapping[str, ArrayLike]) -> None:
        """Set all parameters from a snapshot (`get_params`), all or nothing.

        Parameters
        ----------
        params : Params or Mapping
            A snapshot of this network (from any Simulator of it), or a mapping
            ``{key: array}`` with exactly the snapshot's keys (a changed
            ``dict(sim.get_params())``), checked by key and shape only.

        Raises
        ------
        nengo.exceptions.ValidationError
            The snapshot is of another network (naming the first difference:
            object, parameter or shape), a key is missing or unknown, or a value
            is not finite. Nothing is changed then.
        """
        apply_params(self._store, self._tensor_vars, params)
        self._params_changed()

    @exclusive("freeze parameters")
    def freeze_params(
        self, objs: nengo.Network | nengo.base.NengoObject | Sequence
    ) -> None:
        """Write current parameters into nengo objects (a Network or a list).

        Afterwards ``nengo.Simulator`` built from them reproduces this model.
        TensorNode weights need no freezing: they live in the TensorNodes' own
        objects (a Keras layer keeps its trained weights).
        """
        freeze(self._store, self.model, objs)
