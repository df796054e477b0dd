"""The simulation behind the `SpikingExplorer`: one Simulator, many settings.

A converted network is built once. Its firing rates are scaled at run time:
for ReLU-like neurons (positively homogeneous) feeding ``s * x`` and scaling
every bias by ``s`` scales every layer's input current, hence its firing rate,
by ``s``, and the output by ``s``, which is divided out again. Inputs and the
constant bias Nodes are data of the run; Ensemble biases are set with
``sim.set_params``. Neither changes the compiled program. Each scale is
simulated once for the longest presentation; the output synapse and shorter
presentations are applied to the recorded (unfiltered) output in NumPy.
"""

import keras
import nengo
import numpy as np
from nengo.exceptions import ValidationError

from nengodl_notebook.converter import Converter
from nengodl_notebook.simulator import Simulator


def to_converter(model):
    """``model`` if it is a Converter, else a spiking conversion of the Keras model.

    Keras models are converted with ReLU as ``nengo.SpikingRectifiedLinear``.
    """
    if isinstance(model, Converter):
        return model
    if not isinstance(model, keras.Model):
        raise ValidationError(
            f"SpikingExplorer needs a keras.Model or a nengo_dl.Converter, got "
            f"{type(model).__name__}",
            attr="model",
        )
    spiking = nengo.SpikingRectifiedLinear()
    return Converter(model, swap_activations={keras.activations.relu: spiking})


def check_data(converter, x, y):
    """``x`` as ``(n, size)`` float32 and ``y`` as ``(n,)`` int; errors name them."""
    (inp,) = _single(converter.model.inputs, "input")
    (out,) = _single(converter.model.outputs, "output")
    size = int(np.prod(inp.shape[1:]))
    n_classes = int(np.prod(out.shape[1:]))
    x = np.asarray(x, dtype=np.float32)
    if x.ndim < 2 or int(np.prod(x.shape[1:])) != size:
        raise ValidationError(
            f"x must have shape (n, {size}) or (n,) + {tuple(inp.shape[1:])} for "
            f"model '{converter.model.name}', got {x.shape}",
            attr="x",
        )
    if not np.all(np.isfinite(x)):
        raise ValidationError("x must be finite (it holds NaN or inf)", attr="x")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer):
        raise ValidationError(
            f"y must be {len(x)} integer labels (one per row of x), got "
            f"{y.dtype} of shape {y.shape}",
            attr="y",
        )
    if len(x) == 0 or y.min() < 0 or y.max() >= n_classes:
        raise ValidationError(
            f"y must hold labels 0..{n_classes - 1} (the model has {n_classes} "
            f"outputs), got {len(x)} labels in [{y.min(initial=0)}, "
            f"{y.max(initial=0)}]",
            attr="y",
        )
    return x.reshape(len(x), size), y.astype(np.int64)


def _single(tensors, what):
    if len(tensors) != 1:
        raise ValidationError(
            f"SpikingExplorer needs a model with one {what}, got {len(tensors)}",
            attr="model",
        )
    return tensors


class Run:
    """What one firing-rate scale gave, for every presentation time up to the max.

    Attributes
    ----------
    output : ndarray, shape ``(n, max_steps, n_classes)``
        Unfiltered network output, scaled back (divided by the scale).
    rate_sums : dict
        Layer label -> ``(max_steps, n_neurons)`` cumulative sums over time of
        the firing rate (Hz) of each neuron, averaged over the examples.
    """

    def __init__(self, output, rate_sums):
        self.output = output
        self.rate_sums = rate_sums

    def filtered(self, tau, n_steps, dt):
        """Output of the first ``n_steps`` through a lowpass ``tau`` (0: none)."""
        out = self.output[:, :n_steps]
        if tau <= 0:
            return out
        return nengo.Lowpass(tau).filt(out, axis=1, dt=dt, y0=0)

    def layer_rates(self, n_steps):
        """Layer label -> mean firing rate (Hz) of each neuron over ``n_steps``."""
        return {k: v[n_steps - 1] / n_steps for k, v in self.rate_sums.items()}


