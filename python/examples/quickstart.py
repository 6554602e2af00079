#!/usr/bin/python3
"""A first session with edgesim from Python: one query, its layers, a batch of queries, a
network from the builder and (with python3-torch) one from a torch.nn.Module.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/quickstart.py
"""

import edgesim

sim = edgesim.Simulator("nucleo-l4r5zi", "tflm-cmsis-nn")
r = sim.run("mlperf_tiny/kws")
print(r)
print(f"latency {r.latency_s * 1e3:.2f} ms, energy {r.energy_j * 1e6:.1f} uJ, "
      f"peak RAM {r.peak_ram_bytes} B, flash {r.flash_bytes} B")
layers = r.layers  # a pandas DataFrame
print(layers[["name", "op", "engine", "cycles", "energy_j"]].head(6).to_string(index=False))

# The same network at both operating points of the board, in one call.
for res in sim.run_many([{"network": "mlperf_tiny/kws", "operating_point": op}
                         for op in ("120mhz", "zephyr-80mhz")]):
    print(f"{res.operating_point:>13}: {res.latency_s * 1e3:.2f} ms, {res.energy_j * 1e6:.1f} uJ")

# A candidate built layer by layer, as a NAS loop would.
b = edgesim.NetworkBuilder("tiny-cnn", input_shape=(28, 28, 1))
b.conv2d(16, kernel=3, stride=2, activation="relu")
b.depthwise_conv2d(kernel=3, activation="relu")
b.conv2d(32, kernel=1, activation="relu")
b.global_avg_pool()
b.dense(10)
print(sim.run(b.build()))

# Bad input is an exception with the CLI's text.
try:
    sim.run("mlperf_tiny/kws", overrides={"platform.memories[name=sram3].size_bytes": 1000})
except edgesim.InputError as e:
    print("InputError:", e)

try:
    import torch
except ImportError:
    torch = None
if torch is not None:
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(),
                                torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                                torch.nn.Linear(8, 10))
    # Exported with torch.onnx in memory; int8 as deployment tools quantise it.
    print(sim.run((model, torch.randn(1, 1, 28, 28)), quantize="int8"))
