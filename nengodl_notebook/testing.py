"""Running nengo's own test suite against this simulator.

``nengo-suite.ini`` sets ``nengo_simloader = nengodl_notebook.testing.make_test_sim``;
nengo's pytest plugin then calls `make_test_sim` for its ``Simulator`` fixture.
"""

import functools

from nengodl_notebook.simulator import Simulator


def make_test_sim(request):
    """The Simulator class nengo's tests should use: float64, no progress bars.

    Parameters
    ----------
    request : pytest.FixtureRequest
        The requesting fixture (unused; part of nengo's simloader protocol).
    """

    @functools.wraps(Simulator, updated=())
    class TestSimulator(Simulator):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("progress_bar", False)
            kwargs.setdefault("dtype", "float64")
            super().__init__(*args, **kwargs)

    return TestSimulator
