"""Model parameters: trainable and fixed parts, save/load, and freezing into nengo.

The flat ``params`` array (see `signals.py`) is held as two variables: the
elements that training may change (encoders, biases, weights of trainable
objects) and the rest. Only the first is given to the optimizer, so anything not
trainable is bit-for-bit unchanged by training.

Parameter files (``.npz``, no pickle) record the network's structure with the
values (see `file_entries`); `load_params` refuses a file from another network,
non-finite values, or a damaged file before changing anything, and `save_params`
replaces a file atomically.
"""

import contextlib
import os
import re
import secrets
from typing import NamedTuple

import nengo
import numpy as np
import tensorflow as tf
from nengo.exceptions import ValidationError

from nengodl_notebook.signals import PARAMS, STATE

#: Written as ``__format__``; files without it are of the first format
#: (``__keys__`` and ``__labels__`` only).
FILE_FORMAT = "nengodl_notebook params 2"


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


# -- parameter files ----------------------------------------------------------------


class FileEntry(NamedTuple):
    """One parameter array of a file, and what it belongs to.

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


def file_entries(store, tensor_vars=None):
    """The arrays a parameter file holds, and the structure recorded with them.

    Returns
    -------
    arrays : dict
        ``key -> array``: each parameter signal of ``store`` (in its order), then
        each TensorNode weight.
    entries : list of FileEntry
        In the same order.
    labels : list of str
        Human-readable labels (saved as ``__labels__``; not compared).
    """
    nodes = tensor_vars.nodes if tensor_vars is not None else []
    ensembles = [obj for obj, _, _ in store.signals if isinstance(obj, nengo.Ensemble)]
    positions = _positions(ensembles + list(nodes))
    arrays, entries, labels = {}, [], []
    values = store.values()
    for i, (obj, name, sig) in enumerate(store.signals):
        key = f"{i}.{name}"
        arrays[key] = store.signal_value(sig, values)
        entries.append(
            FileEntry(
                key,
                type(obj).__name__,
                describe(obj, positions),
                name,
                arrays[key].shape,
                legacy=_ADDRESS.sub("", str(obj)),
            )
        )
        labels.append(entries[-1].obj)
    for key, _, var in tensor_vars.weights if tensor_vars is not None else []:
        i, j = (int(n) for n in key[len("tensor_node") :].split("."))
        node = nodes[i]
        arrays[key] = var.numpy()
        entries.append(
            FileEntry(
                key,
                type(node).__name__,
                describe(node, positions),
                f"weight {j}",
                arrays[key].shape,
                legacy=_ADDRESS.sub("", str(node)),
            )
        )
        labels.append(f"{entries[-1].obj} {var.name}")
    return arrays, entries, labels


def save_params(store, path, tensor_vars=None):
    """Save parameters (and TensorNode weights) to ``path`` (``.npz``; no pickle).

    As `np.savez`, ``.npz`` is appended to a path not ending with it. The file is
    written next to ``path`` under a temporary name, flushed to disk, then renamed
    over ``path``: an interrupted save leaves the previous file as it was, and no
    temporary file. (An open file object given as ``path`` is written directly.)
    The file records the structure (`file_entries`) that `load_params` compares.
    """
    arrays, entries, labels = file_entries(store, tensor_vars)
    contents = {
        "__format__": np.array(FILE_FORMAT),
        "__keys__": np.array([e.key for e in entries], dtype=str),
        "__labels__": np.array(labels, dtype=str),
        "__structure__": np.array([e.row() for e in entries], dtype=str).reshape(-1, 4),
        **arrays,
    }
    if hasattr(path, "write"):
        np.savez(path, **contents)
    else:
        write_atomically(npz_path(path), lambda file: np.savez(file, **contents))


def npz_path(path):
    """``path`` as a string, with ``.npz`` appended unless it ends with it."""
    path = os.fspath(path)
    return path if path.endswith(".npz") else path + ".npz"


def write_atomically(path, write):
    """Call ``write(file)`` on a new file that then replaces ``path`` in one step.

    The temporary file is in ``path``'s directory (so the rename is atomic), is
    fsynced before the rename, takes the permissions of the file it replaces, and
    is removed if anything (KeyboardInterrupt too) interrupts the write.
    """
    directory, name = os.path.split(os.path.abspath(path))
    temp = None
    try:
        temp, fd = _temporary_file(directory, name)
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temp, os.stat(path).st_mode & 0o7777)
        os.replace(temp, path)
    except BaseException:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
        raise
    with contextlib.suppress(OSError):  # make the rename durable (POSIX)
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _temporary_file(directory, name):
    """``(path, fd)`` of a new file ``.<name>.<random>.tmp`` (mode 0666 - umask)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temp = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            return temp, os.open(temp, flags, 0o666)
        except FileExistsError:
            continue


