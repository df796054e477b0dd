"""Structural keys of step programs, computed before any tracing.

Two step programs with the same key trace to the same graph (up to the values
of the variables passed in), so a new Simulator can run a program compiled for
an earlier one without tracing its own (`shared_programs.SharedPrograms`). The key
describes what the program is built from: the op groups (builder class, the
builder's own attributes - index arrays and the constants it bakes into the
graph - and the ops it holds), the context (dtype, dt, minibatch size, layout
sizes, input columns), probe rows, the parameter store's structure, and the
program's options. Objects are described by value where that is what a trace
reads (arrays, numbers, nengo objects by class and Params), by a serial number
where identity is what counts (classes, functions: see `serial`).

Whatever cannot be described (TensorFlow objects, Keras layers, a builder whose
`key_extra` returns None) makes the key None: the program is then traced and
shared by its fingerprint only. Setting ``NENGODL_NOTEBOOK_CHECK_PROGRAM_KEYS=1``
traces on every key hit too and checks the fingerprints match (`checking`).
"""

import functools
import hashlib
import itertools
import os
import re
import types
import weakref

import numpy as np
from nengo.base import NengoObject
from nengo.builder.operator import Operator
from nengo.builder.signal import Signal
from nengo.params import FrozenObject, iter_params

from nengodl_notebook.planner import BuildContext
from nengodl_notebook.signals import SignalLayout

#: Environment variable turning on `checking`.
CHECK_VARIABLE = "NENGODL_NOTEBOOK_CHECK_PROGRAM_KEYS"


def checking():
    """Whether key hits are checked against a trace (see `CHECK_VARIABLE`)."""
    return os.environ.get(CHECK_VARIABLE, "") not in ("", "0")


class Undescribable(Exception):
    """Raised while describing an object the key cannot stand for."""


class ProgramKeyMismatch(RuntimeError):
    """A program key matched, but the traced graphs differ (the key is incomplete)."""


_serials: dict = {}  # id -> (weakref or the object itself, serial)
_counter = itertools.count()


def serial(obj):
    """A number standing for ``obj``'s identity, never handed to another object.

    Objects are held weakly (entries go when they die, and a new object at the
    same address gets a new number); those that cannot be weakly referenced
    (code objects, some builtins) are kept alive.
    """
    entry = _serials.get(id(obj))
    if entry is not None:
        ref, number = entry
        held = ref() if isinstance(ref, weakref.ref) else ref
        if held is obj:
            return number
    number = next(_counter)
    key = id(obj)
    try:
        ref = weakref.ref(obj, lambda _, key=key: _forget(key, number))
    except TypeError:
        ref = obj
    _serials[key] = (ref, number)
    return number


def _forget(key, number):
    entry = _serials.get(key)
    if entry is not None and entry[1] == number:
        del _serials[key]


@functools.cache
def param_names(klass):
    """Names of the nengo Params of a class (what defines its instances)."""
    return tuple(iter_params(klass))


def digest(data):
    """A short hex digest of bytes."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


#: The process-specific serial numbers in a description (`serial`).
SERIALS = re.compile(r"\('(class|callable|function)', \d+")


#: Modules whose functions and classes are library code (`Describer.user_code`).
LIBRARY = (
    "nengodl_notebook",
    "nengo",
    "numpy",
    "scipy",
    "tensorflow",
    "keras",
    "builtins",
    "math",
    "operator",
    "functools",
)


def is_library(module):
    """Whether objects of ``module`` (a name, or None) are library code."""
    return module is not None and module.split(".")[0] in LIBRARY


def digested(parts, user_code=True):
    """``(name, digest)`` per key part, and a ``("portable", digest)`` of all.

    The portable digest leaves out the serial numbers (they follow the order
    in which objects were first described in the process): the same program
    gets the same one in every process (`program_names`). With ``user_code``
    its part is named ``"portable (user code)"`` (`saved_programs` saves no
    such program).
    """
    texts = [(name, repr(part)) for name, part in parts]
    whole = "".join(SERIALS.sub(r"('\1'", text) for _, text in texts)
    keyed = tuple((name, digest(text.encode())) for name, text in texts)
    name = "portable (user code)" if user_code else "portable"
    return keyed + ((name, digest(whole.encode())),)


def global_names(code):
    """Names ``code`` (and the functions defined in it) may read as globals."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= global_names(const)
    return names


