"""Model parameters: the trainable and fixed parts, and snapshots of them.

The flat ``params`` array (see `signals.py`) is held as two variables: the
elements that training may change (encoders, biases, weights of trainable
objects) and the rest. Only the first is given to the optimizer, so anything not
trainable is bit-for-bit unchanged by training.

A snapshot (`Params`, from `take_params`) copies every parameter array and
TensorNode weight with a description of the network's structure; `apply_params`
refuses one of another network or with non-finite values before changing
anything. Parameter files are snapshots on disk (`param_files.py`).
"""

import re
from collections.abc import Iterator, Mapping
from typing import NamedTuple

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
        masks = {
            PARAMS: np.zeros(self.params0.size, bool),
            STATE: np.zeros(self.state0.size, bool),
        }
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
        self.fixed = tf.Variable(
            self.params0[self.fixed_p], trainable=False, name="fixed_params"
        )
        # position of each parameter in concat([trainable params, fixed params])
        order = np.empty(self.params0.size, dtype=np.int64)
        order[self.train_p] = np.arange(len(self.train_p))
        order[self.fixed_p] = len(self.train_p) + np.arange(len(self.fixed_p))
        self._order = order.astype(np.int32)
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
        """The initial ``state`` ``(n_state, minibatch)``, trainable parts live."""
        state = tf.tile(tf.constant(self.state0[:, None]), (1, minibatch_size))
        if len(self.train_s) == 0:
            return state
        values = self.trainable[len(self.train_p) :, None]
        return tf.tensor_scatter_nd_update(
            state, self.train_s[:, None], tf.tile(values, (1, minibatch_size))
        )

    def initial_state_value(self, minibatch_size, values=None):
        """`initial_state` made in NumPy, as a constant (no TensorFlow kernel runs).

        ``values`` are ``(params, state0)`` as from `values`; they are read from
        the variables when not given and some trainable parameter lives in the
        state.
        """
        if values is None and len(self.train_s):
            values = self.values()
        state = self.state0 if values is None else values[1]
        return tf.constant(np.tile(state[:, None], (1, minibatch_size)))

    def built_values(self):
        """`values` as built: copies of the initial arrays (right until anything
        assigns or trains the variables), without reading the variables."""
        return self.params0.copy(), self.state0.copy()

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
        self.trainable.assign(
            np.concatenate([params[self.train_p], state[self.train_s]])
        )
        self.fixed.assign(params[self.fixed_p])
        self.state0 = np.array(state, dtype=self.state0.dtype)
        self.changed = [obj for obj, _, _ in self.signals]

    def signal_value(self, sig, values=None):
        """Current value of a parameter signal, shaped like the signal (a sparse
        signal: its non-zero values, in `signals.sparse_coo` order)."""
        params, state = self.values() if values is None else values
        array = params if self.layout.kind(sig) == PARAMS else state
        idx = self.layout.indices(sig)
        return array[idx].reshape((idx.size,) if sig.sparse else sig.shape)

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


# -- snapshots ----------------------------------------------------------------------


class ParamEntry(NamedTuple):
    """One parameter array of a snapshot (or file), and what it belongs to.

    Two entries match when all fields but ``legacy`` are equal (see `describe`
    for how objects are identified).
    """

    key: str  #: name of the array: ``"<i>.<name>"`` or ``"tensor_node<i>.<j>"``
    type: str  #: type of the object (``"Ensemble"``, ``"Neurons"``...)
    obj: str  #: the object (`describe`)
    name: str  #: ``"encoders"``, ``"bias"``, ``"weights"`` or ``"weight <j>"``
    shape: tuple
    legacy: str = ""  #: what the first file format compared (see `_legacy_rows`)

    def __str__(self):
        return f"{self.name} of {self.obj} with shape {self.shape}"

    def row(self):
        """The entry as saved in the ``__structure__`` array (one row per array)."""
        return [self.type, self.obj, self.name, str(self.shape)]


class Origin(NamedTuple):
    """Where given parameters come from, as error messages name it."""

    attr: str  #: the ValidationError's ``attr``: ``"path"`` or ``"params"``
    subject: str  #: ``"<path>"``, ``"the snapshot"``...
    prefix: str  #: put before messages: ``"<path>: "`` or ``""``
    where: str  #: ``"in the file"``, ``"in the snapshot"``...

    @classmethod
    def file(cls, path):
        """A parameter file at ``path``."""
        return cls("path", str(path), f"{path}: ", "in the file")

    def error(self, text):
        """A ValidationError with ``text`` (after the prefix)."""
        return ValidationError(f"{self.prefix}{text}", attr=self.attr)


