"""Traced programs saved beside the XLA cache: a later process skips tracing.

`xla_cache` saves what XLA compiled, but a new process still traces each
program (Python builds the TensorFlow graph: the tutorial's step program
~0.13 s, its training program ~0.4 s) before XLA finds the compiled one. This
module saves the traced graph itself (TensorFlow's ``FunctionDef``s, which
carry the names `program_names` gave them) under the program's portable key
digest, and a later process runs it without tracing, as a second Simulator of
a process runs a program found by its structural key.

Only programs whose key describes library code alone are saved (no user
functions or classes: their code could change between processes without the
key's digest changing), in a directory per version of this package's source,
nengo, NumPy, TensorFlow and Keras. With ``NENGODL_NOTEBOOK_CHECK_PROGRAM_KEYS``
every loaded program is also traced and compared, as every key hit.
"""

import contextlib
import hashlib
import importlib.metadata
import os
import pickle
from pathlib import Path

import tensorflow as tf
from tensorflow.core.framework import function_pb2
from tensorflow.python.eager import context

from nengodl_notebook import xla_cache
from nengodl_notebook.program_names import key_digest
from nengodl_notebook.shared_programs import KeyedProgram

#: Key parts marking a key as describing library code only (`program_keys`).
LIBRARY_ONLY = "portable"
#: Distributions whose versions name the directory.
PACKAGES = ("nengo", "numpy", "tensorflow", "keras")


def _source_tag():
    """A digest of this package's source and its dependencies' versions."""
    digest = hashlib.sha256()
    root = Path(__file__).parent
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    for name in PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            digest.update(f"{name}={importlib.metadata.version(name)}".encode())
    return digest.hexdigest()[:16]


_directory = None


def directory():
    """Where traced programs are saved (None: the XLA cache is off)."""
    global _directory
    if xla_cache.DIRECTORY is None:
        return None
    if _directory is None:
        _directory = xla_cache.DIRECTORY / "graphs" / _source_tag()
    return _directory


def path_for(key):
    """The file of the program with structural key ``key`` (None: not saved)."""
    place = directory()
    if place is None or key is None:
        return None
    portable = [part for part in key if str(part[0]).startswith("portable")]
    if not portable or any(part[0] != LIBRARY_ONLY for part in portable):
        return None  # no portable parts, or user code in the key
    return place / f"{key_digest(key)}.pkl"


class LoadedProgram:
    """A traced program read from disk, called as a `KeyedProgram`'s trace.

    Parameters
    ----------
    name : bytes
        Name of the top function (its nested functions are registered too).
    n_outputs : int
    structure : nested structure of ints
        The outputs' structure (`tf.nest`).
    """

    def __init__(self, name, n_outputs, structure):
        self.name = name
        self.n_outputs = n_outputs
        self.structure = structure

    def _call_flat(self, args, captured):
        """Run on ``args`` (flat) with ``captured`` (variable handles)."""
        flat = context.context().call_function(
            self.name, list(args) + list(captured), self.n_outputs
        )
        return tf.nest.pack_sequence_as(self.structure, flat)


#: Suffix of the saved functions' names (see `detached`).
SUFFIX = "_saved"


def detached(concrete):
    """The functions of a trace, renamed with `SUFFIX`, as one library.

    A traced function carries the Python source lines of its ops, which XLA
    writes into the program it compiles; the same functions read from disk do
    not. Both processes run the functions read from disk (without source
    lines, under names of their own), so their XLA programs are the same and
    the second finds the first's in `xla_cache`.
    """
    functions = list(concrete.graph.as_graph_def().library.function)
    functions.append(concrete.function_def)
    renamed = {f.signature.name: f.signature.name + SUFFIX for f in functions}
    library = function_pb2.FunctionDefLibrary()
    for function in functions:
        copy = library.function.add()
        copy.CopyFrom(function)
        copy.signature.name = renamed[function.signature.name]
        for node in copy.node_def:
            for attr in node.attr.values():
                if attr.HasField("func") and attr.func.name in renamed:
                    attr.func.name = renamed[attr.func.name]
                for func in attr.list.func:
                    func.name = renamed.get(func.name, func.name)
    return library, renamed[concrete.function_def.signature.name]


def save(key, concrete, roles, fingerprint):
    """Save the trace ``concrete`` of ``key``; the saved program, or None.

    None when the program is not saved (`path_for`, outputs that are not
    plain tensors, a file that cannot be written).
    """
    path = path_for(key)
    if path is None:
        return None
    if path.exists():
        return load(key)
    outputs = tf.nest.flatten(concrete.structured_outputs, expand_composites=True)
    if len(outputs) != len(concrete.outputs) or not all(
        isinstance(t, tf.Tensor) for t in outputs
    ):
        return None
    library, name = detached(concrete)
    entry = {
        "name": name.encode(),
        "library": library.SerializeToString(),
        "n_outputs": len(outputs),
        "structure": tf.nest.map_structure(
            lambda _: 0, concrete.structured_outputs, expand_composites=True
        ),
        "roles": roles,
        "fingerprint": fingerprint,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(pickle.dumps(entry))
        partial.replace(path)  # whole files only, for readers in other processes
    except OSError:
        return None
    return load(key)


def load(key):
    """The `KeyedProgram` saved for ``key``, or None."""
    path = path_for(key)
    if path is None:
        return None
    try:
        entry = pickle.loads(path.read_bytes())
        library = function_pb2.FunctionDefLibrary.FromString(entry["library"])
    except (OSError, EOFError, pickle.UnpicklingError, KeyError, ValueError):
        return None
    ctx = context.context()
    for fdef in library.function:
        if not ctx.has_function(fdef.signature.name):
            ctx.add_function_def(fdef)
    program = LoadedProgram(entry["name"], entry["n_outputs"], entry["structure"])
    return KeyedProgram(program, entry["roles"], entry["fingerprint"])


def find(programs, key):
    """The program of ``key`` in ``programs`` (a `SharedPrograms`), else saved
    on disk (then kept in ``programs`` too); None if neither has it."""
    found = programs.lookup(key) or load(key)
    if found is not None:
        programs.remember(key, found)
    return found


def keep(programs, key, concrete, roles, fingerprint, to_disk=True):
    """Keep the trace ``concrete`` of ``key`` in ``programs`` and (``to_disk``)
    on disk; the `KeyedProgram` to run (the saved form when saved)."""
    program = KeyedProgram(concrete, roles, fingerprint)
    if to_disk:
        program = save(key, concrete, roles, fingerprint) or program
    programs.remember(key, program)
    return program
