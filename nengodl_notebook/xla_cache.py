"""XLA programs kept on disk, so a new process need not compile them again.

TensorFlow can save every program XLA compiles and load it in a later process
(``--tf_xla_persistent_cache_directory`` in ``TF_XLA_FLAGS``, read when XLA
first compiles). A program is found again when its function name, argument
shapes and XLA module are the same: `program_names` makes our programs' names
depend on their structure instead of on the order of tracing, so a notebook
re-run, a restarted kernel or another script of the same network loads the
program instead of compiling it; with the traced programs saved too
(`saved_programs`), the tutorial's first Simulator (construct + ``run(1.0)``)
went 0.53 -> 0.12 s and its first ``sim.train`` 1.75 -> 0.36 s
(``benchmarks/first_result.py``, cold vs warm cache).

``NENGODL_NOTEBOOK_XLA_CACHE`` chooses the directory: unset for the default
(``$XDG_CACHE_HOME/nengodl_notebook/xla``, else ``~/.cache/...``), a path, or
``off``. Programs are kept per TensorFlow version and CPU type (a program
compiled for one CPU may crash another). The oldest files go first when the
cache outgrows ``NENGODL_NOTEBOOK_XLA_CACHE_MB`` (default 1000). A user's own
``--tf_xla_persistent_cache_directory`` is left as it is.
"""

import contextlib
import hashlib
import importlib.metadata
import os
import platform
import re
import sys
import tempfile
from pathlib import Path

from nengodl_notebook.tf_startup import stderr_to

ENV = "NENGODL_NOTEBOOK_XLA_CACHE"
SIZE_ENV = "NENGODL_NOTEBOOK_XLA_CACHE_MB"
OFF = ("", "0", "off", "false", "no", "none")
FLAG = "--tf_xla_persistent_cache_directory"
DEFAULT_MB = 1000
#: What is left after a clean-up, as a share of the size limit.
KEEP_SHARE = 0.8

#: TensorFlow's lines on loading a saved program that say nothing is wrong: it
#: tries to read the file as text before binary, and it compares two tuning
#: hints ("prefer-no-scatter/gather") as if they were CPU features.
LOAD_NOISE = re.compile(
    r"E\d{4} [\d:. ]+\d+ \S+\.cc:\d+\] ("
    r"Error parsing text-format tensorflow\.XlaSerializedCacheEntry"
    r"|Loading XLA:CPU AOT result\. Target machine feature "
    r"\+prefer-no-(scatter|gather) "
    r")"
)

#: Messages of a failed load (a file cut short by a process still writing it,
#: or damaged): the program is then traced and compiled again under new names.
LOAD_FAILURE = re.compile(
    r"Read less bytes than requested|as binary proto|XlaSerializedCacheEntry"
    r"|Serialized cache key does not match|Serialized HLO does not match"
    r"|No binary found in serialized entry|xla_compile_cache"
)
#: The file named by a failed load, when the message names it.
DAMAGED_FILE = re.compile(r"Can't parse (\S+xla_compile_cache\S*\.pb)")


def cpu_tag():
    """A short digest of this CPU's type and features (programs are CPU-specific)."""
    text = platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("model name", "flags")):
                text += line
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def tensorflow_version():
    """The installed TensorFlow's version (without importing it)."""
    for name in ("tensorflow", "tensorflow-cpu", "tf-nightly"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            return importlib.metadata.version(name)
    return "unknown"


def cache_directory(environ=None):
    """The directory for this TensorFlow and CPU, or None when the cache is off."""
    environ = os.environ if environ is None else environ
    chosen = environ.get(ENV)
    if chosen is not None and chosen.strip().lower() in OFF:
        return None
    if chosen is None:
        base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        chosen = str(Path(base) / "nengodl_notebook" / "xla")
    return Path(chosen).expanduser() / f"tf{tensorflow_version()}-{cpu_tag()}"


def size_limit(environ=None):
    """The cache's size limit in bytes (``NENGODL_NOTEBOOK_XLA_CACHE_MB``)."""
    environ = os.environ if environ is None else environ
    try:
        return int(float(environ.get(SIZE_ENV, DEFAULT_MB)) * 2**20)
    except ValueError:
        return DEFAULT_MB * 2**20


def trim(directory, limit):
    """Delete the oldest files of ``directory`` while it holds over ``limit`` bytes.

    Returns the number of files deleted; what is left is at most
    ``KEEP_SHARE * limit`` bytes once it had to trim.
    """
    files = []
    for path in Path(directory).glob("*.pb"):
        with contextlib.suppress(OSError):
            stat = path.stat()
            files.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in files)
    if total <= limit:
        return 0
    deleted = 0
    for _, size, path in sorted(files, key=lambda f: f[0]):
        if total <= KEEP_SHARE * limit:
            break
        with contextlib.suppress(OSError):
            path.unlink()
            total -= size
            deleted += 1
    return deleted


def configure(environ=None):
    """Turn TensorFlow's persistent XLA cache on (before XLA first compiles).

    Returns the directory in use, or None (off, the user set their own, or the
    directory cannot be written).
    """
    environ = os.environ if environ is None else environ
    flags = environ.get("TF_XLA_FLAGS", "")
    if FLAG in flags:
        return None
    directory = cache_directory(environ)
    if directory is None:
        return None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass  # writable
        trim(directory, size_limit(environ))
    except OSError:
        return None
    environ["TF_XLA_FLAGS"] = f"{flags} {FLAG}={directory}".strip()
    return directory


#: The directory of this process's cache (None: off).
DIRECTORY = configure()


@contextlib.contextmanager
def quiet_loads():
    """Keep TensorFlow's `LOAD_NOISE` off stderr meanwhile (other lines stay)."""
    if DIRECTORY is None or os.environ.get("NENGODL_NOTEBOOK_TF_LOGS"):
        yield
        return
    with tempfile.TemporaryFile(mode="w+b") as captured:
        try:
            with stderr_to(captured):
                yield
        finally:
            captured.seek(0)
            text = captured.read().decode(errors="replace")
            lines = text.splitlines(True)
            kept = [line for line in lines if not LOAD_NOISE.match(line)]
            if kept:
                sys.stderr.write("".join(kept))


def is_load_failure(error):
    """Whether a TensorFlow error comes from reading a saved program.

    A damaged file named by the error is deleted.
    """
    if DIRECTORY is None or not LOAD_FAILURE.search(str(error)):
        return False
    named = DAMAGED_FILE.search(str(error))
    if named is not None:
        with contextlib.suppress(OSError):
            Path(named.group(1)).unlink()
    return True


def first_call(make, args):
    """Run a new program for the first time; its outputs.

    ``make(look_up)`` makes (and stores) the program. TensorFlow's messages on
    loading a saved XLA program are kept off stderr (`quiet_loads`); a saved
    program that fails to load (`is_load_failure`) is made again with
    ``look_up=False`` (traced anew, under new names) and run.
    """
    import tensorflow as tf  # imported by the package after `configure`

    try:
        with quiet_loads():
            return make(True)(*args)
    except tf.errors.OpError as e:
        if not is_load_failure(e):
            raise
    with quiet_loads():
        return make(False)(*args)
