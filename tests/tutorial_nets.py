"""The tutorial's network for the tests, built by ``scripts/tutorial_network.py``.

One definition of the network (cell 2 of the tutorial) for the demo, the
benchmarks and the tests; `training_network` adds the tutorial's preparation
for training (cells 10 and 12).
"""

import importlib.util
import pathlib

import nengo

import nengodl_notebook as nengo_dl

_SCRIPT = pathlib.Path(__file__).parent.parent / "scripts" / "tutorial_network.py"
_spec = importlib.util.spec_from_file_location("tutorial_network", _SCRIPT)
assert _spec is not None and _spec.loader is not None, _SCRIPT
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)

#: ``build_tutorial_network(n_neurons=20, seed=0) -> TutorialNetwork``
build_tutorial_network = _module.build_tutorial_network
TutorialNetwork = _module.TutorialNetwork


def training_network(n_neurons=15, seed=0):
    """The tutorial network without connection synapses, ensembles trainable.

    Cells 10 and 12 of the tutorial, but the output probe keeps its synapse
    (0.01). Its objects are attributes of the network: ``inpt``, ``out_conn``
    (``sin -> outpt``), ``inpt_p``, ``out_p`` (filtered) and ``nofilt_p``.

    Returns
    -------
    nengo.Network
    """
    tn = build_tutorial_network(n_neurons, seed=seed)
    net = tn.net
    for conn in net.all_connections:
        conn.synapse = None
    with net:
        net.nofilt_p = nengo.Probe(tn.outpt)
        nengo_dl.configure_settings(trainable=False)
        net.config[nengo.Ensemble].trainable = True
    net.inpt, net.inpt_p, net.out_p = tn.inpt, tn.inpt_p, tn.outpt_p
    (net.out_conn,) = [c for c in net.all_connections if c.post_obj is tn.outpt]
    return net
