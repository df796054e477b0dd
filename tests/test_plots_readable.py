"""Readable plots: a colour and a name per line, XY view, legends beside the data."""

import nengo
import numpy as np
import pytest

from nengodl_notebook.widgets import ComparePanel, InputDesignerWidget, RunPanel
from nengodl_notebook.widgets.decimate import MAX_POINTS, subsample
from nengodl_notebook.widgets.legend import (
    COLORS,
    MAX_LEGEND_LINES,
    TARGET_COLOR,
    legend_entries,
    legend_html,
    line_labels,
    palette,
)
from nengodl_notebook.widgets.plots import FIG_MARGIN, line_figure
from nengodl_notebook.widgets.xy_plot import XYPlot, equal_range, nice_ticks


def circle(t):
    return [np.cos(2 * np.pi * t), np.sin(2 * np.pi * t)]


def circle_target(t, x):
    return np.stack(circle(t), axis=1)


@pytest.fixture
def net():
    """A 2-D oscillation (a circle), a 1-D input, a 2-D ensemble."""
    with nengo.Network(seed=0) as net:
        net.osc = nengo.Node(circle, label="osc")
        net.stim = nengo.Node(lambda t: np.sin(3 * t), label="stim")
        ens = nengo.Ensemble(40, 2, label="ens")
        nengo.Connection(net.osc, ens)
        net.stim_p = nengo.Probe(net.stim, label="stim")
        net.osc_p = nengo.Probe(net.osc, label="out")
        net.ens_p = nengo.Probe(ens, synapse=0.01, label="ens")
    return net


@pytest.fixture
def sim(net, Simulator):
    with Simulator(net, seed=0) as sim:
        yield sim


# -- names and colours ---------------------------------------------------------------


def test_line_labels_name_dimensions_and_items():
    assert line_labels("out", 1) == ["out"]
    assert line_labels("out", 2) == ["out[0]", "out[1]"]
    assert line_labels("x", 1, item=2) == ["item 2"]
    assert line_labels("x", 2, item=2) == ["item 2: x[0]", "item 2: x[1]"]
    with pytest.raises(ValueError, match="out: a series needs at least one dim"):
        line_labels("out", 0)


def test_palette_gives_distinct_colours_then_cycles():
    colors = palette(0, len(COLORS))
    assert len(set(colors)) == len(COLORS) and TARGET_COLOR not in colors
    assert palette(len(COLORS) - 1, 2) == [COLORS[-1], COLORS[0]]


def test_legend_html_names_each_line_with_its_colour_and_style():
    text = legend_html(
        legend_entries(["out[0]", "out[1]"], ["#111111", "#222222"])
        + legend_entries(["target <x>"], ["#333333"], dashed=True)
    )
    assert text.count("nengodl-legend-entry") == 3
    for label, color in [("out[0]", "#111111"), ("out[1]", "#222222")]:
        assert f"3px solid {color}" in text and label in text
    assert "3px dashed #333333" in text and "target &lt;x&gt;" in text


def test_a_wide_series_shares_one_legend_entry():
    labels = line_labels("neurons", 100)
    (entry,) = legend_entries(labels, palette(0, 100))
    assert entry[0] == "neurons[0] … neurons[99] (100 lines)"
    assert len(legend_entries(labels[:MAX_LEGEND_LINES], COLORS)) == MAX_LEGEND_LINES


# -- the run panel -------------------------------------------------------------------


def test_run_panel_gives_each_dimension_a_colour_and_a_name(net, sim):
    panel = RunPanel(sim, run_time=0.5)
    panel.probe_select.value = (0, 1)  # stim (1-D) and out (2-D)
    assert panel.run()
    out, stim = panel.probe_lines[net.osc_p], panel.probe_lines[net.stim_p]
    assert list(out.labels) == ["out[0]", "out[1]"] and list(stim.labels) == ["stim"]
    shown = list(stim.colors) + list(out.colors)
    assert len(shown) == len(set(shown)) == 3  # no two lines share a colour
    assert np.asarray(out.y).shape == (2, 500)
    # named in the legend beside the figure; bqplot's own legend (over the data) off
    assert panel.plot.children == (panel.figure, panel.legend)
    for label, color in zip(["stim", "out[0]", "out[1]"], shown):
        assert label in panel.legend.value and color in panel.legend.value
    assert "ens" not in panel.legend.value  # not chosen, not named
    assert not any(mark.display_legend for mark in panel.figure.marks)
    panel.close()


