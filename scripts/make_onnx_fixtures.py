#!/usr/bin/python3
"""Generate the ONNX test fixtures under tests/data/onnx/ for edgesim.

Requirements: Debian's system python (/usr/bin/python3) with the Debian packages
    python3-onnx python3-torch python3-numpy
(apt-get install python3-onnx python3-torch python3-numpy). The pyenv python on
PATH does not have these modules.

The generated fixtures are committed to the repository, so building and testing
edgesim needs no Python at all. Rerun this script only to change the fixtures:

    /usr/bin/python3 scripts/make_onnx_fixtures.py

Everything is seeded, so running the script twice writes byte-identical files.

Besides the .onnx files it writes tests/data/onnx/expected.json (MACs, params and
layer counts per valid fixture) and tests/data/onnx/expected_errors.json (how each
deliberately broken fixture should fail). The expected numbers come from this
script's own layer lists (for onnx.helper models) or from the PyTorch modules
(for exported models), NOT from reading the written ONNX back. As an extra check,
an independent walker over the written ONNX graph recomputes the same numbers and
the script asserts that both agree.

Counting conventions (per sample, batch 1):
  * MACs only for Conv / Gemm / MatMul / QLinearConv / QLinearMatMul.
    Conv MACs = prod(out spatial) * Cout * prod(kernel) * Cin / groups
    (covers depthwise and Conv1d), dense MACs = in * out.
  * params = weights + biases with BatchNormalization folded: a conv/dense with
    no bias followed by BN counts Cout bias values; one with a bias followed by BN
    counts its bias once; a standalone BN counts 2*C. Quantization scales and
    zero points, pads/shape constants and Clip bounds are not params.
"""

import collections
import hashlib
import io
import json
import math
import os
import sys
import warnings

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import torch
import torch.nn as nn
import torch.nn.functional as F

OPSET = 13
IR_VERSION = 7  # the IR version that goes with opset 13 (what torch 1.13 emits)
PRODUCER = "edgesim make_onnx_fixtures.py"

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO, "tests", "data", "onnx")

# Reference totals from /work/shared/data/mlperf_tiny_models.md
MLPERF_TABLE = {
    "kws": dict(macs=2_656_768, params=22_604),
    "vww": dict(macs=7_489_664, params=210_850),
    "ic": dict(macs=12_501_632, params=77_706),
    "ad": dict(macs=264_192, params=265_864),
}

BN_EPS = 1e-3  # Keras default


def prod(xs):
    r = 1
    for x in xs:
        r *= int(x)
    return r


