"""Running nengo's own test suite against this simulator.

``nengo-suite.ini`` sets ``nengo_simloader = nengodl_notebook.testing.make_test_sim``;
nengo's pytest plugin then calls `make_test_sim` for its ``Simulator`` fixture.
"""

import nengo

from nengodl_notebook.simulator import Simulator


def rc_dtype():
    """nengo's configured float precision (``nengo.rc``), as a dtype we support.

    nengo.Simulator computes in ``rc.float_dtype`` (float64 unless changed);
    16 bits (unsupported here) falls back to float64.
    """
    return "float32" if nengo.rc.float_dtype.itemsize == 4 else "float64"


class SuiteSimulator(Simulator):
    """Our Simulator as nengo's tests use it: nengo's precision, no progress bars.

    A module-level class (not one made per call) so that pickled simulators
    load again (nengo's ``test_pickle_sim``).
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("progress_bar", False)
        kwargs.setdefault("dtype", rc_dtype())
        super().__init__(*args, **kwargs)


def make_test_sim(request):
    """The Simulator class nengo's tests should use (`SuiteSimulator`).

    Parameters
    ----------
    request : pytest.FixtureRequest
        The requesting fixture (unused; part of nengo's simloader protocol).
    """
    return SuiteSimulator
