"""nengo 4.1 ``docs/examples/learning/*`` as factories (1 s of learning each)."""

from collections import deque

import nengo
import numpy as np
from example_networks import example
from nengo.processes import WhiteSignal
from nengo.utils.filter_design import cont2discrete
from reference import DT

# ---------------------------------------------------------------------------
# docs/examples/learning
# ---------------------------------------------------------------------------


def _weird(x):
    """Stands in for the notebooks' ``np.random.random`` initial function, which
    would differ between the two builds."""
    return np.cos(13 * x + 1) * 0.5


@example(run_time=1.0, learned=("weights",))
def learn_communication_channel():
    """learning/learn-communication-channel: PES on decoders, error inhibited."""
    with nengo.Network(seed=40) as net:
        inp = nengo.Node(WhiteSignal(60, high=5), size_out=2)
        pre, post, error = (nengo.Ensemble(60, 2) for _ in range(3))
        nengo.Connection(inp, pre)
        conn = nengo.Connection(pre, post, function=_weird)
        nengo.Connection(post, error)
        nengo.Connection(pre, error, transform=-1)
        conn.learning_rule_type = nengo.PES()
        nengo.Connection(error, conn.learning_rule)
        inhib = nengo.Node(lambda t: 2.0 if t > 0.7 else 0.0)
        nengo.Connection(inhib, error.neurons, transform=[[-1]] * error.n_neurons)
        probes = {
            "post": nengo.Probe(post, synapse=0.01),
            "error": nengo.Probe(error, synapse=0.03),
            "weights": nengo.Probe(conn, "weights", synapse=0.01, sample_every=0.01),
        }
    return net, probes


@example(run_time=1.0, learned=("weights",))
def learn_communication_channel_weights():
    """learning/learn-communication-channel: PES on a full weight matrix."""
    with nengo.Network(seed=41) as net:
        inp = nengo.Node(WhiteSignal(60, high=5), size_out=2)
        pre, post, error = (nengo.Ensemble(30, 2) for _ in range(3))
        nengo.Connection(inp, pre)
        conn = nengo.Connection(
            pre,
            post,
            function=_weird,
            solver=nengo.solvers.LstsqL2(weights=True),
            learning_rule_type=nengo.PES(),
        )
        nengo.Connection(post, error)
        nengo.Connection(pre, error, transform=-1)
        nengo.Connection(error, conn.learning_rule)
        probes = {
            "post": nengo.Probe(post, synapse=0.01),
            "weights": nengo.Probe(conn, "weights", synapse=0.01, sample_every=0.01),
        }
    return net, probes


@example(run_time=1.0, float32=True, learned=("decoders",))
def learn_square():
    """learning/learn-square: PES learns x**2; error inhibited at the end."""
    with nengo.Network(seed=42) as net:
        a, a_squared, error = (nengo.Ensemble(100, 1) for _ in range(3))
        conn = nengo.Connection(a, a_squared)
        conn.learning_rule_type = nengo.PES(learning_rate=3e-4)
        nengo.Connection(error, conn.learning_rule)
        nengo.Connection(a_squared, error)
        nengo.Connection(a, error, function=lambda x: x**2, transform=-1)
        input_node = nengo.Node(output=lambda t: int(6 * t) / 3.0 % 2 - 1)
        nengo.Connection(input_node, a)
        stop_learning = nengo.Node(output=lambda t: t >= 0.75)
        nengo.Connection(
            stop_learning, error.neurons, transform=-20 * np.ones((error.n_neurons, 1))
        )
        probes = {
            "squared": nengo.Probe(a_squared, synapse=0.01),
            "error": nengo.Probe(error, synapse=0.01),
            "decoders": nengo.Probe(conn, "weights", sample_every=0.05),
        }
    return net, probes