class Describer:
    """Turns objects into hashable descriptions (nested tuples of plain values).

    Parameters
    ----------
    layout : SignalLayout
        Signals in it are described by their place; others by their value.
    """

    def __init__(self, layout):
        self.layout = layout
        self._seen = {}  # id -> number, for our own objects described once
        self.user_code = False  # described a function or class of user code
        self._signals = {}  # id -> description, for signals described once
        self._bases = {}  # id -> layout place (or value) of a base signal
        self._functions = set()  # ids of functions being described

    def __call__(self, x):
        if x is None or isinstance(x, (bool, int, float, str, bytes, complex)):
            return (type(x).__name__, x)
        if isinstance(x, (np.ndarray, np.generic)):
            return self.array(np.asarray(x))
        if isinstance(x, (tuple, list)):
            return (type(x).__name__,) + tuple(self(v) for v in x)
        if isinstance(x, dict):
            return ("dict",) + tuple((self(k), self(v)) for k, v in x.items())
        if isinstance(x, type):
            self.user_code |= not is_library(x.__module__)
            return ("class", serial(x), x.__module__, x.__qualname__)
        if isinstance(x, Signal):
            return self.signal(x)
        if isinstance(x, (BuildContext, SignalLayout)):
            return (type(x).__name__,)  # described once, by `context_parts`
        if isinstance(x, FrozenObject):
            params = tuple((n, self(getattr(x, n))) for n in param_names(type(x)))
            return ("nengo", self(type(x))) + params
        if isinstance(x, functools.partial):
            return ("partial", self(x.func), self(x.args), self(x.keywords))
        if isinstance(x, types.MethodType):
            return ("method", self(x.__func__), self(x.__self__))
        if isinstance(x, types.FunctionType):
            return self.function(x)
        if isinstance(x, Operator):  # roles follow from class and attributes
            return self.own(x, skip=("tag", "_sets", "_incs", "_reads", "_updates"))
        if isinstance(x, NengoObject):  # its Params live outside its __dict__
            raise Undescribable(f"{x}")
        if type(x).__module__.startswith(("nengodl_notebook", "nengo.")):
            return self.own(x)  # ours, or a plain nengo object (ChannelShape)
        if callable(x) and not hasattr(x, "__dict__"):  # builtins, ufuncs
            name = getattr(x, "__qualname__", getattr(x, "__name__", ""))
            module = getattr(x, "__module__", None)
            self.user_code |= not is_library(module)
            return ("callable", serial(x), module, name)
        raise Undescribable(f"{type(x).__qualname__} object {x!r:.60}")

    def array(self, a):
        """Dtype, shape and a digest of the contents."""
        if a.dtype == object:
            return ("objects", a.shape) + tuple(self(v) for v in a.ravel())
        return ("array", a.dtype.str, a.shape, digest(np.ascontiguousarray(a).data))

    def signal(self, sig):
        """Shape, dtype, view offset and strides, and its base's place in the
        layout (the value if not in it)."""
        found = self._signals.get(id(sig))
        if found is None:
            view = (sig.elemoffset, sig.elemstrides) if sig.is_view else ()
            head = ("signal", sig.shape, np.dtype(sig.dtype).str, sig.sparse, view)
            found = self._signals[id(sig)] = head + self.base(sig.base)
        return found

    def base(self, base):
        """A base signal's place in the layout (or its value), once per base."""
        found = self._bases.get(id(base))
        if found is None:
            if self.layout is not None and base in self.layout:
                # in memory order (views index into it by offset and strides)
                indices = self.layout._index[base]
                found = (self.array(indices), self.array(self.layout._in_state[base]))
            elif base.sparse:
                found = ("value", repr(base.initial_value))
            else:
                found = ("value", self.array(np.asarray(base.initial_value)))
            self._bases[id(base)] = found
        return (found,)

    def function(self, fn):
        """Code (by identity) with its closure, defaults and the module globals
        it reads (a changed global constant changes the key)."""
        if id(fn) in self._functions:  # recursion (a function reading itself)
            return ("function", serial(fn.__code__), "again")
        self._functions.add(id(fn))
        try:
            cells = tuple(self(c.cell_contents) for c in fn.__closure__ or ())
            defaults = self(fn.__defaults__), self(fn.__kwdefaults__)
            names = sorted(global_names(fn.__code__) & fn.__globals__.keys())
            used = tuple((n, self.global_value(fn.__globals__[n])) for n in names)
        finally:
            self._functions.discard(id(fn))
        self.user_code |= not is_library(fn.__module__)
        code = (fn.__module__, fn.__qualname__)
        return ("function", serial(fn.__code__)) + code + (cells, defaults, used)

    def global_value(self, value):
        """A global a function reads: modules by name, the rest as values."""
        if isinstance(value, types.ModuleType):
            return ("module", value.__name__)
        return self(value)

    def own(self, obj, skip=()):
        """One of our objects (or an operator): class and attributes, once.

        Attributes named in the class's ``key_skip`` are left out.
        """
        if id(obj) in self._seen:
            return ("seen", self._seen[id(obj)])
        self._seen[id(obj)] = len(self._seen)
        attrs = vars(obj) if hasattr(obj, "__dict__") else {}
        skip = tuple(skip) + tuple(getattr(type(obj), "key_skip", ()))
        items = tuple(
            (name, self(value)) for name, value in attrs.items() if name not in skip
        )
        return ("object", self(type(obj))) + items


def describe_store(describe, store):
    """What of a ParamStore shapes the trace: how ``full`` assembles the params."""
    return (
        describe.array(store.train_p),
        describe.array(store.train_s),
        describe.array(store.fixed_p),
        describe.array(store._order),
        tuple(store.trainable.shape),
        tuple(store.fixed.shape),
    )


def group_description(describe, group):
    """Builder class, builder attributes (ops included) and its `key_extra`."""
    extra = group.key_extra()
    if extra is None:
        raise Undescribable(f"{type(group).__name__} (no program key)")
    return (describe(type(group)), describe.own(group), describe(extra))


def context_parts(ctx):
    """Key parts of the build context and layout."""
    layout = ctx.layout
    return (
        ctx.np_dtype.str,
        float(ctx.dt),
        int(ctx.minibatch_size),
        ctx.lif_smoothing,
        int(ctx.n_input_columns),
        dict(layout.sizes),
        len(ctx.python_processes),
    )


def step_key(program, store):
    """The structural key of ``program`` (a `StepProgram`), or None.

    Returns
    -------
    key : tuple of ``(part name, digest)`` or None
        None when some part cannot be described (see `Undescribable`).
    """
    describe = Describer(program.ctx.layout)
    try:
        parts = [
            ("context", context_parts(program.ctx)),
            (
                "program",
                (program.jit_compile, program.device, program.learning_phase),
            ),
            ("probes", describe.array(program.probe_idx)),
            ("params", describe_store(describe, store)),
        ]
        for i, group in enumerate(program.groups):
            name = f"group {i} ({type(group).__name__})"
            parts.append((name, group_description(describe, group)))
    except Undescribable:
        return None
    return digested(parts, describe.user_code)
