"""Checks on the Simulator's arguments, and on a run's memory before it starts.

Each check raises a nengo exception (``ValidationError`` naming the argument, or
``SimulationError`` for a run that would not fit in memory) saying what was
expected and what was given. Checks run before anything is changed, so a
refused call leaves the simulator as it was.
"""

import math
import numbers
import os
from collections import namedtuple

import nengo
import numpy as np
import tensorflow as tf
from nengo.builder import Model
from nengo.exceptions import SimulationError, ValidationError
from nengo.utils.progress import ProgressBar

#: Smallest accepted ``dt`` (seconds). One simulated second then takes at most
#: 10**9 steps, below the 2**31 - 1 steps the compiled loop's int32 counter
#: allows in one run; smaller values are almost certainly a unit mistake.
MIN_DT = 1e-9

#: Seeds go to ``numpy.random.RandomState``, which takes 0 ... 2**32 - 1.
MAX_SEED = 2**32 - 1

#: A run may use at most this fraction of the available memory (the estimate
#: leaves out TensorFlow's own working memory).
MEMORY_FRACTION = 0.75

#: Runs estimated below this many bytes are not checked: reading the available
#: memory would cost more than short runs (``sim.step()``) themselves.
MIN_CHECKED_BYTES = 64 * 10**6

#: The precisions the Simulator supports.
DTYPES = ("float32", "float64")


def _is_int(value):
    """True for Python/numpy integers, False for bools (and everything else)."""
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(
        value, (bool, np.bool_)
    )


def check_network(network, model):
    """Check the ``network`` argument (a ``nengo.Network``, or None with a model).

    Parameters
    ----------
    network : nengo.Network or None
    model : nengo.builder.Model or None

    Raises
    ------
    nengo.exceptions.ValidationError
        If ``network`` is not a Network, or is None with no ``model``.
    """
    if model is not None and not isinstance(model, Model):
        raise ValidationError(
            f"model must be a nengo.builder.Model or None (got a "
            f"{type(model).__name__})",
            attr="model",
        )
    if network is None:
        if model is None:
            raise ValidationError(
                "network is None and no model was given: pass the nengo.Network to "
                "simulate (or a nengo.builder.Model as model=)",
                attr="network",
            )
        return
    if not isinstance(network, nengo.Network):
        raise ValidationError(
            f"network must be a nengo.Network (got {network!r} of type "
            f"{type(network).__name__}); create objects inside "
            "'with nengo.Network() as net:' and pass net",
            attr="network",
        )


def check_dt(dt):
    """A time step in seconds: a positive finite real number, at least `MIN_DT`.

    Parameters
    ----------
    dt : float

    Returns
    -------
    float
        ``dt`` as a Python float.
    """
    if isinstance(dt, (bool, np.bool_)) or not isinstance(dt, numbers.Real):
        raise ValidationError(
            f"dt must be a number of seconds, e.g. 0.001 (got {dt!r} of type "
            f"{type(dt).__name__})",
            attr="dt",
        )
    dt = float(dt)
    if not np.isfinite(dt) or dt <= 0:
        raise ValidationError(
            f"dt must be a positive, finite number of seconds (got {dt!r})", attr="dt"
        )
    if dt < MIN_DT:
        raise ValidationError(
            f"dt={dt:g} s is smaller than the smallest supported time step, "
            f"{MIN_DT:g} s (one simulated second would take more than "
            f"{1 / MIN_DT:.0e} steps); is dt in seconds?",
            attr="dt",
        )
    return dt


def check_dtype(dtype):
    """The simulation precision as ``"float32"`` or ``"float64"``.

    Numpy and TensorFlow spellings of the same types (``np.float32``,
    ``np.dtype("float64")``, ``tf.float32``...) are accepted and mean the same as
    the strings.

    Parameters
    ----------
    dtype : str, numpy dtype-like or tf.DType

    Returns
    -------
    str
        ``"float32"`` or ``"float64"``.
    """
    name = None
    if isinstance(dtype, tf.dtypes.DType):
        name = dtype.name
    elif dtype is not None and not isinstance(dtype, bool):
        try:
            name = np.dtype(dtype).name
        except TypeError:
            name = None
    if name not in DTYPES:
        raise ValidationError(
            f"dtype must be 'float32' or 'float64' (or the numpy/TensorFlow types "
            f"np.float32, tf.float64...); got {dtype!r}",
            attr="dtype",
        )
    return name