@example(run_time=1.0, learned=("weights",))
def learn_product():
    """learning/learn-product: PES learns x0 * x1 from a product ensemble."""
    with nengo.Network(seed=43) as net:
        inp = nengo.Node(WhiteSignal(60, high=5), size_out=2)
        pre = nengo.Ensemble(120, 2)
        nengo.Connection(inp, pre)
        post, prod, error = (nengo.Ensemble(60, 1) for _ in range(3))
        nengo.Connection(inp, prod, function=lambda x: x[0] * x[1], synapse=None)
        nengo.Connection(post, error)
        nengo.Connection(prod, error, transform=-1)
        conn = nengo.Connection(
            pre, post, function=lambda x: _weird(x[:1]), learning_rule_type=nengo.PES()
        )
        nengo.Connection(error, conn.learning_rule)
        inhib = nengo.Node(lambda t: 2.0 if t > 0.7 else 0.0)
        nengo.Connection(inhib, error.neurons, transform=[[-1]] * error.n_neurons)
        probes = {
            "post": nengo.Probe(post, synapse=0.01),
            "error": nengo.Probe(error, synapse=0.03),
            "weights": nengo.Probe(conn, "weights", sample_every=0.05),
        }
    return net, probes


@example(run_time=1.0, learned=("bcm", "oja", "both"))
def learn_unsupervised():
    """learning/learn-unsupervised: BCM, Oja and both on weight-solver channels
    (rates x100 so that 1 s changes the weights measurably)."""
    rules = {
        "bcm": nengo.BCM(learning_rate=5e-8),
        "oja": nengo.Oja(learning_rate=6e-6),
        "both": [nengo.BCM(learning_rate=5e-8), nengo.Oja(learning_rate=2e-7)],
    }
    with nengo.Network(seed=44) as net:
        sin = nengo.Node(lambda t: np.sin(t * 4))
        pre = nengo.Ensemble(100, 1)
        nengo.Connection(sin, pre)
        probes = {"pre": nengo.Probe(pre, synapse=0.01)}
        for key, rule in rules.items():
            post = nengo.Ensemble(100, 1)
            solver = nengo.solvers.LstsqL2(weights=True)
            conn = nengo.Connection(pre, post, solver=solver)
            conn.learning_rule_type = rule
            probes[f"post_{key}"] = nengo.Probe(post, synapse=0.01)
            probes[key] = nengo.Probe(conn, "weights", synapse=0.01, sample_every=0.01)
    return net, probes


def _cycle_array(x, period, dt=DT):
    i_every = int(round(period / dt))

    def f(t):
        i = int(round((t - dt) / dt))
        return x[int(i / i_every) % len(x)]

    return f


@example(run_time=1.0, learned=("encoders", "decoders"))
def learn_associations():
    """learning/learn-associations: Voja on encoders (keys), PES on decoders."""
    num_items, d_key, d_value, n_neurons, period = 5, 2, 4, 200, 0.1
    rng = np.random.RandomState(seed=7)
    sphere, ball = (nengo.dists.UniformHypersphere(surface=s) for s in (True, False))
    keys = sphere.sample(num_items, d_key, rng=rng)
    values = ball.sample(num_items, d_value, rng=rng)
    intercept = (np.dot(keys, keys.T) - np.eye(num_items)).flatten().max()
    T = period * num_items * 2
    with nengo.Network(seed=45) as net:
        stim_keys = nengo.Node(output=_cycle_array(keys, period))
        stim_values = nengo.Node(output=_cycle_array(values, period))
        learning = nengo.Node(output=lambda t: -int(t >= T / 2))
        recall = nengo.Node(size_in=d_value)
        memory = nengo.Ensemble(n_neurons, d_key, intercepts=[intercept] * n_neurons)
        voja = nengo.Voja(learning_rate=5e-2, post_synapse=None)
        conn_in = nengo.Connection(
            stim_keys, memory, synapse=None, learning_rule_type=voja
        )
        nengo.Connection(learning, conn_in.learning_rule, synapse=None)
        conn_out = nengo.Connection(
            memory,
            recall,
            learning_rule_type=nengo.PES(1e-3),
            function=lambda x: np.zeros(d_value),
        )
        error = nengo.Ensemble(n_neurons, d_value)
        nengo.Connection(
            learning, error.neurons, transform=[[10.0]] * n_neurons, synapse=None
        )
        nengo.Connection(stim_values, error, transform=-1, synapse=None)
        nengo.Connection(recall, error, synapse=None)
        nengo.Connection(error, conn_out.learning_rule)
        probes = {
            "error": nengo.Probe(error, synapse=0.005),
            "recall": nengo.Probe(recall, synapse=None),
            "encoders": nengo.Probe(
                conn_in.learning_rule, "scaled_encoders", sample_every=0.05
            ),
            "decoders": nengo.Probe(conn_out, "weights", sample_every=0.05),
        }
    return net, probes


