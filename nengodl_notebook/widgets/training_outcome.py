"""What the TrainingPanel shows when a training run ends.

The one-line summary, the error text (a failure, or a divergence with a lower
learning rate to try), the loss curve's label and the run's record (the
compare panel's input), made from the training thread's result and the
`TrainingRecorder`'s numbers. Text only: the panel sets its widgets from it.
"""

from dataclasses import dataclass

import numpy as np
from nengo.exceptions import SimulationError

from nengodl_notebook.widgets.labels import format_duration


@dataclass(frozen=True)
class Outcome:
    """The end of one training run, as the panel shows it.

    Attributes
    ----------
    summary : str or None
        The summary line (None: the summary is left as it is).
    error : str or None
        Plain text for the error label (None: no error).
    label : str
        The name of the run's loss curve.
    run : dict or None
        The run's record (label, params, loss, history, stopped, diverged,
        seconds); None when training failed.
    """

    summary: str | None
    error: str | None
    label: str
    run: dict | None


def divergence_text(recorder, rate):
    """What happened when the loss diverged, and the learning rate to try.

    Parameters
    ----------
    recorder : TrainingRecorder
        Of a run whose loss diverged (``recorder.diverged`` is set).
    rate : float
        The learning rate of that run.
    """
    step, loss = recorder.diverged
    first = recorder.first
    grew = (
        f"grew from {first:.4g} to {loss:.4g}"
        if np.isfinite(loss) and first
        else f"became {loss}"
    )
    return (
        f"Training diverged: the loss {grew} at minibatch {step}. Training "
        "stopped and the parameters that gave the lowest loss were restored. "
        f"Try a lower learning rate, e.g. {rate / 10:.3g} (10x lower than "
        f"{rate:.3g}), or 'Find learning rate'."
    )


def training_outcome(result, recorder, rate, n_runs):
    """The `Outcome` of a training run that ended.

    Parameters
    ----------
    result : dict
        The training thread's result: ``{"error": exception}``, or
        ``{"history": [...], "params": ..., "seconds": float}``.
    recorder : TrainingRecorder
        The run's recorder.
    rate : float
        The run's learning rate (suggested lower after a divergence).
    n_runs : int
        Runs recorded before this one (the label numbers them).
    """
    diverged = recorder.diverged is not None
    if "error" in result:
        e = result["error"]
        if diverged and isinstance(e, SimulationError):  # a non-finite step
            error = divergence_text(recorder, rate)
        else:
            error = f"Training failed: {type(e).__name__}: {e}"
        return Outcome(None, error, f"run {n_runs + 1} (failed)", None)
    history = result["history"]
    loss = f"{history[-1]:.4f}" if history and np.isfinite(history[-1]) else "n/a"
    stopped = recorder.stopped and not diverged
    verb = "diverged" if diverged else "stopped" if stopped else "finished"
    took = format_duration(result["seconds"])
    summary = (
        f"Training diverged in {took}: parameters restored (see below)"
        if diverged
        else f"Training {verb} in {took} (loss: {loss})"
    )
    label = f"run {n_runs + 1}" + (f" ({verb})" if verb != "finished" else "")
    run = {
        "label": label,
        "params": result["params"],
        "loss": history[-1] if history else None,
        "history": history,
        "stopped": recorder.stopped,
        "diverged": diverged,
        "seconds": result["seconds"],
    }
    error = divergence_text(recorder, rate) if diverged else None
    return Outcome(summary, error, label, run)
