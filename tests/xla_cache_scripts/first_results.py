"""Run networks in a fresh process; print their program names and results (JSON).

Usage: ``python first_results.py NAME [NAME ...]`` with names from `NETWORKS`
(``train`` trains the ``pair`` network for 2 epochs). The XLA cache directory
comes from ``NENGODL_NOTEBOOK_XLA_CACHE``, as for any user.
"""

import hashlib
import json
import sys
import warnings

import nengo
import numpy as np

import nengodl_notebook as nengo_dl


def pair():
    """Two ensembles in a chain, fed a sine wave."""
    with nengo.Network(seed=1) as net:
        stim = nengo.Node(np.sin)
        a = nengo.Ensemble(20, 1)
        b = nengo.Ensemble(20, 1)
        nengo.Connection(stim, a)
        nengo.Connection(a, b, function=np.square)
        probe = nengo.Probe(b, synapse=0.01)
    return net, probe


def integrator():
    """A recurrent 2-D integrator."""
    with nengo.Network(seed=2) as net:
        stim = nengo.Node([0.5, -0.25])
        ens = nengo.Ensemble(60, 2)
        nengo.Connection(stim, ens, transform=0.1, synapse=0.1)
        nengo.Connection(ens, ens, synapse=0.1)
        probe = nengo.Probe(ens, synapse=0.01)
    return net, probe


NETWORKS = {"pair": pair, "integrator": integrator}


def digest(*arrays):
    """A short digest of arrays' bytes."""
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def program_names(sim):
    """Names of the step programs a Simulator ran (as found by their keys)."""
    from nengodl_notebook.shared_programs import SHARED_PROGRAMS

    structure = sim._program.structure_key()
    names = []
    for shapes in sim._program._programs:
        found = SHARED_PROGRAMS.lookup(structure + (("run", shapes),))
        names.append(found.concrete.name.decode())
    return sorted(names)


def simulate(name):
    net, probe = NETWORKS[name]()
    with nengo_dl.Simulator(net, progress_bar=False) as sim:
        sim.run(0.5)
        return {
            "names": program_names(sim),
            "digest": digest(sim.data[probe]),
            "traces": sim._program._run.experimental_get_tracing_count(),
        }


def train():
    net, _ = pair()
    stim, b = net.nodes[0], net.ensembles[1]
    with net:
        probe = nengo.Probe(b)  # no synapse: a gradient in one step
    x = np.linspace(-1, 1, 64).reshape(64, 1, 1)
    with nengo_dl.Simulator(net, minibatch_size=16, progress_bar=False) as sim:
        sim.compile(optimizer="adam", loss={probe: "mse"})
        sim.fit({stim: x}, {probe: x**2}, epochs=2, verbose=0)
        return {"digest": digest(*sim._store.values())}


if __name__ == "__main__":
    warnings.simplefilter("ignore")  # stderr: only what the cache prints
    out = {}
    for name in sys.argv[1:]:
        out[name] = train() if name == "train" else simulate(name)
    print(json.dumps(out))
