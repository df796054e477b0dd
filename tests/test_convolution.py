"""Convolution transforms (nengo.Convolution, nengo.ConvolutionTranspose).

Each network runs with the same seed in ``nengo.Simulator`` and in ours; the probes
must agree to 1e-8 in float64 and to 1e-4 in float32, relative to
``max(1, |reference|)`` per probed dimension. Covered: 1-D and 2-D, channels
first and last, strides, "same" and "valid" padding, groups, transposed
convolutions with a given ``output_shape``, ``init`` distributions and arrays,
Node -> Node and neurons -> neurons, merged ops of one geometry, minibatches with
``data=`` (each item equal to a single run of its input), a probed kernel
(per-item kernels), training of the kernel (``sim.train`` and ``sim.fit``;
non-trainable kernels bit-for-bit unchanged; frozen back into the network), and
the error for 3-D convolutions.
"""

import nengo
import numpy as np
import pytest
import tensorflow as tf

import nengodl_notebook as nengo_dl
from nengodl_notebook.op_builders.transforms import ConvIncBuilder
from nengodl_notebook.planner import NotSupportedError

SEED = 7
ATOL = {"float64": 1e-8, "float32": 1e-4}


def assert_match(ref, ours, dtype):
    """``ours`` equals ``ref`` to the dtype's tolerance.

    Relative to ``max(1, |ref|)`` with ``|ref|`` each probed dimension's largest
    magnitude over time (as in ``tests/reference.py``).
    """
    assert ours.shape == ref.shape
    err = np.abs(ours - ref) / np.maximum(1.0, np.abs(ref).max(axis=0))
    assert err.max() <= ATOL[dtype], f"max relative error {err.max():.3g}"


def run_both(net, probes, Simulator, dtype, n_steps=20):
    """Probe data of ``n_steps`` in nengo.Simulator and ours: ``[(ref, ours)]``."""
    with nengo.Simulator(net, seed=SEED, progress_bar=False) as ref_sim:
        ref_sim.run_steps(n_steps)
    with Simulator(net, seed=SEED, dtype=dtype) as sim:
        sim.run_steps(n_steps)
        ours = [np.asarray(sim.data[p]) for p in probes]
    return [(ref_sim.data[p], o) for p, o in zip(probes, ours)]


def wave_input(size, seed=0):
    """A time-varying input of ``size`` dimensions (one sine per dimension)."""
    rng = np.random.RandomState(seed)
    freq, phase = rng.uniform(5, 30, size), rng.uniform(0, 2 * np.pi, size)
    return lambda t: np.sin(freq * t + phase)


def node_net(transforms, synapse=None):
    """Input Nodes -> transforms -> one output Node (probed).

    Parameters
    ----------
    transforms : list of Convolution or ConvolutionTranspose
        All with the same output size; each gets its own input Node.
    """
    with nengo.Network(seed=SEED) as net:
        net.out = nengo.Node(size_in=transforms[0].size_out)
        net.inps, net.conns = [], []
        for i, transform in enumerate(transforms):
            inp = nengo.Node(wave_input(transform.size_in, seed=i))
            conn = nengo.Connection(inp, net.out, transform=transform, synapse=synapse)
            net.inps.append(inp)
            net.conns.append(conn)
        net.p = nengo.Probe(net.out)
    return net


def conv(dims, channels_last=True, **kwargs):
    """A Convolution of a small 1-D (10 x 3) or 2-D (7 x 6 x 3) input, 4 filters."""
    spatial = (10,) if dims == 1 else (7, 6)
    channels = kwargs.pop("channels", 3)
    shape = spatial + (channels,) if channels_last else (channels,) + spatial
    kwargs.setdefault("kernel_size", (3,) if dims == 1 else (3, 2))
    kwargs.setdefault("n_filters", 4)
    strides = kwargs.pop("stride", 1)
    return nengo.Convolution(
        input_shape=shape,
        channels_last=channels_last,
        strides=(strides,) * dims,
        **kwargs,
    )


@pytest.mark.parametrize("dims", (1, 2))
@pytest.mark.parametrize("channels_last", (True, False))
@pytest.mark.parametrize("stride", (1, 2))
@pytest.mark.parametrize("padding", ("same", "valid"))
def test_convolution_node_to_node(dims, channels_last, stride, padding, Simulator):
    transform = conv(dims, channels_last, stride=stride, padding=padding)
    net = node_net([transform])
    ((ref, ours),) = run_both(net, [net.p], Simulator, "float64")
    assert_match(ref, ours, "float64")


