"""Converters of Keras layers with weights or reshaping: Dense, convolutions,
pooling, BatchNormalization, padding, merges and pure activations.

Weights are copied (float) into nengo transforms: ``nengo.Dense`` (the kernel
transposed), ``nengo.Convolution`` / ``nengo.ConvolutionTranspose`` (the layout
of the layer's ``data_format``: channels_last flattens like Keras' ``(H, W, C)``).
Kernels and biases are trainable; pooling, padding, merges and folded batch
normalization are fixed (not trainable) connections.
"""

import keras
import nengo
import numpy as np

from nengodl_notebook.converter_base import LayerConverter, register

layers = keras.layers


def _weights(variable):
    return np.array(variable.numpy(), dtype=np.float64)


def _input_shape(layer):
    """Input shape (with batch) of the layer's first application."""
    return tuple(layer._inbound_nodes[0].input_tensors[0].shape)


def _channels_last(layer):
    return getattr(layer, "data_format", "channels_last") == "channels_last"


def _channel_bias_conn(conv, post, bias, spatial, channels_last):
    """Trainable per-channel bias: a 1x1 convolution of a constant Node of ones.

    One bias value per channel (shared over positions, as in Keras), added to
    every position of ``post``.
    """
    ndim = len(spatial)
    ones = nengo.Node(np.ones(int(np.prod(spatial))), label=f"{conv.layer.name}.bias")
    in_shape = spatial + (1,) if channels_last else (1,) + spatial
    transform = nengo.Convolution(
        len(bias),
        in_shape,
        kernel_size=(1,) * ndim,
        strides=(1,) * ndim,
        channels_last=channels_last,
        init=bias.reshape((1,) * ndim + (1, len(bias))),
    )
    return conv.connect(ones, post, transform=transform, trainable=True)


@register(layers.InputLayer)
class ConvertInput(LayerConverter):
    """A model input: a Node of zeros, its values given as data."""

    def convert(self, node, inputs):
        size = int(np.prod(self.out_shape(node)))
        obj = nengo.Node(np.zeros(size), label=self.layer.name)
        self.built.append({})
        return obj


@register(layers.Dropout)
@register(layers.Flatten)
@register(layers.Reshape)
class ConvertIdentity(LayerConverter):
    """Flatten, Reshape, Dropout (ignored): the input object itself.

    Both flatten in C order, so reshaping changes nothing in nengo.
    """

    @classmethod
    def convertible(cls, layer, converter):
        if isinstance(layer, layers.Flatten) and not _channels_last(layer):
            return f"{layer.name}: Flatten with data_format='channels_first'"
        return None

    def convert(self, node, inputs):
        self.built.append({})
        return inputs[0]


@register(layers.Activation)
class ConvertActivation(LayerConverter):
    """Activation(act): neurons of the matching type (or a TensorNode)."""

    def convert(self, node, inputs):
        obj, info = self.add_neurons(node, self.layer.activation)
        self.connect(inputs[0], obj)
        self.built.append(info)
        return obj


@register(layers.ReLU)
class ConvertReLU(LayerConverter):
    """ReLU layer: RectifiedLinear, or LeakyReLU with a negative slope."""

    @classmethod
    def convertible(cls, layer, converter):
        if layer.max_value is not None or layer.threshold != 0:
            return f"{layer.name}: ReLU with max_value or threshold"
        return None

    def convert(self, node, inputs):
        from nengodl_notebook.neurons import LeakyReLU

        slope = float(self.layer.negative_slope)
        neuron = LeakyReLU(negative_slope=slope) if slope else nengo.RectifiedLinear()
        obj, info = self.add_neurons(node, neuron)
        self.connect(inputs[0], obj)
        self.built.append(info)
        return obj


@register(layers.LeakyReLU)
class ConvertLeakyReLU(LayerConverter):
    """LeakyReLU layer: NengoDL's LeakyReLU neurons with the layer's slope."""

    def convert(self, node, inputs):
        from nengodl_notebook.neurons import LeakyReLU

        neuron = LeakyReLU(negative_slope=float(self.layer.negative_slope))
        obj, info = self.add_neurons(node, neuron)
        self.connect(inputs[0], obj)
        self.built.append(info)
        return obj


