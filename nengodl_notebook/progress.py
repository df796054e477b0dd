"""Progress bars and one-line summaries for long phases (build, simulation...).

A bar is a ``tqdm.auto`` bar: text in a terminal, a widget in Jupyter. When the
phase ends the bar is removed and a summary line is printed, e.g.
``Simulation finished in 0:00:01``.
"""

import datetime
import sys
import time

from nengo.utils.progress import Progress, ProgressBar
from tqdm.auto import tqdm


def format_duration(seconds):
    """``0:00:01``-style text for a duration in seconds."""
    return str(datetime.timedelta(seconds=int(round(seconds))))


class Phase:
    """A context manager showing one phase's progress, then its summary line.

    Parameters
    ----------
    name : str
        Verb shown while running (``"Simulating"``).
    summary : str
        Noun used in the summary line (``"Simulation"``).
    total : int, optional
        Number of units of work (steps); None for an indeterminate phase.
    enabled : bool or nengo.utils.progress.ProgressBar
        False makes the phase silent; a nengo ``ProgressBar`` (as accepted by
        ``nengo.Simulator``) is driven with a ``nengo.utils.progress.Progress``.
    close_bar : bool
        Whether a nengo ``ProgressBar`` is closed at the end of this phase (False
        for phases followed by another phase on the same bar, e.g. the build).
    """

    def __init__(self, name, summary, total=None, enabled=True, close_bar=True):
        self.name = name
        self.summary = summary
        self.total = total
        self.enabled = enabled
        self.extra = ""
        self.bar = None
        self.start = None
        self.nengo_bar = enabled if isinstance(enabled, ProgressBar) else None
        self.close_bar = close_bar
        self.progress = None

    def __enter__(self):
        self.start = time.perf_counter()
        if self.nengo_bar is not None:
            self.progress = Progress(self.name, self.summary, self.total).__enter__()
            self.nengo_bar.update(self.progress)
        elif self.enabled:
            self.bar = tqdm(
                total=self.total,
                desc=self.name,
                leave=False,
                file=sys.stdout,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| ETA: {remaining}{postfix}"
                if self.total
                else "{desc}...",
            )
        return self

    def update(self, n=1):
        """Advance the bar by ``n`` units."""
        if self.progress is not None:
            self.progress.step(n)
            self.nengo_bar.update(self.progress)
        if self.bar is not None:
            self.bar.update(n)

    def set_postfix(self, **values):
        """Show ``values`` (e.g. the running loss) after the bar."""
        if self.bar is not None:
            self.bar.set_postfix(values, refresh=False)

    def __exit__(self, exc_type, exc, tb):
        if self.progress is not None:
            self.progress.__exit__(exc_type, exc, tb)
            self.nengo_bar.update(self.progress)
            if self.close_bar or exc_type is not None:
                self.nengo_bar.close()
            return
        if self.bar is None:
            return
        self.bar.close()
        elapsed = format_duration(time.perf_counter() - self.start)
        status = "finished" if exc_type is None else "interrupted"
        print(f"{self.summary} {status} in {elapsed}{self.extra}", file=sys.stdout)
