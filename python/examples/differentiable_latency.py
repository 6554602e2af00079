#!/usr/bin/python3
"""A differentiable latency term for a PyTorch model, from edgesim's DNAS cost tables.

edgesim.cost_model measures, by simulation on the target, each layer's latency (and energy,
flash, RAM) over the channel counts of its input and output (the tables `edgesim dnas` uses).
Here those tables become a plain PyTorch loss term: the model's channel groups get soft masks
(sigmoid gates, as PIT's), the expected channel count of each group is the sum of its gates,
and the latency is the tables read by linear interpolation at those counts - differentiable
in the gates. Training on task loss + strength x latency / seed latency shrinks the channels
where they cost the most on the target.

At the end the gates are cut at 0.5; the exported channel counts are costed three ways: by this
term, by the cost model itself (CostModel.predict) and by simulating the resized network.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/differentiable_latency.py \\
        [--platform nucleo-l4r5zi --stack tflm-cmsis-nn --strength 0.5 --steps 300]

The seed is the built-in fmnist/ds-cnn; the PyTorch model below mirrors its layers by name.
Needs python3-torch; Fashion-MNIST from Debian's dataset-fashion-mnist (random images when
it is absent).
"""

import argparse
import os

import torch

import edgesim
from fashion_mnist import images

SEED = "fmnist/ds-cnn"


class DsCnn(torch.nn.Module):
    """fmnist/ds-cnn with a gate per output channel of each group's producer (conv1, pw1..3)."""

    def __init__(self, channels):
        super().__init__()
        c1, c2, c3, c4 = channels
        conv = torch.nn.Conv2d
        self.conv1 = conv(1, c1, 3, stride=2, padding=1)
        self.dw1, self.pw1 = conv(c1, c1, 3, padding=1, groups=c1), conv(c1, c2, 1)
        self.dw2, self.pw2 = conv(c2, c2, 3, stride=2, padding=1, groups=c2), conv(c2, c3, 1)
        self.dw3, self.pw3 = conv(c3, c3, 3, padding=1, groups=c3), conv(c3, c4, 1)
        self.fc = torch.nn.Linear(c4, 10)
        self.gates = torch.nn.ParameterDict({g: torch.nn.Parameter(torch.full((c,), 3.0))
                                             for g, c in zip(("conv1", "pw1", "pw2", "pw3"),
                                                             channels)})

    def mask(self, group):
        return torch.sigmoid(self.gates[group]).view(1, -1, 1, 1)

    def forward(self, x):
        relu = torch.relu
        x = relu(self.conv1(x)) * self.mask("conv1")
        x = relu(self.pw1(relu(self.dw1(x)))) * self.mask("pw1")
        x = relu(self.pw2(relu(self.dw2(x)))) * self.mask("pw2")
        x = relu(self.pw3(relu(self.dw3(x)))) * self.mask("pw3")
        return self.fc(x.mean(dim=(2, 3)))


def interpolate(grid, values, at):
    """values (a tensor over the increasing `grid`) at `at` (a 0-d tensor): piecewise linear,
    differentiable in `at`; held at the ends."""
    if len(grid) == 1:
        return values[0]
    g = torch.tensor(grid, dtype=at.dtype)
    x = at.clamp(g[0], g[-1])
    i = int(torch.searchsorted(g, x.detach()).clamp(1, len(grid) - 1))
    w = (x - g[i - 1]) / (g[i] - g[i - 1])
    return values[i - 1] * (1 - w) + values[i] * w


class LatencyTerm:
    """The cost model's latency of the network whose groups have `expected` channels."""

    def __init__(self, model, metric="latency_s"):
        self.fixed = model.fixed[metric]
        self.steps = [(t["in_group"], t["out_group"], t["in_grid"], t["out_grid"],
                       torch.tensor(t["values"][metric], dtype=torch.float64))
                      for t in model.layers]

    def __call__(self, expected):
        """`expected`: per group, a 0-d tensor (or number) of channels."""
        total = torch.tensor(self.fixed, dtype=torch.float64)
        for gi, go, in_grid, out_grid, table in self.steps:
            cin = torch.as_tensor(expected[gi] if gi >= 0 else in_grid[0], dtype=torch.float64)
            cout = torch.as_tensor(expected[go] if go >= 0 else out_grid[0], dtype=torch.float64)
            # Along the output axis at each input grid point, then along the input axis.
            column = torch.stack([interpolate(out_grid, row, cout) for row in table])
            total = total + interpolate(in_grid, column, cin)
        return total


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--platform", default="nucleo-l4r5zi")
    p.add_argument("--stack", default="tflm-cmsis-nn")
    p.add_argument("--strength", type=float, default=0.5,
                   help="weight of latency / seed latency in the loss")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--gate-lr", type=float, default=0.05)
    p.add_argument("--images", type=int, default=4000)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))

    model = edgesim.cost_model(SEED, args.platform, args.stack, channel_step=4)
    groups = model.groups
    names = [g["name"] for g in groups]
    searched = ["conv1", "pw1", "pw2", "pw3"]
    seed_channels = model.seed_channels
    net = DsCnn([seed_channels[names.index(g)] for g in searched])
    term = LatencyTerm(model)
    seed_latency = term(seed_channels).item()
    print(f"{SEED} on {args.platform}/{args.stack}: {len(model.layers)} layer tables, seed "
          f"latency {seed_latency * 1e3:.3f} ms (cost model "
          f"{model.predict(seed_channels)['latency_s'] * 1e3:.3f} ms)")

    def expected():
        e = list(seed_channels)
        for g in searched:
            e[names.index(g)] = torch.sigmoid(net.gates[g]).sum()
        return e

    x, y = images("train", args.images)
    gates = list(net.gates.parameters())
    weights = [q for n, q in net.named_parameters() if not n.startswith("gates.")]
    # The gates learn faster than the weights (as PIT's architecture parameters do).
    opt = torch.optim.Adam([{"params": weights, "lr": 3e-3},
                            {"params": gates, "lr": args.gate_lr}])
    for step in range(args.steps):
        i = (step * 64) % len(x)
        task = torch.nn.functional.cross_entropy(net(x[i:i + 64]), y[i:i + 64])
        latency = term(expected())
        # Warm-up (the first third): the weights learn the task before latency pulls.
        strength = args.strength if step >= args.steps // 3 else 0.0
        loss = task + strength * latency.float() / seed_latency
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % max(1, args.steps // 5) == 0 or step == args.steps - 1:
            print(f"step {step:4d}: task loss {task.item():.3f}, expected latency "
                  f"{latency.item() * 1e3:.3f} ms")

    # Export: gates above 0.5, rounded up to the group's hardware tile.
    channels = list(seed_channels)
    for g in searched:
        k = names.index(g)
        kept = int((torch.sigmoid(net.gates[g]) > 0.5).sum())
        tile = groups[k]["tile"]
        channels[k] = max(tile, -(-kept // tile) * tile)
    by_term = term(channels).item()
    by_model = model.predict(channels)["latency_s"]
    result = edgesim.Simulator(args.platform, args.stack).run(
        model.network(channels, name="ds-cnn-searched"))
    print("channels per group:", dict(zip(names, channels)))
    print(f"latency of the exported network: this term {by_term * 1e3:.3f} ms, cost model "
          f"{by_model * 1e3:.3f} ms, simulated {result.latency_s * 1e3:.3f} ms "
          f"(seed {seed_latency * 1e3:.3f} ms)")


if __name__ == "__main__":
    main()
