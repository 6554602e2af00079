#!/usr/bin/python3
"""The Python binding's per-query overhead over the C++ call (issue 16: at most 10 us).

For each query, the same Simulator runs it N times from a Python loop (Simulator.run, and
Simulator.run_many in one call) and N times from a C++ loop inside the extension
(Simulator._cpp_seconds_per_run: Session::run with no Python in between); the overhead is the
difference of the per-query means, the median over R rounds. For scale, one `edgesim simulate`
process per query is timed too.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_overhead.py [--cli build/apps/edgesim]

Exits 1 when run()'s overhead exceeds the 10 us budget (run_many's is reported: it holds every
result of the batch, which costs memory traffic a C++ loop that drops each result does not
pay). On a loaded machine the difference of two noisy means is noisy too: run it alone.
"""

import argparse
import statistics
import subprocess
import time

import edgesim

QUERIES = [
    ("nucleo-l4r5zi", "tflm-cmsis-nn", "mlperf_tiny/kws", {"fidelity": "analytical"}),
    ("nucleo-l4r5zi", "tflm-cmsis-nn", "mlperf_tiny/kws", {}),
    ("gap9-evk", "gap-flow", "mlperf_tiny/ic", {"fidelity": "analytical"}),
]
BUDGET_US = 10.0


def per_query_python(sim, network, options, n):
    start = time.perf_counter()
    for _ in range(n):
        sim.run(network, **options)
    return (time.perf_counter() - start) / n


def per_query_many(sim, network, options, n):
    items = [dict(options, network=network)] * n
    start = time.perf_counter()
    sim.run_many(items)
    return (time.perf_counter() - start) / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="queries per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cli", help="the edgesim binary, to time a process per query")
    args = parser.parse_args()

    worst = 0.0
    print(f"{'query':58} {'C++ us':>9} {'run us':>9} {'+us':>6} {'run_many':>9} {'+us':>6}")
    for platform, stack, network, options in QUERIES:
        sim = edgesim.Simulator(platform, stack)
        sim.run(network, **options)  # load, lower, elaborate once
        cpp, py, many = [], [], []
        for _ in range(args.rounds):
            cpp.append(sim._cpp_seconds_per_run(network, args.n, **options))
            py.append(per_query_python(sim, network, options, args.n))
            many.append(per_query_many(sim, network, options, args.n))
        c, p, m = (statistics.median(v) * 1e6 for v in (cpp, py, many))
        worst = max(worst, p - c)  # the budget is run()'s; run_many keeps every result alive
        label = f"{network} on {platform}/{stack} {options.get('fidelity', 'tlm')}"
        print(f"{label:58} {c:9.2f} {p:9.2f} {p - c:6.2f} {m:9.2f} {m - c:6.2f}")
    if args.cli:
        start = time.perf_counter()
        for _ in range(5):
            subprocess.run([args.cli, "simulate", "-p", "nucleo-l4r5zi", "-s", "tflm-cmsis-nn",
                            "-n", "mlperf_tiny/kws", "--fidelity", "analytical", "--format",
                            "json"], check=True, capture_output=True)
        print(f"one `edgesim simulate` process per query: "
              f"{(time.perf_counter() - start) / 5 * 1e3:.1f} ms")
    print(f"largest run() overhead: {worst:.2f} us (budget {BUDGET_US:g} us)")
    return 0 if worst <= BUDGET_US else 1


if __name__ == "__main__":
    raise SystemExit(main())
