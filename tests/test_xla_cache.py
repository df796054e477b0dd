"""Compiled XLA programs saved on disk and found again by another process.

`xla_cache` turns on TensorFlow's persistent XLA cache and `program_names`
names each program after its structure, so a program compiled in one process
is loaded (not compiled) in another, whatever ran before it there. The
end-to-end checks run networks in fresh processes (``xla_cache_scripts/``).
"""

import json
import math
import os
import pathlib
import subprocess
import sys

import nengo
import pytest
import tensorflow as tf

from nengodl_notebook import program_keys, program_names, saved_programs, xla_cache

ROOT = pathlib.Path(__file__).parent.parent
SCRIPT = pathlib.Path(__file__).parent / "xla_cache_scripts" / "first_results.py"


def run_networks(cache, *names):
    """(JSON, stderr) of the script run on ``names`` with ``cache`` as cache."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        xla_cache.ENV: str(cache),
        "TF_XLA_FLAGS": "",
        program_keys.CHECK_VARIABLE: "0",  # a checked key hit traces too
    }
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *names],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def saved(cache, pattern="*.pb"):
    """The saved XLA programs (or ``*.pkl``: traced programs): file name ->
    modification time."""
    return {p.name: p.stat().st_mtime_ns for p in pathlib.Path(cache).rglob(pattern)}


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """A cache filled by one process running ``pair``, ``integrator``, ``train``."""
    cache = tmp_path_factory.mktemp("xla")
    first, _ = run_networks(cache, "pair", "integrator", "train")
    return cache, first, saved(cache)


def test_programs_found_in_another_process_in_another_order(filled):
    cache, first, files = filled
    assert len(files) == 3  # two step programs and one training program
    graphs = saved(cache, "*.pkl")
    assert len(graphs) == 3  # their traces
    assert first["pair"]["traces"] == first["integrator"]["traces"] == 1
    again, stderr = run_networks(cache, "train", "integrator", "pair")
    assert saved(cache) == files, "a program was compiled and saved again"
    assert saved(cache, "*.pkl") == graphs, "a program was traced and saved again"
    for name in ("pair", "integrator", "train"):
        assert again[name]["digest"] == first[name]["digest"], name
    for name in ("pair", "integrator"):
        assert again[name]["names"] == first[name]["names"], name
        assert again[name]["traces"] == 0, f"{name} was traced"
    # TensorFlow's messages on loading a saved program are kept off stderr
    assert "XlaSerializedCacheEntry" not in stderr
    assert "prefer-no-scatter" not in stderr


def test_names_follow_structure_not_order():
    """Without any cache: the same program has the same names in any order."""
    one, _ = run_networks("off", "pair", "integrator")
    two, _ = run_networks("off", "integrator", "pair")
    assert one["pair"]["names"] == two["pair"]["names"]
    assert one["integrator"]["names"] == two["integrator"]["names"]
    assert one["pair"]["names"] != one["integrator"]["names"]


@pytest.mark.parametrize("damage", ["truncate", "empty", "garbage"])
def test_damaged_programs_are_compiled_again(filled, tmp_path, damage):
    """A saved program cut short (another process still writing it) or damaged:
    the program is traced and compiled again, with the same results."""
    cache, first, files = filled
    copy = tmp_path / "xla"
    for path in pathlib.Path(cache).rglob("*.pb"):
        target = copy / path.relative_to(cache)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = path.read_bytes()
        if damage == "truncate":
            data = data[: len(data) // 3]
        elif damage == "empty":
            data = b""
        else:
            data = data[:4000] + bytes(b ^ 0x5A for b in data[4000:])
        target.write_bytes(data)
    damaged = saved(copy)
    again, stderr = run_networks(copy, "pair", "train")
    assert again["pair"]["digest"] == first["pair"]["digest"]
    assert again["train"]["digest"] == first["train"]["digest"]
    assert "Traceback" not in stderr
    # the programs were compiled and saved again (under new names, or in place
    # of a file TensorFlow could not parse)
    after = saved(copy)
    assert len(after) >= len(files)
    assert after != damaged


def test_configure_off_and_user_settings(tmp_path):
    for off in ("off", "0", "", "false"):
        env = {xla_cache.ENV: off}
        assert xla_cache.configure(env) is None
        assert "TF_XLA_FLAGS" not in env
    own = {"TF_XLA_FLAGS": f"{xla_cache.FLAG}=/mine", xla_cache.ENV: str(tmp_path)}
    assert xla_cache.configure(own) is None
    assert own["TF_XLA_FLAGS"] == f"{xla_cache.FLAG}=/mine"


def test_configure_sets_a_directory_per_tensorflow_and_cpu(tmp_path):
    env = {xla_cache.ENV: str(tmp_path), "TF_XLA_FLAGS": "--tf_xla_auto_jit=0"}
    directory = xla_cache.configure(env)
    assert directory.parent == tmp_path
    assert directory.name == f"tf{tf.__version__}-{xla_cache.cpu_tag()}"
    assert directory.is_dir()
    assert env["TF_XLA_FLAGS"] == f"--tf_xla_auto_jit=0 {xla_cache.FLAG}={directory}"


def test_configure_unwritable_directory_turns_cache_off(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    env = {xla_cache.ENV: str(blocker / "xla")}
    assert xla_cache.configure(env) is None
    assert "TF_XLA_FLAGS" not in env


def test_default_directory_is_in_the_user_cache(tmp_path):
    directory = xla_cache.cache_directory({"XDG_CACHE_HOME": str(tmp_path)})
    assert directory.parent == tmp_path / "nengodl_notebook" / "xla"


def test_trim_deletes_oldest_files_first(tmp_path):
    for i in range(10):
        path = tmp_path / f"p{i}.pb"
        path.write_bytes(b"x" * 100)
        os.utime(path, (1000 + i, 1000 + i))
    assert xla_cache.trim(tmp_path, 2000) == 0  # under the limit: nothing goes
    deleted = xla_cache.trim(tmp_path, 500)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert deleted == 6
    assert left == ["p6.pb", "p7.pb", "p8.pb", "p9.pb"]  # 400 <= 0.8 * 500


def test_same_key_traced_twice_in_a_process_gets_new_names():
    @tf.function(autograph=False)
    def double(x):
        return tf.while_loop(lambda i, y: i < 2, lambda i, y: (i + 1, y * 2), (0, x))

    key = (("portable", "test-key"), ("run", (1,)))
    with program_names.names_for(key):
        first = double.get_concrete_function(tf.constant(1.0)).name
    again = tf.function(double.python_function, autograph=False)
    with program_names.names_for(key):
        second = again.get_concrete_function(tf.constant(1.0)).name
    digest = program_names.key_digest(key)
    assert first.decode().startswith(f"__inference_double_{digest}000")
    assert second.decode().startswith(f"__inference_double_{digest}001")
    with program_names.names_for(None):  # no key: TensorFlow's own numbers
        third = tf.function(double.python_function).get_concrete_function(
            tf.constant(1.0)
        )
    assert digest not in third.name.decode()


def test_key_digest_ignores_exact_digests_but_not_portable_ones():
    one = (("group 0", "a" * 32), ("portable", "p" * 32), ("run", (3, 1)))
    two = (("group 0", "b" * 32), ("portable", "p" * 32), ("run", (3, 1)))
    other = (("group 0", "a" * 32), ("portable", "q" * 32), ("run", (3, 1)))
    longer = (("group 0", "a" * 32), ("portable", "p" * 32), ("run", (9, 1)))
    digest = program_names.key_digest
    assert digest(one) == digest(two)
    assert digest(one) != digest(other)
    assert digest(one) != digest(longer)


def test_only_programs_of_library_code_are_saved(tmp_path, monkeypatch):
    monkeypatch.setattr(xla_cache, "DIRECTORY", tmp_path)
    monkeypatch.setattr(saved_programs, "_directory", None)
    library = (("group 0", "a" * 32), ("portable", "b" * 32), ("run", (3, 1)))
    user = (("group 0", "a" * 32), ("portable (user code)", "b" * 32))
    trainer = library + (("trainer", "c" * 32), ("portable (user code)", "d" * 32))
    path = saved_programs.path_for(library)
    assert path.parent.parent == tmp_path / "graphs"
    assert saved_programs.path_for(user) is None
    assert saved_programs.path_for(trainer) is None
    assert saved_programs.path_for((("group 0", "a" * 32),)) is None


def test_describer_marks_user_code():
    describe = program_keys.Describer(None)
    describe((math.sin, nengo.LIF, nengo.LIF(tau_rc=0.03)))
    assert not describe.user_code
    describe(lambda t: t)  # a function of this test module: user code
    assert describe.user_code


def test_saved_functions_are_renamed_with_their_references():
    @tf.function(autograph=False)
    def loop(x):
        return tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * 2.0), (0, x))

    concrete = loop.get_concrete_function(tf.constant(1.0))
    library, top = saved_programs.detached(concrete)
    names = {f.signature.name for f in library.function}
    assert top == concrete.name.decode() + saved_programs.SUFFIX
    assert all(name.endswith(saved_programs.SUFFIX) for name in names)
    called = {
        attr.func.name
        for f in library.function
        for node in f.node_def
        for attr in node.attr.values()
        if attr.HasField("func")
    }
    assert called and called <= names  # the loop's condition and body
