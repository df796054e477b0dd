"""Which colour and name each plotted line gets, and the legend beside a figure.

One colour per line (per dimension of a probe, per batch item), and a legend
in HTML next to the figure rather than over the data: bqplot draws its legend
inside the plot area, where it covers curves.
"""

import html

import bqplot as bq
import ipywidgets as widgets

#: Line colours (bqplot's category10 without its grey, kept for targets).
COLORS = [c for c in bq.CATEGORY10 if c != "#7f7f7f"]
#: Colour of a lone reference line (a 1-D target).
TARGET_COLOR = "#7f7f7f"
#: Lines of one series named one by one in a legend at most; more share an entry.
MAX_LEGEND_LINES = 12
#: Width of the legend beside a figure.
LEGEND_WIDTH = "200px"


def palette(start, n):
    """``n`` line colours from the ``start``-th on (cycling through `COLORS`)."""
    return [COLORS[(start + i) % len(COLORS)] for i in range(n)]


def line_labels(name, size, item=None):
    """Legend names of the lines of one series.

    Parameters
    ----------
    name : str
        The series (a probe's or a Node's label).
    size : int
        Its dimensions: one line each, named ``name[d]`` when more than one.
    item : int, optional
        The batch item, when several items are shown: ``item 2: name[d]``,
        or just ``item 2`` for a 1-D series.

    Returns
    -------
    list of str
    """
    if size < 1:
        raise ValueError(f"{name}: a series needs at least one dimension (got {size})")
    dims = [name] if size == 1 else [f"{name}[{d}]" for d in range(size)]
    if item is None:
        return dims
    if size == 1:
        return [f"item {item}"]
    return [f"item {item}: {label}" for label in dims]


def legend_entries(labels, colors, dashed=False, opacities=None):
    """Legend entries of one Lines mark: ``(label, colour, dashed, opacity)`` each.

    A mark of more than `MAX_LEGEND_LINES` lines gets one entry naming the
    first and last line and how many there are.
    """
    opacities = list(opacities) if opacities is not None else [1.0] * len(labels)
    if len(labels) > MAX_LEGEND_LINES:
        label = f"{labels[0]} … {labels[-1]} ({len(labels)} lines)"
        return [(label, colors[0], dashed, 1.0)]
    return [
        (label, colors[i % len(colors)], dashed, opacities[i])
        for i, label in enumerate(labels)
    ]


def legend_html(entries):
    """HTML of a legend: a line swatch (solid or dashed) and a name per entry."""
    rows = []
    for label, color, dashed, opacity in entries:
        style = "dashed" if dashed else "solid"
        swatch = (
            "<span style='flex:none;width:24px;height:0;"
            f"border-top:3px {style} {html.escape(color)};opacity:{opacity:g}'></span>"
        )
        rows.append(
            "<div class='nengodl-legend-entry' style='display:flex;"
            "align-items:center;gap:6px;line-height:1.3;margin:2px 0'>"
            f"{swatch}<span style='overflow-wrap:anywhere'>"
            f"{html.escape(label)}</span></div>"
        )
    return "<div class='nengodl-legend'>" + "".join(rows) + "</div>"


def legend_widget():
    """An empty HTML legend, sized to sit beside a figure."""
    return widgets.HTML(
        layout=widgets.Layout(
            width=LEGEND_WIDTH, flex="0 0 auto", margin="40px 0 0 4px"
        )
    )


def plot_row(figure, legend):
    """A figure (taking the remaining width) with its legend on the right."""
    figure.layout.width = "auto"
    figure.layout.flex = "1 1 auto"
    figure.layout.min_width = "0"
    return widgets.HBox(
        [figure, legend], layout=widgets.Layout(width="100%", overflow="hidden")
    )
