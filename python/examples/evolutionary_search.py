#!/usr/bin/python3
"""A small evolutionary NAS in PyTorch with edgesim in the loop.

Candidates are CNNs for Fashion-MNIST (channels and kernel size of three blocks). Each one is
exported in memory, quantised to int8 and simulated on the target before it is trained: a
candidate over the latency or RAM budget is dropped without training, the point of having a
simulator in the loop. The feasible ones are trained briefly and scored by test accuracy; a
(mu + lambda) evolution keeps the best. Seeded: the same arguments give the same run.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/evolutionary_search.py \\
        [--platform nucleo-l4r5zi --stack tflm-cmsis-nn --latency-ms 25 --ram-kib 64]

Needs python3-torch; Fashion-MNIST from Debian's dataset-fashion-mnist (random images, which
no candidate can learn, when it is absent: the search still runs and says so).
"""

import argparse
import os
import random
import time

import torch

import edgesim
from fashion_mnist import available, images

CHANNELS = [8, 16, 24, 32, 48, 64]
KERNELS = [3, 5]


def build(genome):
    """The CNN of `genome` = (c1, c2, c3, kernel): three strided conv blocks and a classifier."""
    c1, c2, c3, k = genome
    layers, cin = [], 1
    for cout in (c1, c2, c3):
        layers += [torch.nn.Conv2d(cin, cout, k, stride=2, padding=k // 2),
                   torch.nn.BatchNorm2d(cout), torch.nn.ReLU()]
        cin = cout
    layers += [torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(cin, 10)]
    return torch.nn.Sequential(*layers)


def mutate(genome, rng):
    g = list(genome)
    i = rng.randrange(4)
    if i < 3:
        j = CHANNELS.index(g[i]) + rng.choice([-1, 1])
        g[i] = CHANNELS[min(max(j, 0), len(CHANNELS) - 1)]
    else:
        g[3] = rng.choice(KERNELS)
    return tuple(g)


def train_and_score(model, data, epochs, seed):
    torch.manual_seed(seed)
    (x, y), (tx, ty) = data
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(epochs):
        for i in range(0, len(x), 64):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x[i:i + 64]), y[i:i + 64])
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        return (model(tx).argmax(1) == ty).float().mean().item()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--platform", default="nucleo-l4r5zi")
    p.add_argument("--stack", default="tflm-cmsis-nn")
    p.add_argument("--latency-ms", type=float, default=25.0, help="latency budget")
    p.add_argument("--ram-kib", type=float, default=64.0, help="peak RAM budget")
    p.add_argument("--generations", type=int, default=6)
    p.add_argument("--population", type=int, default=4)
    p.add_argument("--train-images", type=int, default=3000)
    p.add_argument("--test-images", type=int, default=1000)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()

    rng = random.Random(args.seed)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    data = (images("train", args.train_images), images("test", args.test_images))
    if not available():
        print("(no Fashion-MNIST installed: random images, accuracy ~0.1)")
    sim = edgesim.Simulator(args.platform, args.stack)
    example = torch.zeros(1, 1, 28, 28)
    scored = {}

    def evaluate(genome):
        if genome in scored:
            return scored[genome]
        torch.manual_seed(args.seed)
        model = build(genome)
        r = sim.run((model, example), quantize="int8")
        row = {"genome": genome, "status": r.status, "latency_ms": None, "ram_kib": None,
               "accuracy": None}
        if r.ok:
            row["latency_ms"] = r.latency_s * 1e3
            row["ram_kib"] = r.peak_ram_bytes / 1024
            if row["latency_ms"] <= args.latency_ms and row["ram_kib"] <= args.ram_kib:
                row["accuracy"] = train_and_score(model, data, args.epochs, args.seed)
            else:
                row["status"] = "over budget"
        scored[genome] = row
        acc = "-" if row["accuracy"] is None else f"{row['accuracy']:.3f}"
        lat = "-" if row["latency_ms"] is None else f"{row['latency_ms']:.2f}"
        ram = "-" if row["ram_kib"] is None else f"{row['ram_kib']:.1f}"
        print(f"  {str(genome):22} {row['status']:12} {lat:>9} {ram:>8} {acc:>8}")
        return row

    def fitness(row):
        return -1.0 if row["accuracy"] is None else row["accuracy"]

    start = time.perf_counter()
    print(f"target {args.platform}/{args.stack}: latency <= {args.latency_ms} ms, "
          f"RAM <= {args.ram_kib} KiB")
    print(f"  {'genome (c1,c2,c3,k)':22} {'status':12} {'ms':>9} {'KiB':>8} {'accuracy':>8}")
    population = [(rng.choice(CHANNELS), rng.choice(CHANNELS), rng.choice(CHANNELS),
                   rng.choice(KERNELS)) for _ in range(args.population)]
    for g in range(args.generations):
        print(f"generation {g}")
        children = [mutate(rng.choice(population), rng) for _ in range(args.population)]
        candidates = list(dict.fromkeys(population + children))
        ranked = sorted(candidates, key=lambda c: fitness(evaluate(c)), reverse=True)
        population = ranked[:args.population]
    best = scored[population[0]]
    simulated = len(scored)
    trained = sum(1 for r in scored.values() if r["accuracy"] is not None)
    if best["accuracy"] is None:
        print(f"no candidate met the budget; {simulated} simulated")
        return
    print(f"best {best['genome']}: accuracy {best['accuracy']:.3f}, "
          f"{best['latency_ms']:.2f} ms, {best['ram_kib']:.1f} KiB; {simulated} candidates "
          f"simulated, {trained} trained, {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
