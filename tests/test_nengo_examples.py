"""Every ``nengo.networks`` network and every nengo 4.1 documentation example that
runs on ``nengo.Simulator`` runs on ours and matches it.

Each factory builds a network with a fixed seed and returns ``(net, {name:
probe})``. The factory is called twice so that each simulator gets its own copy
(several examples keep state in Python objects: a delay buffer, an action
iterator). Both copies run with the same simulator seed and every probe, plus a
spike probe on every spiking ensemble, is compared with ``reference.compare_all``:
float64 to 1e-8 relative to each signal's magnitude; a few also in float32 (1e-4
before the first spike flip). Neuron counts and run times are reduced from the
notebooks where that keeps a case short, and Piecewise/step schedules
compressed in time to fit the shorter runs; the structure, neuron types,
synapses, functions, processes, learning rules and config usage are the
examples'. Learning examples run 1 s; their learning
rates are raised where the notebook's would not change the weights measurably
within that second, and the test checks that the weights did change.

``nengo.networks`` in nengo 4.1 holds EnsembleArray (with add_output,
add_neuron_input, add_neuron_output), Product (and dot_product_transform),
CircularConvolution, InputGatedMemory, BasalGanglia (Weights, ampa/gaba configs
through config_with_default_synapse), Thalamus and AssociativeMemory (wta,
thresholded outputs, default output vector, inhibitable, extra input/output
mappings). ``Integrator`` and ``Oscillator`` are no longer in nengo 4.1; the
integrator-network and oscillator examples build them inline.

Documentation examples left out, because they run no simulator:

* ``advanced/nef-algorithm``: pure NumPy NEF implementation, no nengo at all.
* ``usage/config``: only sets and prints config defaults and config params
  (config usage is covered by ``usage/network-design-advanced`` and the
  BasalGanglia/AssociativeMemory configs here).
* ``usage/strings``: prints ``str``/``repr`` of nengo objects; it builds a
  ``nengo.Simulator(optimize=False)`` only to print the reference simulator's
  private operator list ``sim._step_order``, and runs nothing.
* ``spa/*``: written for the old ``nengo.spa``, which nengo 4.1 does not have.

``usage/exceptions`` runs simulators only to show errors; ``test_exceptions``
checks that ours raises the same ones. The notebooks that call
``nengo.utils.ensemble.tuning_curves``/``response_curves`` on a simulator
(``usage/tuning-curves``, ``usage/rectified-linear``, ``advanced/nef-summary``,
``advanced/functions-and-tuning-curves``) are also checked by ``test_tuning_curves``.

The factories live in ``example_networks.py`` (the registries and
``nengo.networks``), ``example_basic_dynamics.py``, ``example_learning.py`` and
``example_advanced_usage.py``.

Runtime: about 75 s on 2 shared cores. The notebook-size lorenz attractor (2000
neurons) and force learning (200 neurons per network) are marked ``slow``
(``--slow``, about 10 s more); smaller versions of both run by default.
"""

# the factory modules register their networks in NETWORKS and EXAMPLES on import
import example_advanced_usage  # noqa: F401
import example_basic_dynamics  # noqa: F401
import example_learning  # noqa: F401
import nengo
import numpy as np
import pytest
from example_advanced_usage import RectifiedLinear
from example_networks import EXAMPLES, NETWORKS
from nengo.dists import Choice, Uniform
from nengo.utils.ensemble import response_curves, tuning_curves
from reference import (
    ATOL,
    DT,
    SIM_SEED,
    add_spike_probes,
    compare_all,
    run_ours,
    run_reference,
)

import nengodl_notebook

# ---------------------------------------------------------------------------
# the comparisons
# ---------------------------------------------------------------------------

