"""Import TensorFlow without its start-up noise on stderr.

TensorFlow's C++ runtime writes to the process's stderr while it is imported and
while it looks for devices, before its logging is configured, so
``TF_CPP_MIN_LOG_LEVEL`` does not hide these lines: "All log messages before
absl::InitializeLog() ...", notes on oneDNN and on missing CUDA drivers, and, on a
machine without a GPU, an *error* line "failed call to cuInit". In a notebook they
appear as a red box above the first output, as if something had failed.

`import_tensorflow` imports TensorFlow and lists its devices with stderr going
to a temporary file, then writes back every line that is not such noise. Set
``NENGODL_NOTEBOOK_TF_LOGS=1`` to see everything.
"""

import contextlib
import os
import re
import sys
import tempfile

#: Start-up lines that say nothing is wrong with the user's setup.
NOISE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|[IW]\d{4} [\d:. ]+\d+ \S+\.cc:\d+\]"  # absl INFO and WARNING records
    r"|E\d{4} [\d:. ]+\d+ \S+\.cc:\d+\] .*(cuInit|Unable to register cu\w+ factory)"
)


def is_noise(line):
    """Whether ``line`` of TensorFlow's start-up output is noise (see `NOISE`)."""
    return NOISE.match(line) is not None


@contextlib.contextmanager
def stderr_to(file):
    """Send the process's stderr (file descriptor 2) to ``file`` meanwhile."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        os.dup2(file.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def import_tensorflow():
    """Import TensorFlow (once), keeping its start-up noise off stderr."""
    if "tensorflow" in sys.modules or os.environ.get("NENGODL_NOTEBOOK_TF_LOGS"):
        import tensorflow  # noqa: F401 - already imported, or logs wanted

        return
    with tempfile.TemporaryFile(mode="w+b") as captured:
        try:
            with stderr_to(captured):
                import tensorflow as tf

                tf.config.list_physical_devices()  # device search: the cuInit line
        finally:
            captured.seek(0)
            text = captured.read().decode(errors="replace")
            kept = [line for line in text.splitlines(True) if not is_noise(line)]
            if kept:
                sys.stderr.write("".join(kept))
