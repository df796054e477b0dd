"""Keras callbacks for the Simulator (``nengo_dl.callbacks``): `IsolateState`."""

import keras
from nengo.exceptions import ValidationError


class IsolateState(keras.callbacks.Callback):
    """Keeps the simulation state as it was when this callback was made.

    The saved state is the simulator's time step, its state (neuron voltages,
    synapse values...), its TensorNodes' state and its probe data; trained
    parameters are not part of it. `reset` puts it back, as do the ends of
    training, of an epoch, of evaluation and of prediction, so what runs in
    between (a callback that calls ``sim.run``, say) leaves no trace.

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
        for name in ("_state", "_n_steps", "_recorder", "_tensor_vars", "data"):
            if not hasattr(sim, name):
                raise ValidationError(
                    f"IsolateState needs a nengodl_notebook Simulator (got {sim!r})",
                    attr="sim",
                )
        self.sim = sim
        self.saved = self._take()

    def _take(self):
        sim = self.sim
        return (
            sim._state,  # an immutable tensor: no copy needed
            sim._n_steps,
            {p: list(c) for p, c in sim._recorder.chunks.items()},
            [var.numpy().copy() for var in sim._tensor_vars.state],
        )

    def reset(self):
        """Put back the state saved when this callback was made."""
        sim = self.sim
        state, n_steps, chunks, node_state = self.saved
        sim._state = state
        sim._n_steps = n_steps
        sim._recorder.chunks = {p: list(c) for p, c in chunks.items()}
        for var, value in zip(sim._tensor_vars.state, node_state):
            var.assign(value)
        sim.data.reset()

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