# notebook (nengo 4.1 docs/examples) -> factories covering it
NOTEBOOKS = {
    "basic/single-neuron": ["single_neuron"],
    "basic/two-neurons": ["two_neurons"],
    "basic/2d-representation": ["representation_2d"],
    "basic/addition": ["addition"],
    "basic/combining": ["combining"],
    "basic/communication-channel": ["communication_channel"],
    "basic/many-neurons": ["many_neurons"],
    "basic/multiplication": ["multiplication"],
    "basic/squaring": ["squaring"],
    "dynamics/integrator": ["integrator"],
    "dynamics/oscillator": ["oscillator"],
    "dynamics/controlled-integrator": ["controlled_integrator"],
    "dynamics/controlled-integrator2": ["controlled_integrator2"],
    "dynamics/controlled-oscillator": ["controlled_oscillator"],
    "dynamics/lorenz-attractor": ["lorenz_attractor", "lorenz_attractor_full"],
    "learning/learn-communication-channel": [
        "learn_communication_channel",
        "learn_communication_channel_weights",
    ],
    "learning/learn-square": ["learn_square"],
    "learning/learn-product": ["learn_product"],
    "learning/learn-unsupervised": ["learn_unsupervised"],
    "learning/learn-associations": ["learn_associations"],
    "learning/force-learning": ["force_learning", "force_learning_full"],
    "learning/lmu": ["lmu"],
    "networks/basal-ganglia": ["basal_ganglia_example"],
    "networks/ensemble-array": ["ensemble_array_example"],
    "networks/integrator-network": ["integrator_network"],
    "advanced/izhikevich": ["izhikevich", "izhikevich_classes"],
    "advanced/inhibitory-gating": ["inhibitory_gating"],
    "advanced/matrix-multiplication": ["matrix_multiplication"],
    "advanced/processes": ["processes_builtin", "processes_custom"],
    "advanced/nef-summary": [
        "nef_summary_representation",
        "nef_summary_transformation",
        "nef_summary_dynamics",
    ],
    "advanced/functions-and-tuning-curves": ["functions_and_tuning_curves"],
    "usage/rectified-linear": ["rectified_linear"],
    "usage/delay-node": ["delay_node"],
    "usage/network-design": ["network_design", "network_design_double_integrator"],
    "usage/network-design-advanced": [
        "network_design_advanced",
        "network_design_advanced_double_integrator",
    ],
    "usage/tuning-curves": [],  # test_tuning_curves
    "usage/exceptions": [],  # test_exceptions
}
NOT_SIMULATED = ["advanced/nef-algorithm", "usage/config", "usage/strings"]


def run_and_compare(name, case, dtype):
    """Run a fresh build of ``case`` in each simulator; return failures and ref."""
    dt = case.sim_kwargs.get("dt", DT)
    results, probes, spikes = [], None, None
    for runner in (run_reference, run_ours):
        net, probes = case.factory()
        spikes = add_spike_probes(net)
        all_probes = dict(probes, **{k: p for k, (p, _) in spikes.items()})
        args = () if runner is run_reference else (dtype,)
        results.append(runner(net, all_probes, case.run_time, *args, **case.sim_kwargs))
    ref, ours = results
    all_probes = dict(probes, **{k: p for k, (p, _) in spikes.items()})
    return compare_all(name, ref, ours, all_probes, dtype, dt, spikes), ref


def check_case(name, case, dtype):
    failures, ref = run_and_compare(name, case, dtype)
    details = "\n  ".join(failures)
    assert not failures, f"{name}[{dtype}] differs from nengo:\n  {details}"
    # the comparison means something only if the signals move
    probed = [k for k in ref if not k.startswith("__")]
    assert any(np.ptp(ref[k], axis=0).max() > 1e-3 for k in probed), name
    for key in case.learned:
        change = np.abs(ref[key][-1] - ref[key][0]).max()
        scale = max(1.0, np.abs(ref[key]).max())
        # at least 100 times the float64 comparison tolerance
        assert change > 100 * ATOL["float64"] * scale, (name, key, change)


def params(registry):
    out = []
    for name, case in registry.items():
        marks = [pytest.mark.slow] if case.slow else []
        out.append(pytest.param(name, "float64", marks=marks, id=f"{name}-float64"))
        if case.float32:
            out.append(pytest.param(name, "float32", marks=marks, id=f"{name}-float32"))
    return out


@pytest.mark.parametrize("name, dtype", params(NETWORKS))
def test_networks_match_nengo(name, dtype):
    check_case(name, NETWORKS[name], dtype)


