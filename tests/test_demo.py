"""``make demo``: the tutorial end to end as a script (scripts/run_tutorial.py)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FIGURES = [
    "cell04_nengo",
    "cell05_nengo_dl",
    "cell06_nengo_reset",
    "cell06_nengo_dl_reset",
    "cell07_minibatch",
    "cell08_data_ramp",
    "cell09_minibatch_ramps",
    "cell11_no_synapses",
    "cell14_trained",
    "cell19_tensor_node",
]


def test_demo_runs_every_cell_and_checks_its_numbers(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts/run_tutorial.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    # exit status 1 if cell 5 differs from nengo or training did not lower the error
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for name in FIGURES:
        assert (tmp_path / f"{name}.png").stat().st_size > 1000, name
    assert "training must lower it" in proc.stdout
    assert "max |Node - TensorNode| = 0" in proc.stdout