def check_seed(seed):
    """A seed for ``numpy.random.RandomState``: an integer in 0 ... 2**32 - 1.

    Parameters
    ----------
    seed : int

    Returns
    -------
    int
    """
    if not _is_int(seed):
        raise ValidationError(
            f"seed must be an integer in 0 ... 2**32 - 1 (got {seed!r} of type "
            f"{type(seed).__name__})",
            attr="seed",
        )
    if not 0 <= seed <= MAX_SEED:
        raise ValidationError(
            f"seed must be an integer in 0 ... 2**32 - 1 (got {seed})", attr="seed"
        )
    return int(seed)


def check_minibatch_size(minibatch_size):
    """None, or a positive integer (not a bool).

    Parameters
    ----------
    minibatch_size : int or None

    Returns
    -------
    int or None
    """
    if minibatch_size is None:
        return None
    if not _is_int(minibatch_size) or minibatch_size < 1:
        raise ValidationError(
            f"minibatch_size must be a positive integer or None (got "
            f"{minibatch_size!r})",
            attr="minibatch_size",
        )
    return int(minibatch_size)


def check_progress_bar(progress_bar):
    """What ``nengo.Simulator`` accepts: a bool, None, or a nengo ProgressBar.

    Parameters
    ----------
    progress_bar : bool, None or nengo.utils.progress.ProgressBar

    Returns
    -------
    bool or nengo.utils.progress.ProgressBar
        None becomes False (no progress bar), as in nengo.
    """
    if progress_bar is None:
        return False
    if isinstance(progress_bar, (bool, np.bool_)):
        return bool(progress_bar)
    if isinstance(progress_bar, ProgressBar):
        return progress_bar
    raise ValidationError(
        f"progress_bar must be True, False, None or a "
        f"nengo.utils.progress.ProgressBar (got {progress_bar!r})",
        attr="progress_bar",
    )


def check_unroll_simulation(unroll_simulation):
    """NengoDL's loop-unrolling hint: a positive integer (ignored here).

    Returns
    -------
    int
    """
    if not _is_int(unroll_simulation) or unroll_simulation < 1:
        raise ValidationError(
            f"unroll_simulation must be a positive integer (got {unroll_simulation!r})",
            attr="unroll_simulation",
        )
    return int(unroll_simulation)


def check_device(device):
    """A TensorFlow device this process has, such as ``"/cpu:0"``, or None.

    Parameters
    ----------
    device : str or None
        A device specification (``"/cpu:0"``, ``"/gpu:1"``,
        ``"/device:CPU:0"``...); None lets TensorFlow choose.

    Returns
    -------
    str or None
        The full name of the device (``"/device:CPU:0"``).
    """
    if device is None:
        return None
    known = [d.name for d in tf.config.list_logical_devices()]
    try:
        spec = tf.DeviceSpec.from_string(device) if isinstance(device, str) else None
    except (ValueError, TypeError):
        spec = None
    if spec is None or spec.device_type is None:
        raise ValidationError(
            f"device must be None or a TensorFlow device name such as '/cpu:0' or "
            f"'/gpu:0' (got {device!r}); this process has {', '.join(known)}",
            attr="device",
        )
    name = f"/device:{spec.device_type.upper()}:{spec.device_index or 0}"
    if name not in known:
        raise ValidationError(
            f"device {device!r} does not exist in this process (TensorFlow sees "
            f"{', '.join(known)})",
            attr="device",
        )
    return name


class RunMemory(namedtuple("RunMemory", ["probe_data", "probe_buffer", "inputs"])):
    """Estimated bytes a run allocates (see `run_memory_estimate`)."""

    @property
    def total(self):
        """(int) All parts together, in bytes."""
        return self.probe_data + self.probe_buffer + self.inputs


def kept_steps(period, start_step, steps):
    """How many of steps ``start_step + 1 ... start_step + steps`` a probe keeps.

    A probe keeps step ``k`` when ``k % period < 1`` (as `ProbeRecorder.record`),
    i.e. the first step at or after each multiple of ``period``.
    """
    if period <= 1:
        return steps
    end = start_step + steps
    return math.floor(end / period) - math.floor(start_step / period)