@pytest.mark.parametrize("name, dtype", params(EXAMPLES))
def test_examples_match_nengo(name, dtype):
    check_case(name, EXAMPLES[name], dtype)


def test_registry_counts():
    """No network or example silently disappears."""
    public = sorted(n for n in dir(nengo.networks) if n[0].isupper())
    assert public == [
        "AssociativeMemory",
        "BasalGanglia",
        "CircularConvolution",
        "EnsembleArray",
        "InputGatedMemory",
        "Product",
        "Thalamus",
    ]
    assert len(NETWORKS) == 8
    assert len(EXAMPLES) == 44
    assert len(NOTEBOOKS) == 37
    covered = [f for names in NOTEBOOKS.values() for f in names]
    assert sorted(covered) == sorted(EXAMPLES)
    assert not set(NOT_SIMULATED) & set(NOTEBOOKS)


def _tuning_nets():
    """The ensembles of usage/tuning-curves, usage/rectified-linear,
    advanced/nef-summary and advanced/functions-and-tuning-curves."""
    encoders = np.tile([[1], [-1]], (4, 1))
    with nengo.Network(seed=120) as net:
        ens = [
            nengo.Ensemble(15, 1),
            nengo.Ensemble(15, 1, intercepts=Choice([-0.2]), encoders=Choice([[1]])),
            nengo.Ensemble(15, 2, encoders=Choice([[1, 1]])),
            nengo.Ensemble(15, 2),
            nengo.Ensemble(
                8,
                1,
                intercepts=np.linspace(-0.8, 0.8, 8) * encoders[:, 0],
                neuron_type=RectifiedLinear(),
                max_rates=Uniform(80, 100),
                encoders=encoders,
            ),
            nengo.Ensemble(30, 1, neuron_type=nengo.Izhikevich()),
        ]
        with nengo.presets.ThresholdingEnsembles(0.0):
            ens.append(nengo.Ensemble(20, 1))
        ens_5d = nengo.Ensemble(15, 5)
        ens_3d = nengo.Ensemble(15, 3)
    return net, ens, ens_5d, ens_3d


def test_tuning_curves():
    """tuning_curves/response_curves from our simulator equal nengo's."""
    inputs = np.zeros((50, 3))
    inputs[:, 0] = np.linspace(-1, 1, 50)
    inputs[:, 1:] = 0.5
    curves = []
    for sim_class in (nengo.Simulator, nengodl_notebook.Simulator):
        net, ens, ens_5d, ens_3d = _tuning_nets()
        with sim_class(net, seed=SIM_SEED, progress_bar=False) as sim:
            out = [tuning_curves(e, sim) for e in ens]
            out.append(response_curves(ens_5d, sim))
            out.append(tuning_curves(ens_3d, sim, inputs=inputs))
        curves.append(out)
    for i, (ref, ours) in enumerate(zip(*curves)):
        for r, o in zip(ref, ours):
            assert np.allclose(o, r, rtol=1e-10, atol=1e-8), i


def _closed():
    with nengo.Network() as net:
        nengo.Ensemble(10, 1)
    return net, lambda sim: (sim.close(), sim.run(0.01))


def _node_returns_none():
    with nengo.Network() as net:
        nengo.Node(lambda t: None if t > 0.002 else 1.0)
    return net, lambda sim: sim.run(0.003)


def _zero_activity():
    with nengo.Network() as net:
        e = nengo.Ensemble(1, 1, gain=[0], bias=[-1], encoders=[[1]])
        nengo.Connection(e, e)
    return net, None


@pytest.mark.parametrize("make", [_closed, _node_returns_none, _zero_activity])
def test_exceptions(make):
    """usage/exceptions: the simulator errors are the ones nengo raises."""
    raised = []
    for sim_class in (nengo.Simulator, nengodl_notebook.Simulator):
        net, action = make()
        with pytest.raises(nengo.exceptions.NengoException) as info:
            with sim_class(net, progress_bar=False) as sim:
                if action is not None:
                    action(sim)
        raised.append(type(info.value))
    assert raised[1] is raised[0], raised