SNAPSHOT = Origin("params", "the snapshot", "", "in the snapshot")
MAPPING = Origin("params", "the given parameters", "", "in the given parameters")


class Params(Mapping):
    """A snapshot of a Simulator's parameters: ``{key: array}``, read-only copies.

    Keys name the arrays as a parameter file does: ``"<i>.encoders"``,
    ``"<i>.bias"`` and ``"<i>.weights"`` for parameter ``i`` (network order), then
    ``"tensor_node<i>.<j>"`` for weight ``j`` of TensorNode ``i``. `entries` say
    what each array belongs to (``print(params)`` lists them); they are compared
    with the network's when the snapshot is applied (`Simulator.set_params`).

    Parameters
    ----------
    entries : sequence of ParamEntry
        One per array, in order; each ``shape`` must be its array's.
    arrays : mapping
        ``key -> array`` (copied).
    labels : sequence of str, optional
        Human-readable label of each entry (default: its object); not compared.
    origin : Origin
        Where the values come from (named by errors).
    legacy : bool
        Whether the entries are those of a first-format file (keys and labels
        only; see `_legacy_rows`).

    Attributes
    ----------
    entries : tuple of ParamEntry
        ``(key, type, obj, name, shape)`` of each array, in order: ``obj``
        describes the object the same way in every build of the network.
    labels : tuple of str
        What each array belongs to, as ``print(params)`` shows it.
    """

    def __init__(self, entries, arrays, labels=None, origin=SNAPSHOT, legacy=False):
        self.entries = tuple(entries)
        self.labels = tuple(
            (e.obj for e in self.entries) if labels is None else map(str, labels)
        )
        self.origin, self.legacy = origin, legacy
        self._arrays = {}
        for entry in self.entries:
            value = np.array(arrays[entry.key], copy=True)
            if value.shape != tuple(entry.shape):
                raise origin.error(
                    f"parameter {entry.key} ({entry}) has an array of shape "
                    f"{value.shape}"
                )
            value.flags.writeable = False
            self._arrays[entry.key] = value

    def __getitem__(self, key: str) -> np.ndarray:
        return self._arrays[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def __eq__(self, other):
        """Same entries (structure) and bit-for-bit the same values."""
        if not isinstance(other, Params):
            return NotImplemented
        return [e[:5] for e in self.entries] == [e[:5] for e in other.entries] and all(
            self[k].dtype == other[k].dtype and np.array_equal(self[k], other[k])
            for k in self
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self):
        lines = [
            f"  {e.key} {e.shape}: {label}"
            for e, label in zip(self.entries, self.labels)
        ]
        return f"Params({len(self)} arrays:\n" + "\n".join(lines) + "\n)"

    def entry(self, key):
        """The `ParamEntry` of the array ``key``."""
        return next(e for e in self.entries if e.key == key)


_KERAS_SUFFIX = re.compile(r"_\d+$")  # unique Keras layer names: dense, dense_1...
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def describe(obj, positions):
    """A description of ``obj`` that is the same in every build of its network.

    A labelled object is ``<Type 'label'>``. An unlabelled ensemble or TensorNode
    is ``<Type #k (unlabeled)>``, ``k`` its position among the ensembles holding
    parameters (Direct-mode ones hold none) or among the TensorNodes, in network
    order; an unlabelled connection is described by its ends; neurons, slices and
    learning rules by their object. A TensorNode labelled with its Keras layer's
    name (the default of ``Layer``) is compared without the ``_<n>`` Keras adds to
    make layer names unique in a process (``dense_1`` is ``dense``).

    Parameters
    ----------
    obj : nengo object
    positions : dict
        ``id(obj) -> k`` for the ensembles and TensorNodes (see `_positions`).
    """
    if isinstance(obj, nengo.ensemble.Neurons):
        return f"<Neurons of {describe(obj.ensemble, positions)}>"
    if isinstance(obj, nengo.base.ObjView):
        return f"{describe(obj.obj, positions)}[{_slice_text(obj.slice)}]"
    if isinstance(obj, nengo.connection.LearningRule):
        return f"<LearningRule of {describe(obj.connection, positions)}>"
    kind = type(obj).__name__
    label = getattr(obj, "label", None)
    if label is not None:
        if label == getattr(getattr(obj, "tensor_func", None), "name", None):
            label = _KERAS_SUFFIX.sub("", label)
        return f"<{kind} '{label}'>"
    if isinstance(obj, nengo.Connection):
        pre, post = (describe(o, positions) for o in (obj.pre_obj, obj.post_obj))
        return f"<Connection from {pre} to {post}>"
    if id(obj) in positions:
        return f"<{kind} #{positions[id(obj)]} (unlabeled)>"
    return f"<{kind} (unlabeled)>"


def _slice_text(index):
    if isinstance(index, slice):
        parts = [index.start, index.stop] + ([] if index.step is None else [index.step])
        return ":".join("" if v is None else str(v) for v in parts)
    return str(np.asarray(index).tolist())


def _positions(objects):
    """``id(obj) -> position among the given objects of its type`` (first one)."""
    counts, positions = {}, {}
    for obj in objects:
        if id(obj) not in positions:
            positions[id(obj)] = counts.get(type(obj), 0)
            counts[type(obj)] = positions[id(obj)] + 1
    return positions


def take_params(store, tensor_vars=None, values=None):
    """A snapshot of every parameter signal of ``store``, then each TensorNode weight.

    Parameters
    ----------
    store : ParamStore
    tensor_vars : TensorNodeVariables, optional
    values : tuple of ndarray, optional
        ``store``'s ``(params, state0)`` if known (read from it if not).

    Returns
    -------
    Params
        Copies, in order; TensorNode weights are labelled with their variable's
        name too.
    """
    nodes = tensor_vars.nodes if tensor_vars is not None else []
    ensembles = [obj for obj, _, _ in store.signals if isinstance(obj, nengo.Ensemble)]
    positions = _positions(ensembles + list(nodes))
    arrays, entries, labels = {}, [], []
    values = store.values() if values is None else values
    for i, (obj, name, sig) in enumerate(store.signals):
        key = f"{i}.{name}"
        arrays[key] = store.signal_value(sig, values)
        entries.append(_entry(key, obj, name, arrays[key], positions))
        labels.append(entries[-1].obj)
    for key, _, var in tensor_vars.weights if tensor_vars is not None else []:
        i, j = (int(n) for n in key[len("tensor_node") :].split("."))
        arrays[key] = var.numpy()
        entries.append(_entry(key, nodes[i], f"weight {j}", arrays[key], positions))
        labels.append(f"{entries[-1].obj} {var.name}")
    return Params(entries, arrays, labels)


def _entry(key, obj, name, value, positions):
    legacy = _ADDRESS.sub("", str(obj))
    kind = type(obj).__name__
    return ParamEntry(key, kind, describe(obj, positions), name, value.shape, legacy)


def apply_params(store, tensor_vars, params):
    """Set every parameter (and TensorNode weight) from ``params``, all or nothing.

    Everything is checked before anything is set, and values set before a
    failure are restored. Raises a ValidationError (naming where ``params`` come
    from) when their structure differs from this network's (naming the first
    difference: type, object, parameter or shape; see `describe`), or when a
    value is not finite (or not convertible to the simulator's dtype).

    Parameters
    ----------
    store : ParamStore
    tensor_vars : TensorNodeVariables or None
    params : Params or mapping
        A snapshot (`take_params`, or a file's), or ``{key: array}`` with
        exactly this network's keys (checked by key and shape only).
    """
    own = take_params(store, tensor_vars)
    if not isinstance(params, Params):
        params = _from_mapping(params, own)
    _compare(params, own.entries)
    values = {
        e.key: _checked_value(params.origin, e, params[e.key], own[e.key].dtype)
        for e in own.entries
    }
    _assign_all(store, tensor_vars, values)


def _from_mapping(given, own):
    """A `Params` of ``{key: array}``, with this network's entries (``own``)."""
    if not isinstance(given, Mapping):
        raise MAPPING.error(
            f"expected a snapshot (Simulator.get_params) or a mapping "
            f"{{key: array}}, got {type(given).__name__}"
        )
    unknown = [key for key in given if key not in own]
    if unknown:
        raise MAPPING.error(
            f"unknown parameter {unknown[0]!r}; this network's are {list(own)}"
        )
    arrays = {}
    for entry in own.entries:
        if entry.key not in given:
            raise MAPPING.error(f"parameter {entry.key} ({entry}) is missing")
        try:
            arrays[entry.key] = np.asarray(given[entry.key])
        except (TypeError, ValueError) as e:
            raise MAPPING.error(
                f"parameter {entry.key} ({entry}) is not an array: {e}"
            ) from e
        if arrays[entry.key].shape != entry.shape:
            raise MAPPING.error(
                f"parameter {entry.key} ({entry}) is given with shape "
                f"{arrays[entry.key].shape}"
            )
    return Params(own.entries, arrays, own.labels, MAPPING)


def _legacy_rows(entries):
    """What the first format compares: key, label (no memory address), shape."""
    rows = []
    for e in entries:
        label = _ADDRESS.sub("", e.legacy)
        if e.key.startswith("tensor_node") and ">" in label:
            label = label[: label.rindex(">") + 1]  # without the variable's name
        label = re.sub(r"(<TensorNode '[^']*?)_\d+'>", r"\1'>", label)  # see `describe`
        rows.append(f"{e.key} ({label}) with shape {e.shape}")
    return rows


def _compare(params, own):
    """Raise a ValidationError naming the first difference of two structures."""
    given, origin = params.entries, params.origin
    if params.legacy:
        pairs = zip(_legacy_rows(given), _legacy_rows(own))
    else:
        pairs = (_texts(a, b) for a, b in zip(given, own))
    first = next(((i, a, b) for i, (a, b) in enumerate(pairs) if a != b), None)
    difference = (
        ""
        if first is None
        else (
            f"parameter {first[0]} is {first[1]} {origin.where}, but {first[2]} in "
            "this network"
        )
    )
    if len(given) != len(own):
        raise ValidationError(
            f"{origin.subject} holds {len(given)} parameter arrays, this network has "
            f"{len(own)}: it comes from a different network"
            + (f" ({difference})" if difference else ""),
            attr=origin.attr,
        )
    if first is not None:
        raise origin.error(difference)


def _texts(a, b):
    """``(None, None)`` if two entries match, else how to show them."""
    if a[:5] == b[:5]:
        return None, None
    if str(a) == str(b):  # differ in type or key only
        return f"{a} ({a.type}, {a.key})", f"{b} ({b.type}, {b.key})"
    return str(a), str(b)


def _checked_value(origin, entry, value, dtype):
    """``value`` as ``dtype``; a ValidationError if it cannot be, or is not finite."""
    try:
        with np.errstate(over="ignore"):
            cast = np.asarray(value).astype(dtype, casting="same_kind")
    except (TypeError, ValueError) as e:
        raise origin.error(
            f"parameter {entry.key} ({entry}) holds {value.dtype} values, which "
            f"cannot be converted to {np.dtype(dtype)}"
        ) from e
    if np.issubdtype(cast.dtype, np.inexact):
        bad = np.size(cast) - np.count_nonzero(np.isfinite(cast))
        if bad:
            raise origin.error(
                f"parameter {entry.key} ({entry}) holds {bad} non-finite value(s) "
                f"(NaN or inf as {cast.dtype})"
            )
    return cast


def _assign_all(store, tensor_vars, values):
    """Set every value (``key -> array``, checked); on any failure restore all."""
    old = store.values()
    changed = list(store.changed)
    old_weights = tensor_vars.by_key()[0] if tensor_vars is not None else {}
    new = store.values()
    for i, (_, name, sig) in enumerate(store.signals):
        store.set_signal_value(sig, values[f"{i}.{name}"], new)
    try:
        store.assign(*new)
        if tensor_vars is not None:
            tensor_vars.assign(values)
    except BaseException:
        store.assign(*old)
        store.changed = changed
        if tensor_vars is not None:
            tensor_vars.assign(old_weights)
        raise


def revert_params(store, tensor_vars, initial):
    """Set every parameter back to ``initial`` (the snapshot taken at construction).

    Afterwards ``sim.data`` reports nengo's build values again, bit for bit.
    """
    apply_params(store, tensor_vars, initial)
    store.changed = []