def test_targets_are_dashed_in_their_dimension_colours(net, sim):
    panel = RunPanel(sim, targets={net.osc_p: circle_target}, run_time=0.5)
    assert panel.probe_select.value == (1,)  # probes with a target come first
    panel.run()
    lines = panel.target_lines[net.osc_p]
    assert lines.visible and lines.line_style == "dashed"
    assert list(lines.labels) == ["target: out[0]", "target: out[1]"]
    assert list(lines.colors) == list(panel.probe_lines[net.osc_p].colors)
    assert "3px dashed" in panel.legend.value and "target: out[1]" in panel.legend.value


def test_xy_view_draws_dimension_1_against_dimension_0(net, sim):
    panel = RunPanel(sim, targets={net.osc_p: circle_target}, run_time=1.0)
    panel.probe_select.value = (0, 1, 2)
    panel.run()
    panel.view.value = "xy"
    assert panel.plot.children == (panel.xy.figure, panel.legend)
    path = panel.xy.lines[net.osc_p]
    data = sim.data[net.osc_p]
    assert path.visible and np.allclose(path.x, data[:, 0])
    assert np.allclose(path.y, data[:, 1])
    assert np.allclose(np.hypot(path.x, path.y), 1)  # the oscillation is a circle
    assert panel.xy.lines[("target", net.osc_p)].visible
    assert panel.xy.lines[net.ens_p].visible
    assert net.stim_p not in panel.xy.lines  # 1-D: no XY path
    assert "out: [1] against [0]" in panel.legend.value
    assert "stim" not in panel.legend.value
    # both axes share one range (a circle looks round) on a square figure
    x, y = panel.xy.scales["x"], panel.xy.scales["y"]
    assert (x.min, x.max) == (y.min, y.max) and x.min < -1 and x.max > 1
    ticks = [axis.tick_values for axis in panel.xy.figure.axes]
    assert np.array_equal(ticks[0], ticks[1]) and 0 in ticks[0]
    assert panel.xy.figure.layout.width == panel.xy.figure.layout.height
    panel.view.value = "time"
    assert panel.plot.children == (panel.figure, panel.legend)


def test_xy_view_without_a_2d_probe_says_so(net, sim):
    panel = RunPanel(sim, run_time=0.2)
    panel.probe_select.value = (0,)
    panel.run()
    panel.view.value = "xy"
    assert not any(lines.visible for lines in panel.xy.lines.values())
    assert "2 or more dimensions" in panel.legend.value


def test_xy_paths_of_long_runs_are_bounded(net, sim):
    panel = RunPanel(sim, run_time=5.0)
    panel.probe_select.value = (1,)
    panel.view.value = "xy"
    panel.run()
    path = panel.xy.lines[net.osc_p]
    assert len(path.x) == MAX_POINTS and path.x[-1] == sim.data[net.osc_p][-1, 0]


def test_subsample_keeps_first_and_last_evenly():
    values = np.arange(10_001.0)
    kept = subsample(values, max_points=101)
    assert np.array_equal(kept, np.arange(0, 10_001, 100))
    assert np.array_equal(subsample(values[:5]), values[:5])
    with pytest.raises(ValueError, match="max_points must be at least 2"):
        subsample(values, max_points=1)


def test_nice_ticks_are_round_and_inside():
    assert np.allclose(nice_ticks(-1.05, 1.35), [-1, -0.5, 0, 0.5, 1])
    assert np.allclose(nice_ticks(0, 1000), [0, 200, 400, 600, 800, 1000])
    assert np.allclose(nice_ticks(2.0, 2.0), [2.0])


def test_equal_range_and_bad_paths():
    assert equal_range([np.array([[0, 1], [2, 3.0]])], pad=0) == (0, 3)
    assert equal_range([]) is None
    xy = XYPlot()
    xy.add("p", COLORS[0], "p")
    with pytest.raises(ValueError, match="XY path 'p' needs shape"):
        xy.show({"p": np.zeros((5, 1))})


# -- layout: labels clear of ticks, legends beside, status height reserved -----------


