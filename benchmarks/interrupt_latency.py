"""How fast Ctrl-C gives control back during a long compiled run.

A timer thread interrupts the main thread (as Ctrl-C does) at several points of a
run; the script prints how long after each interrupt the ``KeyboardInterrupt``
reached the caller, and whether time and probe data were left consistent (each
probe holds exactly ``n_steps`` samples).

Usage: ``python benchmarks/interrupt_latency.py [--neurons 4000] [--trials 10]``
(works on older versions of the Simulator too, for before/after numbers).
"""

import _thread
import argparse
import threading
import time

import nengo
import numpy as np

from nengodl_notebook import Simulator


def network(n_neurons):
    with nengo.Network(seed=0) as net:
        stim = nengo.Node(nengo.processes.WhiteSignal(10, high=5), size_out=1)
        ens = nengo.Ensemble(n_neurons, 1)
        nengo.Connection(stim, ens)
        out = nengo.Ensemble(n_neurons, 1)
        nengo.Connection(ens, out, function=np.square)
        nengo.Probe(out, synapse=0.01)
        nengo.Probe(ens.neurons)
    return net


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=4000)
    parser.add_argument("--minibatch", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--trials", type=int, default=10)
    args = parser.parse_args()
    net = network(args.neurons)
    with Simulator(net, minibatch_size=args.minibatch, progress_bar=False) as sim:
        sim.run(args.seconds)  # compiles (and lets the chunk length adapt)
        sim.reset()
        start = time.perf_counter()
        sim.run(args.seconds)
        duration = time.perf_counter() - start
        chunks = getattr(sim, "_chunks", None)
        print(
            f"run({args.seconds:g}) of {2 * args.neurons} neurons, minibatch "
            f"{args.minibatch}: {duration:.2f} s; chunk length "
            f"{chunks.steps if chunks else 'none (one call per run)'} steps"
        )
        latencies, consistent = [], 0
        rng = np.random.RandomState(0)
        for trial in range(args.trials):
            sim.reset()
            fired = []
            delay = duration * rng.uniform(0.1, 0.8)

            def interrupt(fired=fired):
                fired.append(time.perf_counter())
                _thread.interrupt_main()

            timer = threading.Timer(delay, interrupt)
            timer.start()
            try:
                sim.run(args.seconds)
                timer.join()
                time.sleep(0.5)  # the interrupt lands here if the run ignored it
            except KeyboardInterrupt:
                latencies.append(time.perf_counter() - fired[0])
            timer.join()
            lengths = {sim.data[p].shape[-2] for p in net.probes}
            consistent += lengths == {sim.n_steps}
            print(
                f"  trial {trial}: interrupt at {delay:.2f} s, control back after "
                f"{latencies[-1]:.3f} s, stopped at step {sim.n_steps}, probe lengths "
                f"{sorted(lengths)}"
            )
        print(
            f"latency: median {np.median(latencies):.3f} s, max {max(latencies):.3f} "
            f"s; consistent after {consistent}/{args.trials} interrupts"
        )


if __name__ == "__main__":
    main()
