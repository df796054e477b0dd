"""Per-network settings: ``configure_settings`` and the ``trainable`` config param.

``configure_settings(trainable=False)`` inside ``with net:`` adds a ``trainable``
parameter to Ensembles, Neurons, Connections and TensorNodes in ``net.config``
and sets its class default; ``net.config[obj].trainable = ...`` then overrides it
per class or per object. An object's setting is resolved from the top network down
to the network that holds it; the innermost network that says something wins, and
within one network an object's own setting beats its class default.
"""

from typing import Any

import nengo
from nengo.ensemble import Neurons
from nengo.exceptions import ValidationError
from nengo.params import BoolParam, NumberParam, Parameter

from nengodl_notebook.tensor_node import TensorNode

TRAINABLE_CLASSES = (nengo.Ensemble, Neurons, nengo.Connection, TensorNode)

#: Simulator-wide settings and their defaults (stored on ``config[nengo.Network]``).
SETTINGS = {
    "lif_smoothing": NumberParam("lif_smoothing", default=None, low=0, optional=True),
    # NengoDL 3.6's other settings (issue 16); their meaning is documented in
    # configure_settings and implemented where each is read (get_setting).
    "stateful": BoolParam("stateful", default=True),
    "keep_history": BoolParam("keep_history", default=True),
    "inference_only": BoolParam("inference_only", default=False),
    "learning_phase": BoolParam("learning_phase", default=None, optional=True),
    "dtype": Parameter("dtype", default=None, optional=True),
    "planner": Parameter("planner", default=None, optional=True),
    "sorter": Parameter("sorter", default=None, optional=True),
    "simplifications": Parameter("simplifications", default=None, optional=True),
    "use_loop": Parameter("use_loop", default=None, optional=True),
}


def _current_network():
    if not nengo.Network.context:
        raise ValidationError(
            "configure_settings must be called inside a 'with network:' block",
            attr="configure_settings",
        )
    return nengo.Network.context[-1]


def _add_param(config, cls, param):
    if cls not in config.params:
        config.configures(cls)
    if param.name not in config[cls].extra_params:
        config[cls].set_param(param.name, param)


def configure_settings(trainable: bool | None = None, **settings: Any) -> None:
    """Configure simulator settings of the network whose ``with`` block we are in.

    Parameters
    ----------
    trainable : bool or None
        Default trainability of Ensembles (encoders, and biases unless their
        ``ensemble.neurons`` is configured), Connections (weights) and
        TensorNodes (their TensorFlow weights) in this network. None adds the
        ``trainable`` parameter without setting a default (so objects can be
        configured).
    lif_smoothing : float, optional
        When set, LIF neurons train with the gradient of a SoftLIF rate curve with
        this smoothing (forward pass: LIFRate).
    dtype : ``"float32"`` or ``"float64"``
        Precision of a Simulator of this network when its own ``dtype`` argument
        is not given (float32 by default; ``np.float64``, ``tf.float64``...
        are accepted too).
    inference_only : bool
        The network is only run, never trained: ``train``, ``fit``,
        ``loss(..., training=True)`` and ``check_gradients`` raise a
        ``SimulationError`` naming this setting. Nothing else changes (training
        programs are only built when asked for, so inference is as fast either
        way). Combined with ``learning_phase=True`` the Simulator refuses to
        build (``BuildError``), as in NengoDL.
    learning_phase : bool or None
        True: ``run``, ``predict``, ``evaluate`` and ``loss`` behave as in
        training (spiking neurons run as their rate twins, Keras layers in
        TensorNodes get ``training=True``). None or False: inference behaviour
        there, training behaviour in ``train``/``fit`` (NengoDL's False also
        makes ``fit`` run the spiking model; here training keeps its rate twins).
    stateful : bool
        True (default): ``run``/``run_steps``/``step`` carry the state over to
        the next call; False: they leave it where it was (as ``stateful=False``
        in each call), and ``predict``/``evaluate(stateful=True)`` is ignored
        with a warning.
    keep_history : bool
        True (default): ``predict``/``evaluate``/``fit`` give and score probe
        outputs at every step; False: only at the last step (targets then
        have one step). After it, ``net.config[probe].keep_history`` sets it per
        probe. In ``sim.data`` after ``run`` such a probe holds only its latest
        sample, ``(1, size)``, replaced by each run (memory for long runs).
    use_loop
        Accepted for NengoDL code, and ignored with a warning: the steps always
        run in a compiled ``tf.while_loop``.
    planner, sorter, simplifications
        Accepted for NengoDL code, and ignored with a warning: our planner is
        not pluggable. Its steps are fixed: nengo's operator merging
        (``Simulator(optimize=True)``) and then ``planner.group_ops``, which
        merges operators of one kind at one dependency depth (NengoDL's
        ``planner``); ``planner.make_layout``, which orders signals so each
        group reads contiguous rows (``sorter``); no graph simplifications
        (``simplifications``).
    """
    config = _current_network().config
    for cls in TRAINABLE_CLASSES:
        _add_param(config, cls, BoolParam("trainable", default=None, optional=True))
        if trainable is not None and cls is not Neurons:  # neurons follow ensembles
            config[cls].trainable = trainable
    if "keep_history" in settings:  # then per probe too, as in NengoDL
        _add_param(
            config, nengo.Probe, BoolParam("keep_history", default=None, optional=True)
        )
    for name, value in settings.items():
        if name not in SETTINGS:
            raise ValidationError(
                f"Unknown setting {name!r}; known settings: trainable, "
                f"{', '.join(SETTINGS)}",
                attr=name,
            )
        _add_param(config, nengo.Network, SETTINGS[name])
        setattr(config[nengo.Network], name, value)


def get_setting(network, name):
    """A simulator setting of the top-level ``network`` (its default if unset)."""
    config = network.config
    if nengo.Network in config.params and name in config[nengo.Network].extra_params:
        return getattr(config[nengo.Network], name)
    return SETTINGS[name].default


def _network_paths(network, path=()):
    """Yield ``(obj, networks from top to the one holding obj)`` for all objects."""
    path = path + (network,)
    tensor_nodes = [n for n in network.nodes if isinstance(n, TensorNode)]
    for obj in network.ensembles + network.connections + tensor_nodes:
        yield obj, path
    for sub in network.networks:
        yield from _network_paths(sub, path)


def _configured_value(config, obj, cls):
    """This config's word on ``obj``'s trainable setting, or None."""
    if cls not in config.params:
        return None
    value = None
    if "trainable" in config[cls].extra_params:
        if "trainable" in config[cls]:
            value = config[cls].trainable
        if "trainable" in config[obj]:
            value = config[obj].trainable
    return value


def _resolve(obj, path, cls):
    value = None
    for net in path:
        configured = _configured_value(net.config, obj, cls)
        if configured is not None:
            value = configured
    return value


def trainable_objects(network):
    """Resolved trainable setting of each Ensemble, Neurons, Connection, TensorNode.

    Returns
    -------
    dict
        Maps objects to bool. Neurons with no setting of their own follow their
        Ensemble; anything with no setting at all is trainable.
    """
    result = {}
    for obj, path in _network_paths(network):
        if isinstance(obj, nengo.Ensemble):
            ens_value = _resolve(obj, path, nengo.Ensemble)
            result[obj] = True if ens_value is None else ens_value
            neurons_value = _resolve(obj.neurons, path, Neurons)
            result[obj.neurons] = (
                result[obj] if neurons_value is None else neurons_value
            )
        else:
            cls = TensorNode if isinstance(obj, TensorNode) else nengo.Connection
            value = _resolve(obj, path, cls)
            result[obj] = True if value is None else value
    return result
