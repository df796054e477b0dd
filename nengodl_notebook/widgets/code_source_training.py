"""Code export of the Training tab: its data and its ``sim.train`` call.

The exported training uses ``sim.train(data, optimizer, objective=...,
n_epochs=...)``, as the NengoDL tutorial and the Training tab do: data and
objective are dicts keyed by the network's Nodes and Probes, which reads
directly against the network; ``sim.compile`` + ``sim.fit`` is the Keras-style
equivalent. The data is generated as the tab does (`plots.generated_training_data`,
NaN targets while the synapses settle, the held-out test items drawn too), written
out in NumPy so the script explains itself.
"""

from nengodl_notebook.widgets import training_defaults as defaults
from nengodl_notebook.widgets.sim_access import input_nodes


def _target_expr(target, user_targets, probe, names, namespace):
    """How the script names a target function, or None."""
    if target is None or not callable(target):
        return None
    names.add_values(namespace, [target, user_targets])
    name = names.variable(target)
    dict_name = None if user_targets is None else names.variable(user_targets)
    if name is None and dict_name is not None:
        name = f"{dict_name}[{names(probe)}]"
    return name


def _data_lines(dashboard, names, namespace, objective):
    """Lines that make ``train_data`` as the panel's default data does."""
    panel, user_targets = dashboard.training_panel, dashboard.targets
    nodes = [names(n) for n in input_nodes(panel.network)]
    node_list = f"[{', '.join(nodes)}]"
    lines = [
        "rng = np.random.RandomState(0)",
        "train_data = {}",
        f"for node in {node_list}:  # each input: one uniform value per item, held",
        "    values = rng.uniform(-1, 1, size=(n_items, 1, node.size_out))",
        "    train_data[node] = np.repeat(values, train_steps, axis=1)",
        "train_t = dt * np.arange(1, train_steps + 1)",
        "# all inputs of an item side by side: (n_items, train_steps, total size)",
        f"train_x = np.concatenate([train_data[n] for n in {node_list}], axis=2)"
        if nodes
        else "train_x = [None] * n_items",
    ]
    path = defaults.trained_path(panel.network, objective)
    n_skip = min(defaults.settle_skip(path, panel.dt), 2 * panel.n_steps.value // 5)
    missing = []
    for probe in objective:
        p = names(probe)
        fn = _target_expr(
            panel.targets.get(probe), user_targets, probe, names, namespace
        )
        if fn is None:
            missing.append(p)
            continue
        lines += [
            f"train_data[{p}] = np.stack([",
            f"    np.asarray({fn}(train_t, train_x[i]), dtype=float).reshape("
            "train_steps, -1)",
            "    for i in range(n_items)",
            "])",
            f"train_data[{p}][:, :{n_skip}] = np.nan  # not scored: synapses settling",
        ]
    lines.append("train_data = {k: v[:batch_size] for k, v in train_data.items()}")
    return lines, missing


def training_lines(dashboard, names, namespace) -> list:
    """The Training tab's data and ``sim.train`` call, commented."""
    panel = dashboard.training_panel
    objective = panel.objective()
    lines = ["", "# -- Training (the Training tab) " + "-" * 46]
    if not objective:
        return lines + ["# No probe has an objective: the tab would not train."]
    lines += [
        "# sim.train as in the NengoDL tutorial: data and objective are keyed by the",
        "# network's Nodes and Probes (sim.compile + sim.fit is the Keras way).",
    ]
    probes = ", ".join(f"{names(p)}: nengo_dl.obj.mse" for p in objective)
    body = [
        f"batch_size, train_steps = {panel.batch_size.value}, {panel.n_steps.value}",
        f"objective = {{{probes}}}",
    ]
    default_data = panel.data_provider == panel._generated_data
    if default_data and panel.test_data is None:
        n_test = panel._held_out()
        body.append(
            f"n_items = batch_size + {n_test}  # the tab also draws {n_test} "
            "held-out test items"
        )
    else:
        body.append("n_items = batch_size")
    if default_data:
        data, missing = _data_lines(dashboard, names, namespace, objective)
    else:
        names.add_values(namespace, [panel.data_provider])
        provider = names.variable(panel.data_provider)
        data = [f"train_data = {provider}(sim, objective, batch_size, train_steps)"]
        missing = [] if provider is not None else ["data_provider"]
    body += data + [
        f"optimizer = keras.optimizers.{panel.optimizer.value}("
        f"learning_rate={panel.learning_rate.value!r})",
        "sim.train(train_data, optimizer, objective=objective, "
        f"n_epochs={panel.epochs.value})",
    ]
    if not missing:
        return lines + body
    return (
        lines
        + [
            f"# TODO: not found by name: the target or data of {', '.join(missing)}",
            "# (give it a variable before the Dashboard is made); until then the",
            "# training lines are commented out.",
        ]
        + ["# " + line for line in body]
    )
