"""A canvas on which to draw an input signal by hand.

``FreehandWidget`` (``static/freehand.js``, built from ``js/freehand.js``) keeps
the drawn curve as ``points``; ``values(n_steps)`` turns it into one value per
simulation step, e.g. for ``sim.run_steps(n, data={node: ...})``.
"""

from __future__ import annotations

import pathlib
from typing import Any

import anywidget
import numpy as np
import traitlets

__all__ = ["FreehandWidget"]


class FreehandWidget(anywidget.AnyWidget):
    """Draw a signal with the mouse; read it back per simulation step.

    Parameters
    ----------
    **kwargs
        Trait values, e.g. ``y_range=[-2, 2]``, ``label="input"``.

    Attributes
    ----------
    points : list of [float, float]
        The drawn points ``[x, y]``, in drawing order: x is the fraction of the
        run in [0, 1], y is in data units (two-way).
    y_range : list of float
        ``[lo, hi]``: the data values at the bottom and top of the canvas.
    width, height : int
        Canvas size in px.
    label : str
        Shown above the canvas.

    Notes
    -----
    The browser writes ``points`` while a stroke is drawn (at most a few times a
    second) and when the mouse is released. A stroke replaces the points that
    were drawn over the same x range.
    """

    _esm = pathlib.Path(__file__).parent / "static" / "freehand.js"

    points = traitlets.List(traitlets.List(traitlets.Float(), minlen=2, maxlen=2)).tag(
        sync=True
    )
    y_range = traitlets.List(
        traitlets.Float(), default_value=[-1.0, 1.0], minlen=2, maxlen=2
    ).tag(sync=True)
    width = traitlets.Int(400).tag(sync=True)
    height = traitlets.Int(200).tag(sync=True)
    label = traitlets.Unicode("").tag(sync=True)

    @traitlets.validate("y_range")
    def _valid_y_range(self, proposal: Any) -> list[float]:
        lo, hi = proposal["value"]
        if not lo < hi:
            raise traitlets.TraitError(
                f"y_range must be [lo, hi] with lo < hi, not {[lo, hi]}"
            )
        return [float(lo), float(hi)]

    @traitlets.validate("width", "height")
    def _valid_size(self, proposal: Any) -> int:
        if proposal["value"] < 50:
            raise traitlets.TraitError(f"{proposal['trait'].name} must be >= 50 px")
        return int(proposal["value"])

    def values(self, n_steps: int) -> np.ndarray:
        """The drawn signal at each of ``n_steps`` simulation steps.

        Parameters
        ----------
        n_steps : int
            Number of steps of the run.

        Returns
        -------
        np.ndarray
            Shape ``(n_steps,)``: the drawn curve, linearly interpolated at
            ``x = (i + 1) / n_steps`` (step ``i`` ends at time ``(i + 1) * dt``),
            held constant before the first and after the last point; all zeros
            when nothing is drawn.

        Notes
        -----
        Points are sorted by x; of several points with the same x, the latest
        (in ``points`` order) wins.
        """
        n_steps = int(n_steps)
        if n_steps < 0:
            raise ValueError(f"n_steps must be >= 0, not {n_steps}")
        if not self.points:
            return np.zeros(n_steps)
        latest = {float(x): float(y) for x, y in self.points}
        xs = np.array(sorted(latest))
        ys = np.array([latest[x] for x in xs])
        return np.interp((np.arange(n_steps) + 1) / n_steps, xs, ys)

    def clear(self) -> None:
        """Remove everything drawn."""
        self.points = []
