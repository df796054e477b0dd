"""One Simulator, one user at a time: calls from a second thread raise at once.

A Simulator's state, probe data and random streams change with every run and
training step; two threads using it at once (a notebook cell while a background
thread trains, say) would interleave those changes and give silently wrong data.
Instead of queueing the second caller (which could block a notebook cell for a
whole training run with no word why), the second call raises `SimulatorBusy`,
naming what the simulator is busy with. Calls made from within a call on the
same thread (``train`` calling its callbacks, which run the simulator) are fine.
"""

import contextlib
import functools
import threading

from nengo.exceptions import SimulationError


class SimulatorBusy(SimulationError):
    """Another thread is using this Simulator."""


class SingleUser:
    """Lets one thread at a time use an object; other threads get `SimulatorBusy`."""

    def __init__(self):
        self._lock = threading.Lock()
        self._thread = None  # the thread using the object, and its call
        self._what = None
        self._when_free = []  # functions to run when the current call ends

    @contextlib.contextmanager
    def use(self, what):
        """Hold the object for ``what`` (a description such as ``"run"``)."""
        me = threading.current_thread()
        if self._thread is me:  # a nested call on the same thread
            yield
            return
        if not self._lock.acquire(blocking=False):
            other, doing = self._thread, self._what
            raise SimulatorBusy(
                f"Cannot {what}: this Simulator is busy ({doing}) in thread "
                f"{other.name if other else '?'}. A Simulator serves one call at a "
                "time: wait for that call to end (sim.stop_training() ends training), "
                "or use a second Simulator."
            )
        self._thread, self._what = me, what
        try:
            yield
        finally:
            self._thread = self._what = None
            self._lock.release()
            self._run_when_free()

    def when_free(self, fn):
        """Call ``fn()`` now if nobody uses the object, else when the call ends.

        For what must not happen under a running call (``close()`` releasing the
        compiled programs a training thread is using).
        """
        self._when_free.append(fn)
        self._run_when_free()

    def _run_when_free(self):
        """Run the waiting functions if the object is free (else its user will)."""
        if self._when_free and self._lock.acquire(blocking=False):
            try:
                while self._when_free:
                    self._when_free.pop(0)()
            finally:
                self._lock.release()


def exclusive(what):
    """Decorate a Simulator method so that it holds the Simulator (see `SingleUser`)."""

    def decorate(method):
        @functools.wraps(method)
        def held(self, *args, **kwargs):
            with self._user.use(what):
                return method(self, *args, **kwargs)

        return held

    return decorate