@pytest.mark.parametrize("dtype", ("float32", "float64"))
@pytest.mark.parametrize(
    "dims, channels, n_filters, groups, channels_last",
    [(2, 6, 4, 2, True), (2, 6, 9, 3, False), (1, 4, 4, 4, True), (1, 4, 8, 2, False)],
)
def test_convolution_groups(
    dims, channels, n_filters, groups, channels_last, dtype, Simulator
):
    transform = conv(
        dims,
        channels_last,
        channels=channels,
        n_filters=n_filters,
        groups=groups,
        padding="same",
        stride=2,
    )
    net = node_net([transform], synapse=0.005)
    ((ref, ours),) = run_both(net, [net.p], Simulator, dtype)
    assert_match(ref, ours, dtype)


def conv_transpose(
    dims, channels_last=True, stride=1, padding="valid", larger=False, **kw
):
    """A ConvolutionTranspose of a 1-D (5 x 3) or 2-D (4 x 3 x 3) input, 2 filters.

    With ``larger``, the output shape is one more than the smallest valid one in
    each spatial dimension (valid only with ``stride > 1``).
    """
    spatial = (5,) if dims == 1 else (4, 3)
    kernel = (3,) if dims == 1 else (3, 2)
    shape = spatial + (3,) if channels_last else (3,) + spatial
    kwargs = dict(
        n_filters=2,
        input_shape=shape,
        kernel_size=kernel,
        strides=(stride,) * dims,
        padding=padding,
        channels_last=channels_last,
        **kw,
    )
    if larger:
        smallest = nengo.ConvolutionTranspose(**kwargs).output_shape
        out = tuple(s + 1 for s in smallest.spatial_shape)
        kwargs["output_shape"] = out + (2,) if channels_last else (2,) + out
    return nengo.ConvolutionTranspose(**kwargs)


@pytest.mark.parametrize("dims", (1, 2))
@pytest.mark.parametrize(
    "channels_last, stride, padding, larger",
    [
        (True, 1, "valid", False),
        (False, 1, "same", False),
        (True, 2, "same", False),
        (False, 2, "valid", True),
        (True, 2, "same", True),
    ],
)
def test_convolution_transpose(dims, channels_last, stride, padding, larger, Simulator):
    transform = conv_transpose(dims, channels_last, stride, padding, larger)
    if larger:
        smallest = conv_transpose(dims, channels_last, stride, padding)
        assert transform.output_shape != smallest.output_shape
    net = node_net([transform])
    ((ref, ours),) = run_both(net, [net.p], Simulator, "float64")
    assert_match(ref, ours, "float64")


def test_convolution_transpose_float32(Simulator):
    net = node_net([conv_transpose(2, True, 2, "same", larger=True)], synapse=0.005)
    ((ref, ours),) = run_both(net, [net.p], Simulator, "float32")
    assert_match(ref, ours, "float32")


@pytest.mark.parametrize(
    "init", [nengo.dists.Gaussian(0, 0.3), nengo.dists.Uniform(-0.2, 0.5), "array"]
)
def test_convolution_init(init, Simulator):
    if isinstance(init, str):
        init = np.random.RandomState(1).randn(3, 2, 3, 4)
    transform = conv(2, padding="same", init=init)
    net = node_net([transform])
    ((ref, ours),) = run_both(net, [net.p], Simulator, "float64")
    assert_match(ref, ours, "float64")
    with nengo.Simulator(net, seed=SEED, progress_bar=False) as ref_sim:
        kernel = ref_sim.data[net.conns[0]].weights
    with Simulator(net, seed=SEED, dtype="float64") as sim:
        assert np.array_equal(sim.data[net.conns[0]].weights, kernel)
    if isinstance(init, nengo.dists.Uniform):
        assert np.all((kernel >= init.low) & (kernel <= init.high))


