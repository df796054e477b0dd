"""Model parameters: trainable and fixed parts, save/load, and freezing into nengo.

The flat ``params`` array (see `signals.py`) is held as two variables: the
elements that training may change (encoders, biases, weights of trainable
objects) and the rest. Only the first is given to the optimizer, so anything not
trainable is bit-for-bit unchanged by training.
"""

import nengo
import numpy as np
import tensorflow as tf
from nengo.exceptions import ValidationError

from nengodl_notebook.signals import PARAMS, STATE


def parameter_signals(model, network):
    """The trainable kinds of parameter signal of each object.

    Returns
    -------
    list of ``(obj, name, Signal)``
        ``(ensemble, "encoders", scaled encoders)``, ``(neurons, "bias", bias)``
        and ``(connection, "weights", weights)``, in network order.
    """
    found = []
    for ens in network.all_ensembles:
        if isinstance(ens.neuron_type, nengo.Direct):
            continue
        found.append((ens, "encoders", model.sig[ens]["encoders"]))
        found.append((ens.neurons, "bias", model.sig[ens.neurons]["bias"]))
    for conn in network.all_connections:
        weights = model.sig[conn].get("weights")
        if weights is not None:
            found.append((conn, "weights", weights))
    return found


class ParamStore:
    """Parameter values, with the trainable ones in one ``tf.Variable``.

    Parameter signals usually live in the ``params`` array, but nengo's optimizer
    sometimes merges a constant (a bias, say) into a base that also holds state;
    such parameters live in the ``state`` array, where no op writes them. Both
    kinds can be trainable: the trainable variable holds the ``params`` part,
    then the ``state`` part.

    Parameters
    ----------
    layout : SignalLayout
    dtype : str
    signals : list of ``(obj, name, Signal)``
        Parameter signals by object (see `parameter_signals`).
    trainable : dict
        Maps objects to whether they are trainable.
    """

    def __init__(self, layout, dtype, signals, trainable):
        self.layout = layout
        self.signals = [(o, n, s) for o, n, s in signals if s in layout]
        self.params0 = layout.initial_values(PARAMS, dtype)
        self.state0 = layout.initial_values(STATE, dtype)
        masks = {PARAMS: np.zeros(self.params0.size, bool), STATE: np.zeros(self.state0.size, bool)}
        self.trainable_objects = []
        for obj, _, sig in self.signals:
            if trainable.get(obj, False):
                masks[layout.kind(sig)][layout.indices(sig)] = True
                self.trainable_objects.append(obj)
        self.train_p = np.flatnonzero(masks[PARAMS]).astype(np.int32)
        self.train_s = np.flatnonzero(masks[STATE]).astype(np.int32)
        self.fixed_p = np.flatnonzero(~masks[PARAMS]).astype(np.int32)
        self.trainable = tf.Variable(
            np.concatenate([self.params0[self.train_p], self.state0[self.train_s]]),
            name="trainable_params",
        )
        self.fixed = tf.Variable(self.params0[self.fixed_p], trainable=False, name="fixed_params")
        # position of each parameter in concat([trainable params, fixed params])
        order = np.empty(self.params0.size, dtype=np.int64)
        order[self.train_p] = np.arange(len(self.train_p))
        order[self.fixed_p] = len(self.train_p) + np.arange(len(self.fixed_p))
        self._order = order.astype(np.int32)
        self.version = 0  # bumped whenever values change
        self.changed = []  # objects whose values may differ from nengo's build

    @property
    def n_trainable(self):
        """Number of trainable scalars."""
        return len(self.train_p) + len(self.train_s)

    def mark_trained(self):
        """Record that training may have changed the trainable objects."""
        self.changed += [o for o in self.trainable_objects if o not in self.changed]

    def full(self):
        """The ``params`` array (a tensor; differentiable in ``trainable``).

        One gather: XLA turns a ``dynamic_stitch`` into a slice per element
        (60,933 for circular convolution, 1.4 s of compilation).
        """
        if len(self.train_p) == 0:
            return tf.convert_to_tensor(self.fixed)  # fixed_p is every index, in order
        values = tf.concat([self.trainable[: len(self.train_p)], self.fixed], axis=0)
        return tf.gather(values, self._order)

    def initial_state(self, minibatch_size):
        """The initial ``state`` array ``(n_state, minibatch)``, trainable parts live."""
        state = tf.tile(tf.constant(self.state0[:, None]), (1, minibatch_size))
        if len(self.train_s) == 0:
            return state
        values = self.trainable[len(self.train_p) :, None]
        return tf.tensor_scatter_nd_update(
            state, self.train_s[:, None], tf.tile(values, (1, minibatch_size))
        )

    def values(self):
        """``(params, state0)`` as NumPy vectors, with current trainable values."""
        params = np.empty_like(self.params0)
        state = self.state0.copy()
        trained = self.trainable.numpy()
        params[self.train_p] = trained[: len(self.train_p)]
        params[self.fixed_p] = self.fixed.numpy()
        state[self.train_s] = trained[len(self.train_p) :]
        return params, state

    def assign(self, params, state):
        """Set all values from ``(params, state0)`` vectors (see `values`)."""
        self.trainable.assign(np.concatenate([params[self.train_p], state[self.train_s]]))
        self.fixed.assign(params[self.fixed_p])
        self.state0 = np.array(state, dtype=self.state0.dtype)
        self.version += 1
        self.changed = [obj for obj, _, _ in self.signals]

    def signal_value(self, sig, values=None):
        """Current value of a parameter signal, shaped like the signal."""
        params, state = self.values() if values is None else values
        array = params if self.layout.kind(sig) == PARAMS else state
        return array[self.layout.indices(sig)].reshape(sig.shape)

    def set_signal_value(self, sig, value, values):
        """Write ``value`` into the ``(params, state0)`` vectors ``values``."""
        params, state = values
        array = params if self.layout.kind(sig) == PARAMS else state
        array[self.layout.indices(sig)] = np.ravel(value)

    def by_object(self):
        """``{"<index>.<name>": array}`` of every parameter signal, and labels."""
        values = self.values()
        arrays, labels = {}, {}
        for i, (obj, name, sig) in enumerate(self.signals):
            key = f"{i}.{name}"
            arrays[key] = self.signal_value(sig, values)
            labels[key] = str(obj)
        return arrays, labels


