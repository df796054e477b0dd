"""Running nengo's own test suite against this simulator.

``nengo-suite.ini`` sets ``nengo_simloader = nengodl_notebook.testing.make_test_sim``;
nengo's pytest plugin then calls `make_test_sim` for its ``Simulator`` fixture.
"""

import functools

import nengo

from nengodl_notebook.simulator import Simulator


def rc_dtype():
    """nengo's configured float precision (``nengo.rc``), as a dtype we support.

    nengo.Simulator computes in ``rc.float_dtype`` (float64 unless changed);
    16 bits (unsupported here) falls back to float64.
    """
    return "float32" if nengo.rc.float_dtype.itemsize == 4 else "float64"


def make_test_sim(request):
    """The Simulator class nengo's tests should use: nengo's precision, no progress bars.

    Parameters
    ----------
    request : pytest.FixtureRequest
        The requesting fixture (unused; part of nengo's simloader protocol).
    """

    @functools.wraps(Simulator, updated=())
    class TestSimulator(Simulator):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("progress_bar", False)
            kwargs.setdefault("dtype", rc_dtype())
            super().__init__(*args, **kwargs)

    return TestSimulator
