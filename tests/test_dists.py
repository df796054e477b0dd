"""Weight-initialisation distributions (``nengodl_notebook.dists``)."""

import math

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengodl_notebook import dists


def truncated_variance(stddev, limit):
    """Variance of a zero-mean normal with ``stddev`` cut at ``+-limit``."""
    a = limit / stddev
    pdf = math.exp(-(a**2) / 2) / math.sqrt(2 * math.pi)
    mass = math.erf(a / math.sqrt(2))
    return stddev**2 * (1 - 2 * a * pdf / mass)


@pytest.mark.parametrize(
    "dist",
    [dists.TruncatedNormal(), dists.VarianceScaling(), dists.Glorot(), dists.He()],
)
@pytest.mark.parametrize("d", [None, 3])
def test_sample_shapes(dist, d):
    samples = dist.sample(7, d, rng=np.random.RandomState(0))
    assert samples.shape == ((7,) if d is None else (7, 3))
    assert np.all(np.isfinite(samples))


@pytest.mark.parametrize("mean, stddev, limit", [(0, 1, None), (3, 0.5, 0.2)])
def test_truncated_normal_bounds_and_variance(mean, stddev, limit):
    dist = dists.TruncatedNormal(mean=mean, stddev=stddev, limit=limit)
    bound = 2 * stddev if limit is None else limit
    assert dist.limit == bound
    x = dist.sample(200, 500, rng=np.random.RandomState(1))
    assert np.max(np.abs(x - mean)) <= bound
    # no resampling would leave samples outside; the cut must reach the edges
    assert np.max(np.abs(x - mean)) > 0.95 * bound
    assert abs(np.mean(x) - mean) < 0.01 * stddev
    assert np.var(x) == pytest.approx(truncated_variance(stddev, bound), rel=0.02)


@pytest.mark.parametrize(
    "mode, fan", [("fan_in", 40), ("fan_out", 300), ("fan_avg", 170)]
)
def test_variance_scaling_uniform(mode, fan):
    dist = dists.VarianceScaling(scale=2.0, mode=mode, distribution="uniform")
    x = dist.sample(300, 40, rng=np.random.RandomState(2))
    var = 2.0 / fan
    assert dist.variance(300, 40) == pytest.approx(var)
    bound = math.sqrt(3 * var)
    assert np.max(np.abs(x)) <= bound
    assert np.max(np.abs(x)) > 0.99 * bound
    assert np.var(x) == pytest.approx(var, rel=0.02)


def test_variance_scaling_normal_is_cut_at_two_stddevs():
    dist = dists.VarianceScaling(scale=3.0, mode="fan_in", distribution="normal")
    x = dist.sample(400, 30, rng=np.random.RandomState(3))
    stddev = math.sqrt(3.0 / 30)
    assert np.max(np.abs(x)) <= 2 * stddev
    assert np.var(x) == pytest.approx(truncated_variance(stddev, 2 * stddev), rel=0.02)


def test_one_dimensional_sample_has_fan_in_one():
    x = dists.VarianceScaling(mode="fan_in").sample(
        100_000, rng=np.random.RandomState(4)
    )
    assert np.var(x) == pytest.approx(1.0, rel=0.02)


def test_glorot_and_he_defaults():
    glorot = dists.Glorot()
    assert (glorot.scale, glorot.mode, glorot.distribution) == (1, "fan_avg", "uniform")
    assert glorot.variance(30, 10) == pytest.approx(1 / 20)
    he = dists.He()
    assert (he.mode, he.distribution) == ("fan_in", "normal")
    assert he.variance(30, 10) == pytest.approx(1 / 10)
    # scale is a gain: sqrt(2) for rectified linear units gives 2 / fan_in
    assert dists.He(scale=math.sqrt(2)).variance(30, 10) == pytest.approx(2 / 10)
    x = dists.He(scale=math.sqrt(2), distribution="uniform").sample(
        500, 50, rng=np.random.RandomState(5)
    )
    assert np.var(x) == pytest.approx(2 / 50, rel=0.02)