def _bandpass(freq, Q):
    """The notebook's ``Bandpass(freq, decay)`` (nengolib, not in nengo 4.1)."""
    w = 2 * np.pi * freq
    return nengo.LinearFilter([w / Q, 0], [1, w / Q, w**2])


# learning/force-learning's parameters (pulse interval 1 s -> 0.5 s, 1 training
# pulse and 1 test pulse)
FORCE_PARAMS = dict(
    pulse_interval=0.5,
    amplitude=0.1,
    freq=3.0,
    decay=2.0,
    dt=0.002,
    tau=0.1,
    tau_learn=0.1,
    tau_probe=0.05,
    learning_rate=0.1,
    g=1.5 / 400,
    g_out=1.0,
    T_train=0.5,
)


def _force_recurrent(u, n, fixed, target=None):
    """Neurons x behind a lowpass from currents s (input, chaos and target)."""
    p, (e_in, e_out, JD) = FORCE_PARAMS, fixed
    x = nengo.Ensemble(n, 1, neuron_type=nengo.LIF(), intercepts=[-1] * n, seed=0)
    s = nengo.Node(size_in=n)
    nengo.Connection(u, s, synapse=None, transform=e_in)
    nengo.Connection(s, x.neurons, synapse=p["tau"])
    if JD is not None:
        nengo.Connection(x.neurons, s, synapse=None, transform=JD)
    if target is not None:
        nengo.Connection(target, s, synapse=None, transform=e_out)
    return x, s


def _rls_learn(pre, post, actual, ideal, size):
    """An RLS connection pre -> post trained on actual - ideal until T_train."""
    p = FORCE_PARAMS
    conn = nengo.Connection(
        pre,
        post,
        synapse=None,
        transform=np.zeros((size, pre.size_out)),
        learning_rule_type=nengo.RLS(p["learning_rate"], pre_synapse=p["tau_learn"]),
    )
    gate = nengo.Node(
        size_in=size, output=lambda t, e: e if t < p["T_train"] else np.zeros_like(e)
    )
    nengo.Connection(actual, gate, synapse=None)
    nengo.Connection(ideal, gate, synapse=None, transform=-1)
    nengo.Connection(gate, conn.learning_rule, synapse=p["tau_learn"])
    return conn


def force_learning(n=50):
    """learning/force-learning: classic FORCE and full-FORCE with RLS (dt=2 ms)."""
    p, rng = FORCE_PARAMS, np.random.RandomState(0)
    with nengo.Network(seed=0) as net:
        U = np.zeros(int(p["pulse_interval"] / p["dt"]))
        U[0] = p["amplitude"] / p["dt"]
        u = nengo.Node(output=nengo.processes.PresentInput(U, p["dt"]))
        z = nengo.Node(size_in=1)
        nengo.Connection(u, z, synapse=_bandpass(p["freq"], p["decay"]))
    e_in = p["tau"] / p["amplitude"] * rng.uniform(-1, +1, (n, 1))
    e_out = p["g_out"] * rng.uniform(-1, +1, (n, 1))
    JD = rng.randn(n, n) * p["g"] / np.sqrt(n)
    with net:
        # classic FORCE: decoded output zC re-encoded into the chaotic network
        xC, sC = _force_recurrent(u, n, (e_in, e_out, JD))
        zC = nengo.Node(size_in=1)
        connC = _rls_learn(xC.neurons, zC, zC, z, 1)
        nengo.Connection(zC, sC, synapse=None, transform=e_out)
        # full-FORCE: the task network's currents sF learn the target network's sD
        _, sD = _force_recurrent(u, n, (e_in, e_out, JD), target=z)
        xF, sF = _force_recurrent(u, n, (e_in, e_out, None))
        connF = _rls_learn(xF.neurons, sF, sF, sD, n)
        probes = {
            "z": nengo.Probe(z, synapse=p["tau_probe"]),
            "zC": nengo.Probe(zC, synapse=p["tau_probe"]),
            "xF": nengo.Probe(xF.neurons, synapse=p["tau_probe"]),
            "weights_c": nengo.Probe(connC, "weights", sample_every=0.05),
            "weights_f": nengo.Probe(connF, "weights", sample_every=0.1),
        }
    return net, probes


