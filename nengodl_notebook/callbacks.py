"""Keras callbacks for the Simulator (``nengo_dl.callbacks``): `IsolateState`,
and `NengoSummaries` / `TensorBoard` (from `nengodl_notebook.summaries`)."""

import keras
from nengo.exceptions import ValidationError

from nengodl_notebook.summaries import NengoSummaries, TensorBoard

__all__ = ["IsolateState", "NengoSummaries", "TensorBoard"]


class IsolateState(keras.callbacks.Callback):
    """Keeps the simulation state as it was when this callback was made.

    The saved state is the simulator's run state (`Simulator.get_run_state`):
    time step, state (neuron voltages, synapse values...), TensorNodes' state,
    random streams and probe data; trained parameters are not part of it.
    `reset` puts it back, as do the ends of training, of an epoch, of
    evaluation and of prediction, so what runs in between (a callback that
    calls ``sim.run``, say) leaves no trace.

    Parameters
    ----------
    sim : Simulator
        The simulator whose state is kept.

    Notes
    -----
    ``fit`` trains every minibatch from the initial state, and ``predict`` /
    ``evaluate`` start from the current state and put it back unless called
    with ``stateful=True`` (as in NengoDL). So this callback matters for what
    changes the run state in between: the simulator's own runs (a callback that
    calls ``sim.run``, say) and stateful predictions. It does not reset after
    every minibatch (that would make training run one minibatch at a time).
    """

    def __init__(self, sim):
        super().__init__()
        if not all(hasattr(sim, m) for m in ("get_run_state", "set_run_state")):
            raise ValidationError(
                f"IsolateState needs a nengodl_notebook Simulator (got {sim!r})",
                attr="sim",
            )
        self.sim = sim
        self.saved = sim.get_run_state(include_probes=True)

    def reset(self):
        """Put back the state saved when this callback was made
        (`Simulator.set_run_state`)."""
        self.sim.set_run_state(self.saved)

    def on_epoch_end(self, epoch, logs=None):
        """Reset the state at the end of each epoch."""
        self.reset()

    def on_train_end(self, logs=None):
        """Reset the state at the end of training."""
        self.reset()

    def on_test_end(self, logs=None):
        """Reset the state at the end of evaluation."""
        self.reset()

    def on_predict_end(self, logs=None):
        """Reset the state at the end of prediction."""
        self.reset()