def test_axis_labels_sit_beyond_the_tick_numbers():
    fig, _ = line_figure("t", y_label="value")
    x_axis, y_axis = fig.axes
    assert int(y_axis.label_offset.rstrip("px")) >= 50  # past "-0.00123"
    assert int(x_axis.label_offset.rstrip("px")) >= 30
    # the labels stay inside the figure
    assert fig.fig_margin["left"] > int(y_axis.label_offset.rstrip("px")) + 10
    assert fig.fig_margin["bottom"] > int(x_axis.label_offset.rstrip("px")) + 10
    assert fig.fig_margin == FIG_MARGIN


def test_status_lines_have_reserved_height(net, sim):
    panel = RunPanel(sim)
    row = next(c for c in panel.children if panel.status in getattr(c, "children", ()))
    assert panel.message in row.children and row.layout.min_height


# -- compare panel and input designer -------------------------------------------------


def test_compare_lines_have_a_colour_per_snapshot_and_dimension(net, sim):
    panel = ComparePanel(sim, targets={net.osc_p: circle_target}, n_steps=300)
    panel.probe_select.value = 1  # out (2-D)
    assert panel.compare()
    a, b, target = panel.line_a, panel.line_b, panel.target_line
    assert list(a.labels) == ["A: before training[0]", "A: before training[1]"]
    colors = list(a.colors) + list(b.colors) + list(target.colors)
    assert len(colors) == len(set(colors)) == 6
    assert np.asarray(a.y).shape == (2, 300)
    for label in ("B: before training[1]", "target[0]", "target[1]"):
        assert label in panel.legend.value
    assert not any(mark.display_legend for mark in panel.figure.marks)
    panel.probe_select.value = 0  # stim (1-D): one line each, a grey target
    assert list(panel.line_a.colors) == [COLORS[0]]
    assert list(panel.line_b.colors) == [COLORS[1]]


def test_designer_preview_colours_and_names_each_item_and_dimension(net):
    designer = InputDesignerWidget(net, minibatch_size=2, n_steps=100, dt=0.001)
    designer.node_select.value = designer.nodes.index(net.osc)
    labels = list(designer.lines.labels)
    assert labels == [
        "item 0: osc[0]",
        "item 0: osc[1]",
        "item 1: osc[0]",
        "item 1: osc[1]",
    ]
    assert len(set(designer.lines.colors)) == 4
    assert np.allclose(
        designer.lines.y[1], np.sin(2 * np.pi * 0.001 * np.arange(1, 101))
    )
    for label in labels:
        assert label in designer.legend.value
    designer.node_select.value = designer.nodes.index(net.stim)
    assert list(designer.lines.labels) == ["item 0", "item 1"]


def test_designer_preview_of_a_long_run_is_bounded(net):
    designer = InputDesignerWidget(net, minibatch_size=1, n_steps=100_000, dt=0.001)
    assert list(designer.lines.labels) == ["osc[0]", "osc[1]"]  # one item: no "item"
    assert len(designer.lines.x) <= MAX_POINTS
    assert np.asarray(designer.lines.y).shape == (2, len(designer.lines.x))


def test_all_batch_items_get_their_own_colours_and_names(net, Simulator):
    with Simulator(net, minibatch_size=3) as sim:
        panel = RunPanel(sim, targets={net.osc_p: circle_target}, run_time=0.3)
        panel.probe_select.value = (0, 1)
        panel.item_select.value = "all"
        assert panel.run()
        out, stim = panel.probe_lines[net.osc_p], panel.probe_lines[net.stim_p]
        assert list(stim.labels) == ["item 0", "item 1", "item 2"]
        assert list(out.labels)[-2:] == ["item 2: out[0]", "item 2: out[1]"]
        assert np.asarray(out.y).shape == (6, 300)
        shown = list(stim.colors) + list(out.colors)
        assert len(shown) == len(set(shown)) == 9
        target = panel.target_lines[net.osc_p]
        assert list(target.labels)[-1] == "target: item 2: out[1]"
        assert np.asarray(target.y).shape == (6, 300)
        assert "item 1: out[0]" in panel.legend.value
        panel.view.value = "xy"
        path = panel.xy.lines[net.osc_p]
        assert np.asarray(path.x).shape == (3, 300)
        assert list(path.labels) == ["item 0: out", "item 1: out", "item 2: out"]
        assert len(set(path.colors)) == 3
        assert "target: item 2: out" in panel.legend.value
        panel.item_select.value = 1  # one item: no "item" in the names
        assert np.asarray(path.x).shape == (300,)
        assert list(path.labels) == ["out: [1] against [0]"]
        panel.close()
