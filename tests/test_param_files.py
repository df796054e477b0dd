"""Parameter files (``sim.save_params``/``load_params``) that cannot be mixed up.

1. A file records its network's structure; loading it into another network
   (same sizes, ensembles swapped) is refused, naming the first difference.
2. NaN/inf values are refused, naming the parameter and the file.
3. All or nothing: a refused (or failing) load leaves every parameter and
   TensorNode weight bit for bit as it was.
4. Saves are atomic: an interrupted save leaves the previous file intact, and no
   temporary file behind.
5. Missing/truncated/corrupt files and bad ``freeze_params`` arguments raise
   errors that name the path / what was given.
"""

import os
import zipfile

import keras
import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

import nengodl_notebook as nengo_dl
from nengodl_notebook.tensor_node_variables import TensorNodeVariables


def two_ensembles(order=("a", "b"), chain=None, seed=1, labels=True):
    """inp -> a -> b -> Dense TensorNode -> probe; both ensembles 10x1.

    ``order``: the ensembles' labels in the order they are created; ``chain``: the
    order they are connected in (``order`` if None).
    """
    keras.utils.set_random_seed(seed)
    with nengo.Network(seed=seed) as net:
        inp = nengo.Node([0.5], label="inp" if labels else None)
        ens = {n: nengo.Ensemble(10, 1, label=n if labels else None) for n in order}
        first, second = chain or order
        nengo.Connection(inp, ens[first])
        nengo.Connection(ens[first], ens[second])
        # Layer labels the node with the Keras layer's name ("dense", "dense_1"...)
        layer = nengo_dl.Layer(keras.layers.Dense(2))(ens[second])
        net.p = nengo.Probe(layer)
    return net


def snapshot(sim):
    """Every parameter and TensorNode weight, as bytes (bit for bit).

    The flat ``params``/``state`` arrays of one Simulator; another build of the same
    network may lay them out differently (compare `by_object` between Simulators).
    """
    params, state = sim._store.values()
    return params.tobytes(), state.tobytes(), by_object(sim)


def by_object(sim):
    """``{key: bytes}`` of each parameter array and TensorNode weight."""
    arrays = sim._store.by_object()[0]
    arrays.update(sim._tensor_vars.by_key()[0])
    return {key: (value.shape, value.tobytes()) for key, value in arrays.items()}


def saved_file(Simulator, tmp_path, net=None, name="params"):
    with Simulator(net or two_ensembles()) as sim:
        sim.save_params(tmp_path / name)
    return tmp_path / f"{name}.npz"


def rewrite(path, change):
    """Rewrite the file at ``path`` after ``change(contents)`` (a dict of arrays)."""
    with np.load(path) as saved:
        contents = {k: saved[k] for k in saved.files}
    change(contents)
    np.savez(path, **contents)


def data_keys(path):
    with np.load(path) as saved:
        return [k for k in saved.files if not k.startswith("__")]


def assert_refused(sim, path, *fragments):
    """Loading ``path`` raises a ValidationError with ``fragments``; nothing changed."""
    before = snapshot(sim)
    with pytest.raises(ValidationError) as excinfo:
        sim.load_params(path)
    text = str(excinfo.value)
    for fragment in fragments:
        assert fragment in text, text
    assert snapshot(sim) == before
    assert sim._store.changed == []  # no parameter was assigned
    return text


# -- 1. structure ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "order, chain",
    [(("b", "a"), ("a", "b")), (("b", "a"), ("b", "a"))],
    ids=["creation_order", "labels"],
)
def test_other_network_of_same_sizes_refused(Simulator, tmp_path, order, chain):
    """Ensembles created in the other order; or the labels of the chain swapped."""
    path = saved_file(Simulator, tmp_path, two_ensembles())
    with Simulator(two_ensembles(order, chain, seed=2)) as sim:
        text = assert_refused(
            sim,
            path,
            "params.npz: parameter 0 is encoders of <Ensemble 'a'> with shape (10, 1) "
            "in the file, but encoders of <Ensemble 'b'> with shape (10, 1) in this "
            "network",
        )
        assert str(path) in text, text


def test_connection_endpoints_compared(Simulator, tmp_path):
    """Same ensembles, but the connection runs the other way."""
    path = saved_file(Simulator, tmp_path, two_ensembles())
    keras.utils.set_random_seed(2)
    with nengo.Network(seed=2) as other:
        inp = nengo.Node([0.5], label="inp")
        a = nengo.Ensemble(10, 1, label="a")
        b = nengo.Ensemble(10, 1, label="b")
        nengo.Connection(inp, b)  # a <-> b swapped in both connections
        nengo.Connection(b, a)
        nengo_dl.Layer(keras.layers.Dense(2))(a)
    with Simulator(other) as sim:
        assert_refused(
            sim,
            path,
            "parameter 4 is weights of <Connection from <Ensemble 'a'> to "
            "<Ensemble 'b'>>",
            "but weights of <Connection from <Ensemble 'b'> to <Ensemble 'a'>>",
        )


