"""The Simulator's parameter files and nengo arguments: ``save_params``,
``load_params`` (optionally with the run state) and ``get_nengo_params``.

A mixin of `nengodl_notebook.Simulator`; snapshots are `params.py`'s, files
`param_files.py`'s, run state files `state_files.py`'s.
"""

import os
import warnings
from collections.abc import Sequence
from typing import Any

import nengo

from nengodl_notebook.nengo_params import nengo_params
from nengodl_notebook.param_files import read_params_file, write_params
from nengodl_notebook.params import apply_params, take_params
from nengodl_notebook.single_user import exclusive
from nengodl_notebook.state_files import state_arrays, state_from_arrays


class ParamMethods:
    """``save_params``, ``load_params`` and ``get_nengo_params`` of the Simulator."""

    # set by the Simulator (see `nengodl_notebook.simulator`)
    data: Any
    _store: Any
    _tensor_vars: Any
    _take_run_state: Any
    _restore_run_state: Any
    _params_changed: Any
    _check_run_state: Any

    @exclusive("save parameters")
    def save_params(
        self,
        path: str | os.PathLike,
        include_state: bool = False,
        include_non_trainable: bool | None = None,
    ) -> None:
        """Save all parameters (`get_params`) to a file (npz, no pickle), atomically.

        ``.npz`` is appended to a path not ending with it. Every parameter is
        saved, trainable or not.

        Parameters
        ----------
        path : str or os.PathLike
        include_state : bool
            Also save the run state (time step, state, TensorNode state, random
            streams and seed; not probe data), which ``load_params(path,
            include_state=True)`` restores.
        include_non_trainable : bool, optional
            Deprecated name of ``include_state`` (as in NengoDL 3.6).
        """
        include_state = _deprecated_state_flag(include_state, include_non_trainable)
        extra = state_arrays(self._take_run_state(False)) if include_state else None
        write_params(take_params(self._store, self._tensor_vars), path, extra)

    @exclusive("load parameters")
    def load_params(
        self,
        path: str | os.PathLike,
        include_state: bool = False,
        include_non_trainable: bool | None = None,
    ) -> None:
        """Load parameters saved by `save_params`, with the checks of `set_params`
        (errors name the file); all or nothing.

        Parameters
        ----------
        path : str or os.PathLike
        include_state : bool
            Also restore the run state saved with the parameters (the file must
            hold one); the next run continues from it. Probe data is kept.
        include_non_trainable : bool, optional
            Deprecated name of ``include_state``.
        """
        include_state = _deprecated_state_flag(include_state, include_non_trainable)
        params, saved = read_params_file(path)
        run_state = None
        if include_state:
            own = self._take_run_state(False)
            run_state = state_from_arrays(saved, own, params.origin.subject)
            self._check_run_state(run_state, params.origin.subject)
        apply_params(self._store, self._tensor_vars, params)
        self._params_changed()
        if run_state is not None:
            self._restore_run_state(run_state)

    @exclusive("get nengo parameters")
    def get_nengo_params(
        self,
        nengo_objs: nengo.Ensemble | nengo.Connection | Sequence,
        as_dict: bool = False,
    ) -> dict | list:
        """Current (trained) parameters as arguments of new nengo objects.

        ``nengo.Ensemble(n, d, **params)`` gets the encoders, gains and biases
        (``max_rates``/``intercepts`` at their defaults, which nengo then
        ignores); ``nengo.Connection(pre, post, **params)`` the weights: as
        ``NoSolver`` decoders with a zero ``function`` of the right size for
        decoded connections, else as the ``transform``. Other arguments
        (neuron type, synapse...) are the caller's to give.

        Parameters
        ----------
        nengo_objs : Ensemble, Connection or sequence of them
        as_dict : bool
            Return ``{label: params}`` (labels must be unique) instead of a list
            (or one dict for one object).

        Raises
        ------
        nengo.exceptions.ValidationError
            Another kind of object, a non-Dense transform or a solver with
            ``weights=True`` (use `freeze_params` for those).
        """
        return nengo_params(self.data, nengo_objs, as_dict)


def _deprecated_state_flag(include_state, include_non_trainable):
    """``include_state``, or the deprecated ``include_non_trainable`` if given."""
    if include_non_trainable is None:
        return include_state
    warnings.warn(
        "include_non_trainable is deprecated; use include_state",
        DeprecationWarning,
        stacklevel=3,
    )
    return include_non_trainable