def test_reprs_show_parameters():
    assert repr(dists.Glorot()) == "Glorot()"
    assert repr(dists.He(scale=2.0)) == "He(scale=2.0)"
    assert (
        repr(dists.VarianceScaling(mode="fan_in")) == "VarianceScaling(mode='fan_in')"
    )
    assert repr(dists.TruncatedNormal(stddev=0.5)) == (
        "TruncatedNormal(stddev=0.5, limit=1.0)"
    )
    assert dists.Glorot(scale=2) == dists.Glorot(scale=2)
    assert dists.Glorot(scale=2) != dists.Glorot(scale=3)


@pytest.mark.parametrize(
    "dist", [dists.TruncatedNormal(limit=1.5), dists.Glorot(), dists.He()]
)
def test_seeded_rng_reproduces_samples(dist):
    a = dist.sample(20, 5, rng=np.random.RandomState(9))
    b = dist.sample(20, 5, rng=np.random.RandomState(9))
    c = dist.sample(20, 5, rng=np.random.RandomState(10))
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize(
    "make, attr",
    [
        (lambda: dists.TruncatedNormal(stddev=-1), "stddev"),
        (lambda: dists.TruncatedNormal(stddev=0), "stddev"),
        (lambda: dists.TruncatedNormal(limit=0), "limit"),
        (lambda: dists.TruncatedNormal(mean="a"), "mean"),
        (lambda: dists.VarianceScaling(scale=-1), "scale"),
        (lambda: dists.VarianceScaling(mode="fan_max"), "mode"),
        (lambda: dists.VarianceScaling(distribution="cauchy"), "distribution"),
        (lambda: dists.Glorot(distribution="cauchy"), "distribution"),
        (lambda: dists.He(scale=-2), "scale"),
        (lambda: dists.VarianceScaling(mode="fan_out").sample(0, 3), "mode"),
    ],
)
def test_bad_arguments_name_the_parameter(make, attr):
    with pytest.raises(ValidationError) as info:
        make()
    assert info.value.attr == attr
    assert attr in str(info.value)


def _net(seed):
    with nengo.Network(seed=seed) as net:
        stim = nengo.Node(lambda t: [np.sin(8 * t), np.cos(5 * t), t])
        a = nengo.Ensemble(40, 3, encoders=dists.Glorot())
        b = nengo.Ensemble(30, 2, encoders=dists.TruncatedNormal(limit=1.0))
        out = nengo.Node(size_in=2)
        nengo.Connection(stim, a)
        dense = nengo.Connection(
            a.neurons, b.neurons, transform=nengo.Dense((30, 40), init=dists.He())
        )
        nengo.Connection(b, out)
        mixed = nengo.Node(size_in=2)
        direct = nengo.Connection(
            stim, mixed, transform=dists.Glorot(distribution="normal"), synapse=None
        )
        nengo.Connection(mixed, out, synapse=None)
        probe = nengo.Probe(out, synapse=0.01)
    return net, a, dense, direct, probe


def test_network_matches_nengo(Simulator, seed):
    net, a, dense, direct, probe = _net(seed)
    with nengo.Simulator(net, progress_bar=False) as ref:
        ref.run_steps(100)
    with Simulator(net, dtype="float64") as sim:
        sim.run_steps(100)

    for conn in (dense, direct):
        assert np.array_equal(sim.data[conn].weights, ref.data[conn].weights)
    assert np.array_equal(sim.data[a].encoders, ref.data[a].encoders)
    # the distributions set the weights: He's fan-in is 40; Glorot's fans 3 and 2
    w = ref.data[dense].weights
    assert w.shape == (30, 40)
    assert np.max(np.abs(w)) <= 2 * math.sqrt(1 / 40)
    assert ref.data[direct].weights.shape == (2, 3)
    assert np.max(np.abs(ref.data[direct].weights)) <= 2 * math.sqrt(1 / 2.5)
    assert np.max(np.abs(ref.data[probe])) > 0.01
    np.testing.assert_allclose(sim.data[probe], ref.data[probe], atol=1e-8)