@pytest.mark.parametrize(
    "dtype, neuron_type",
    # not float32 LIFRate: its steep onset turns the convolution's float32 round-off
    # (1e-6 relative) into 1e-4 relative differences of the rates near threshold
    [
        ("float64", nengo.LIF()),
        ("float64", nengo.LIFRate()),
        ("float32", nengo.RectifiedLinear()),
    ],
)
@pytest.mark.parametrize("transpose", (False, True))
def test_convolution_between_neurons(dtype, neuron_type, transpose, Simulator):
    init = nengo.dists.Uniform(-0.05, 0.05)
    if transpose:
        transform = conv_transpose(2, False, stride=2, padding="same", init=init)
    else:
        transform = conv(2, False, stride=2, padding="same", channels=2, init=init)
    with nengo.Network(seed=SEED) as net:
        inp = nengo.Node(wave_input(3))
        a = nengo.Ensemble(transform.size_in, 3, neuron_type=neuron_type)
        b = nengo.Ensemble(transform.size_out, 1, neuron_type=neuron_type)
        nengo.Connection(inp, a)
        nengo.Connection(a.neurons, b.neurons, transform=transform, synapse=0.005)
        probes = [nengo.Probe(b.neurons), nengo.Probe(b.neurons, "input")]
    for ref, ours in run_both(net, probes, Simulator, dtype, n_steps=100):
        assert np.any(ref != 0)
        assert_match(ref, ours, dtype)


@pytest.mark.parametrize("channels_last", (True, False))
def test_merged_convolutions(channels_last, Simulator):
    """Three convolutions of one geometry run as one grouped convolution (not a fourth
    of other groups)."""
    geometry = dict(padding="valid", channels=6, n_filters=6)
    transforms = [conv(2, channels_last, groups=g, **geometry) for g in (3, 3, 3, 1)]
    net = node_net(transforms)
    ((ref, ours),) = run_both(net, [net.p], Simulator, "float64")
    assert_match(ref, ours, "float64")
    with Simulator(net, dtype="float64") as sim:
        sizes = sorted(
            len(g.ops) for g in sim._program.groups if isinstance(g, ConvIncBuilder)
        )
    assert sizes == [1, 3]


def minibatch_net(transform):
    """Node -> transform -> Node, with an output probe and a probed kernel."""
    with nengo.Network(seed=SEED) as net:
        net.inp = nengo.Node(np.zeros(transform.size_in))
        net.out = nengo.Node(size_in=transform.size_out)
        net.conn = nengo.Connection(
            net.inp, net.out, transform=transform, synapse=0.005
        )
        net.p = nengo.Probe(net.out)
    return net


@pytest.mark.parametrize("probe_kernel", (False, True))
@pytest.mark.parametrize("transpose", (False, True))
def test_minibatch_data(transpose, probe_kernel, Simulator):
    """Each minibatch item equals nengo.Simulator run on that item's input.

    A probed kernel lives in the state array (one copy per item).
    """
    if transpose:
        transform = conv_transpose(1, channels_last=False, stride=2, padding="same")
    else:
        transform = conv(
            2, True, stride=2, padding="same", channels=6, n_filters=6, groups=3
        )
    net = minibatch_net(transform)
    if probe_kernel:
        with net:
            p_kernel = nengo.Probe(net.conn, "weights")
    n_steps, mb = 15, 3
    x = np.random.RandomState(2).uniform(-1, 1, (mb, n_steps, transform.size_in))
    with Simulator(net, seed=SEED, dtype="float64", minibatch_size=mb) as sim:
        sim.run_steps(n_steps, data={net.inp: x})
        ours = np.asarray(sim.data[net.p])
        if probe_kernel:
            kernels = np.asarray(sim.data[p_kernel])
    assert ours.shape == (mb, n_steps, transform.size_out)
    for i in range(mb):
        net.inp.output = nengo.processes.PresentInput(x[i], presentation_time=0.001)
        with nengo.Simulator(net, seed=SEED, progress_bar=False) as ref_sim:
            ref_sim.run_steps(n_steps)
        assert_match(ref_sim.data[net.p], ours[i], "float64")
        if probe_kernel:
            assert np.array_equal(kernels[i, -1], ref_sim.data[net.conn].weights)
    assert not np.allclose(ours[0], ours[1])


