"""A run state (`run_state.RunState`) as arrays of a parameter file.

``save_params(path, include_state=True)`` adds these arrays to the parameter
file, under names starting with ``__state__.``; parameter readers ignore
them, so such a file loads as a plain parameter file too. Probe data is not
saved.
"""

import numpy as np
from nengo.exceptions import ValidationError

from nengodl_notebook.run_state import RunState

PREFIX = "__state__."


def state_arrays(snapshot):
    """``{name: array}`` of a `RunState` (its probe data left out)."""
    arrays = {
        "n_steps": np.array(snapshot.n_steps, dtype=np.int64),
        "seed": np.array(snapshot.seed, dtype=np.int64),
        "stream_seed": np.array(snapshot.stream_seed, dtype=np.int64),
        "state": snapshot.state,
    }
    for i, value in enumerate(snapshot.tensor_node_state):
        arrays[f"tensor_node_state{i}"] = value
    for i, value in enumerate(snapshot.seed_generators):
        arrays[f"seed_generator{i}"] = value
    inputs, python = snapshot.streams
    groups = [("input", inputs)] + [(f"process{j}", g) for j, g in enumerate(python)]
    for group, streams in groups:
        for i, (rng_state, values) in enumerate(streams):
            name = f"{group}.{i}"
            arrays[f"{name}.rng_keys"] = np.asarray(rng_state[1])
            arrays[f"{name}.rng_rest"] = np.array(rng_state[2:], dtype=np.float64)
            for key, value in values.items():
                arrays[f"{name}.state.{key}"] = value
    return {PREFIX + name: value for name, value in arrays.items()}


def state_from_arrays(saved, template, path):
    """The `RunState` saved in a file's arrays ``saved``.

    Parameters
    ----------
    saved : dict
        The file's arrays (all of them).
    template : RunState
        This Simulator's run state, giving the structure to read.
    path : str
        The file (named by errors).
    """
    if PREFIX + "state" not in saved:
        raise ValidationError(
            f"{path} holds no run state: save it with "
            "save_params(path, include_state=True), or load with include_state=False",
            attr="path",
        )

    def get(name):
        key = PREFIX + name
        if key not in saved:
            raise ValidationError(
                f"{path}: the run state does not fit this Simulator (it lacks "
                f"{name!r}): it was saved by a Simulator of another network or "
                "minibatch_size",
                attr="path",
            )
        return saved[key]

    def streams(group, template_streams):
        out = []
        for i, (_, values) in enumerate(template_streams):
            name = f"{group}.{i}"
            rest = get(f"{name}.rng_rest")
            rng_state = (
                "MT19937",
                get(f"{name}.rng_keys").astype(np.uint32),
                int(rest[0]),
                int(rest[1]),
                float(rest[2]),
            )
            out.append((rng_state, {key: get(f"{name}.state.{key}") for key in values}))
        return out

    inputs, python = template.streams
    return RunState(
        n_steps=int(get("n_steps")),
        seed=int(get("seed")),
        stream_seed=int(get("stream_seed")),
        state=get("state"),
        tensor_node_state=tuple(
            get(f"tensor_node_state{i}") for i in range(len(template.tensor_node_state))
        ),
        seed_generators=tuple(
            get(f"seed_generator{i}") for i in range(len(template.seed_generators))
        ),
        streams=(
            streams("input", inputs),
            [streams(f"process{j}", g) for j, g in enumerate(python)],
        ),
    )
