"""Builders for nengo's convolution operators: ConvInc and ConvTransposeInc.

``nengo.Convolution`` and ``nengo.ConvolutionTranspose`` transforms build to a
``ConvInc`` / ``ConvTransposeInc`` operator ``Y += conv(W, X)`` whose kernel ``W``
is the connection's "weights" signal (sampled by nengo's builder, trainable like
other transforms). Here they run as TensorFlow 2-D convolutions in NHWC layout
(a 1-D convolution is a 2-D one of height 1; TF's CPU kernels have no NCHW, so
``channels_last=False`` signals are transposed).

Signals arrive as state rows with the minibatch last, ``(size, minibatch)``, in C
order of the signal's shape; the kernel is a parameter (no minibatch axis) unless
it lives in ``state``, where it may differ per minibatch item.

Merging: ``ConvInc`` ops of the same geometry (input shape, filters, kernel size,
strides, padding, channel position, groups) at one dependency depth run as one
grouped convolution, their channels side by side (``n_ops * groups`` groups).
Each ``ConvTransposeInc`` op runs alone (TF's transposed convolution has no groups).
"""

import numpy as np
import tensorflow as tf
from nengo.builder.transforms import ConvInc, ConvTransposeInc

from nengodl_notebook.op_builders.base import (
    Builder,
    OpBuilder,
    RowReader,
    scatter_rows,
)


def check_dimensions(conv):
    """Raise NotSupportedError for convolutions other than 1-D and 2-D.

    nengo.Simulator supports only these too (it raises at its first step).
    """
    if conv.dimensions not in (1, 2):
        from nengodl_notebook.planner import NotSupportedError  # planner imports us

        raise NotSupportedError(
            f"{conv}: {conv.dimensions}-D convolutions are not supported "
            "(1-D and 2-D only, like nengo.Simulator)"
        )


def _move_axis(x, source, destination):
    """``np.moveaxis`` for a tensor of static rank."""
    perm = list(range(len(x.shape)))
    perm.insert(destination % len(perm), perm.pop(source))
    return tf.transpose(x, perm)


def input_nhwc(x, conv, n_ops):
    """Input rows of ``n_ops`` stacked ops as one NHWC batch.

    Parameters
    ----------
    x : tf.Tensor, shape ``(n_ops * conv.size_in, minibatch)``
        The ops' inputs, one after the other, each in C order of its shape.
    conv : nengo.Convolution or nengo.ConvolutionTranspose
        The transform (shared by all ops).
    n_ops : int

    Returns
    -------
    tf.Tensor, shape ``(minibatch, height, width, n_ops * channels)``
        Height 1 for a 1-D convolution; op ``i`` has channels ``i*C .. (i+1)*C - 1``.
    """
    batch = x.shape[1]
    x = tf.reshape(tf.transpose(x), (batch, n_ops) + conv.input_shape.shape)
    if not conv.channels_last:
        x = _move_axis(x, 2, -1)
    x = _move_axis(x, 1, -2)  # (batch, *spatial, n_ops, channels)
    spatial = conv.input_shape.spatial_shape
    x = tf.reshape(x, (batch,) + spatial + (n_ops * conv.input_shape.n_channels,))
    return x[:, None] if conv.dimensions == 1 else x


def output_rows(y, conv, n_ops):
    """The inverse of `input_nhwc` for the output: NHWC to stacked state rows.

    Parameters
    ----------
    y : tf.Tensor, shape ``(minibatch, height, width, n_ops * n_filters)``
    conv : nengo.Convolution or nengo.ConvolutionTranspose
    n_ops : int

    Returns
    -------
    tf.Tensor, shape ``(n_ops * conv.size_out, minibatch)``
    """
    batch = y.shape[0]
    if conv.dimensions == 1:
        y = y[:, 0]
    spatial = conv.output_shape.spatial_shape
    y = tf.reshape(y, (batch,) + spatial + (n_ops, conv.n_filters))
    y = _move_axis(y, -2, 1)  # (batch, n_ops, *spatial, n_filters)
    if not conv.channels_last:
        y = _move_axis(y, -1, 2)
    return tf.transpose(tf.reshape(y, (batch, n_ops * conv.output_shape.size)))


def kernel_hwio(w, conv, n_ops):
    """Stacked kernels as one TF filter ``(height, width, in/groups, n_ops * out)``.

    Parameters
    ----------
    w : tf.Tensor, shape ``(n_ops * kernel size,)``
        The ops' kernels (nengo's ``kernel_size + (in_channels // groups,
        n_filters)``), one after the other.
    conv : nengo.Convolution or nengo.ConvolutionTranspose
    n_ops : int

    Notes
    -----
    For a transposed convolution (``n_ops == 1``), TF's filter is
    ``(height, width, out, in)``: the caller swaps the last two axes.
    """
    shape = conv.kernel_shape
    w = _move_axis(tf.reshape(w, (n_ops,) + shape), 0, -2)
    w = tf.reshape(w, shape[:-1] + (n_ops * shape[-1],))
    return w[None] if conv.dimensions == 1 else w