def test_unlabeled_network_round_trip(Simulator, tmp_path):
    """Unlabeled objects are identified by type, position and shape."""
    net = two_ensembles(labels=False)
    with Simulator(net) as sim:
        sim.save_params(tmp_path / "params")
        saved = by_object(sim)
    with Simulator(two_ensembles(labels=False, seed=2)) as sim:
        assert by_object(sim) != saved
        sim.load_params(tmp_path / "params")
        assert by_object(sim) == saved
    with np.load(tmp_path / "params.npz") as f:  # no memory addresses in the file
        assert not any("0x" in str(row) for row in f["__structure__"])
    # a labelled network of the same sizes is a different network
    with Simulator(two_ensembles(seed=2)) as sim:
        assert_refused(sim, tmp_path / "params.npz", "(unlabeled)", "<Ensemble 'a'>")


def test_old_format_still_loads(Simulator, tmp_path):
    """Files with only ``__keys__``/``__labels__`` (first format) load if they match."""
    path = saved_file(Simulator, tmp_path)

    def old_format(contents):
        for key in [k for k in contents if k.startswith("__")]:
            if key not in ("__keys__", "__labels__"):
                del contents[key]

    rewrite(path, old_format)
    with Simulator(two_ensembles(seed=1)) as sim:
        expected = by_object(sim)
    with Simulator(two_ensembles(seed=2)) as sim:
        sim.load_params(path)
        assert by_object(sim) == expected
    with Simulator(two_ensembles(("b", "a"), seed=2)) as sim:  # labels still compared
        assert_refused(sim, path, "<Ensemble 'a'>", "<Ensemble 'b'>")


def test_not_a_parameter_file(Simulator, tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, x=np.zeros(3))
    with Simulator(two_ensembles()) as sim:
        assert_refused(sim, path, str(path), "not a parameter file")


# -- 2. non-finite values -------------------------------------------------------------


@pytest.mark.parametrize("value", [np.nan, np.inf])
@pytest.mark.parametrize("where", ["first", "tensor_node"])
def test_non_finite_refused(Simulator, tmp_path, value, where):
    path = saved_file(Simulator, tmp_path)
    keys = data_keys(path)
    key = keys[0] if where == "first" else keys[-1]

    def poison(contents):
        contents[key] = contents[key].copy()
        contents[key].flat[-1] = value

    rewrite(path, poison)
    with Simulator(two_ensembles(seed=2)) as sim:
        text = assert_refused(sim, path, "params.npz", key, "non-finite")
        if where == "first":
            assert "encoders of <Ensemble 'a'>" in text, text
        else:
            assert "<TensorNode 'dense'>" in text, text


def test_float32_overflow_refused(Simulator, tmp_path):
    """A finite float64 value that is inf in the simulator's float32."""
    path = saved_file(Simulator, tmp_path)
    key = data_keys(path)[1]
    rewrite(path, lambda c: c.update({key: np.full(c[key].shape, 1e300)}))
    with Simulator(two_ensembles(seed=2)) as sim:
        assert_refused(sim, path, key, "non-finite")


# -- 3. all or nothing ----------------------------------------------------------------


@pytest.mark.parametrize("bad", ["shape", "dtype", "missing"])
def test_bad_last_array_changes_nothing(Simulator, tmp_path, bad):
    """The last array (a TensorNode weight) is bad: nothing before it is loaded."""
    path = saved_file(Simulator, tmp_path)
    key = data_keys(path)[-1]
    if bad == "shape":
        rewrite(path, lambda c: c.update({key: np.zeros(c[key].size + 1)}))
    elif bad == "dtype":  # right shape, but text
        rewrite(path, lambda c: c.update({key: np.full(c[key].shape, "x")}))
    else:
        rewrite(path, lambda c: c.pop(key))
    with Simulator(two_ensembles(seed=2)) as sim:
        assert_refused(sim, path, "params.npz", key)


