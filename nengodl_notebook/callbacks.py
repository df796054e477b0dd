"""Keras callbacks for the Simulator (``nengo_dl.callbacks``): `IsolateState`."""

import keras
from nengo.exceptions import ValidationError


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
    Here ``fit``, ``evaluate`` and ``predict`` already leave the simulator's
    state untouched: each minibatch starts from the initial state (t = 0), not
    from the simulator's current one. So with them alone this callback changes
    nothing; it matters for the simulator's own runs between its creation and
    a reset. It does not reset after every minibatch (that would make training
    run one minibatch at a time), since minibatches do not carry state over.
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