@register(layers.Dense)
class ConvertDense(LayerConverter):
    """Dense: a ``nengo.Dense`` transform (kernel transposed) into neurons.

    With a nonlinear activation the bias is the Ensemble's bias; with a linear
    one it comes from a constant Node (both trainable).
    """

    has_weights = True

    @classmethod
    def convertible(cls, layer, converter):
        rank = len(_input_shape(layer)) - 1
        if rank != 1:
            return f"{layer.name}: Dense on a {rank}-D input"
        return None

    def convert(self, node, inputs):
        kernel = _weights(self.layer.kernel)
        bias = _weights(self.layer.bias) if self.layer.use_bias else None
        obj, info = self.add_neurons(node, self.layer.activation, bias)
        info["conn"] = self.connect(
            inputs[0],
            obj,
            transform=nengo.Dense(kernel.T.shape, init=kernel.T),
            trainable=True,
        )
        self.built.append(info)
        return obj

    def keras_weights(self, sim):
        info = self.built[0]
        kernel = np.asarray(sim.data[info["conn"]].weights).T
        if not self.layer.use_bias:
            return [kernel]
        if info.get("ensemble") is not None:
            bias = np.asarray(sim.data[info["ensemble"]].bias) / info["scale"]
        else:
            bias = np.asarray(sim.data[info["bias_conn"]].weights)[:, 0]
        return [kernel, bias]


class _ConvBase(LayerConverter):
    """Shared checks of convolutions: 1-D/2-D, no dilation, no causal padding."""

    has_weights = True

    @classmethod
    def convertible(cls, layer, converter):
        rank = len(layer.kernel_size)
        if rank not in (1, 2):
            return (
                f"{layer.name}: {rank}-D convolutions do not run in this simulator "
                "(1-D and 2-D only, like nengo.Simulator)"
            )
        if any(d != 1 for d in np.ravel(layer.dilation_rate)):
            return f"{layer.name}: dilation_rate {layer.dilation_rate}"
        if layer.padding not in ("valid", "same"):
            return f"{layer.name}: padding '{layer.padding}'"
        return None

    def _finish(self, node, inputs, transform, kernel_back):
        bias = _weights(self.layer.bias) if self.layer.use_bias else None
        obj, info = self.add_neurons(node, self.layer.activation)
        out = self.out_shape(node)
        last = _channels_last(self.layer)
        info["conn"] = self.connect(inputs[0], obj, transform=transform, trainable=True)
        if bias is not None:
            spatial = out[:-1] if last else out[1:]
            info["bias_conn"] = _channel_bias_conn(self, obj, bias, spatial, last)
        info["kernel_back"] = kernel_back
        self.built.append(info)
        return obj

    def keras_weights(self, sim):
        info = self.built[0]
        kernel = info["kernel_back"](np.asarray(sim.data[info["conn"]].weights))
        if not self.layer.use_bias:
            return [kernel]
        bias = np.asarray(sim.data[info["bias_conn"]].weights)
        return [kernel, bias.reshape(-1)]


@register(layers.Conv1D)
@register(layers.Conv2D)
@register(layers.Conv3D)
class ConvertConv(_ConvBase):
    """Conv1D/2D: ``nengo.Convolution`` (same kernel layout, groups kept).

    Conv3D falls back to a TensorNode: the simulator runs 1-D and 2-D only.
    """

    def convert(self, node, inputs):
        layer = self.layer
        kernel = _weights(layer.kernel)
        transform = nengo.Convolution(
            layer.filters,
            self.in_shape(node),
            kernel_size=tuple(layer.kernel_size),
            strides=tuple(layer.strides),
            padding=layer.padding,
            channels_last=_channels_last(layer),
            init=kernel,
            groups=layer.groups,
        )
        return self._finish(node, inputs, transform, lambda w: w)