# ---------------------------------------------------------------------------
# A small graph builder that keeps its own shape/MAC/param accounting.
# Shapes are tracked WITHOUT the batch dim; the ONNX tensors carry batch 1.
# ---------------------------------------------------------------------------
class Net:
    """Builds an ONNX graph and, independently, counts MACs and params.

    mode:
      "float"   - float weights, BN as separate BatchNormalization nodes
      "qdq"     - ONNX Runtime style QDQ: int8 weights -> DequantizeLinear,
                  int32 bias -> DequantizeLinear, BN folded into conv bias,
                  ReLU folded into the output quantization (zero point -128),
                  every op output wrapped in QuantizeLinear -> DequantizeLinear
      "qlinear" - dense layers as QLinearMatMul with int8 [in,out] weights,
                  float bias added after DequantizeLinear, BN folded
    """

    def __init__(self, name, in_shape, mode="float", seed=0):
        self.name = name
        self.mode = mode
        self.rng = np.random.default_rng(seed)
        self.nodes = []
        self.inits = []
        self.shapes = {}
        self.qparams = {}  # tensor name -> (scale, zero_point) for qdq/qlinear
        self.used_names = collections.Counter()
        self.macs = 0
        self.params = 0
        self.conv_layers = 0
        self.depthwise_layers = 0
        self.dense_layers = 0
        self.in_shape = tuple(in_shape)
        self.shapes["input"] = self.in_shape
        self.input = "input"

    # -- plumbing ------------------------------------------------------------
    def uniq(self, base):
        self.used_names[base] += 1
        n = self.used_names[base]
        return base if n == 1 else "%s_%d" % (base, n)

    def init(self, name, arr):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(self, op, inputs, outputs, name, **attrs):
        self.nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))

    def quant_dequant(self, x, scale, zp, tag):
        """QuantizeLinear -> DequantizeLinear on float tensor x; returns float name."""
        s = self.init(tag + "_scale", np.array(scale, dtype=np.float32))
        z = self.init(tag + "_zero_point", np.array(zp, dtype=np.int8))
        q = tag + "_quantized"
        dq = tag + "_dequantized"
        self.node("QuantizeLinear", [x, s, z], [q], tag + "_QuantizeLinear")
        self.node("DequantizeLinear", [q, s, z], [dq], tag + "_DequantizeLinear")
        self.shapes[q] = self.shapes[x]
        self.shapes[dq] = self.shapes[x]
        self.qparams[dq] = (scale, zp)
        return dq

    def rand_w(self, shape, fan_in):
        return (self.rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)).astype(np.float32)

    def rand_bn(self, c):
        gamma = self.rng.uniform(0.5, 1.5, c).astype(np.float32)
        beta = self.rng.normal(0.0, 0.1, c).astype(np.float32)
        mean = self.rng.normal(0.0, 0.1, c).astype(np.float32)
        var = self.rng.uniform(0.5, 1.5, c).astype(np.float32)
        return gamma, beta, mean, var

    def bn_node(self, x, c, tag):
        gamma, beta, mean, var = self.rand_bn(c)
        ins = [x,
               self.init(tag + "_bn_gamma", gamma),
               self.init(tag + "_bn_beta", beta),
               self.init(tag + "_bn_mean", mean),
               self.init(tag + "_bn_var", var)]
        y = tag + "_bn_out"
        self.node("BatchNormalization", ins, [y], tag + "_bn", epsilon=BN_EPS)
        return y

    def act_node(self, x, act, tag):
        if act is None:
            return x
        y = tag + "_" + act + "_out"
        if act == "relu":
            self.node("Relu", [x], [y], tag + "_relu")
        elif act == "relu6":
            lo = self.init(tag + "_clip_min", np.array(0.0, dtype=np.float32))
            hi = self.init(tag + "_clip_max", np.array(6.0, dtype=np.float32))
            self.node("Clip", [x, lo, hi], [y], tag + "_clip")
        else:
            raise ValueError(act)
        return y

    # -- layers --------------------------------------------------------------
    def conv(self, x, cout, k, stride=1, padding="same", group=1, dilation=1,
             bias=False, bn=True, act="relu", name=None, out_scale=0.05):
        tag = self.uniq(name or "conv")
        cin, *sp = self.shapes[x]
        nd = len(sp)
        k = (k,) * nd if isinstance(k, int) else tuple(k)
        s = (stride,) * nd if isinstance(stride, int) else tuple(stride)
        d = (dilation,) * nd if isinstance(dilation, int) else tuple(dilation)
        if group == "dw":
            group = cin
            assert cout == cin
        # own shape/pad arithmetic
        if padding == "same":  # TF rule
            out_sp, pb, pe = [], [], []
            for i in range(nd):
                o = -(-sp[i] // s[i])
                eff_k = d[i] * (k[i] - 1) + 1
                tot = max((o - 1) * s[i] + eff_k - sp[i], 0)
                out_sp.append(o)
                pb.append(tot // 2)
                pe.append(tot - tot // 2)
        else:
            if padding == "valid":
                pb, pe = [0] * nd, [0] * nd
            else:  # explicit ONNX-order list: begins then ends
                pb, pe = list(padding[:nd]), list(padding[nd:])
            out_sp = [(sp[i] + pb[i] + pe[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1
                      for i in range(nd)]
        w_shape = (cout, cin // group) + k
        fan_in = (cin // group) * prod(k)
        self.macs += prod(out_sp) * cout * prod(k) * cin // group
        self.params += prod(w_shape) + (cout if (bias or bn) else 0)
        self.conv_layers += 1
        if group > 1 and group == cin and cout == cin:
            self.depthwise_layers += 1

        attrs = dict(kernel_shape=list(k), strides=list(s), pads=pb + pe)
        if group != 1:
            attrs["group"] = group
        if any(v != 1 for v in d):
            attrs["dilations"] = list(d)

        w = self.rand_w(w_shape, fan_in)
        b = self.rng.normal(0.0, 0.05, cout).astype(np.float32) if bias else None
        y = tag + "_out"
        if self.mode == "float":
            ins = [x, self.init(tag + "_weight", w)]
            if bias:
                ins.append(self.init(tag + "_bias", b))
            self.node("Conv", ins, [y], tag, **attrs)
            self.shapes[y] = (cout, *out_sp)
            out = y
            if bn:
                out = self.bn_node(out, cout, tag)
            out = self.act_node(out, act, tag)
        elif self.mode == "qdq":
            # fold BN into weights / bias
            if b is None:
                b = np.zeros(cout, np.float32)
            if bn:
                g, beta, mean, var = self.rand_bn(cout)
                f = g / np.sqrt(var + BN_EPS)
                w = w * f.reshape((-1,) + (1,) * (w.ndim - 1))
                b = (b - mean) * f + beta
            s_in, _ = self.qparams[x]
            s_w = float(np.abs(w).max()) / 127.0
            wq = np.clip(np.round(w / s_w), -127, 127).astype(np.int8)
            bq = np.round(b / (s_in * s_w)).astype(np.int32)
            wi = self.init(tag + "_weight_quantized", wq)
            ws = self.init(tag + "_weight_scale", np.array(s_w, np.float32))
            wz = self.init(tag + "_weight_zero_point", np.array(0, np.int8))
            bi = self.init(tag + "_bias_quantized", bq)
            bs = self.init(tag + "_bias_scale", np.array(s_in * s_w, np.float32))
            bz = self.init(tag + "_bias_zero_point", np.array(0, np.int32))
            self.node("DequantizeLinear", [wi, ws, wz], [tag + "_weight"],
                      tag + "_weight_DequantizeLinear")
            self.node("DequantizeLinear", [bi, bs, bz], [tag + "_bias"],
                      tag + "_bias_DequantizeLinear")
            self.node("Conv", [x, tag + "_weight", tag + "_bias"], [y], tag, **attrs)
            self.shapes[y] = (cout, *out_sp)
            # ReLU folded: zero point -128 makes the int8 range start at 0.0
            zp = -128 if act == "relu" else 0
            assert act in ("relu", None)
            out = self.quant_dequant(y, out_scale, zp, y)
        else:
            raise ValueError(self.mode)
        self.shapes[out] = (cout, *out_sp)
        return out

    def dense(self, x, nout, bias=True, bn=False, act=None, kind="gemm", name=None,
              out_scale=0.05):
        tag = self.uniq(name or "fc")
        (nin,) = self.shapes[x]
        self.macs += nin * nout
        self.params += nin * nout + (nout if (bias or bn) else 0)
        self.dense_layers += 1
        w = self.rand_w((nin, nout), nin)  # Keras kernel layout [in, out]
        b = self.rng.normal(0.0, 0.05, nout).astype(np.float32) if bias else None
        y = tag + "_out"
        if self.mode == "float":
            if kind == "gemm":
                ins = [x, self.init(tag + "_weight", np.ascontiguousarray(w.T))]
                if bias:
                    ins.append(self.init(tag + "_bias", b))
                self.node("Gemm", ins, [y], tag, transB=1, alpha=1.0, beta=1.0)
                out = y
            elif kind == "matmul":
                mm = tag + "_matmul_out"
                self.node("MatMul", [x, self.init(tag + "_weight", w)], [mm], tag + "_matmul")
                out = mm
                if bias:
                    self.node("Add", [mm, self.init(tag + "_bias", b)], [y], tag + "_bias_add")
                    out = y
            else:
                raise ValueError(kind)
            self.shapes[out] = (nout,)
            if bn:
                out = self.bn_node(out, nout, tag)
            out = self.act_node(out, act, tag)
        elif self.mode == "qdq":
            assert kind == "gemm" and not bn and act is None
            if b is None:
                b = np.zeros(nout, np.float32)
            s_in, _ = self.qparams[x]
            wt = np.ascontiguousarray(w.T)
            s_w = float(np.abs(wt).max()) / 127.0
            wq = np.clip(np.round(wt / s_w), -127, 127).astype(np.int8)
            bq = np.round(b / (s_in * s_w)).astype(np.int32)
            wi = self.init(tag + "_weight_quantized", wq)
            ws = self.init(tag + "_weight_scale", np.array(s_w, np.float32))
            wz = self.init(tag + "_weight_zero_point", np.array(0, np.int8))
            bi = self.init(tag + "_bias_quantized", bq)
            bs = self.init(tag + "_bias_scale", np.array(s_in * s_w, np.float32))
            bz = self.init(tag + "_bias_zero_point", np.array(0, np.int32))
            self.node("DequantizeLinear", [wi, ws, wz], [tag + "_weight"],
                      tag + "_weight_DequantizeLinear")
            self.node("DequantizeLinear", [bi, bs, bz], [tag + "_bias"],
                      tag + "_bias_DequantizeLinear")
            self.node("Gemm", [x, tag + "_weight", tag + "_bias"], [y], tag, transB=1)
            self.shapes[y] = (nout,)
            out = self.quant_dequant(y, out_scale, 0, y)
        elif self.mode == "qlinear":
            # x is float here; quantize it unless it already came quantized
            if b is None:
                b = np.zeros(nout, np.float32)
            if bn:
                g, beta, mean, var = self.rand_bn(nout)
                f = g / np.sqrt(var + BN_EPS)
                w = w * f.reshape(1, -1)
                b = (b - mean) * f + beta
            in_scale = 0.05
            in_zp = -128 if self.qparams.get(x, ("float",))[0] == "relu" else 0
            xs = self.init(tag + "_input_scale", np.array(in_scale, np.float32))
            xz = self.init(tag + "_input_zero_point", np.array(in_zp, np.int8))
            xq = tag + "_input_quantized"
            self.node("QuantizeLinear", [x, xs, xz], [xq], tag + "_input_QuantizeLinear")
            s_w = float(np.abs(w).max()) / 127.0
            wq = np.clip(np.round(w / s_w), -127, 127).astype(np.int8)
            wi = self.init(tag + "_weight_quantized", wq)
            ws = self.init(tag + "_weight_scale", np.array(s_w, np.float32))
            wz = self.init(tag + "_weight_zero_point", np.array(0, np.int8))
            ys = self.init(tag + "_output_scale", np.array(out_scale, np.float32))
            yz = self.init(tag + "_output_zero_point", np.array(0, np.int8))
            yq = tag + "_out_quantized"
            self.node("QLinearMatMul", [xq, xs, xz, wi, ws, wz, ys, yz], [yq], tag)
            ydq = tag + "_out_dequantized"
            self.node("DequantizeLinear", [yq, ys, yz], [ydq], tag + "_out_DequantizeLinear")
            self.node("Add", [ydq, self.init(tag + "_bias", b)], [y], tag + "_bias_add")
            out = y
            for t in (xq, yq, ydq, y):
                self.shapes[t] = self.shapes[x] if t == xq else (nout,)
            assert act in ("relu", None)
            out = self.act_node(out, act, tag)
            if act == "relu":
                self.qparams[out] = ("relu",)
        else:
            raise ValueError(self.mode)
        self.shapes[out] = (nout,)
        return out

    def pool(self, x, op, k, stride=None, name=None):
        tag = self.uniq(name or op.lower())
        c, *sp = self.shapes[x]
        k = tuple(k)
        stride = tuple(stride or k)
        out_sp = [(sp[i] - k[i]) // stride[i] + 1 for i in range(len(sp))]
        y = tag + "_out"
        self.node(op, [x], [y], tag, kernel_shape=list(k), strides=list(stride),
                  pads=[0] * (2 * len(sp)))
        self.shapes[y] = (c, *out_sp)
        return self._wrap(y)

    def global_avg_pool(self, x, name=None):
        tag = self.uniq(name or "gap")
        c, *sp = self.shapes[x]
        y = tag + "_out"
        self.node("GlobalAveragePool", [x], [y], tag)
        self.shapes[y] = (c,) + (1,) * len(sp)
        return self._wrap(y)

    def add(self, a, b, act=None, name=None):
        tag = self.uniq(name or "add")
        assert self.shapes[a] == self.shapes[b], (self.shapes[a], self.shapes[b])
        y = tag + "_out"
        self.node("Add", [a, b], [y], tag)
        self.shapes[y] = self.shapes[a]
        if self.mode == "qdq":
            assert act in ("relu", None)
            return self.quant_dequant(y, 0.05, -128 if act == "relu" else 0, y)
        out = self.act_node(y, act, tag)
        self.shapes[out] = self.shapes[a]
        return out

    def concat(self, xs, name=None):
        tag = self.uniq(name or "concat")
        sp = self.shapes[xs[0]][1:]
        assert all(self.shapes[x][1:] == sp for x in xs)
        y = tag + "_out"
        self.node("Concat", list(xs), [y], tag, axis=1)
        self.shapes[y] = (sum(self.shapes[x][0] for x in xs),) + sp
        return y

    def flatten(self, x, name=None):
        tag = self.uniq(name or "flatten")
        y = tag + "_out"
        self.node("Flatten", [x], [y], tag, axis=1)
        self.shapes[y] = (prod(self.shapes[x]),)
        return self._wrap(y)

    def softmax(self, x, name=None):
        tag = self.uniq(name or "softmax")
        y = tag + "_out"
        self.node("Softmax", [x], [y], tag, axis=1)
        self.shapes[y] = self.shapes[x]
        if self.mode == "qdq":
            return self.quant_dequant(y, 1.0 / 256.0, -128, y)
        return y

    def _wrap(self, y):
        if self.mode == "qdq":
            return self.quant_dequant(y, self.qparams_guess(y), 0, y)
        return y

    def qparams_guess(self, y):
        return 0.05

    # -- finish ----------------------------------------------------------------
    def start(self):
        """Returns the name of the tensor that the first layer should read."""
        if self.mode == "qdq":
            return self.quant_dequant("input", 1.0 / 128.0, 0, "input")
        return "input"

    def model(self, out, doc=""):
        # rename the final tensor to "output"
        for n in self.nodes:
            for i, o in enumerate(n.output):
                if o == out:
                    n.output[i] = "output"
            for i, o in enumerate(n.input):
                if o == out:
                    n.input[i] = "output"
        self.out_shape = self.shapes[out]
        g = helper.make_graph(
            self.nodes, self.name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, *self.in_shape])],
            [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, *self.out_shape])],
            initializer=self.inits)
        return make_model(g, doc)

    def expected(self):
        return dict(macs=self.macs, params=self.params, conv_layers=self.conv_layers,
                    depthwise_layers=self.depthwise_layers, dense_layers=self.dense_layers,
                    input_shape=list(self.in_shape), output_shape=list(self.out_shape))


def make_model(graph, doc=""):
    m = helper.make_model(graph, producer_name=PRODUCER, producer_version="1",
                          opset_imports=[helper.make_opsetid("", OPSET)], doc_string=doc)
    m.ir_version = IR_VERSION
    return m


# ---------------------------------------------------------------------------
# MLPerf Tiny models (layer lists follow the tables in mlperf_tiny_models.md)
# ---------------------------------------------------------------------------
def build_kws(mode="float"):
    n = Net("kws_ds_cnn", (1, 49, 10), mode, seed=101)
    x = n.conv(n.start(), 64, (10, 4), stride=2, name="conv1")  # pads [4,1,5,1]
    for i in range(1, 5):
        x = n.conv(x, 64, 3, group="dw", name="dw%d" % i)
        x = n.conv(x, 64, 1, name="pw%d" % i)
    x = n.pool(x, "AveragePool", (24, 5), (24, 5), name="avgpool")
    x = n.flatten(x)
    x = n.dense(x, 12, name="fc")
    return n, n.softmax(x)


def build_vww(mode="float"):
    n = Net("vww_mobilenet_v1_025", (3, 96, 96), mode, seed=202)
    x = n.conv(n.start(), 8, 3, stride=2, name="conv1")
    # (stride of depthwise, pointwise out channels) for the 13 DS blocks
    blocks = [(1, 16), (2, 32), (1, 32), (2, 64), (1, 64), (2, 128), (1, 128),
              (1, 128), (1, 128), (1, 128), (1, 128), (2, 256), (1, 256)]
    for i, (s, co) in enumerate(blocks, 1):
        cin = n.shapes[x][0]
        x = n.conv(x, cin, 3, stride=s, group="dw", name="dw%d" % i)
        x = n.conv(x, co, 1, name="pw%d" % i)
    x = n.pool(x, "AveragePool", (3, 3), (3, 3), name="avgpool")
    x = n.flatten(x)
    x = n.dense(x, 2, kind="matmul", name="fc")
    return n, n.softmax(x)


def build_ic(mode="float"):
    n = Net("ic_resnet8", (3, 32, 32), mode, seed=303)
    x = n.conv(n.start(), 16, 3, name="conv1")
    for stage, (co, s) in enumerate([(16, 1), (32, 2), (64, 2)], 1):
        a = n.conv(x, co, 3, stride=s, name="s%d_conv_a" % stage)
        b = n.conv(a, co, 3, act=None, name="s%d_conv_b" % stage)
        if s != 1:
            sc = n.conv(x, co, 1, stride=s, bias=True, bn=False, act=None,
                        name="s%d_shortcut" % stage)
        else:
            sc = x
        x = n.add(b, sc, act="relu", name="s%d_add" % stage)
    x = n.pool(x, "AveragePool", (8, 8), (8, 8), name="avgpool")
    x = n.flatten(x)
    x = n.dense(x, 10, name="fc")
    return n, n.softmax(x)


def build_ad(mode="float"):
    n = Net("ad_fc_autoencoder", (640,), mode, seed=404)
    x = n.start()
    for i, w in enumerate([128, 128, 128, 128, 8, 128, 128, 128, 128], 1):
        x = n.dense(x, w, bn=True, act="relu", name="fc%d" % i)
    x = n.dense(x, 640, name="fc10")
    return n, x


# ---------------------------------------------------------------------------
# Small unit fixtures built with onnx.helper
# ---------------------------------------------------------------------------
def build_grouped_conv():
    n = Net("grouped_conv", (8, 16, 16), seed=501)
    x = n.conv("input", 16, 3, padding=[1, 1, 1, 1], group=4, bias=True, bn=False,
               act="relu", name="gconv")
    x = n.pool(x, "MaxPool", (2, 2), (2, 2), name="maxpool")
    x = n.conv(x, 16, 3, stride=2, padding=[1, 1, 1, 1], group="dw", bias=True,
               bn=False, act="relu6", name="dwconv")
    x = n.global_avg_pool(x)
    x = n.flatten(x)
    return n, n.dense(x, 10, name="fc")


def build_concat():
    n = Net("concat", (4, 16, 16), seed=502)
    a = n.conv("input", 8, 3, padding=[1, 1, 1, 1], bias=True, bn=False, name="branch_a")
    b = n.conv("input", 4, 1, padding="valid", bias=True, bn=False, name="branch_b")
    x = n.concat([a, b])
    return n, n.conv(x, 8, 1, padding="valid", bias=True, bn=False, act=None, name="fuse")


def build_tcn():
    n = Net("tcn", (16, 64), seed=503)
    h1 = n.conv("input", 32, 3, padding=[2, 0], bias=True, bn=False, name="tconv1")
    h2 = n.conv(h1, 32, 3, dilation=2, padding=[4, 0], bias=True, bn=False, name="tconv2")
    h3 = n.conv(h2, 32, 3, dilation=4, padding=[8, 0], bias=True, bn=False, act=None,
                name="tconv3")
    x = n.add(h3, h1, act="relu", name="residual")
    x = n.global_avg_pool(x)
    x = n.flatten(x)
    return n, n.dense(x, 12, name="fc")


def build_reshape_const():
    n = Net("reshape_const", (3, 8, 8), seed=504)
    x = n.conv("input", 4, 3, padding=[1, 1, 1, 1], bias=True, bn=False, name="conv")
    n.node("Identity", [x], ["identity_out"], "identity")
    n.shapes["identity_out"] = n.shapes[x]
    shape_t = numpy_helper.from_array(np.array([1, -1], dtype=np.int64), "shape_value")
    n.node("Constant", [], ["reshape_shape"], "shape_const", value=shape_t)
    n.node("Reshape", ["identity_out", "reshape_shape"], ["reshaped"], "reshape")
    n.shapes["reshaped"] = (prod(n.shapes[x]),)
    return n, n.dense("reshaped", 10, name="fc")


# ---------------------------------------------------------------------------
# Deliberately unsupported / broken fixtures
# ---------------------------------------------------------------------------
def build_unsupported_op():
    n = Net("unsupported_op", (4, 8, 8), seed=505)
    x = n.conv("input", 4, 1, padding="valid", bias=True, bn=False, name="conv")
    x = n.flatten(x)
    w = n.init("einsum_weight", n.rand_w((256, 10), 256))
    n.node("Einsum", [x, w], ["einsum_out"], "weird_node", equation="bi,ij->bj")
    n.shapes["einsum_out"] = (10,)
    return n.model("einsum_out")


def build_dangling_input():
    n = Net("dangling_input", (4, 8, 8), seed=506)
    x = n.conv("input", 4, 1, padding="valid", bias=True, bn=False, act=None, name="conv")
    n.node("Add", [x, "ghost_tensor"], ["add_out"], "add_ghost")
    n.shapes["add_out"] = n.shapes[x]
    return n.model("add_out")


def build_missing_weight():
    n = Net("missing_weight", (4, 8, 8), seed=507)
    n.init("conv_bias", np.zeros(4, np.float32))
    n.node("Conv", ["input", "conv_weight_missing", "conv_bias"], ["conv_out"], "conv",
           kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    n.shapes["conv_out"] = (4, 8, 8)
    return n.model("conv_out")


# ---------------------------------------------------------------------------
# PyTorch models (exported with torch.onnx.export)
# ---------------------------------------------------------------------------
def cbr(cin, cout, k, stride=1, groups=1, act=True):
    layers = [nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups,
                        bias=False), nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.ReLU6())
    return nn.Sequential(*layers)


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = cbr(3, 12, 3)
        self.dw1 = cbr(12, 12, 3, stride=2, groups=12)
        self.pw1 = cbr(12, 24, 1)
        self.dw2 = cbr(24, 24, 3, groups=24)
        self.pw2 = cbr(24, 24, 1, act=False)
        self.relu = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(24, 10)

    def forward(self, x):
        x = self.stem(x)
        x = self.pw1(self.dw1(x))
        y = self.pw2(self.dw2(x))
        x = self.relu(x + y)
        x = self.pool(x)
        x = x.view(x.size(0), -1)
        return self.fc(x)


class TorchTCN(nn.Module):
    def __init__(self, causal):
        super().__init__()
        self.causal = causal
        spec = [(8, 16, 1), (16, 16, 2), (16, 16, 4)]
        self.convs = nn.ModuleList(
            nn.Conv1d(ci, co, 3, dilation=d, padding=0 if causal else d)
            for ci, co, d in spec)
        self.relu = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.fc = nn.Linear(16, 4)

    def _c(self, i, x):
        conv = self.convs[i]
        if self.causal:
            x = F.pad(x, (2 * conv.dilation[0], 0))
        return conv(x)

    def forward(self, x):
        h1 = self.relu(self._c(0, x))
        h2 = self.relu(self._c(1, h1))
        h3 = self._c(2, h2)
        y = self.relu(h3 + h1)
        y = self.pool(y).flatten(1)
        return self.fc(y)


def randomize_torch(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight)
                if m.bias is not None:
                    m.bias.uniform_(-0.05, 0.05)
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    model.eval()


def torch_expected(model, x):
    """MACs/params from the torch modules themselves (forward hooks for shapes)."""
    leaves = [m for m in model.modules() if len(list(m.children())) == 0]
    out_shapes = {}
    hooks = [m.register_forward_hook(lambda mod, i, o: out_shapes.__setitem__(mod, o.shape))
             for m in leaves]
    with torch.no_grad():
        y = model(x)
    for h in hooks:
        h.remove()
    e = dict(macs=0, params=0, conv_layers=0, depthwise_layers=0, dense_layers=0)
    for idx, m in enumerate(leaves):
        nxt = leaves[idx + 1] if idx + 1 < len(leaves) else None
        prv = leaves[idx - 1] if idx > 0 else None
        if isinstance(m, (nn.Conv1d, nn.Conv2d)):
            o = out_shapes[m]
            e["macs"] += prod(o[2:]) * m.out_channels * prod(m.kernel_size) * \
                m.in_channels // m.groups
            e["params"] += m.weight.numel()
            if m.bias is not None:
                e["params"] += m.bias.numel()
            elif isinstance(nxt, (nn.BatchNorm1d, nn.BatchNorm2d)):
                e["params"] += m.out_channels
            e["conv_layers"] += 1
            if m.groups > 1 and m.groups == m.in_channels == m.out_channels:
                e["depthwise_layers"] += 1
        elif isinstance(m, nn.Linear):
            e["macs"] += m.in_features * m.out_features
            e["params"] += m.weight.numel() + (m.bias.numel() if m.bias is not None else 0)
            e["dense_layers"] += 1
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            if not isinstance(prv, (nn.Conv1d, nn.Conv2d, nn.Linear)):
                e["params"] += 2 * m.num_features
    e["input_shape"] = list(x.shape[1:])
    e["output_shape"] = list(y.shape[1:])
    return e


def export_torch(model, x, dynamic_batch=False, opset=OPSET):
    # expected, harmless exporter chatter (the F.pad Slice with step -1 is left unfolded)
    warnings.filterwarnings("ignore", message="Constant folding - Only steps=1")
    warnings.filterwarnings("ignore", message="The shape inference of prim::Constant")
    buf = io.BytesIO()
    dyn = {"input": {0: "batch"}, "output": {0: "batch"}} if dynamic_batch else None
    torch.onnx.export(model, x, buf, opset_version=opset, do_constant_folding=True,
                      input_names=["input"], output_names=["output"],
                      training=torch.onnx.TrainingMode.EVAL, dynamic_axes=dyn)
    return buf.getvalue()


# ---------------------------------------------------------------------------
# Independent check: recompute the numbers by walking the written ONNX graph.
# ---------------------------------------------------------------------------
def _np_dtype(onnx_type):
    return onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[onnx_type]


def _eval_node(n, vals, shapes):
    """numpy evaluation of the shape/constant ops exporters emit; None if unknown."""
    a = {x.name: helper.get_attribute_value(x) for x in n.attribute}
    ins = list(n.input)
    op = n.op_type
    if op == "Shape":
        shp = shapes.get(ins[0])
        if shp is None or any(d <= 0 for d in shp):
            return None
        return [np.array(shp, np.int64)]
    if any(i and i not in vals for i in ins):
        return None
    v = [vals[i] if i else None for i in ins]
    if op == "Constant":
        return [numpy_helper.to_array(a["value"])]
    if op == "ConstantOfShape":
        fill = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
        return [np.full(tuple(int(d) for d in v[0]), fill.reshape(-1)[0], fill.dtype)]
    if op == "Concat":
        return [np.concatenate(v, axis=a["axis"])]
    if op == "Reshape":
        tgt = [int(d) if d != 0 else v[0].shape[i] for i, d in enumerate(v[1])]
        return [v[0].reshape(tgt)]
    if op == "Slice":
        starts, ends = v[1], v[2]
        axes = v[3] if len(v) > 3 and v[3] is not None else range(len(starts))
        steps = v[4] if len(v) > 4 and v[4] is not None else [1] * len(starts)
        sl = [slice(None)] * v[0].ndim
        for st, en, ax, sp in zip(starts, ends, axes, steps):
            sl[int(ax)] = slice(int(st), int(en), int(sp))
        return [v[0][tuple(sl)]]
    if op == "Transpose":
        return [np.transpose(v[0], a.get("perm"))]
    if op == "Cast":
        return [v[0].astype(_np_dtype(a["to"]))]
    if op == "Gather":
        return [np.take(v[0], v[1], axis=a.get("axis", 0))]
    if op == "Unsqueeze":
        r = v[0]
        for ax in sorted(int(x) for x in v[1]):
            r = np.expand_dims(r, ax if ax >= 0 else ax + r.ndim + 1)
        return [r]
    if op == "Squeeze":
        return [np.squeeze(v[0], tuple(int(x) for x in v[1]))]
    return None


def fold_constants(model):
    """Batch dim -> 1, then fold constant subgraphs into initializers (repeatedly,
    re-running shape inference in between) so that the walker sees static shapes."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    for vi in list(m.graph.input) + list(m.graph.output):
        d0 = vi.type.tensor_type.shape.dim[0]
        if not d0.HasField("dim_value"):
            d0.Clear()
            d0.dim_value = 1
    while True:
        inf = onnx.shape_inference.infer_shapes(m, strict_mode=True)
        shapes = {}
        for vi in list(inf.graph.input) + list(inf.graph.value_info) + list(inf.graph.output):
            shapes[vi.name] = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        vals = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
        keep, folded = [], {}
        for n in m.graph.node:
            r = _eval_node(n, vals, shapes)
            if r is None:
                keep.append(n)
            else:
                for o, x in zip(n.output, r):
                    vals[o] = folded[o] = x
        if not folded:
            return inf
        used = {i for n in keep for i in n.input} | {o.name for o in m.graph.output}
        del m.graph.node[:]
        m.graph.node.extend(keep)
        for o, x in folded.items():
            if o in used:
                m.graph.initializer.append(numpy_helper.from_array(np.asarray(x), o))


def walk_onnx(model):
    m = fold_constants(model)
    g = m.graph
    shapes = {}
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        shapes[vi.name] = [d.dim_value for d in vi.type.tensor_type.shape.dim]
    inits = {t.name: list(t.dims) for t in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    consumers = collections.defaultdict(list)
    for n in g.node:
        for i in n.input:
            consumers[i].append(n)

    def const_dims(name):
        if name in inits:
            return inits[name]
        p = producer.get(name)
        if p is None:
            return None
        if p.op_type == "DequantizeLinear":
            return const_dims(p.input[0])
        if p.op_type == "Constant":
            return list(p.attribute[0].t.dims)
        return None

    def next_real(name):
        """Sole consumer, skipping Quantize/DequantizeLinear pairs."""
        cs = consumers.get(name, [])
        if len(cs) != 1:
            return None
        c = cs[0]
        if c.op_type in ("QuantizeLinear", "DequantizeLinear"):
            return next_real(c.output[0])
        return c

    def prev_real(name):
        p = producer.get(name)
        if p is not None and p.op_type in ("QuantizeLinear", "DequantizeLinear"):
            return prev_real(p.input[0])
        return p

    def attr(n, key, default):
        for a in n.attribute:
            if a.name == key:
                return helper.get_attribute_value(a)
        return default

    r = dict(macs=0, params=0, conv_layers=0, depthwise_layers=0, dense_layers=0)
    for n in g.node:
        op = n.op_type
        if op in ("Conv", "QLinearConv"):
            wi, bi = (1, 2) if op == "Conv" else (3, 8)
            w = const_dims(n.input[wi])
            out = shapes[n.output[0]]
            grp = attr(n, "group", 1)
            r["macs"] += prod(out[1:]) * prod(w[1:])
            r["params"] += prod(w)
            if len(n.input) > bi and n.input[bi]:
                r["params"] += prod(const_dims(n.input[bi]))
            elif (nx := next_real(n.output[0])) is not None and \
                    nx.op_type == "BatchNormalization":
                r["params"] += w[0]
            r["conv_layers"] += 1
            cin = shapes[n.input[0]][1]
            if grp > 1 and grp == cin == w[0]:
                r["depthwise_layers"] += 1
        elif op in ("Gemm", "MatMul", "QLinearMatMul"):
            wi = {"Gemm": 1, "MatMul": 1, "QLinearMatMul": 3}[op]
            w = const_dims(n.input[wi])
            out = shapes[n.output[0]]
            if op == "Gemm" and attr(n, "transB", 0):
                k, nout = w[1], w[0]
            else:
                k, nout = w[0], w[1]
            r["macs"] += prod(out[1:]) * k
            r["params"] += prod(w)
            has_bias = False
            if op == "Gemm" and len(n.input) > 2 and n.input[2]:
                r["params"] += prod(const_dims(n.input[2]))
                has_bias = True
            else:
                nx = next_real(n.output[0])
                if nx is not None and nx.op_type == "Add":
                    other = [i for i in nx.input if const_dims(i) is not None]
                    if other:
                        r["params"] += prod(const_dims(other[0]))
                        has_bias = True
            if not has_bias:
                nx = next_real(n.output[0])
                if nx is not None and nx.op_type == "BatchNormalization":
                    r["params"] += nout
            r["dense_layers"] += 1
        elif op == "BatchNormalization":
            p = prev_real(n.input[0])
            if p is None or p.op_type not in ("Conv", "Gemm", "MatMul",
                                              "QLinearConv", "QLinearMatMul"):
                r["params"] += 2 * prod(const_dims(n.input[1]))
    r["input_shape"] = shapes[g.input[0].name][1:]
    r["output_shape"] = shapes[g.output[0].name][1:]
    return r


# ---------------------------------------------------------------------------
def op_types(model_bytes):
    m = onnx.load_from_string(model_bytes)
    return sorted(collections.Counter(n.op_type for n in m.graph.node).items())


def check_valid(model):
    onnx.checker.check_model(model, full_check=True)
    onnx.shape_inference.infer_shapes(model, strict_mode=True)


def build_qlinear_conv():
    """QuantizeLinear -> QLinearConv (3x3, pads 1, int32 bias) -> depthwise QLinearConv
    (group 8, stride 2) -> DequantizeLinear -> GlobalAveragePool -> Flatten -> Gemm(10).
    Expected totals from this layer list: MACs 16*16*8*27 + 8*8*8*9 + 8*10 = 59,984;
    params (8*27 + 8) + (8*9 + 8) + (8*10 + 10) = 394."""
    rng = np.random.default_rng(505)
    inits = []

    def init(name, arr):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    s_ = init("s", np.array(0.05, dtype=np.float32))
    z_ = init("z", np.array(0, dtype=np.int8))
    nodes = [helper.make_node("QuantizeLinear", ["input", s_, z_], ["xq"], name="quant_in")]
    w1 = init("w1", rng.integers(-127, 128, (8, 3, 3, 3)).astype(np.int8))
    b1 = init("b1", rng.integers(-1000, 1000, (8,)).astype(np.int32))
    nodes.append(helper.make_node("QLinearConv", ["xq", s_, z_, w1, s_, z_, s_, z_, b1],
                                  ["c1"], name="qconv1", pads=[1, 1, 1, 1]))
    w2 = init("w2", rng.integers(-127, 128, (8, 1, 3, 3)).astype(np.int8))
    b2 = init("b2", rng.integers(-1000, 1000, (8,)).astype(np.int32))
    nodes.append(helper.make_node("QLinearConv", ["c1", s_, z_, w2, s_, z_, s_, z_, b2],
                                  ["c2"], name="qdwconv", group=8, strides=[2, 2],
                                  pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("DequantizeLinear", ["c2", s_, z_], ["c2f"], name="dequant"))
    nodes.append(helper.make_node("GlobalAveragePool", ["c2f"], ["gap"], name="gap"))
    nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], name="flatten"))
    wf = init("wf", rng.standard_normal((10, 8)).astype(np.float32))
    bf = init("bf", rng.standard_normal((10,)).astype(np.float32))
    nodes.append(helper.make_node("Gemm", ["flat", wf, bf], ["output"], name="fc", transB=1))
    g = helper.make_graph(
        nodes, "qlinear_conv",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 10])],
        initializer=inits)
    exp = dict(macs=16 * 16 * 8 * 27 + 8 * 8 * 8 * 9 + 8 * 10, params=224 + 80 + 90,
               conv_layers=2, depthwise_layers=1, dense_layers=1, input_shape=[3, 16, 16],
               output_shape=[10])
    return make_model(g, "int8 QLinearConv fixture"), exp


def main():
    os.makedirs(os.path.join(OUT_DIR, "mlperf_tiny"), exist_ok=True)
    expected = {}
    written = []

    def write(rel, data):
        path = os.path.join(OUT_DIR, rel)
        with open(path, "wb") as f:
            f.write(data)
        written.append((rel, len(data), hashlib.sha256(data).hexdigest()[:16]))
        return data

    def save_valid(rel, model, exp):
        check_valid(model)
        walked = walk_onnx(model)
        for key, val in exp.items():
            assert walked[key] == val, (rel, key, walked[key], val)
        expected[rel] = exp
        return write(rel, model.SerializeToString())

    # 1. MLPerf Tiny float models
    for name, fn in [("kws", build_kws), ("vww", build_vww), ("ic", build_ic),
                     ("ad", build_ad)]:
        net, out = fn("float")
        model = net.model(out, "MLPerf Tiny %s reference architecture, random weights, "
                               "BN not folded (Keras->ONNX style)" % name)
        exp = net.expected()
        assert exp["macs"] == MLPERF_TABLE[name]["macs"], (name, exp)
        assert exp["params"] == MLPERF_TABLE[name]["params"], (name, exp)
        save_valid("mlperf_tiny/%s.onnx" % name, model, exp)

    # 2. IC in QDQ form
    net, out = build_ic("qdq")
    model = net.model(out, "ResNet-8 (MLPerf Tiny IC) in ONNX Runtime style QDQ int8 form")
    exp = net.expected()
    assert exp["macs"] == MLPERF_TABLE["ic"]["macs"] and \
        exp["params"] == MLPERF_TABLE["ic"]["params"]
    save_valid("mlperf_tiny/ic_qdq.onnx", model, exp)

    # 3. AD as QLinearMatMul
    net, out = build_ad("qlinear")
    model = net.model(out, "FC autoencoder (MLPerf Tiny AD) with QLinearMatMul int8 layers")
    exp = net.expected()
    assert exp["macs"] == MLPERF_TABLE["ad"]["macs"] and \
        exp["params"] == MLPERF_TABLE["ad"]["params"]
    save_valid("mlperf_tiny/ad_qlinear.onnx", model, exp)

    # 4. small unit fixtures
    for rel, fn in [("grouped_conv.onnx", build_grouped_conv),
                    ("concat.onnx", build_concat),
                    ("tcn.onnx", build_tcn),
                    ("reshape_const.onnx", build_reshape_const)]:
        net, out = fn()
        save_valid(rel, net.model(out), net.expected())
    save_valid("qlinear_conv.onnx", *build_qlinear_conv())

    # torch exports
    torch_ops = {}
    # torch_tinynet is exported with a symbolic batch dim ("batch"): with a static
    # batch, torch folds x.view(x.size(0), -1) into a constant Reshape and the
    # Shape->Gather->Unsqueeze->Concat->Reshape chain would not appear.
    for rel, model, x, seed, dyn in [
            ("torch_tinynet.onnx", TinyNet(), torch.zeros(1, 3, 32, 32), 601, True),
            ("torch_tcn.onnx", TorchTCN(causal=True), torch.zeros(1, 8, 64), 602, False),
            ("torch_tcn_nopad.onnx", TorchTCN(causal=False), torch.zeros(1, 8, 64), 602,
             False)]:
        randomize_torch(model, seed)
        exp = torch_expected(model, x)
        data = export_torch(model, x, dyn)
        data2 = export_torch(model, x, dyn)
        assert data == data2, rel + ": torch export is not byte-deterministic in-process"
        m = onnx.load_from_string(data)
        check_valid(m)
        walked = walk_onnx(m)
        for key, val in exp.items():
            assert walked[key] == val, (rel, key, walked[key], val)
        expected[rel] = exp
        write(rel, data)
        torch_ops[rel] = op_types(data)

    # unsupported op (valid ONNX)
    m = build_unsupported_op()
    check_valid(m)
    write("unsupported_op.onnx", m.SerializeToString())

    # broken fixtures (onnx.checker deliberately skipped)
    write("dangling_input.onnx", build_dangling_input().SerializeToString())
    write("missing_weight.onnx", build_missing_weight().SerializeToString())
    with open(os.path.join(OUT_DIR, "mlperf_tiny", "kws.onnx"), "rb") as f:
        kws = f.read()
    trunc = kws[: int(len(kws) * 0.6)]
    write("truncated.onnx", trunc)
    rnd = np.random.default_rng(777).bytes(4096)
    write("random_bytes.onnx", rnd)
    write("empty.onnx", b"")

    # make sure the unreadable ones really are unreadable as models
    for rel, data in [("truncated.onnx", trunc), ("random_bytes.onnx", rnd)]:
        try:
            mm = onnx.load_from_string(data)
            ok = len(mm.graph.node) > 0
        except Exception:
            ok = False
        assert not ok, rel + " parsed as a model with nodes"
    for fn in (build_dangling_input, build_missing_weight):
        try:
            onnx.checker.check_model(fn(), full_check=True)
            raise AssertionError(fn.__name__ + " passed onnx.checker")
        except onnx.checker.ValidationError:
            pass
        except onnx.shape_inference.InferenceError:
            pass

    errors = {
        "unsupported_op.onnx": {"error": "unsupported_op", "op_type": "Einsum",
                                "node": "weird_node"},
        "dangling_input.onnx": {"error": "undefined_tensor", "tensor": "ghost_tensor",
                                "node": "add_ghost"},
        "missing_weight.onnx": {"error": "missing_initializer",
                                "tensor": "conv_weight_missing", "node": "conv"},
        "truncated.onnx": {"error": "parse"},
        "random_bytes.onnx": {"error": "parse"},
        # 0 bytes decode as a valid, empty ModelProto: reject for having no graph
        "empty.onnx": {"error": "empty_model"},
    }

    def dump(rel, obj):
        data = (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode()
        write(rel, data)

    dump("expected.json", expected)
    dump("expected_errors.json", errors)

    total = 0
    for rel, size, h in written:
        total += size
        print("%-34s %9d  sha256:%s" % (rel, size, h))
    print("total bytes: %d" % total)
    for rel, ops in torch_ops.items():
        print("%s ops: %s" % (rel, ", ".join("%s x%d" % kv for kv in ops)))
    assert total < 4 * 1024 * 1024, total


if __name__ == "__main__":
    sys.exit(main())