def save_params(store, path, tensor_vars=None):
    """Save parameters (and TensorNode weights) to ``path`` (``.npz``; no pickle)."""
    arrays, labels = _all_arrays(store, tensor_vars)
    keys = list(arrays)
    np.savez(
        path,
        __keys__=np.array(keys),
        __labels__=np.array([labels[k] for k in keys]),
        **arrays,
    )


def _all_arrays(store, tensor_vars):
    arrays, labels = store.by_object()
    if tensor_vars is not None:  # keys "tensor_node<i>.<j>": node i, its weight j
        node_arrays, node_labels = tensor_vars.by_key()
        arrays.update(node_arrays)
        labels.update(node_labels)
    return arrays, labels


def load_params(store, path, tensor_vars=None):
    """Load parameters saved by `save_params` into ``store`` (and ``tensor_vars``).

    Raises a ValidationError naming the first object whose parameters do not
    match (different network), and changes nothing in that case.
    """
    path = str(path)
    if not path.endswith(".npz"):
        path += ".npz"
    with np.load(path, allow_pickle=False) as saved:
        keys = list(saved["__keys__"])
        labels = list(saved["__labels__"])
        loaded = {k: saved[k] for k in keys}
    arrays, own_labels = _all_arrays(store, tensor_vars)
    if len(keys) != len(arrays):
        raise ValidationError(
            f"{path} holds {len(keys)} parameter arrays, this network has "
            f"{len(arrays)}: it was saved from a different network",
            attr="path",
        )
    for (key, label), (own_key, own) in zip(zip(keys, labels), arrays.items()):
        if key != own_key or loaded[key].shape != own.shape:
            raise ValidationError(
                f"{path}: {key} ({label}, shape {loaded[key].shape}) does not match "
                f"{own_key} ({own_labels[own_key]}, shape {own.shape})",
                attr="path",
            )
    values = store.values()
    for i, (_, name, sig) in enumerate(store.signals):
        store.set_signal_value(sig, loaded[f"{i}.{name}"], values)
    store.assign(*values)
    if tensor_vars is not None:
        tensor_vars.assign(loaded)
