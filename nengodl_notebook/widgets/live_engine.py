"""The engine of live runs: a Simulator advanced in fixed chunks by a thread.

Each chunk is ``sim.run_steps(chunk_steps, data=...)`` with the same length, so
one compiled program serves the whole run. Input Nodes in "slider" mode get
their held value as ``data=`` (`live_inputs.HeldInputs`); Nodes in "own" mode
compute their own output. After
each chunk the new probe rows go into a fixed-length window (`ProbeWindow`)
and ``sim.clear_probes()`` forgets them, so memory stays bounded however long
the run lasts. In real time the thread sleeps so that simulated time keeps
pace with wall time. No user interface here (that is `live_panel`).
"""

import collections
import threading
import time

import numpy as np
from nengo.exceptions import SimulationError, ValidationError

from nengodl_notebook.tensor_node import TensorNode
from nengodl_notebook.widgets.live_inputs import MODES, HeldInputs, input_range
from nengodl_notebook.widgets.sim_access import input_nodes, sim_lock, sim_network

__all__ = ["MODES", "LiveEngine", "ProbeWindow", "input_range"]

#: Chunks over which `LiveEngine.achieved_speed` is measured.
SPEED_CHUNKS = 20
#: In real time, a run further behind than this (s) stops trying to catch up.
MAX_LAG = 0.5


class ProbeWindow:
    """The last ``window`` seconds of one probe, ``(minibatch, n, size)``.

    Parameters
    ----------
    period : float
        Seconds between the probe's samples.
    window : float
        Seconds kept.
    """

    def __init__(self, period, window):
        self.period = float(period)
        self.capacity = max(1, int(round(window / self.period)))
        self.t = np.zeros(0)
        self.values = None

    def add(self, values, end_time):
        """Append ``values`` ``(minibatch, n, size)``, the last at ``end_time``."""
        n = values.shape[1]
        t = end_time - self.period * np.arange(n - 1, -1, -1)
        if self.values is None:
            self.values = values[:, -self.capacity :]
        else:
            joined = np.concatenate([self.values, values], axis=1)
            self.values = joined[:, -self.capacity :]
        self.t = np.concatenate([self.t, t])[-self.capacity :]

    def clear(self):
        """Forget everything."""
        self.t, self.values = np.zeros(0), None


