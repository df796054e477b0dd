"""Function names that depend on a program's structure, not on tracing order.

TensorFlow numbers every traced function (and its loop bodies and gradients)
with a counter of the process, and its persistent XLA cache (`xla_cache`) finds
a program by those names: without this, a program traced in another order in
another process would never be found. `names_for` numbers the functions of one
trace from a digest of the program's structural key (`program_keys`) instead.

Two traces of one key in a process get different numbers (the k-th trace of a
key is numbered from k), so names stay unique within the process.
"""

import contextlib
import hashlib
import re
import threading

from nengodl_notebook import tf_private

_local = threading.local()
_lock = threading.Lock()
#: Traces made so far in this process, per key digest.
_traces: dict[str, int] = {}
#: Counters per trace above this are left to TensorFlow (no fixed names).
MAX_TRACES, MAX_NAMES = 999, 99999


def _next_number():
    """The next number of the active naming context (None: TensorFlow's own)."""
    active = getattr(_local, "active", None)
    if active is None:
        return None
    prefix, count = active
    if count >= MAX_NAMES:
        return None
    _local.active = (prefix, count + 1)
    return f"{prefix}{count:05d}"


#: A key part standing for a digest that may differ between processes.
EXACT = re.compile(r"[0-9a-f]{32}")


def key_digest(key):
    """A 15-digit digest of a structural key, the same in every process.

    Made of the key's ``portable`` parts (`program_keys.digested`) and its
    plain parts (shapes), not of the exact digests: those contain serial
    numbers that follow the order in which objects were first described.
    Programs with the same digest in one process still get different names
    (the trace count of `names_for`).
    """
    kept = [
        part
        for part in key
        if str(part[0]).startswith("portable")
        or not (isinstance(part[1], str) and EXACT.fullmatch(part[1]))
    ]
    text = repr(kept)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"{int(digest[:12], 16):015d}"


@contextlib.contextmanager
def names_for(key):
    """Name the functions traced meanwhile (on this thread) after ``key``.

    ``key`` : a hashable whose ``repr`` is the same in every process for the
    same program (a structural key); None leaves names to TensorFlow.
    """
    if key is None or getattr(_local, "active", None) is not None:
        yield  # no key, or inside another naming context: keep it
        return
    tf_private.install_name_source(_next_number)
    digest = key_digest(key)
    with _lock:
        trace = _traces.get(digest, 0)
        _traces[digest] = trace + 1
    if trace > MAX_TRACES:
        yield
        return
    _local.active = (f"{digest}{trace:03d}", 0)
    try:
        yield
    finally:
        _local.active = None
