"""A learning-rate finder for the training panel: a short sweep, plotted.

Each rate trains a few minibatches from the same starting parameters (put back
with ``sim.set_params`` after each), then the loss on those minibatches is
measured; the suggested rate (`training_defaults.suggest_rate`) is filled into
the panel's learning-rate field.
"""

import warnings

import bqplot as bq
import ipywidgets as widgets
import numpy as np
from nengo.exceptions import SimulationError

from nengodl_notebook.training import NoGradientWarning, TrainingDivergedWarning
from nengodl_notebook.widgets.labels import error_html
from nengodl_notebook.widgets.plots import COLORS, close_tree
from nengodl_notebook.widgets.sim_access import hold_sim, show_failure
from nengodl_notebook.widgets.training_defaults import make_optimizer, suggest_rate

#: The rates tried (log-spaced).
RATES = np.logspace(-5, -0.5, 8)
#: Minibatches trained at each rate.
N_MINIBATCHES = 8


class RateFinder:
    """The "Find learning rate" button of a `TrainingPanel`, and its plot.

    Parameters
    ----------
    panel : TrainingPanel
        Gives the Simulator, the settings, the data and the messages.

    Attributes
    ----------
    button : ipywidgets.Button
    figure : bqplot.Figure
        Loss after ``N_MINIBATCHES`` minibatches against the rate (log-log);
        hidden until the first sweep.
    line : bqplot.Lines
    label : ipywidgets.HTML
        The suggested rate.
    rates, losses : ndarray
        Of the last sweep.
    widget : ipywidgets.VBox
    """

    def __init__(self, panel):
        self.panel = panel
        self.button = widgets.Button(
            description="Find learning rate",
            tooltip=f"Train {N_MINIBATCHES} minibatches at each of {len(RATES)} "
            "rates from the current parameters (restored after each)",
        )
        self.button.on_click(self.find)
        scales = {"x": bq.LogScale(), "y": bq.LogScale()}
        self.line = bq.Lines(
            x=np.zeros(0), y=np.zeros(0), scales=scales, colors=[COLORS[0]]
        )
        self.line.marker = "circle"
        self.figure = bq.Figure(
            marks=[self.line],
            axes=[
                bq.Axis(scale=scales["x"], label="learning rate", tick_format=".0e"),
                bq.Axis(
                    scale=scales["y"],
                    label="loss after the sweep",
                    tick_format=".2g",
                    label_offset="55px",
                ),
            ],
            title="Learning-rate finder",
            layout=widgets.Layout(width="100%", height="240px", display="none"),
            fig_margin={"top": 40, "bottom": 45, "left": 80, "right": 20},
        )
        self.label = widgets.HTML()
        self.rates = self.losses = np.zeros(0)
        self.widget = widgets.VBox([self.label, self.figure])

    def find(self, button=None):
        """Run the sweep (holds the Simulator for a few seconds).

        Returns
        -------
        float or None
            The suggested rate (also set in the learning-rate field), or None.
        """
        panel = self.panel
        if panel.running:
            return None
        sim = panel.sim
        lock = hold_sim(sim, panel.message)
        if lock is None:
            return None
        self.button.disabled = True
        self.label.value = "Finding a learning rate..."
        try:
            losses = self._sweep(sim)
        except Exception as e:  # noqa: BLE001 -- shown in the panel
            self.label.value = ""
            show_failure(panel.message, "Finding a learning rate", e)
            return None
        finally:
            lock.release()
            self.button.disabled = False
        return self._show(losses)

    def _sweep(self, sim):
        panel = self.panel
        objective = panel.objective()
        if not objective:
            raise ValueError("Choose an objective (mse) for at least one probe")
        n_items = panel.minibatch_size * N_MINIBATCHES
        data = panel.data_provider(sim, objective, n_items, panel.n_steps.value)
        start = sim.get_params()
        losses = []
        with warnings.catch_warnings():  # the plot says it: no warning per rate
            warnings.simplefilter("ignore", TrainingDivergedWarning)
            warnings.simplefilter("ignore", NoGradientWarning)
            for rate in RATES:
                try:
                    sim.train(
                        data,
                        make_optimizer(panel.optimizer.value, float(rate)),
                        objective=objective,
                        progress_bar=False,
                    )
                    loss = sim.loss(data, objective=objective, progress_bar=False)
                except SimulationError:  # a step was not finite
                    loss = np.inf
                finally:
                    sim.set_params(start)
                losses.append(float(loss))
        return np.array(losses)

    def _show(self, losses):
        self.rates, self.losses = RATES.copy(), losses
        shown = np.where(np.isfinite(losses) & (losses > 0), losses, np.nan)
        with self.line.hold_sync():
            self.line.x, self.line.y = RATES, shown
        self.figure.layout.display = None
        rate = suggest_rate(RATES, losses)
        if rate is None:
            self.label.value = error_html(
                "No rate gave a finite loss: check the data and objective."
            )
            return None
        self.panel.learning_rate.set(float(f"{rate:.2g}"))
        self.label.value = (
            f"Suggested learning rate: <b>{rate:.2g}</b> (a tenth of the rate with "
            "the lowest loss after "
            f"{N_MINIBATCHES} minibatches); set in the field above. Parameters "
            "unchanged."
        )
        return float(f"{rate:.2g}")

    def close(self):
        """Close the button and the plot."""
        self.button.close()
        close_tree(self.widget)
