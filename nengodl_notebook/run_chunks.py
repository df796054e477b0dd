"""Long runs in short compiled chunks, and Ctrl-C that stops between them.

A run executes as calls of the step program over chunks of at most
`ChunkLength.steps` steps. The Simulator commits each chunk (state, time, probe
data, random input streams) before the next starts, so a run that is interrupted
(Ctrl-C, Jupyter's "interrupt kernel") or fails stops within one chunk and leaves
everything as it was after the last completed chunk.

TensorFlow cannot be interrupted inside a compiled call: Python sees a signal
only when the call returns. `HeldInterrupt` therefore holds SIGINT while a run
is in progress and the Simulator raises it between chunks, never half-way through
recording a chunk.
"""

import math
import signal
import threading


class ChunkLength:
    """How many steps one compiled call simulates.

    Starts at ``initial`` steps (1 s at nengo's default ``dt``, so ``run(1.0)`` is
    a single call, as before chunking). When a full chunk of a length that had
    already run once (so: not compiling) takes more than ``slow`` seconds, the
    length is halved until the estimate is under ``target``. It never grows back:
    each new length compiles a new program.

    Parameters
    ----------
    initial : int
    target, slow : float
        Seconds.
    """

    def __init__(self, initial=1000, target=0.25, slow=0.5):
        self.steps = int(initial)
        self.target = target
        self.slow = slow
        self._compiled = set()  # lengths that have run once

    def next(self, remaining):
        """Length of the next chunk when ``remaining`` steps are left."""
        return min(remaining, self.steps)

    def update(self, steps, seconds):
        """Adapt to a call of ``steps`` steps that took ``seconds``."""
        if steps not in self._compiled:
            self._compiled.add(steps)  # this call compiled: its time says little
            return
        if steps == self.steps and seconds > self.slow:
            halvings = math.ceil(math.log2(seconds / self.target))
            self.steps = max(1, self.steps >> halvings)


class HeldInterrupt:
    """Holds Ctrl-C (SIGINT) while a run is in progress.

    A context manager: inside it, SIGINT only sets `pending`; `deliver` raises it
    (as ``KeyboardInterrupt(message)``) at a point where the run is consistent.
    When the ``with`` block is left with an interrupt still pending, e.g. because
    the run raised another error first, the interrupt is dropped with the run.

    Signals reach only the main thread: elsewhere, and when Python does not
    handle SIGINT (ignored, or left to the OS), this does nothing.
    """

    def __init__(self):
        self.pending = False
        self._previous = None

    def __enter__(self):
        self.pending = False
        if threading.current_thread() is threading.main_thread():
            previous = signal.getsignal(signal.SIGINT)
            if callable(previous):
                self._previous = previous
                signal.signal(signal.SIGINT, self._hold)
        return self

    def _hold(self, signum, frame):
        self.pending = True

    def __exit__(self, exc_type, exc, tb):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        return False

    def deliver(self, message):
        """If an interrupt is pending: raise ``KeyboardInterrupt(message)``.

        A handler installed by someone else than Python (e.g. a framework's own)
        is called instead, as it would have been without holding.
        """
        if not self.pending:
            return
        self.pending = False
        previous = self._previous
        if previous is None or previous is signal.default_int_handler:
            raise KeyboardInterrupt(message)
        previous(signal.SIGINT, None)
