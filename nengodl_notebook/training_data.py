"""Checks and batching of training/evaluation data (``sim.train``, ``sim.loss``...).

``data`` maps input Nodes to inputs and Probes to targets, each an array
``(batch_size, n_steps, size)``; ``batch_size`` may exceed ``minibatch_size`` and is
split into minibatches. Every problem raises a ValidationError naming the object,
before anything runs: inputs and targets must be finite (NaN targets are allowed
for `objectives.mse`, which ignores them), and the error gives the index of the
first bad value.
"""

import nengo
import numpy as np
from nengo.exceptions import ValidationError

from nengodl_notebook import objectives
from nengodl_notebook.keras_data import truncated
from nengodl_notebook.tensor_node import TensorNode, not_overridable


class TrainingData:
    """Checked inputs and targets, split into minibatches on demand.

    ``metrics`` (``[(probe, fn)]``, set by ``fit``) are computed in each
    training step next to the objective, without gradient; ``log_names``
    (one per objective entry, then per metric) names them in the epoch logs.

    Parameters
    ----------
    data : dict
        ``{Node: array, Probe: array or None}``.
    objective : dict
        ``{Probe: callable or name}``; probes whose targets are needed.
    node_ops : dict
        Maps input Nodes to their input ops.
    probe_sizes : dict
        Maps each Probe of the model to its size.
    minibatch_size : int
    keras_style : bool
        As ``fit``/``evaluate`` (NengoDL): targets of any last size and number
        of steps (the loss decides), and a batch size that is not a multiple
        of ``minibatch_size`` is truncated with a warning.
    n_steps : int, optional
        Number of steps; must agree with the inputs (needed without inputs).
    """

    metrics: list = []
    log_names: list | None = None

    def __init__(
        self,
        data,
        objective,
        node_ops,
        probe_sizes,
        minibatch_size,
        keras_style=False,
        n_steps=None,
    ):
        if objective is None:  # predictions: no objective, inputs only
            objective = {}
        elif not objective:
            check_objective(objective, probe_sizes)  # raises: an empty objective
        if not isinstance(data, dict):
            raise ValidationError(
                f"data must be a dict mapping input Nodes and Probes to arrays (got "
                f"{type(data).__name__})",
                attr="data",
            )
        self.objective = check_objective(objective, probe_sizes) if objective else {}
        self.inputs, self.targets = {}, {}
        sizes = dict.fromkeys(probe_sizes) if keras_style else probe_sizes
        for key, value in data.items():
            if isinstance(key, nengo.Probe):
                self._add_target(key, value, sizes)
            else:
                self._add_input(key, value, node_ops)
        self._check_targets_given()
        self._check_finite_targets()
        self.batch_size, self.n_steps = self._common_shape(keras_style, n_steps)
        if keras_style:
            self._truncate(truncated(self.batch_size, minibatch_size))
        if self.batch_size % minibatch_size != 0:
            example = max(1, self.batch_size // minibatch_size) * minibatch_size
            raise ValidationError(
                f"Batch size {self.batch_size} of the data is not a multiple of the "
                f"Simulator's minibatch_size {minibatch_size}: use a batch size "
                f"that is (e.g. {example})",
                attr="data",
            )
        self.minibatch_size = minibatch_size
        self.n_batches = self.batch_size // minibatch_size

    @classmethod
    def without_inputs(cls, n_steps, minibatch_size):
        """One minibatch of ``n_steps`` with every input at its default."""
        data = object.__new__(cls)
        data.objective, data.inputs, data.targets = {}, {}, {}
        data.batch_size, data.n_steps = minibatch_size, n_steps
        data.minibatch_size, data.n_batches = minibatch_size, 1
        return data

    def _add_input(self, node, value, node_ops):
        if isinstance(node, TensorNode):
            raise not_overridable(node)
        if not isinstance(node, nengo.Node) or node not in node_ops:
            raise ValidationError(
                f"data key {node!r} is neither a Probe nor an input Node (a Node "
                "with size_in=0) of this simulator's network",
                attr="data",
            )
        self.inputs[node] = checked_array(node, value, node.size_out, "input")

    def _add_target(self, probe, value, probe_sizes):
        if probe not in probe_sizes:
            raise ValidationError(
                f"{probe} is not a probe of this simulator's network", attr="data"
            )
        if value is None:  # an objective without target (e.g. a regulariser)
            self.targets[probe] = None
            return
        self.targets[probe] = checked_array(probe, value, probe_sizes[probe], "target")

    def _check_targets_given(self):
        for probe in self.objective:
            if probe not in self.targets:
                raise ValidationError(
                    f"The objective for {probe} needs targets: add data[probe] with "
                    "shape (batch_size, n_steps, probe size), or data[probe] = None "
                    "for an objective without targets",
                    attr="data",
                )

    def _check_finite_targets(self):
        """Targets of the objective's probes are finite (NaN: see module notes)."""
        for probe, fn in self.objective.items():
            target = self.targets[probe]
            if target is None:
                continue
            nan_ok = ignores_nan_targets(fn)
            bad = np.isinf(target) if nan_ok else ~np.isfinite(target)
            if bad.any():
                hint = (
                    ""
                    if nan_ok
                    else " (nengodl_notebook.obj.mse ignores NaN targets: with it, NaN "
                    "can mark values that do not matter)"
                )
                raise ValidationError(
                    f"target data for {probe} {first_bad(target, bad)}; the objective "
                    f"needs finite targets{hint}",
                    attr="data",
                )

    def _truncate(self, batch_size):
        for arrays in (self.inputs, self.targets):
            for key, value in arrays.items():
                if value is not None:
                    arrays[key] = value[:batch_size]
        self.batch_size = batch_size

    def _common_shape(self, keras_style=False, n_steps=None):
        targets = {p: t for p, t in self.targets.items() if t is not None}
        arrays = {**self.inputs, **targets}
        if not arrays:
            raise ValidationError(
                "data holds no arrays: give inputs and/or targets", attr="data"
            )
        if keras_style:  # targets: only the batch size must agree
            batch = next(iter(arrays.values())).shape[0]
            for obj, a in arrays.items():
                if a.shape[0] != batch:
                    raise ValidationError(
                        f"data for {obj} has batch size {a.shape[0]}, but other "
                        f"data has {batch}: all arrays must agree",
                        attr="data",
                    )
            if self.inputs:
                arrays = self.inputs
            elif n_steps is not None:
                return batch, n_steps
        shapes = {obj: a.shape[:2] for obj, a in arrays.items()}
        first_obj, first = next(iter(shapes.items()))
        for obj, shape in shapes.items():
            if shape != first:
                raise ValidationError(
                    f"data for {obj} has (batch_size, n_steps) = {shape}, but data "
                    f"for {first_obj} has {first}: all arrays must agree",
                    attr="data",
                )
        if n_steps is not None and first[1] != n_steps:
            raise ValidationError(
                f"n_steps={n_steps} but the input data has {first[1]} steps",
                attr="n_steps",
            )
        return first

    def terms(self):
        """``[(probe, fn)]``: the objective's entries, then the metrics."""
        return list(self.objective.items()) + list(self.metrics)

    def batches(self, shuffle, rng):
        """Yield arrays of item indices, one per minibatch."""
        order = (
            rng.permutation(self.batch_size) if shuffle else np.arange(self.batch_size)
        )
        for b in range(self.n_batches):
            yield order[b * self.minibatch_size : (b + 1) * self.minibatch_size]


def checked_array(obj, value, size, what):
    """``value`` as a float64 array ``(batch, n_steps, size)``, or a clear error."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValidationError(
            f"{what} data for {obj} must be a numeric array "
            f"(got {type(value).__name__})",
            attr="data",
        ) from e
    if array.ndim != 3 or (size is not None and array.shape[2] != size):
        raise ValidationError(
            f"{what} data for {obj} must have shape (batch_size, n_steps, "
            f"{'size' if size is None else size}); "
            f"got {array.shape}",
            attr="data",
        )
    if what == "input" and not np.all(np.isfinite(array)):
        bad = ~np.isfinite(array)
        raise ValidationError(
            f"input data for {obj} {first_bad(array, bad)}", attr="data"
        )
    return array


def ignores_nan_targets(fn):
    """Whether NaN targets mean "don't care" for ``fn`` (`objectives.mse`, or a
    loss marked ``ignores_nan_targets`` such as `losses.nan_mse`, also inside
    a `keras_api.KerasLoss`)."""
    fn = getattr(fn, "fn", fn)
    return any(fn is f for f in objectives.IGNORE_NAN_TARGETS) or bool(
        getattr(fn, "ignores_nan_targets", False)
    )


def first_bad(array, bad):
    """``"contains non-finite values: the first is nan at index (i, j, k)..."``."""
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    return (
        f"contains non-finite values: the first is {array[index]} at index {index} "
        f"(item, step, dimension); {int(bad.sum())} of {bad.size} values are "
        "non-finite"
    )


def check_objective(objective, probe_sizes):
    """``{probe: callable}`` from the user's objective dict, or a clear error."""
    if not isinstance(objective, dict) or not objective:
        raise ValidationError(
            "objective must be a non-empty dict mapping Probes to objective "
            f"functions (got {objective!r})",
            attr="objective",
        )
    resolved = {}
    for probe, fn in objective.items():
        if probe not in probe_sizes:
            raise ValidationError(
                f"objective given for {probe!r}, which is not a Probe of this "
                "simulator's network",
                attr="objective",
            )
        try:
            resolved[probe] = objectives.resolve(fn)
        except (TypeError, ValueError) as e:
            raise ValidationError(
                f"objective for {probe}: {e}", attr="objective"
            ) from e
    return resolved


def check_epochs(n_epochs):
    """A positive integer number of epochs, or a clear error."""
    try:
        valid = not isinstance(n_epochs, bool) and int(n_epochs) == n_epochs >= 1
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ValidationError(
            f"n_epochs must be a positive integer (got {n_epochs!r})", attr="n_epochs"
        )
    return int(n_epochs)