class SpikingRuns:
    """One Simulator of a converted network, run at any firing-rate scale.

    Parameters
    ----------
    converter : Converter
    x : ndarray, shape ``(n, size)``
    y : ndarray of int, shape ``(n,)``
    max_steps : int
        Longest presentation (steps); every run simulates this many.
    minibatch_size : int
    dt : float

    Attributes
    ----------
    sim : Simulator
    rate_accuracy : float
        Accuracy of the Keras model (the rate network) on ``x``.
    layers : list of str
        Labels of the neuron layers (Ensembles), in network order.
    """

    def __init__(self, converter, x, y, max_steps, minibatch_size, dt):
        self.converter, self.x, self.y = converter, x, y
        self.max_steps, self.dt = int(max_steps), float(dt)
        self.minibatch_size = max(1, min(int(minibatch_size), len(x)))
        model = converter.model
        keras_x = x.reshape((len(x),) + tuple(model.inputs[0].shape[1:]))
        keras_out = model.predict(keras_x, batch_size=256, verbose=0)
        self.rate_accuracy = self.accuracy(np.reshape(keras_out, (len(x), -1)))
        self.input_node = converter.inputs[model.inputs[0]]
        self.constants = [
            n
            for n in converter.net.all_nodes
            if n is not self.input_node and n.size_in == 0 and not callable(n.output)
        ]
        # seeded: initial voltages (and so the scores) repeat from run to run
        with nengo.Network(label=f"{model.name} (explorer)", seed=0) as self.net:
            pass
        self.net.networks.append(converter.net)  # probes outside the user's network
        ensembles = converter.net.all_ensembles
        self.layers = [str(e.label) for e in ensembles]
        self.amplitudes = [getattr(e.neuron_type, "amplitude", 1.0) for e in ensembles]
        with self.net:
            self.neuron_probes = [
                nengo.Probe(e.neurons, synapse=None) for e in ensembles
            ]
            target = converter.outputs[model.outputs[0]].target
            self.output_probe = nengo.Probe(target, synapse=None)
        self.sim = Simulator(
            self.net, minibatch_size=self.minibatch_size, dt=dt, progress_bar=False
        )
        self._base = self.sim.get_params()
        self._runs = {}

    def accuracy(self, scores):
        """Fraction of rows of ``scores`` whose argmax is the label."""
        return float(np.mean(np.argmax(scores, axis=-1) == self.y))

    def run(self, scale, progress=None):
        """The `Run` at ``scale`` (simulated on first use, then remembered).

        ``progress(done, total)`` is called after each minibatch.
        """
        scale = float(scale)
        if not np.isfinite(scale) or scale <= 0:
            raise ValidationError(
                f"firing-rate scale must be a positive number, got {scale}",
                attr="scale",
            )
        if scale not in self._runs:
            self._runs[scale] = self._simulate(scale, progress)
        return self._runs[scale]

    def _simulate(self, scale, progress):
        params = {
            k: v * scale if k.endswith(".bias") else v for k, v in self._base.items()
        }
        self.sim.set_params(params)
        n, mb = len(self.x), self.minibatch_size
        outputs = []
        rate_sums = {label: 0.0 for label in self.layers}
        for start in range(0, n, mb):
            idx = np.arange(start, start + mb) % n  # the last minibatch wraps around
            data = {self.input_node: self._tile(self.x[idx] * scale)}
            for node in self.constants:
                row = np.asarray(node.output, dtype=np.float32).ravel() * scale
                data[node] = self._tile(np.tile(row, (mb, 1)))
            out = self.sim.predict(data)
            keep = min(mb, n - start)
            outputs.append(out[self.output_probe][:keep] / scale)
            for label, probe, amp in zip(
                self.layers, self.neuron_probes, self.amplitudes
            ):
                rates = out[probe][:keep] / amp
                rate_sums[label] = rate_sums[label] + rates.sum(axis=0)
            if progress is not None:
                progress(start + keep, n)
        sums = {k: np.cumsum(v / n, axis=0) for k, v in rate_sums.items()}
        return Run(np.concatenate(outputs, axis=0), sums)

    def _tile(self, rows):
        """``(mb, size)`` rows held for ``max_steps``: ``(mb, max_steps, size)``."""
        return np.repeat(rows[:, None, :].astype(np.float32), self.max_steps, axis=1)

    def score(self, run, tau, n_steps):
        """Spiking accuracy: the filtered output at the last step of ``n_steps``."""
        return self.accuracy(run.filtered(tau, n_steps, self.dt)[:, -1])

    @property
    def programs_built(self):
        """TensorFlow programs traced for this Simulator so far (run, predict,
        train); a change of a setting that recompiled would add one."""
        sim = self.sim
        functions = list(sim._trainer._eval_fns.values())  # predict, evaluate
        functions += [fn for _, fn in sim._trainer._train_fns.values()]
        return sim.programs_built + sum(
            fn.experimental_get_tracing_count()
            for fn in functions
            if hasattr(fn, "experimental_get_tracing_count")
        )

    def close(self):
        """Close the Simulator."""
        self.sim.close()