FORCE = dict(run_time=1.0, learned=("weights_c", "weights_f"), dt=0.002)
example(**FORCE)(force_learning)


@example(slow=True, **FORCE)
def force_learning_full():
    """learning/force-learning at the notebook's size (200 neurons per network)."""
    return force_learning(200)


class IdealDelay(nengo.synapses.Synapse):
    """learning/lmu's ideal delay: a Synapse whose step is a Python buffer."""

    def __init__(self, delay):
        super().__init__()
        self.delay = delay

    def make_state(self, shape_in, shape_out, dt, dtype=None, y0=None):
        return {}

    def make_step(self, shape_in, shape_out, dt, rng, state):
        buffer = deque([0] * int(self.delay / dt))

        def delay_func(t, x):
            buffer.append(x.copy())
            return buffer.popleft()

        return delay_func


def _legendre_delay(theta, order, dt):
    """The LMU's discretized (A, B) (nengo 4.1 has no ``LegendreDelay``)."""
    q = np.arange(order)
    r = (2 * q + 1)[:, None] / theta
    i, j = np.meshgrid(q, q, indexing="ij")
    A = np.where(i < j, -1, (-1.0) ** (i - j + 1)) * r
    B = ((-1.0) ** q)[:, None] * r
    C, D = np.ones((1, order)), np.zeros((1, 1))
    A, B, _, _, _ = cont2discrete((A, B, C, D), dt, method="zoh")
    return A, B


@example(run_time=1.0, learned=("weights",))
def lmu():
    """learning/lmu: a Legendre memory Node feeding an ensemble that learns a delay
    with PES; the target is a custom Python Synapse (IdealDelay)."""
    theta, order, freq, rms, delay, sim_t = 0.5, 6, 2, 0.3, 0.2, 1.0
    A, B = _legendre_delay(theta, order, DT)
    with nengo.Network(seed=0) as net:
        stim = nengo.Node(
            output=WhiteSignal(high=freq, period=sim_t, rms=rms, y0=0, seed=0)
        )
        lmu_node = nengo.Node(size_in=order)
        nengo.Connection(stim, lmu_node, transform=B, synapse=None)
        nengo.Connection(lmu_node, lmu_node, transform=A, synapse=0)
        ens = nengo.Ensemble(1000, order, neuron_type=nengo.SpikingRectifiedLinear())
        nengo.Connection(lmu_node, ens, synapse=None)
        out = nengo.Node(size_in=1)
        err_node = nengo.Node(lambda t, x: x if t < sim_t * 0.8 else 0, size_in=1)
        nengo.Connection(stim, err_node, synapse=IdealDelay(delay), transform=-1)
        nengo.Connection(out, err_node, synapse=None)
        learn_conn = nengo.Connection(
            ens, out, function=lambda x: 0, learning_rule_type=nengo.PES(2e-4)
        )
        nengo.Connection(err_node, learn_conn.learning_rule, synapse=None)
        probes = {
            "ideal": nengo.Probe(stim, synapse=IdealDelay(delay)),
            "lmu": nengo.Probe(lmu_node),
            "out": nengo.Probe(out),
            "weights": nengo.Probe(learn_conn, "weights", sample_every=0.05),
        }
    return net, probes
