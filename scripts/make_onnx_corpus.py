#!/usr/bin/python3
"""Export the ONNX import corpus under tests/data/onnx/corpus/ for edgesim.

The corpus is what users bring: torchvision classification models exported by PyTorch's own
ONNX exporter, a torch.ao (eager-mode, qnnpack) int8 model, a tf2onnx-style model with an NHWC
input transposed to NCHW, and small models for the remaining exporter patterns (1-D CNN,
nearest upsampling, explicit padding, chunk/split, SiLU).

Requirements: Debian's system python with python3-torch, python3-torchvision, python3-onnx
(apt-get install python3-torch python3-torchvision python3-onnx). Building and testing edgesim
needs none of this: the fixtures are committed. Rerun only to change the corpus:

    /usr/bin/python3 scripts/make_onnx_corpus.py

Weights: every initializer of more than WEIGHT_INLINE_BYTES bytes is stored as ONNX external
data in `<model>.weights`, and that file is NOT committed (resnet18 alone is 47 MB of float).
Costs need tensor shapes, not values, and the importer reads external data only where it needs
values (shape constants and quantisation parameters stay inline). The models are seeded, so
rerunning writes identical .onnx files.

The expected numbers (corpus/expected.json) are counted from the torch modules with forward
hooks (make_onnx_fixtures.torch_expected: conv MACs from the output shapes the hooks see,
params with batch norms folded), never by reading the written ONNX back.
"""

import json
import os
import sys
import warnings

import onnx
from onnx import external_data_helper

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_onnx_fixtures import export_torch, randomize_torch, torch_expected  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO, "tests", "data", "onnx", "corpus")
WEIGHT_INLINE_BYTES = 256  # larger initializers go to the (uncommitted) .weights file

warnings.filterwarnings("ignore", category=UserWarning)


class OneDCnn(nn.Module):
    """A keyword-spotting style 1-D CNN over 49 MFCC frames x 10 coefficients."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(10, 32, 5, stride=2, padding=2)
        self.b1 = nn.BatchNorm1d(32)
        self.c2 = nn.Conv1d(32, 32, 3, padding=1, groups=32, bias=False)
        self.b2 = nn.BatchNorm1d(32)
        self.c3 = nn.Conv1d(32, 64, 1)
        self.fc = nn.Linear(64, 12)

    def forward(self, x):
        x = F.relu(self.b1(self.c1(x)))
        x = F.relu(self.b2(self.c2(x)))
        x = F.relu(self.c3(x))
        x = F.max_pool1d(x, 2, ceil_mode=True)
        x = x.mean(dim=2)
        return self.fc(x)


class TinyUnet(nn.Module):
    """Encoder/decoder with nearest upsampling, explicit padding, chunk and SiLU gating."""

    def __init__(self):
        super().__init__()
        self.e1 = nn.Conv2d(3, 16, 3, padding=1)
        self.e2 = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.d1 = nn.Conv2d(32, 32, 3)
        self.d2 = nn.Conv2d(32, 16, 1)
        self.head = nn.Conv2d(16, 4, 1)

    def forward(self, x):
        x1 = F.silu(self.e1(x))
        x2 = F.hardswish(self.e2(x1))
        y = self.d1(F.pad(x2, (1, 1, 1, 1)))
        a, b = torch.chunk(y, 2, dim=1)
        y = torch.cat([a * torch.sigmoid(b), b - a], dim=1)
        y = F.interpolate(y, scale_factor=2, mode="nearest")
        y = self.d2(y) + x1
        return self.head(F.relu(y))


class NhwcNet(nn.Module):
    """What tf2onnx emits for a Keras model: an NHWC input transposed to NCHW for the
    convolutions, and transposed back before the flatten (Keras flattens in HWC order)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.c2 = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.c3 = nn.Conv2d(8, 16, 1)
        self.fc = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        x = x.permute(0, 3, 1, 2)
        x = F.relu6(self.c1(x))
        x = F.relu6(self.c2(x))
        x = F.relu6(self.c3(x))
        x = F.avg_pool2d(x, 2)
        x = x.permute(0, 2, 3, 1).reshape(1, -1)
        return torch.softmax(self.fc(x), dim=1)