def load_params(store, path, tensor_vars=None):
    """Load parameters saved by `save_params` into ``store`` (and ``tensor_vars``).

    All or nothing: the file is read and checked completely before anything is
    set, and values set before a failure are restored. Raises a ValidationError
    naming the file when it cannot be read, when its structure differs from this
    network's (naming the first difference: type, object, parameter or shape; see
    `describe`), or when a value is not finite (or not convertible to the
    simulator's dtype). Files of the first format (``__keys__``/``__labels__``
    only) load when keys, shapes and labels (without memory addresses) match.
    """
    path = npz_path(path)
    saved = _read(path)
    arrays, entries, _ = file_entries(store, tensor_vars)
    saved_entries, legacy = _saved_entries(path, saved)
    _compare(path, saved_entries, entries, legacy)
    values = {
        e.key: _checked_value(path, e, saved[e.key], arrays[e.key].dtype)
        for e in entries
    }
    _assign_all(store, tensor_vars, values)


def _read(path):
    """Every array in the file at ``path``; a ValidationError if it is unreadable."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            return {key: saved[key] for key in saved.files}
    except OSError as e:
        if e.filename is not None:  # names the path already
            raise
        error = e
    # any error of a damaged file (BadZipFile, ValueError, zlib.error, ...)
    except Exception as e:  # noqa: BLE001 - reported below with the path
        error = e
    raise ValidationError(
        f"{path}: cannot read this parameter file ({type(error).__name__}: {error})",
        attr="path",
    ) from error


def _saved_entries(path, saved):
    """``(entries, legacy)``: the file's structure; whether it is the first format."""
    if "__format__" in saved:
        if str(saved["__format__"]) != FILE_FORMAT:
            raise ValidationError(
                f"{path}: unknown parameter file format {str(saved['__format__'])!r} "
                f"(this version reads {FILE_FORMAT!r})",
                attr="path",
            )
        keys, rows = saved.get("__keys__"), saved.get("__structure__")
        if keys is None or rows is None or rows.shape != (len(keys), 4):
            raise ValidationError(f"{path}: damaged structure record", attr="path")
        entries = [
            FileEntry(str(k), str(t), str(o), str(n), _shape(s))
            for k, (t, o, n, s) in zip(keys, rows)
        ]
    elif "__keys__" in saved and "__labels__" in saved:
        keys, labels = saved["__keys__"], saved["__labels__"]
        entries = [
            FileEntry(str(k), "", "", "", None, str(label))
            for k, label in zip(keys, labels)
        ]
    else:
        raise ValidationError(
            f"{path} is not a parameter file written by save_params "
            f"(it holds {sorted(saved)[:5]} and no __keys__)",
            attr="path",
        )
    for i, entry in enumerate(entries):
        if entry.key not in saved:
            raise ValidationError(
                f"{path}: parameter {i} ({entry.key}) is listed, but its array is "
                f"missing",
                attr="path",
            )
        shape = saved[entry.key].shape
        if entry.shape is None:
            entries[i] = entry._replace(shape=shape)
        elif entry.shape != shape:
            raise ValidationError(
                f"{path}: parameter {i} ({entry.key}) is recorded with shape "
                f"{entry.shape} but its array has shape {shape}: the file is damaged",
                attr="path",
            )
    return entries, "__format__" not in saved


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


def _shape(text):
    """``(10, 2)`` from its text ``"(10, 2)"``."""
    return tuple(int(d) for d in re.findall(r"\d+", text))


def _compare(path, saved, own, legacy):
    """Raise a ValidationError naming the first difference of two structures."""
    if legacy:
        pairs = zip(_legacy_rows(saved), _legacy_rows(own))
    else:
        pairs = (_texts(a, b) for a, b in zip(saved, own))
    first = next(((i, a, b) for i, (a, b) in enumerate(pairs) if a != b), None)
    difference = (
        ""
        if first is None
        else (
            f"parameter {first[0]} is {first[1]} in the file, but {first[2]} in this "
            "network"
        )
    )
    if len(saved) != len(own):
        raise ValidationError(
            f"{path} holds {len(saved)} parameter arrays, this network has {len(own)}: "
            f"it was saved from a different network"
            + (f" ({difference})" if difference else ""),
            attr="path",
        )
    if first is not None:
        raise ValidationError(f"{path}: {difference}", attr="path")


def _texts(a, b):
    """``(None, None)`` if two entries match, else how to show them."""
    if a[:5] == b[:5]:
        return None, None
    if str(a) == str(b):  # differ in type or key only
        return f"{a} ({a.type}, {a.key})", f"{b} ({b.type}, {b.key})"
    return str(a), str(b)


def _checked_value(path, entry, value, dtype):
    """``value`` as ``dtype``; a ValidationError if it cannot be, or is not finite."""
    try:
        with np.errstate(over="ignore"):
            cast = np.asarray(value).astype(dtype, casting="same_kind")
    except (TypeError, ValueError) as e:
        raise ValidationError(
            f"{path}: parameter {entry.key} ({entry}) holds {value.dtype} values, "
            f"which cannot be converted to {np.dtype(dtype)}",
            attr="path",
        ) from e
    if np.issubdtype(cast.dtype, np.inexact):
        bad = np.size(cast) - np.count_nonzero(np.isfinite(cast))
        if bad:
            raise ValidationError(
                f"{path}: parameter {entry.key} ({entry}) holds {bad} non-finite "
                f"value(s) (NaN or inf as {cast.dtype})",
                attr="path",
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