def test_failure_while_assigning_restores_everything(Simulator, tmp_path, monkeypatch):
    """Even a failure after values were assigned leaves everything as it was."""
    path = saved_file(Simulator, tmp_path)

    def assign_one_then_fail(self, arrays):
        key, _, var = self.weights[0]
        var.assign(arrays[key])
        raise RuntimeError("device lost")

    with Simulator(two_ensembles(seed=2)) as sim:
        before = snapshot(sim)
        ens = sim.model.toplevel.ensembles[0]
        encoders = sim.data[ens].encoders.copy()
        monkeypatch.setattr(TensorNodeVariables, "assign", assign_one_then_fail)
        with pytest.raises(RuntimeError, match="device lost"):
            sim.load_params(path)
        assert snapshot(sim) == before
        assert np.array_equal(sim.data[ens].encoders, encoders)
        monkeypatch.undo()
        sim.load_params(path)  # and a later load works
        assert snapshot(sim) != before


# -- 4. atomic saves ------------------------------------------------------------------


@pytest.mark.parametrize("error", [KeyboardInterrupt, OSError])
def test_interrupted_save_keeps_previous_file(Simulator, tmp_path, monkeypatch, error):
    with Simulator(two_ensembles(seed=1)) as sim:
        sim.save_params(tmp_path / "params")
        old = by_object(sim)
    real_write = np.lib.format.write_array
    calls = []

    def write_then_fail(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # after two arrays were written
            raise error("interrupted")
        return real_write(*args, **kwargs)

    with Simulator(two_ensembles(seed=2)) as sim:
        assert by_object(sim) != old
        monkeypatch.setattr(np.lib.format, "write_array", write_then_fail)
        with pytest.raises(error):
            sim.save_params(tmp_path / "params")
        monkeypatch.undo()
        assert len(calls) == 3
    assert sorted(os.listdir(tmp_path)) == ["params.npz"]  # no temporary file
    with Simulator(two_ensembles(seed=3)) as sim:
        sim.load_params(tmp_path / "params")
        assert by_object(sim) == old


def test_save_replaces_file_and_keeps_names(Simulator, tmp_path):
    with Simulator(two_ensembles(seed=1)) as sim:
        sim.save_params(tmp_path / "params")
        sim.save_params(str(tmp_path / "explicit.npz"))
    with Simulator(two_ensembles(seed=2)) as sim:
        sim.save_params(tmp_path / "params")  # over the existing file
        new = by_object(sim)
    assert sorted(os.listdir(tmp_path)) == ["explicit.npz", "params.npz"]
    with Simulator(two_ensembles(seed=3)) as sim:
        sim.load_params(tmp_path / "params")
        assert by_object(sim) == new


# -- 5. clear errors ------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["truncated", "garbage", "corrupt_member"])
def test_damaged_file_names_path(Simulator, tmp_path, damage):
    path = saved_file(Simulator, tmp_path)
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"not a zip file at all")
    else:  # flip bytes inside the first array's data: a CRC error on reading
        with zipfile.ZipFile(path) as z:
            info = z.getinfo(z.namelist()[-1])
        offset = info.header_offset + 30 + len(info.filename) + 200
        damaged = bytearray(data)
        damaged[offset : offset + 8] = b"\xff" * 8
        path.write_bytes(bytes(damaged))
    with Simulator(two_ensembles(seed=2)) as sim:
        before = snapshot(sim)
        with pytest.raises(ValidationError) as excinfo:
            sim.load_params(path)
        assert str(path) in str(excinfo.value), str(excinfo.value)
        assert excinfo.value.__cause__ is not None  # the original error, chained
        assert snapshot(sim) == before


def test_missing_file_names_path(Simulator, tmp_path):
    with Simulator(two_ensembles()) as sim:
        with pytest.raises(OSError) as excinfo:
            sim.load_params(tmp_path / "nothing")
    assert str(tmp_path / "nothing.npz") in str(excinfo.value)


@pytest.mark.parametrize("objs", ["abc", ["a"], [None]])
def test_freeze_params_rejects_non_nengo_objects(Simulator, objs):
    net = two_ensembles()
    with Simulator(net) as sim:
        with pytest.raises(ValidationError) as excinfo:
            sim.freeze_params(objs)
    text = str(excinfo.value)
    assert "Network" in text and "nengo objects" in text, text


def test_freeze_params_accepts_nested_networks(Simulator):
    net = two_ensembles()
    with net:
        with nengo.Network() as sub:
            c = nengo.Ensemble(5, 1, label="c")
    with Simulator(net) as sim:
        sim.freeze_params([sub, net.ensembles[0]])
    assert c.normalize_encoders is False
    assert net.ensembles[0].normalize_encoders is False
    assert net.ensembles[1].normalize_encoders is True  # not asked for
