"""What the training engine uses of a Simulator: its built parts, and two hooks.

The Simulator makes one `TrainingParts` when it constructs its step program
and hands it to its `training.Trainer`; the Trainer and `keras_api` read
nothing else of the Simulator. The Simulator checks that it is open before it
calls them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import nengo

if TYPE_CHECKING:  # annotations only
    from nengodl_notebook.params import ParamStore
    from nengodl_notebook.planner import BuildContext
    from nengodl_notebook.probes import ProbeRecorder
    from nengodl_notebook.step_program import StepProgram
    from nengodl_notebook.tensor_node_variables import TensorNodeVariables


@dataclass(frozen=True)
class TrainingParts:
    """The built parts of a Simulator that training, losses and predictions use.

    Attributes
    ----------
    network : nengo.Network or None
        The simulated network (None for a Simulator made from a ``model``);
        named in warnings about parameters without gradient.
    context : planner.BuildContext
        Floating point types (``dtype``, ``np_dtype``), the input columns of
        the step program's ``inputs`` array (``input_columns``) and the
        exceptions of Python code run inside the loop (``errors``).
    store : params.ParamStore
        Parameter values; the trainable ones in one ``tf.Variable``.
    tensor_vars : tensor_node_variables.TensorNodeVariables
        TensorNode weights (trained) and state variables (reset per minibatch).
    program : step_program.StepProgram
        The compiled time loop (``simulate``) and its XLA setting.
    recorder : probes.ProbeRecorder
        Which rows of the probed values belong to each probe, and its period.
    input_ops : list of nengo.builder.Operator
        Operators whose outputs are computed ahead of the loop, in the order of
        their input columns.
    node_ops : dict
        ``{input Node: its operator}``: the Nodes that ``data`` may override.
    step_order : list of nengo.builder.Operator
        nengo's order of the operators with a ``make_step`` (processes draw their
        random seeds in this order).
    dt : float
        Length of a time step, in seconds.
    minibatch_size : int
        Simulations run in parallel (1 when the Simulator has none).
    seed : callable
        ``seed()`` is the Simulator's current seed (``reset(seed=...)`` changes it).
    params_changed : callable
        ``params_changed()`` after parameters changed (training, ``set_weights``
        of a Keras callback): the Simulator refreshes ``sim.data`` and the
        parameters that live in its current state.
    data_changed : callable
        ``data_changed()`` after each epoch: ``sim.data`` shows the parameters
        trained so far (nothing else changes while training runs).
    distribution : distribute.Distribution or None
        The strategy that splits minibatches across replicas (None: one device).
    """

    network: nengo.Network | None
    context: BuildContext
    store: ParamStore
    tensor_vars: TensorNodeVariables
    program: StepProgram
    recorder: ProbeRecorder
    input_ops: list
    node_ops: dict
    step_order: list
    dt: float
    minibatch_size: int
    seed: Callable[[], int]
    params_changed: Callable[[], None]
    data_changed: Callable[[], None]
    distribution: Any = None