def conv_strides(conv):
    """Strides of the 2-D convolution that runs ``conv``."""
    return (1,) + conv.strides if conv.dimensions == 1 else conv.strides


class ConvBuilder(OpBuilder):
    """``Y += conv(W, X)`` for a group of ops sharing one geometry.

    Subclasses give the TF filter layout (`filters`) and the convolution
    (`convolve`).

    Parameters
    ----------
    ops : list of GeneralConvInc
        Ops whose transforms have the same geometry (see ``merge_key``).
    ctx : BuildContext
    """

    @staticmethod
    def param_reads(op):
        return [op.W, op.X]

    def __init__(self, ops, ctx):
        super().__init__(ops, ctx)
        self.conv = ops[0].conv
        check_dimensions(self.conv)
        self.W = RowReader(ctx, [(op.W, np.arange(op.W.size)) for op in ops])
        self.X = RowReader(ctx, [(op.X, np.arange(op.X.size)) for op in ops])
        self.y_rows = np.concatenate([ctx.layout.indices(op.Y) for op in ops])

    def filters(self, w):
        """The TF filter of kernel values ``w``, shape ``(n_ops * kernel size,)``."""
        raise NotImplementedError

    def convolve(self, x, filters):
        """``conv(filters, x)`` for an NHWC input ``x`` (see `input_nhwc`)."""
        raise NotImplementedError

    def _values(self, state, filters, pre):
        """The increments of ``Y``: ``(n_ops * size_out, minibatch or 1)``.

        ``filters`` is None when the kernels live in ``state``.
        """
        n_ops = len(self.ops)
        x = input_nhwc(self.X.read(state, pre[1]), self.conv, n_ops)
        if filters is not None:
            y = self.convolve(x, filters)
        else:  # kernels in state (they may differ per minibatch item): one per item
            w = self.W.read(state, pre[0])
            x = tf.broadcast_to(x, (w.shape[1],) + tuple(x.shape[1:]))
            y = tf.concat(
                [
                    self.convolve(x[b : b + 1], self.filters(w[:, b]))
                    for b in range(w.shape[1])
                ],
                axis=0,
            )
        return output_rows(y, self.conv, n_ops)

    def build_pre(self, params):
        """The parameter rows, and the TF filter if the kernels are parameters."""
        pre = (self.W.pre(params), self.X.pre(params))
        filters = self.filters(pre[0][:, 0]) if self.W.constant else None
        return filters, pre

    def build_step(self, state, pre, step):
        return scatter_rows(state, self.y_rows, self._values(state, *pre), "inc")


@Builder.register(ConvInc)
class ConvIncBuilder(ConvBuilder):
    """``nengo.Convolution``: ``tf.nn.conv2d``, groups included.

    Ops of one geometry merge into a single grouped convolution with
    ``n_ops * groups`` groups (op ``i`` owns input channels ``i*C ...`` and filters
    ``i*F ...``), so a layer of equal convolutions costs one TF op.
    """

    @staticmethod
    def merge_key(op, ctx):
        conv = op.conv
        return (
            conv.input_shape,
            conv.n_filters,
            conv.kernel_size,
            conv.strides,
            conv.padding,
            conv.groups,
        )

    def filters(self, w):
        return kernel_hwio(w, self.conv, len(self.ops))

    def convolve(self, x, filters):
        return tf.nn.conv2d(
            x,
            filters,
            strides=conv_strides(self.conv),
            padding=self.conv.padding.upper(),
        )


@Builder.register(ConvTransposeInc)
class ConvTransposeIncBuilder(ConvBuilder):
    """``nengo.ConvolutionTranspose``: ``tf.nn.conv2d_transpose``, one op per group.

    nengo's kernel is ``kernel_size + (in_channels, n_filters)``; TF's filter of a
    transposed convolution is ``(height, width, out_channels, in_channels)``.
    ``output_shape`` (which may exceed the smallest valid shape) is passed on.
    """

    @staticmethod
    def merge_key(op, ctx):
        return (id(op),)

    def filters(self, w):
        w = kernel_hwio(w, self.conv, 1)
        return tf.transpose(w, (0, 1, 3, 2))

    def convolve(self, x, filters):
        spatial = self.conv.output_shape.spatial_shape
        if self.conv.dimensions == 1:
            spatial = (1,) + spatial
        return tf.nn.conv2d_transpose(
            x,
            filters,
            output_shape=(x.shape[0],) + spatial + (self.conv.n_filters,),
            strides=conv_strides(self.conv),
            padding=self.conv.padding.upper(),
        )
