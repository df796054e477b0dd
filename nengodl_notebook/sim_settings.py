"""The ``configure_settings`` options a Simulator reads when it is built.

`resolve` turns a network's settings (and the Simulator's own ``dtype``
argument) into one `RunSettings`; `check_training` is called by every method
that needs gradients. ``trainable`` and ``lif_smoothing`` are read where the
parameters and neuron builders are made; ``stateful`` and ``keep_history``
where runs and probes are.
"""

from dataclasses import dataclass

from nengo.exceptions import BuildError, SimulationError, ValidationError

from nengodl_notebook import validation
from nengodl_notebook.config import get_setting
from nengodl_notebook.user_warnings import warn_user

#: What each NengoDL graph-optimizer setting would choose, and what runs here.
IGNORED = {
    "planner": "operators are always merged by kind and dependency depth "
    "(planner.group_ops)",
    "sorter": "signals are always laid out so that each merged group reads "
    "contiguous rows (planner.make_layout)",
    "simplifications": "no graph simplifications are applied",
    "use_loop": "the steps always run in one compiled tf.while_loop",
}


@dataclass(frozen=True)
class RunSettings:
    """The settings of one Simulator.

    Attributes
    ----------
    dtype : str
        ``"float32"`` or ``"float64"``.
    inference_only : bool
        Training methods raise (`check_training`).
    learning_phase : bool
        Runs, predictions and losses use training behaviour (rate twins).
    """

    dtype: str = "float32"
    inference_only: bool = False
    learning_phase: bool = False


def _dtype(network, dtype):
    if dtype is not None:
        return validation.check_dtype(dtype)
    configured = get_setting(network, "dtype") if network is not None else None
    if configured is None:
        return "float32"
    try:
        return validation.check_dtype(configured)
    except ValidationError as e:
        raise ValidationError(
            f"configure_settings(dtype=...) of {network}: {e.args[0]}", attr="dtype"
        ) from None


def resolve(network, dtype=None):
    """The `RunSettings` of a Simulator of ``network`` (None: the defaults).

    Parameters
    ----------
    network : nengo.Network or None
    dtype : str, numpy dtype-like, tf.DType or None
        The Simulator's ``dtype`` argument; None means the network's ``dtype``
        setting, or float32.

    Raises
    ------
    nengo.exceptions.BuildError
        ``inference_only=True`` together with ``learning_phase=True``.
    """
    if network is None:
        return RunSettings(dtype=_dtype(None, dtype))
    inference_only = bool(get_setting(network, "inference_only"))
    learning_phase = bool(get_setting(network, "learning_phase"))
    if inference_only and learning_phase:
        raise BuildError(
            f"{network} has configure_settings(inference_only=True) and "
            "learning_phase=True: a network built for inference only cannot run "
            "with training behaviour"
        )
    for name, what in IGNORED.items():
        value = get_setting(network, name)
        if value is not None:
            warn_user(
                f"configure_settings({name}={value!r}) is ignored here: {what} "
                "(this simulator's planner and step loop are not pluggable)"
            )
    return RunSettings(_dtype(network, dtype), inference_only, learning_phase)


def check_training(settings, what):
    """Raise if the Simulator was built with ``inference_only=True``.

    Parameters
    ----------
    settings : RunSettings
    what : str
        The refused call, e.g. ``"fit"``.
    """
    if settings.inference_only:
        raise SimulationError(
            f"Cannot {what}: the network was built with "
            "configure_settings(inference_only=True); remove that setting to "
            "train or compute gradients"
        )