def training_net(trainable_second):
    """One input image -> two convolutions (a 2-D and a transposed) -> output Node.

    The first convolution is trainable; the second as ``trainable_second``.
    """
    with nengo.Network(seed=SEED) as net:
        nengo_dl.configure_settings(trainable=False)
        net.inp = nengo.Node(np.zeros(5 * 5 * 2))
        net.out = nengo.Node(size_in=5 * 5 * 2)
        first = nengo.Convolution(2, (5, 5, 2), kernel_size=(3, 3), padding="same")
        second = nengo.ConvolutionTranspose(
            2, (2, 5, 5), kernel_size=(2, 3), padding="same", channels_last=False
        )
        net.c1 = nengo.Connection(net.inp, net.out, transform=first, synapse=None)
        net.c2 = nengo.Connection(net.inp, net.out, transform=second, synapse=None)
        net.config[net.c1].trainable = True
        net.config[net.c2].trainable = trainable_second
        net.p = nengo.Probe(net.out)
    return net


def training_data(net, n=32):
    """Inputs and targets: the output of a fixed "teacher" convolution."""
    rng = np.random.RandomState(3)
    x = rng.uniform(-1, 1, (n, 1, net.inp.size_out))
    teacher = rng.uniform(-0.5, 0.5, (3, 3, 2, 2))
    with tf.device("/cpu:0"):
        y = tf.nn.conv2d(x.reshape(n, 5, 5, 2), teacher, 1, "SAME").numpy()
    return {net.inp: x}, {net.p: y.reshape(n, 1, -1)}


@pytest.mark.parametrize("api", ("train", "fit"))
def test_training_changes_only_trainable_kernels(api, Simulator):
    """Training lowers the loss by changing the trainable kernel only."""
    net = training_net(trainable_second=False)
    x, y = training_data(net)
    objective = {net.p: nengo_dl.obj.mse}
    with Simulator(net, minibatch_size=8, seed=SEED) as sim:
        k1, k2 = (np.array(sim.data[c].weights) for c in (net.c1, net.c2))
        before = sim.loss({**x, **y}, objective)
        if api == "train":
            sim.train(
                {**x, **y}, tf.keras.optimizers.Adam(0.02), objective, n_epochs=15
            )
        else:
            sim.compile(tf.keras.optimizers.Adam(0.02), loss={net.p: "mse"})
            sim.fit(x=x, y=y, epochs=15)
        after = sim.loss({**x, **y}, objective)
        assert after < 0.5 * before
        assert not np.allclose(sim.data[net.c1].weights, k1, atol=1e-3)
        assert np.array_equal(sim.data[net.c2].weights, k2)  # bit for bit


def test_trained_kernel_is_used(Simulator):
    """After training, a run equals nengo.Simulator with the trained kernels."""
    net = training_net(trainable_second=True)
    x, y = training_data(net)
    run_x = np.repeat(x[net.inp][:8], 3, axis=1)  # each item's input for 3 steps
    with Simulator(net, minibatch_size=8, seed=SEED, dtype="float64") as sim:
        kernels = [np.array(sim.data[c].weights) for c in (net.c1, net.c2)]
        objective = {net.p: nengo_dl.obj.mse}
        sim.train({**x, **y}, tf.keras.optimizers.Adam(0.02), objective, n_epochs=3)
        trained = [np.array(sim.data[c].weights) for c in (net.c1, net.c2)]
        for k, t in zip(kernels, trained):
            assert not np.allclose(t, k, atol=1e-3)
        sim.run_steps(3, data={net.inp: run_x})
        ours = np.array(sim.data[net.p])
        sim.freeze_params(net)
    for i in range(2):
        net.inp.output = run_x[i, 0]
        with nengo.Simulator(net, seed=SEED, progress_bar=False) as ref_sim:
            ref_sim.run_steps(3)
        for c, t in zip((net.c1, net.c2), trained):
            assert np.array_equal(ref_sim.data[c].weights, t)
        assert_match(ref_sim.data[net.p], ours[i], "float64")


def test_three_dimensional_convolution_not_supported(Simulator):
    """nengo.Simulator runs 1-D and 2-D convolutions only; so do we (clear error)."""
    transform = nengo.Convolution(
        2, (4, 4, 4, 1), kernel_size=(2, 2, 2), strides=(1, 1, 1)
    )
    with nengo.Network() as net:
        a = nengo.Node(np.ones(transform.size_in))
        b = nengo.Node(size_in=transform.size_out)
        nengo.Connection(a, b, transform=transform)
    with pytest.raises(NotSupportedError, match="3-D convolutions are not supported"):
        Simulator(net)