class LiveEngine:
    """Runs a Simulator in a background thread, in real time or as fast as it can.

    Parameters
    ----------
    sim : Simulator
        Simulated from where it is; it stays open when the engine stops.
    chunk_steps : int
        Steps per compiled call (the same for every chunk: one program).
    window : float
        Seconds of probe data kept (`window_data`).
    real_time : bool
        Keep simulated time at wall time (else run as fast as possible).
    on_chunk : callable, optional
        Called (in the engine's thread) after each chunk, with no argument.

    Attributes
    ----------
    nodes : list of nengo.Node
        The input Nodes (``size_in == 0``) that can be steered.
    inputs : live_inputs.HeldInputs
        Their held values and modes (`set_input`, `set_mode`).
    error : Exception or None
        What stopped the run, if it failed.
    """

    def __init__(self, sim, chunk_steps=50, window=2.0, real_time=True, on_chunk=None):
        if not (isinstance(chunk_steps, (int, np.integer)) and chunk_steps > 0):
            raise ValidationError(
                f"chunk_steps must be a positive integer, got {chunk_steps!r}",
                attr="chunk_steps",
            )
        if not (np.isfinite(window) and window > 0):
            raise ValidationError(
                f"window must be a positive number of seconds, got {window!r}",
                attr="window",
            )
        self.sim, self.chunk_steps = sim, int(chunk_steps)
        self._real_time, self.on_chunk = bool(real_time), on_chunk
        self.nodes = [
            n for n in input_nodes(sim_network(sim)) if not isinstance(n, TensorNode)
        ]
        self.inputs = HeldInputs(self.nodes, sim.minibatch_size)
        self._windows = {
            p: ProbeWindow((p.sample_every or sim.dt), window) for p in sim.model.probes
        }
        self._cond = threading.Condition()
        self._thread = None
        self._paused = self._stopping = self._reset_wanted = False
        self._held = False  # a `paused_call` is using the Simulator
        self._calls = 0  # `paused_call`s waiting for the chunk in progress
        self._busy = False  # a chunk (or a reset) is in progress
        self._clock = collections.deque(maxlen=SPEED_CHUNKS + 1)
        self._anchor = None  # (wall, simulated) time that real time keeps pace with
        self._lock = None
        self.error = None

    # -- control ------------------------------------------------------------------

    def start(self):
        """Start running (in a new thread); the Simulator is held until `stop`."""
        if self.running:
            return
        lock = sim_lock(self.sim)
        if not lock.acquire(blocking=False):
            raise SimulationError(
                "Cannot start the live run: the Simulator is busy (another panel "
                "is running or training it)"
            )
        self._lock, self.error = lock, None
        self._paused = self._stopping = False
        self._clock.clear()
        self._anchor = None
        self._thread = threading.Thread(target=self._loop, name="live run", daemon=True)
        self._thread.start()

    def pause(self):
        """Stop advancing after the chunk in progress (returns once it is done)."""
        with self._cond:
            self._paused = True
            self._cond.wait_for(lambda: not self._busy)

    def resume(self):
        """Continue after `pause`."""
        with self._cond:
            self._paused = False
            self._clock.clear()
            self._anchor = None
            self._cond.notify_all()

    def reset(self):
        """Back to time 0 (state and probe window; parameters are kept)."""
        if not self.running:
            self.sim.reset(include_trainable=False)
            self._clear_windows()
            return
        with self._cond:
            self._reset_wanted = True
            self._cond.notify_all()
            self._cond.wait_for(lambda: not self._reset_wanted or not self.running)

    def stop(self):
        """End the thread; the Simulator stays open and usable."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._thread = None

    def paused_call(self, fn):
        """``fn(sim)`` between two chunks; the run then goes on from where it was.

        Waits for the chunk in progress, calls ``fn(sim)`` in this thread while
        the engine still holds the Simulator, puts back the run state (time,
        neuron and synapse state, process streams, probe data) that ``fn`` may
        have changed, then lets the run continue (if it was running). What
        ``fn`` changes in the parameters (training) stays. Not running: ``fn``
        gets the Simulator if nobody else holds it.

        Returns
        -------
        What ``fn`` returns (its error is raised once the run state is back).
        """
        if not self.running:
            lock = sim_lock(self.sim)
            if not lock.acquire(blocking=False):
                raise SimulationError(
                    "Cannot use the Simulator between chunks of the live run: it "
                    "is busy (another panel is running or training it)"
                )
            try:
                return self._keeping_run_state(fn)
            finally:
                lock.release()
        with self._cond:  # one call at a time, before the next chunk starts
            self._calls += 1
            self._cond.wait_for(lambda: not (self._busy or self._held))
            self._calls -= 1
            self._held = True
        try:
            return self._keeping_run_state(fn)
        finally:
            with self._cond:
                self._held, self._anchor = False, None
                self._clock.clear()
                self._cond.notify_all()

    def _keeping_run_state(self, fn):
        before = self.sim.get_run_state(include_probes=True)
        try:
            return fn(self.sim)
        finally:
            self.sim.set_run_state(before)

    @property
    def real_time(self):
        """Keep simulated time at wall time (else as fast as possible)."""
        return self._real_time

    @real_time.setter
    def real_time(self, value):
        with self._cond:
            self._real_time, self._anchor = bool(value), None
            self._cond.notify_all()

    @property
    def running(self):
        """Whether the thread is alive (also while paused)."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def paused(self):
        return self._paused

    # -- inputs -------------------------------------------------------------------

    def set_input(self, node, value, item=None):
        """Hold ``value`` as the output of ``node`` from the next chunk on.

        The Node switches to "slider" mode. ``item`` is a batch item, or None
        for all items.
        """
        self.inputs.set_input(node, value, item)

    def input_value(self, node, item=0):
        """The held value of ``node`` for batch item ``item`` (a copy)."""
        return self.inputs.input_value(node, item)

    def set_mode(self, node, mode):
        """``"own"`` (the Node's own output) or ``"slider"`` (the held value)."""
        self.inputs.set_mode(node, mode)

    def mode(self, node):
        """The mode of ``node``: ``"own"`` or ``"slider"``."""
        return self.inputs.mode(node)

    # -- results ------------------------------------------------------------------

    @property
    def time(self):
        """Simulated time (s) after the last chunk."""
        return self.sim.time

    def window_data(self, probe):
        """``(t, values)`` of the last ``window`` s: ``(n,)``, ``(mb, n, size)``."""
        if probe not in self._windows:
            raise ValidationError(
                f"{probe!r} is not a probe of the live network", attr="probe"
            )
        with self._cond:
            w = self._windows[probe]
            values = w.values
            if values is None:
                size = probe.size_in
                values = np.zeros((self.sim.minibatch_size, 0, size))
            return w.t.copy(), values.copy()

    @property
    def achieved_speed(self):
        """Simulated seconds per wall second over the last chunks (nan at first)."""
        with self._cond:
            if len(self._clock) < 2:
                return float("nan")
            (wall0, sim0), (wall1, sim1) = self._clock[0], self._clock[-1]
        return (sim1 - sim0) / max(wall1 - wall0, 1e-9)

    @property
    def programs_built(self):
        """TensorFlow programs traced for simulating (a recompilation adds one)."""
        return self.sim.programs_built  # counts traces dropped by a reset too

    def wait_for(self, t, timeout=60.0):
        """Block until simulated time reaches ``t`` (s); raise if the run failed."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.sim.time < t - 1e-9:
                if self.error is not None:
                    raise SimulationError(f"The live run failed: {self.error}")
                if not self.running:
                    raise SimulationError(
                        f"The live run is not running (t = {self.sim.time:g} s < {t})"
                    )
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"t = {self.sim.time:g} s after {timeout} s")
                self._cond.wait(min(left, 0.1))

    # -- the thread ---------------------------------------------------------------

    def _loop(self):
        try:
            while self._next():
                self._chunk()
        except Exception as e:  # noqa: BLE001 (shown by the panel, raised by wait_for)
            self.error = e
        finally:
            with self._cond:
                self._busy = False
                self._reset_wanted = False
                self._cond.notify_all()
            self._lock.release()

    def _next(self):
        """Wait while paused; do a wanted reset. False when stopping."""
        with self._cond:
            while (
                self._held
                or self._calls
                or (self._paused and not (self._stopping or self._reset_wanted))
            ):
                self._cond.wait()
            if self._stopping:
                return False
            self._busy = True
        if self._reset_wanted:
            self.sim.reset(include_trainable=False)
            with self._cond:
                self._clear_windows()
                self._clock.clear()
                self._anchor = None
                self._reset_wanted = False
                self._cond.notify_all()
        return True

    def _chunk(self):
        if self._paused:
            self._idle()
            return
        sim, n = self.sim, self.chunk_steps
        data = self.inputs.chunk_data(n)
        with self._cond:
            if self._anchor is None:
                self._anchor = (time.perf_counter(), sim.time)
        sim.run_steps(n, data=data or None, progress_bar=False)
        rows = {p: np.asarray(sim.data[p]) for p in self._windows}
        sim.clear_probes()
        now = time.perf_counter()
        with self._cond:
            for p, values in rows.items():
                if values.ndim == 2:  # no batch axis (minibatch_size not given)
                    values = values[None]
                if values.shape[1] > 0:
                    self._windows[p].add(values, sim.time)
            self._clock.append((now, sim.time))
        self._idle()
        if self.on_chunk is not None:
            self.on_chunk()
        if self._real_time:
            self._keep_pace()

    def _idle(self):
        with self._cond:
            self._busy = False
            self._cond.notify_all()

    def _keep_pace(self):
        """Sleep until wall time catches up with simulated time.

        Paced from a fixed anchor (set when the run starts, resumes or resets),
        so that small errors do not add up; a run lagging by more than
        `MAX_LAG` takes a new anchor instead of rushing to catch up.
        """
        anchor = self._anchor
        if anchor is None:  # real time just switched on
            anchor = self._anchor = (time.perf_counter(), self.sim.time)
        wall0, sim0 = anchor
        ahead = (self.sim.time - sim0) - (time.perf_counter() - wall0)
        if ahead < -MAX_LAG:
            self._anchor = (time.perf_counter(), self.sim.time)
        elif ahead > 0:
            with self._cond:  # woken early by pause / stop / reset
                self._cond.wait_for(
                    lambda: (
                        self._stopping
                        or self._reset_wanted
                        or self._paused
                        or not self._real_time
                    ),
                    timeout=ahead,
                )

    def _clear_windows(self):
        for w in self._windows.values():
            w.clear()
