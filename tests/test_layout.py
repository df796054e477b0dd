"""Signal layout: bases split between ``state`` and ``params`` read like nengo."""

import nengo
import numpy as np
import pytest
from nengo.builder import Model
from nengo.builder.operator import Copy, DotInc, Reset
from nengo.builder.signal import Signal


def merged_model():
    """A base of read-only "biases" [1, 2, 3] followed by two written elements.

    Like nengo's merging of biases with a written signal. Ops read the read-only
    part alone, the whole base (mixed), and a view straddling both parts.
    """
    model = Model(dt=0.001)
    base = Signal(np.array([1.0, 2.0, 3.0, 0.0, 0.0]), name="merged")
    const, written = base[0:3], base[3:5]
    out = {
        name: Signal(np.zeros(n), name=name)
        for name, n in (("const", 3), ("whole", 5), ("straddle", 2), ("dot", 2))
    }
    model.add_op(Reset(written, 5.0))
    model.add_op(Copy(const, out["const"]))
    model.add_op(Copy(base, out["whole"]))
    model.add_op(Copy(base[2:4], out["straddle"]))
    model.add_op(Reset(out["dot"]))
    weights = Signal(
        np.array([[1.0, 0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0, 1.0]]), name="weights"
    )
    model.add_op(DotInc(weights, base, out["dot"]))
    return model, base, out


def test_read_only_part_of_a_written_base_lives_in_params(Simulator):
    model, base, out = merged_model()
    with Simulator(None, model=model, optimize=False) as sim:
        layout = sim._ctx.layout
        assert list(layout.in_state(base)) == [False, False, False, True, True]
        assert layout.kind(base[0:3]) == "params" and layout.kind(base[3:5]) == "state"
        with pytest.raises(ValueError, match="both the state and the params"):
            layout.kind(base)
        sim.step()
        values = {name: sim.signals[sig] for name, sig in out.items()}
        merged = sim.signals[base]
    ref_model, ref_base, ref_out = merged_model()
    with nengo.Simulator(
        None, model=ref_model, optimize=False, progress_bar=False
    ) as ref:
        ref.step()
        for name, sig in ref_out.items():
            assert np.allclose(values[name], ref.signals[sig]), name
        assert np.allclose(merged, ref.signals[ref_base])
    assert np.allclose(values["whole"], [1, 2, 3, 5, 5])
    assert np.allclose(values["dot"], [1 + 3 + 5, 2 + 5])


def test_split_base_reads_per_minibatch_item(Simulator):
    model, base, out = merged_model()
    with Simulator(None, model=model, optimize=False, minibatch_size=3) as sim:
        sim.step()
        assert sim.signals[base].shape == (3, 5)
        assert np.allclose(sim.signals[base], [[1, 2, 3, 5, 5]] * 3)
        assert np.allclose(sim.signals[out["straddle"]], [[3, 5]] * 3)


def test_tutorial_biases_stay_out_of_the_state(Simulator):
    # nengo's merging is random: in some builds the two ensembles' biases share
    # a base with a node's written output. Either way the state holds no bias.
    with nengo.Network(seed=0) as net:
        inpt = nengo.Node(nengo.processes.WhiteSignal(1, 5, rms=0.3))
        square = nengo.Ensemble(1000, 1)
        sin = nengo.Ensemble(1000, 1)
        nengo.Connection(inpt, square)
        outpt = nengo.Node(size_in=1)
        nengo.Connection(square, sin, function=np.square)
        nengo.Connection(sin, outpt, function=np.sin)
        nengo.Probe(outpt, synapse=0.01)
    with Simulator(net) as sim:
        layout = sim._ctx.layout
        for ens in (square, sin):
            assert layout.kind(sim.model.sig[ens.neurons]["bias"]) == "params"
        # outputs, voltages, refractory times and input currents of 2000 neurons
        assert layout.sizes["state"] < 4 * 2000 + 50
