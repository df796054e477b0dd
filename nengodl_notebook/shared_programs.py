"""Compiled programs shared by Simulators whose programs are the same.

TensorFlow keeps every program it compiled with XLA until the process ends (its
compilation cache has no eviction), keyed by the traced function's name. So that
Simulators of one network do not each add their own copy, programs are shared
by content: by a structural key computed before tracing (`program_keys`), or
else by the fingerprint of the trace (`program_fingerprint`).
"""

import hashlib
import re
from collections import OrderedDict, namedtuple

from nengodl_notebook.tf_private import call_with_captures


def program_fingerprint(concrete):
    """A digest of a traced function's graph, the same for the same graph.

    TensorFlow gives the function, its nested functions (loop bodies) and custom
    gradients new unique names in every trace; they are numbered here in order
    of appearance instead.
    """
    top = concrete.function_def
    functions = concrete.graph.as_graph_def().library.function
    library = {fdef.signature.name: fdef for fdef in functions}
    library[top.signature.name] = top
    texts = {name: str(fdef) for name, fdef in library.items()}
    names = re.compile(
        "|".join(re.escape(n) for n in sorted(library, key=len, reverse=True))
    )
    order, pending = [], [top.signature.name]
    while pending:  # functions in order of first mention, from the top one
        name = pending.pop(0)
        if name not in order:
            order.append(name)
            pending.extend(m.group(0) for m in names.finditer(texts[name]))
    number = {name: f"function{i}" for i, name in enumerate(order)}
    digest = hashlib.sha256()
    for name in order:
        text = names.sub(lambda m: number[m.group(0)], texts[name])
        digest.update(re.sub(r"CustomGradient-\d+", "CustomGradient", text).encode())
    inputs = [(x.dtype.name, tuple(x.shape)) for x in concrete.captured_inputs]
    digest.update(repr(inputs).encode())
    return digest.hexdigest()


#: A program stored under a structural key: the trace, the position of each of
#: its captured inputs among the program's variables, and its fingerprint.
KeyedProgram = namedtuple("KeyedProgram", ["concrete", "roles", "fingerprint"])


def capture_roles(captured, variables):
    """Position of each capture among ``variables`` (None if one is not there)."""
    handles = {id(v.handle): i for i, v in enumerate(variables)}
    roles = tuple(handles.get(id(x)) for x in captured)
    return None if None in roles else roles


class SharedPrograms:
    """XLA programs shared by Simulators whose traced programs are identical.

    TensorFlow's XLA cache keeps each compiled program (~1-10 MB) until the process
    ends, keyed by function name. A program traced again for a new Simulator of
    the same network has a new name: this class hands out the first trace
    instead, called with the new Simulator's own captured inputs (its
    variables), so XLA compiles it once per process.

    Parameters
    ----------
    size : int
        Programs kept (least recently used ones are forgotten first; a
        forgotten program is compiled again when needed, as a new one).

    Attributes
    ----------
    hits, misses : int
        Programs handed out shared / kept as new ones so far (`share` and
        `lookup` calls).
    key_hits : int
        Of the hits, those found by structural key (no trace).
    """

    def __init__(self, size=16):
        self.size = size
        self._programs = OrderedDict()
        self._keyed = OrderedDict()  # structural key -> KeyedProgram
        self.hits = self.misses = self.key_hits = 0

    def share(self, concrete, extra=(), replace=False):
        """The first trace matching ``concrete`` (itself if none), and its fingerprint.

        ``extra`` (hashable) is part of the key: what must match besides the
        graph (e.g. the shapes of the variables passed as captures).
        ``replace``: store ``concrete`` in place of a matching one (whose
        compilation failed).
        """
        fingerprint = program_fingerprint(concrete)
        key = (fingerprint, extra)
        shared = self._programs.pop(key, None)
        if shared is None or replace:
            shared = concrete
        self.hits += shared is not concrete
        self.misses += shared is concrete
        self._programs[key] = shared
        while len(self._programs) > self.size:
            self._programs.popitem(last=False)
        return shared, fingerprint

    def get(self, concrete, extra=()):
        """A callable running ``concrete``: a shared trace when one matches."""
        shared, _ = self.share(concrete, extra)
        if shared is concrete:
            return concrete
        captured = concrete.captured_inputs
        return lambda *args: call_with_captures(shared, args, captured)

    def lookup(self, key):
        """The `KeyedProgram` stored under a structural key, or None (a miss)."""
        found = self._keyed.pop(key, None)
        if found is not None:
            self.hits += 1
            self.key_hits += 1
            self._keyed[key] = found
        return found

    def remember(self, key, program):
        """Store a `KeyedProgram` under a structural key (`program_keys.step_key`)."""
        self._keyed[key] = program
        while len(self._keyed) > self.size:
            self._keyed.popitem(last=False)

    def clear(self):
        """Forget all programs (XLA keeps what it compiled)."""
        self._programs.clear()
        self._keyed.clear()


#: Compiled step programs shared by all Simulators of the process.
SHARED_PROGRAMS = SharedPrograms()
