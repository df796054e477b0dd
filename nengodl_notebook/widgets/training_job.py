"""One run of the training panel: what it needs, and the training thread's work.

`make_job` reads the panel's settings on the main thread (so bad settings
show at once) and makes the data, test sets and optimizer; `run_job` is what
the training thread does with them: ``sim.train`` with the recorder, test
loss and neuron health callbacks. Neither touches a widget.
"""

import time

from nengodl_notebook import obj
from nengodl_notebook.widgets import training_defaults as defaults
from nengodl_notebook.widgets.neurons_panel import ensemble_label
from nengodl_notebook.widgets.sim_access import input_nodes
from nengodl_notebook.widgets.training_recorder import (
    NeuronHealthCallback,
    TestLossCallback,
    held_inputs,
)

#: Steps of the spiking run that counts dead and saturated neurons live.
HEALTH_STEPS = 200


def make_job(panel, sim):
    """Everything a run of ``panel`` on ``sim`` needs, from its settings.

    Returns
    -------
    dict
        ``data``, ``objective``, ``optimizer``, ``epochs``, ``tests`` (list of
        ``(data, objective, training)``), ``health`` (held inputs or None) and
        ``before`` (``sim.get_params()``).
    """
    objective = panel.objective()
    if not objective:
        raise ValueError("Choose an objective (mse) for at least one probe")
    batch, n_steps = panel.batch_size.value, panel.n_steps.value
    held_out = None
    if panel.test_data is None and panel.data_provider == panel._generated_data:
        n_test = panel._held_out()
        data, held_out = defaults.split_test(
            panel.data_provider(sim, objective, batch + n_test, n_steps), n_test
        )
    else:
        data = panel.data_provider(sim, objective, batch, n_steps)
    if panel.initial_params is None:
        panel.initial_params = sim.get_params()
    test = panel.test_data(sim) if callable(panel.test_data) else panel.test_data
    test, training = (held_out, True) if test is None else (test, False)
    tests = []
    if test is not None:
        test_objective = panel.test_objective or {
            p: obj.mse for p in test if p in panel.objectives
        }
        tests.append((test, test_objective, training))
    health = None
    if panel.neuron_records:
        nodes = input_nodes(panel.network)
        health = held_inputs(data, nodes, panel.minibatch_size, HEALTH_STEPS)
    return {
        "health": health,
        "data": data,
        "objective": objective,
        "optimizer": panel._optimizers.get(
            sim, panel.optimizer.value, panel.learning_rate.value
        ),
        "epochs": panel.epochs.value,
        "tests": tests,
        "before": sim.get_params(),
    }


def run_job(sim, job, recorder, neuron_records):
    """``sim.train`` on ``job`` (the training thread's work); never raises.

    Returns
    -------
    dict
        ``history`` and ``params`` (``sim.get_params()`` after), or ``error``;
        and ``seconds``.
    """
    start = time.perf_counter()
    callbacks = [recorder] + [
        TestLossCallback(sim, data, objective, recorder, training)
        for data, objective, training in job["tests"]
    ]
    if job["health"] is not None:
        callbacks.append(
            NeuronHealthCallback(
                sim, neuron_records, job["health"], recorder, ensemble_label
            )
        )
    try:
        history = sim.train(
            job["data"],
            job["optimizer"],
            objective=job["objective"],
            n_epochs=job["epochs"],
            callbacks=callbacks,
            progress_bar=False,
            restore_best_on_divergence=True,
        )
        result = {"history": history, "params": sim.get_params()}
    except Exception as e:  # noqa: BLE001 -- shown in the error label by the updater
        result = {"error": e}
    result["seconds"] = time.perf_counter() - start
    return result
