"""XYPlot: paths of 2-D (or wider) series, dimension 1 against dimension 0.

An oscillator's state shows as a circle: both axes share one range and the
plot is square.
"""

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from nengodl_notebook.widgets.decimate import subsample
from nengodl_notebook.widgets.plots import FIG_MARGIN, X_LABEL_OFFSET, Y_LABEL_OFFSET


def equal_range(paths, pad=0.05):
    """One ``(low, high)`` range holding every point of ``paths``, padded.

    Parameters
    ----------
    paths : list of ndarray
        Arrays ``(n, 2)``.

    Returns
    -------
    tuple of float or None
        None when there are no finite points.
    """
    values = np.concatenate([np.ravel(p) for p in paths]) if paths else np.zeros(0)
    values = values[np.isfinite(values)]
    if not len(values):
        return None
    low, high = float(values.min()), float(values.max())
    margin = pad * (high - low) if high > low else max(abs(high), 1.0) * pad
    return low - margin, high + margin


def nice_ticks(low, high, n=5):
    """About ``n`` round tick values (steps of 1, 2 or 5 times a power of 10)."""
    raw = (high - low) / n
    if not raw > 0:
        return np.array([low])
    magnitude = 10 ** np.floor(np.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = np.ceil(low / step - 1e-9) * step
    return np.round(np.arange(first, high + 1e-9 * step, step), 12)


class XYPlot:
    """A square bqplot figure of paths (x: dimension 0, y: dimension 1).

    Parameters
    ----------
    title : str
    size : str
        Width and height of the figure (CSS).

    Attributes
    ----------
    figure : bqplot.Figure
    scales : dict
        ``{"x": LinearScale, "y": LinearScale}`` (given the same range).
    lines : dict
        ``{key: bqplot.Lines}``, one path each (see `add`).
    """

    def __init__(self, title="XY view: dim 1 against dim 0", size="460px"):
        self.scales = {"x": bq.LinearScale(), "y": bq.LinearScale()}
        axes = [
            bq.Axis(
                scale=self.scales["x"],
                label="dim 0",
                tick_format=".2~g",
                label_offset=X_LABEL_OFFSET,
            ),
            bq.Axis(
                scale=self.scales["y"],
                side="left",
                label="dim 1",
                tick_format=".2~g",
                label_offset=Y_LABEL_OFFSET,
            ),
        ]
        self.figure = bq.Figure(
            marks=[],
            axes=axes,
            title=title,
            fig_margin=dict(FIG_MARGIN, right=FIG_MARGIN["left"] - 40),
            layout=widgets.Layout(width=size, height=size, flex="0 0 auto"),
        )
        self.lines = {}

    def add(self, key, color, label, dashed=False):
        """A path ``key`` in one colour (solid or dashed); returns its Lines."""
        lines = bq.Lines(
            x=np.zeros(0),
            y=np.zeros(0),
            scales=self.scales,
            colors=[color],
            labels=[label],
            line_style="dashed" if dashed else "solid",
            display_legend=False,
            visible=False,
        )
        self.lines[key] = lines
        self.figure.marks = [*self.figure.marks, lines]
        return lines

    def show(self, paths):
        """Draw the given paths and hide the others.

        Parameters
        ----------
        paths : dict
            ``{key: array (n, size >= 2)}``, or ``(k, n, size)`` for ``k``
            paths in one mark (one per colour of its Lines); columns 0 and 1
            are drawn, with at most `decimate.MAX_POINTS` evenly spaced points
            each.
        """
        kept = {}
        for key, values in paths.items():
            values = np.asarray(values, dtype=float)
            if values.ndim not in (2, 3) or values.shape[-1] < 2:
                raise ValueError(
                    f"XY path {key!r} needs shape (n, 2 or more) or (k, n, 2 or more)"
                    f" (got {values.shape})"
                )
            values = values if values.ndim == 3 else values[None]
            kept[key] = np.stack([subsample(v[:, :2]) for v in values])
        span = equal_range(list(kept.values()))
        with self.figure.hold_sync():
            for key, lines in self.lines.items():
                lines.visible = key in kept
                if key in kept:
                    xy = kept[key]  # (k, m, 2)
                    with lines.hold_sync():
                        if len(xy) == 1:
                            lines.x, lines.y = xy[0, :, 0], xy[0, :, 1]
                        else:
                            lines.x, lines.y = xy[:, :, 0], xy[:, :, 1]
            if span is not None:
                for scale in self.scales.values():
                    scale.min, scale.max = span
                for axis in self.figure.axes:
                    axis.tick_values = nice_ticks(*span)
