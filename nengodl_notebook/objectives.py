"""Objective functions for training and evaluation (``nengodl_notebook.obj``).

An objective takes ``(outputs, targets)``: the probe's output and the target
values, both shaped ``(minibatch_size, n_steps, probe_size)``, and returns a
scalar tensor. Objectives without targets (regularisers) get ``targets=None``.
"""

import inspect

import tensorflow as tf


def mse(outputs, targets):
    """Mean squared error; NaN targets are ignored (they mark "don't care")."""
    valid = tf.math.logical_not(tf.math.is_nan(targets))
    diff = tf.where(valid, outputs - targets, tf.zeros_like(outputs))
    count = tf.maximum(tf.reduce_sum(tf.cast(valid, outputs.dtype)), 1)
    return tf.reduce_sum(tf.square(diff)) / count


def mean_rate(outputs, targets=None):
    """Mean of the probe's output (e.g. a firing-rate regulariser); no target."""
    return tf.reduce_mean(outputs)


NAMED = {"mse": mse, "mean_rate": mean_rate}


def resolve(objective):
    """A callable objective from a callable or a name (``"mse"``)."""
    if isinstance(objective, str):
        if objective not in NAMED:
            raise ValueError(
                f"Unknown objective {objective!r}; use a function or one of "
                f"{sorted(NAMED)}"
            )
        return NAMED[objective]
    if hasattr(objective, "__call__"):
        return objective
    raise TypeError(f"Objective {objective!r} is not callable")


def call(objective, outputs, targets):
    """Call an objective with targets, or without if it takes one argument."""
    try:
        n_params = len(inspect.signature(objective).parameters)
    except (TypeError, ValueError):
        n_params = 2
    if n_params == 1:
        return objective(outputs)
    return objective(outputs, targets)
