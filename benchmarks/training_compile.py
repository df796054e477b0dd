"""What makes the training program slow to compile (issue 19): variants.

Each repetition is a fresh process: one tutorial training Simulator
(`networks.training_network`), the first ``sim.train`` call (25 epochs x 128
minibatches of 32, Adam(0.01), mse) and a second call. Variants change the
training program in this process only (the package is unchanged), by
replacing `training.Trainer` methods::

    .venv/bin/python benchmarks/training_compile.py [--reps 3] [--only base sgd]

Columns: first call, second call (the epochs' own time), first - second
(tracing + compile), the same as CPU time of the process (steadier than wall
time on a loaded machine), and the loss after the first call (variants that change
the maths give other losses). Medians over processes.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT), str(ROOT / "scripts")]

MARKER = "TRAINC_JSON:"
VARIANTS = {
    "base": "today's program (loop over minibatches, conds, reached)",
    "one_batch": "one minibatch per call (no while_loop; chunks of 1)",
    "no_conds": "Adam applied unconditionally (no finite checks, no undo)",
    "no_undo": "finite checks of loss and gradients, no undo cond",
    "no_reached": "without the reached bookkeeping",
    "sgd": "SGD(0.01) instead of Adam(0.01)",
    "no_jit": "training program without XLA (graph mode)",
    "float64": "dtype float64",
}


def patch(variant):
    """Change `training.Trainer` for ``variant`` (this process only)."""
    import tensorflow as tf

    from nengodl_notebook import training
    from nengodl_notebook.training_run import APPLIED, BAD_GRADIENT, BAD_LOSS

    trainer = training.Trainer
    if variant == "one_batch":
        orig = trainer.__init__

        def init(self, parts):
            orig(self, parts)
            self.chunk.fast = -1.0  # never grows

        trainer.__init__ = init
    elif variant == "no_conds":

        def status(optimizer, variables, total, grads):
            optimizer.apply_gradients(list(zip(grads, variables)))
            return tf.constant(APPLIED)

        trainer._step_status = staticmethod(status)
    elif variant == "no_undo":

        def status(optimizer, variables, total, grads):
            finite = tf.math.is_finite(total)
            for g in grads:
                finite &= tf.reduce_all(tf.math.is_finite(g))

            def apply():
                optimizer.apply_gradients(list(zip(grads, variables)))
                return tf.constant(APPLIED)

            return tf.cond(
                finite,
                apply,
                lambda: tf.where(tf.math.is_finite(total), BAD_GRADIENT, BAD_LOSS),
            )

        trainer._step_status = staticmethod(status)
    elif variant == "no_reached":
        trainer._compile_train = compile_without_reached
    elif variant == "no_jit":
        orig_shared = trainer._shared_function

        def shared(self, fn, *rest):
            jit = self.parts.program.jit_compile
            self.parts.program.jit_compile = False
            try:
                return orig_shared(self, fn, *rest)
            finally:
                self.parts.program.jit_compile = jit

        trainer._shared_function = shared


def compile_without_reached(self, working, objective):
    """`Trainer._compile_train` with ``reached`` all False (nothing computed)."""
    import tensorflow as tf

    from nengodl_notebook.training import weighted_total
    from nengodl_notebook.training_run import APPLIED

    variables = self.variables()

    def train_chunk(inputs, targets, start, stop, seed):
        n_batches, dtype = inputs.shape[0], self.parts.context.dtype

        def body(i, totals, per_probe, status):
            with tf.GradientTape() as tape:
                probes = self._forward(inputs[i], True, seed)
                target = tuple(None if t is None else t[i] for t in targets)
                losses = self._losses(probes, objective, target)
                total = weighted_total(losses, objective)
            grads = [
                tf.zeros_like(v) if g is None else tf.convert_to_tensor(g)
                for g, v in zip(tape.gradient(total, variables), variables)
            ]
            status = self._step_status(working.optimizer, variables, total, grads)
            totals = tf.tensor_scatter_nd_update(totals, [[i]], total[None])
            per_probe = tf.tensor_scatter_nd_update(
                per_probe, [[i]], tf.stack(losses)[None]
            )
            return i + 1, totals, per_probe, status

        out = tf.while_loop(
            lambda i, totals, per_probe, status: (i < stop) & tf.equal(status, APPLIED),
            body,
            (
                start,
                tf.zeros(n_batches, dtype),
                tf.zeros((n_batches, len(objective)), dtype),
                tf.constant(APPLIED),
            ),
        )
        n_reach = self.parts.store.n_trainable + len(variables) - 1
        return (*out, tf.zeros(n_reach, tf.bool))

    return self._shared_function(train_chunk, ("train",), objective, working)


def child(variant):
    """One process: construct, then two training calls; JSON on stdout."""
    import tensorflow as tf
    from networks import SEED, training_data, training_network

    import nengodl_notebook as ndl

    patch(variant)
    net, inpt, probe = training_network(ndl.configure_settings)
    if variant == "float64":
        with net:
            ndl.configure_settings(dtype="float64")
    opt_cls = tf.keras.optimizers.SGD if variant == "sgd" else tf.keras.optimizers.Adam
    optimizer = opt_cls(0.01)
    x, y = training_data()
    out = {}
    with ndl.Simulator(net, seed=SEED, minibatch_size=32, progress_bar=False) as sim:
        for key in ("first", "second"):
            t0, c0 = time.perf_counter(), time.process_time()
            sim.train(
                {inpt: x, probe: y},
                optimizer,
                {probe: ndl.obj.mse},
                n_epochs=25,
                progress_bar=False,
            )
            out[key] = time.perf_counter() - t0
            out[key + "_cpu"] = time.process_time() - c0
            if key == "first":
                out["loss"] = float(sim.loss({inpt: x, probe: y}, {probe: ndl.obj.mse}))
    print(MARKER + json.dumps(out))


def run(variant, flags):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    if flags:
        env["TF_XLA_FLAGS"] = flags
    cmd = [sys.executable, __file__, "--child", variant]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    raise RuntimeError(f"{variant} failed:\n{proc.stderr[-3000:]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=list(VARIANTS))
    parser.add_argument("--tf-xla-flags", default="")
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    print(f"load: {os.getloadavg()}")
    results = {v: [] for v in args.only}
    for _ in range(args.reps):  # alternate variants within each repetition
        for v in args.only:
            results[v].append(run(v, args.tf_xla_flags))
            print(v, results[v][-1], flush=True)
    print(f"load: {os.getloadavg()}")
    print(
        "| variant | 1st call, s | 2nd call, s | 1st - 2nd, s | 1st call CPU, s "
        "| 2nd call CPU, s | 1st - 2nd CPU, s | loss after 1st |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for v, recs in results.items():
        med = {k: statistics.median(r[k] for r in recs) for k in recs[0]}
        print(
            f"| {v}: {VARIANTS[v]} | {med['first']:.2f} | {med['second']:.3f} | "
            f"{med['first'] - med['second']:.2f} | {med['first_cpu']:.2f} | "
            f"{med['second_cpu']:.3f} | {med['first_cpu'] - med['second_cpu']:.2f} | "
            f"{med['loss']:.6g} |"
        )


if __name__ == "__main__":
    main()