def run_memory_estimate(recorder, inputs, start_step, steps, chunk_steps=None):
    """Estimate the memory a run of ``steps`` steps allocates, without allocating.

    Parameters
    ----------
    recorder : ProbeRecorder
        The probes, their sizes (state rows) and ``sample_every`` periods.
    inputs : InputPlan
        Number of input columns, minibatch size and dtype of the run.
    start_step : int
        Steps simulated before this run (``sample_every`` counts from step 0).
    steps : int
    chunk_steps : int, optional
        Steps per compiled chunk (default: the whole run is one chunk): the
        probe buffer and the input array are allocated per chunk.

    Returns
    -------
    RunMemory
        ``probe_data``: the rows each probe keeps after ``sample_every``
        (``sum(size * kept steps) * minibatch * itemsize``); ``probe_buffer``: all
        probed rows at every step, as the compiled loop stacks them
        (``steps * n_rows * minibatch * itemsize``); ``inputs``: the input array,
        built in numpy and copied to a tensor, plus the step times
        (``steps * (2 * n_columns * minibatch * itemsize + 16)``).
    """
    batch, itemsize = inputs.minibatch_size, np.dtype(inputs.np_dtype).itemsize
    chunk = steps if chunk_steps is None else min(steps, chunk_steps)
    rows_kept = sum(
        (recorder.slices[p].stop - recorder.slices[p].start)
        * kept_steps(recorder.period(p), start_step, steps)
        for p in recorder.in_ram()  # not those on disk or keeping one step
    )
    return RunMemory(
        probe_data=rows_kept * batch * itemsize,
        probe_buffer=chunk * len(recorder.rows) * batch * itemsize,
        inputs=chunk * (2 * inputs.n_columns * batch * itemsize + 16),
    )


def _meminfo_available():
    """MemAvailable from /proc/meminfo, else free pages (bytes; None if unknown)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _cgroup_available():
    """Memory left under a cgroup limit (v2, then v1), in bytes; None if no limit."""
    for limit_path, usage_path in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            with open(limit_path) as f:
                limit = f.read().strip()
            with open(usage_path) as f:
                usage = int(f.read().strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and int(limit) < 2**60:  # "max" or a huge value: no limit
            return max(int(limit) - usage, 0)
    return None


def available_memory():
    """Bytes of memory available to this process (None if it cannot be told).

    The smaller of the system's MemAvailable (or free pages) and what is left
    under a cgroup memory limit, when there is one.
    """
    known = [m for m in (_meminfo_available(), _cgroup_available()) if m is not None]
    return min(known) if known else None


def format_bytes(n):
    """``1.5 GB``-style text for a number of bytes (powers of 1000)."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.3g} {unit}"
        n /= 1000
    return f"{n} B"  # not reached


def check_run_memory(estimate, steps, available=None):
    """Refuse a run whose estimated memory exceeds what may be used.

    Parameters
    ----------
    estimate : RunMemory
        From `run_memory_estimate`.
    steps : int
        The run's number of steps (for the message).
    available : int, optional
        Bytes available; `available_memory` by default. The run may use
        `MEMORY_FRACTION` of it. Nothing is checked if it cannot be told, or if
        the estimate is under `MIN_CHECKED_BYTES` (and ``available`` not given).

    Raises
    ------
    nengo.exceptions.SimulationError
        Stating the estimate, the available memory and the ways out.
    """
    if available is None:
        if estimate.total < MIN_CHECKED_BYTES:
            return
        available = available_memory()
    if available is None or estimate.total <= MEMORY_FRACTION * available:
        return
    raise SimulationError(
        f"Running {steps} steps would need about {format_bytes(estimate.total)} of "
        f"memory (probe data {format_bytes(estimate.probe_data)}, the compiled "
        f"loop's per-step probe buffer {format_bytes(estimate.probe_buffer)}, inputs "
        f"{format_bytes(estimate.inputs)}), more than the {MEMORY_FRACTION:.0%} of "
        f"the {format_bytes(available)} available that a run may use. Nothing was "
        "run. Ways out: set sample_every on the probes (e.g. nengo.Probe(x, "
        "sample_every=0.01)), probe fewer objects, or run shorter pieces in a loop, "
        "reading sim.data and calling sim.clear_probes() after each."
    )
