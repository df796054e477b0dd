"""TensorFlow's start-up noise stays off stderr (it shows as an error in notebooks)."""

import os
import subprocess
import sys

import pytest

from nengodl_notebook.tf_startup import is_noise

SCRIPT = """
import nengo
import nengodl_notebook
with nengo.Network() as net:
    p = nengo.Probe(nengo.Ensemble(10, 1))
with nengodl_notebook.Simulator(net, progress_bar=False) as sim:
    sim.run_steps(5)
print(sim.data[p].shape)
"""


def run_fresh_python(**env):
    """stdout and stderr of SCRIPT in a new Python process."""
    environ = {k: v for k, v in os.environ.items() if k != "NENGODL_NOTEBOOK_TF_LOGS"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return done.stdout, done.stderr


def test_import_and_first_run_write_nothing_to_stderr():
    stdout, stderr = run_fresh_python()
    assert stdout.strip() == "(5, 1)"
    assert stderr == ""


def test_the_noise_is_there_when_asked_for():
    # what the first test hides exists on this machine (else it proves nothing)
    # (no saved XLA programs: their loading lines are no start-up noise)
    stdout, stderr = run_fresh_python(
        NENGODL_NOTEBOOK_TF_LOGS="1",
        NENGODL_NOTEBOOK_XLA_CACHE="off",
        TF_XLA_FLAGS="",  # not the cache flag this process passes on
    )
    assert stdout.strip() == "(5, 1)"
    assert "absl::InitializeLog" in stderr
    assert all(is_noise(line) for line in stderr.splitlines()), stderr


@pytest.mark.parametrize(
    "line",
    [
        "WARNING: All log messages before absl::InitializeLog() is called are "
        "written to STDERR",
        "I0000 00:00:1796644159.322085    8347 port.cc:153] oneDNN custom operations",
        "W0000 00:00:1796644159.322085    8347 gpu_device.cc:2] Cannot dlopen some GPU",
        "E0000 00:00:1796644166.921086    8347 cuda_platform.cc:52] failed call to "
        "cuInit: INTERNAL: CUDA error",
    ],
)
def test_start_up_lines_are_noise(line):
    assert is_noise(line)


@pytest.mark.parametrize(
    "line",
    [
        "E0000 00:00:1796644166.921086    8347 bfc_allocator.cc:12] Out of memory",
        "Traceback (most recent call last):",
        "UserWarning: something the user should see",
    ],
)
def test_other_lines_are_kept(line):
    assert not is_noise(line)
