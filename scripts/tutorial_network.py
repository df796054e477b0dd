"""The example network of the "From Nengo to NengoDL" tutorial (cell 2).

Shared by ``scripts/run_tutorial.py`` (the demo) and ``benchmarks/run.py``
(the timing harness, also in its NengoDL subprocess), so it depends on
``nengo`` and ``numpy`` only.
"""

from typing import NamedTuple

import nengo
import numpy as np


class TutorialNetwork(NamedTuple):
    """The tutorial network and the objects the tutorial refers to."""

    net: nengo.Network
    inpt: nengo.Node
    square: nengo.Ensemble
    sin: nengo.Ensemble
    outpt: nengo.Node
    inpt_p: nengo.Probe
    outpt_p: nengo.Probe


def build_tutorial_network(n_neurons=20, seed=0):
    """Build the network computing ``sin(x**2)`` from the tutorial.

    Parameters
    ----------
    n_neurons : int, optional
        Neurons in each of the two ensembles (the tutorial uses 20).
    seed : int, optional
        Seed of the ``nengo.Network``.

    Returns
    -------
    TutorialNetwork
        The network and its input node, ensembles, output node and probes.
    """
    with nengo.Network(seed=seed) as net:
        # input node outputting a random signal for x
        inpt = nengo.Node(nengo.processes.WhiteSignal(1, 5, rms=0.3))
        # first ensemble, will compute x^2
        square = nengo.Ensemble(n_neurons, 1)
        # second ensemble, will compute sin(x^2)
        sin = nengo.Ensemble(n_neurons, 1)
        # output node
        outpt = nengo.Node(size_in=1)
        nengo.Connection(inpt, square)
        nengo.Connection(square, sin, function=np.square)
        nengo.Connection(sin, outpt, function=np.sin)
        # probes on the input and output
        inpt_p = nengo.Probe(inpt)
        outpt_p = nengo.Probe(outpt, synapse=0.01)
    return TutorialNetwork(net, inpt, square, sin, outpt, inpt_p, outpt_p)