@register(layers.Conv1DTranspose)
@register(layers.Conv2DTranspose)
@register(layers.Conv3DTranspose)
class ConvertConvTranspose(_ConvBase):
    """Conv1D/2DTranspose: ``nengo.ConvolutionTranspose``.

    Keras' kernel is ``kernel_size + (filters, in_channels)``, nengo's
    ``kernel_size + (in_channels, filters)``: the last two axes swap.
    """

    @classmethod
    def convertible(cls, layer, converter):
        if layer.output_padding is not None:
            return f"{layer.name}: output_padding {layer.output_padding}"
        return super().convertible(layer, converter)

    def convert(self, node, inputs):
        layer = self.layer
        kernel = np.swapaxes(_weights(layer.kernel), -1, -2)
        transform = nengo.ConvolutionTranspose(
            layer.filters,
            self.in_shape(node),
            output_shape=self.out_shape(node),
            kernel_size=tuple(layer.kernel_size),
            strides=tuple(layer.strides),
            padding=layer.padding,
            channels_last=_channels_last(layer),
            init=kernel,
        )
        return self._finish(node, inputs, transform, lambda w: np.swapaxes(w, -1, -2))


def _same_is_valid(in_spatial, pool, strides):
    """True if 'same' padding pads nothing for this geometry."""
    for n, k, s in zip(in_spatial, pool, strides):
        out = -(-n // s)
        if (out - 1) * s + k - n > 0:
            return False
    return True


@register(layers.AveragePooling1D)
@register(layers.AveragePooling2D)
@register(layers.AveragePooling3D)
@register(layers.MaxPooling1D)
@register(layers.MaxPooling2D)
@register(layers.MaxPooling3D)
class ConvertPooling(LayerConverter):
    """Average pooling: a fixed grouped ``nengo.Convolution`` (one group per
    channel, kernel ``1 / pool area``). Max pooling only with
    ``max_to_avg_pool=True`` (as average pooling; else a TensorNode).
    """

    @classmethod
    def convertible(cls, layer, converter):
        is_max = "Max" in type(layer).__name__
        if is_max and not converter.max_to_avg_pool:
            return (
                f"{layer.name}: max pooling (converted only with max_to_avg_pool=True)"
            )
        pool = tuple(layer.pool_size)
        if len(pool) not in (1, 2):
            return f"{layer.name}: {len(pool)}-D pooling (1-D and 2-D only)"
        shape = _input_shape(layer)[1:]
        spatial = shape[:-1] if _channels_last(layer) else shape[1:]
        if layer.padding == "same" and not _same_is_valid(spatial, pool, layer.strides):
            return f"{layer.name}: padding='same' that pads (averages exclude padding)"
        return None

    def convert(self, node, inputs):
        layer = self.layer
        shape = self.in_shape(node)
        last = _channels_last(layer)
        channels = shape[-1] if last else shape[0]
        pool = tuple(layer.pool_size)
        kernel = np.full(pool + (1, channels), 1.0 / np.prod(pool))
        transform = nengo.Convolution(
            channels,
            shape,
            kernel_size=pool,
            strides=tuple(layer.strides),
            padding="valid",
            channels_last=last,
            init=kernel,
            groups=channels,
        )
        obj = nengo.Node(
            size_in=transform.size_out, label=f"{layer.name}.{len(self.built)}"
        )
        self.connect(inputs[0], obj, transform=transform)
        self.built.append({})
        return obj


@register(layers.GlobalAveragePooling1D)
@register(layers.GlobalAveragePooling2D)
class ConvertGlobalAveragePooling(LayerConverter):
    """Global average pooling: a fixed ``nengo.Dense`` averaging each channel."""

    def convert(self, node, inputs):
        shape = self.in_shape(node)
        axis = len(shape) - 1 if _channels_last(self.layer) else 0
        channel = np.indices(shape)[axis].ravel()
        n_channels = shape[axis]
        weights = (channel[None, :] == np.arange(n_channels)[:, None]).astype(float)
        weights /= len(channel) / n_channels
        obj = nengo.Node(
            size_in=n_channels, label=f"{self.layer.name}.{len(self.built)}"
        )
        self.connect(inputs[0], obj, transform=weights)
        self.built.append({})
        return obj


@register(layers.BatchNormalization)
class ConvertBatchNormalization(LayerConverter):
    """BatchNormalization at inference (``inference_only=True``): the moving
    statistics folded into a fixed elementwise scale and a fixed bias.

    Without ``inference_only`` training would differ (Keras normalises by batch
    statistics), so the layer then runs in a TensorNode.
    """

    @classmethod
    def convertible(cls, layer, converter):
        if not converter.inference_only:
            return f"{layer.name}: BatchNormalization needs inference_only=True"
        return None

    def convert(self, node, inputs):
        layer = self.layer
        shape = self.in_shape(node)
        axis = layer.axis % len(node.input_tensors[0].shape) - 1
        gamma = _weights(layer.gamma) if layer.scale else 1.0
        beta = _weights(layer.beta) if layer.center else 0.0
        mean, var = _weights(layer.moving_mean), _weights(layer.moving_variance)
        scale = gamma / np.sqrt(var + layer.epsilon)
        shift = beta - mean * scale
        expand = [1] * len(shape)
        expand[axis] = shape[axis]
        full_scale = np.broadcast_to(np.reshape(scale, expand), shape).ravel()
        full_shift = np.broadcast_to(np.reshape(shift, expand), shape).ravel()
        size = len(full_scale)
        obj = nengo.Node(size_in=size, label=f"{layer.name}.{len(self.built)}")
        self.connect(inputs[0], obj, transform=full_scale)
        self._bias_conn(obj, full_shift, trainable=False)
        self.built.append({})
        return obj


@register(layers.ZeroPadding1D)
@register(layers.ZeroPadding2D)
class ConvertZeroPadding(LayerConverter):
    """ZeroPadding1D/2D: the input connected into the interior of a larger Node."""

    def convert(self, node, inputs):
        in_shape, out_shape = self.in_shape(node), self.out_shape(node)
        pads = np.reshape(self.layer.padding, (-1, 2))
        last = _channels_last(self.layer)
        first = 0 if last else 1
        index = np.arange(int(np.prod(out_shape))).reshape(out_shape)
        region = [slice(None)] * len(out_shape)
        for i, (before, _after) in enumerate(pads):
            region[first + i] = slice(before, before + in_shape[first + i])
        obj = nengo.Node(
            size_in=index.size, label=f"{self.layer.name}.{len(self.built)}"
        )
        self.connect(inputs[0], obj[index[tuple(region)].ravel().tolist()])
        self.built.append({})
        return obj


@register(layers.Add)
class ConvertAdd(LayerConverter):
    """Add: every input connected into one passthrough Node."""

    def convert(self, node, inputs):
        size = int(np.prod(self.out_shape(node)))
        obj = nengo.Node(size_in=size, label=f"{self.layer.name}.{len(self.built)}")
        for pre in inputs:
            self.connect(pre, obj)
        self.built.append({})
        return obj


@register(layers.Concatenate)
class ConvertConcatenate(LayerConverter):
    """Concatenate (any axis): each input connected to its indices of one Node."""

    def convert(self, node, inputs):
        out_shape = self.out_shape(node)
        axis = self.layer.axis % (len(out_shape) + 1) - 1
        index = np.arange(int(np.prod(out_shape))).reshape(out_shape)
        sizes = [self.in_shape(node, i)[axis] for i in range(len(inputs))]
        parts = np.split(index, np.cumsum(sizes)[:-1], axis=axis)
        obj = nengo.Node(
            size_in=index.size, label=f"{self.layer.name}.{len(self.built)}"
        )
        for pre, part in zip(inputs, parts):
            self.connect(pre, obj[part.ravel().tolist()])
        self.built.append({})
        return obj