class QuantNet(nn.Module):
    """A small CNN for torch.ao eager-mode post-training quantisation (qnnpack)."""

    def __init__(self):
        super().__init__()
        self.quant = torch.ao.quantization.QuantStub()
        self.c1 = nn.Conv2d(3, 16, 3, stride=2, padding=1)
        self.r1 = nn.ReLU()
        self.c2 = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.r2 = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flat = nn.Flatten()
        self.fc = nn.Linear(32, 10)
        self.dequant = torch.ao.quantization.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.r1(self.c1(x))
        x = self.r2(self.c2(x))
        x = self.fc(self.flat(self.pool(x)))
        return self.dequant(x)


def quantized_net():
    torch.backends.quantized.engine = "qnnpack"
    m = QuantNet()
    randomize_torch(m, 7)
    m.eval()
    m.qconfig = torch.ao.quantization.get_default_qconfig("qnnpack")
    torch.ao.quantization.fuse_modules(m, [["c1", "r1"], ["c2", "r2"]], inplace=True)
    prepared = torch.ao.quantization.prepare(m)
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for _ in range(4):
            prepared(torch.rand(1, 3, 32, 32, generator=g))
    return torch.ao.quantization.convert(prepared), m


def corpus():
    """(name, float module for counting, module to export, example input, opset).

    The torchvision models use opset 17 (the newest torch 1.13 writes: HardSwish as an op,
    Split sizes as an input), the others opset 13 and 11 (HardSigmoid + Mul, Resize scales)."""
    tv = torchvision.models
    out = []
    for name, ctor, size in [("mobilenet_v2", tv.mobilenet_v2, 96),
                             ("mobilenet_v3_small", tv.mobilenet_v3_small, 96),
                             ("mnasnet0_5", tv.mnasnet0_5, 96),
                             ("shufflenet_v2_x0_5", tv.shufflenet_v2_x0_5, 96),
                             ("squeezenet1_1", tv.squeezenet1_1, 96),
                             ("resnet18", tv.resnet18, 64)]:
        m = ctor(weights=None)
        randomize_torch(m, 1)
        out.append((name, m, m, torch.rand(1, 3, size, size), 17))
    for name, m, shape, opset in [("cnn1d", OneDCnn(), (1, 10, 49), 13),
                                  ("tiny_unet", TinyUnet(), (1, 3, 32, 32), 11),
                                  ("nhwc_tf2onnx_style", NhwcNet(), (1, 16, 16, 3), 13)]:
        randomize_torch(m, 2)
        out.append((name, m, m, torch.rand(*shape), opset))
    q, counted = quantized_net()
    out.append(("quantized_qnnpack", counted, q, torch.rand(1, 3, 32, 32), 13))
    return out


def strip_weights(model, name):
    """Moves large initializers to external data `<name>.weights` (not committed)."""
    external_data_helper.convert_model_to_external_data(
        model, all_tensors_to_one_file=True, location=name + ".weights",
        size_threshold=WEIGHT_INLINE_BYTES)
    return model


def main():
    torch.manual_seed(0)
    os.makedirs(OUT_DIR, exist_ok=True)
    expected = {}
    for name, counted, exported, x, opset in corpus():
        exp = torch_expected(counted, x)
        data = export_torch(exported, x, opset=opset)
        model = onnx.load_from_string(data)
        exp["op_types"] = sorted({n.op_type for n in model.graph.node})
        path = os.path.join(OUT_DIR, name + ".onnx")
        onnx.save_model(strip_weights(model, name), path, save_as_external_data=True,
                        all_tensors_to_one_file=True, location=name + ".weights",
                        size_threshold=WEIGHT_INLINE_BYTES)
        expected[name + ".onnx"] = exp
        print("%-22s %12d MACs %10d params  %s" % (name, exp["macs"], exp["params"],
                                                   " ".join(exp["op_types"])))
    with open(os.path.join(OUT_DIR, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
