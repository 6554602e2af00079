#!/usr/bin/python3
"""Generate a corpus of bad inputs for the edgesim CLI and run it (issue 12, "Hardening").

Every bad input should end in exit 2 with a message naming the file/field/reason: no crash,
no sanitizer report, no hang, no internal error (exit 1) and no output file left behind.

    scripts/bad_input_corpus.py --edgesim build/apps/edgesim \
        --edgesim build-asan/apps/edgesim --config-dir configs \
        --out-dir /tmp/badinput/run1 --seed 1 --count 600 [--timeout 20] [--jobs 2] [--keep-cases]

Cases are derived deterministically from --seed (case i uses its own generator seeded with
"<seed>:<i>"), by mutating real inputs: platform/stack/network/study/calibration/conditions
textprotos of --config-dir, mapping files written by `simulate --write-mapping`, the ONNX
fixtures of tests/data/onnx, the measurement CSVs, HDF5 sweep files, and hostile CLI
arguments. Each run happens in its own empty working directory with every output inside it.

Outputs (in --out-dir):
  summary.json     counts per class per binary
  results.jsonl    one line per run: case id, binary, class, exit code
  failures.jsonl   one line per non-clean run (class other than clean_error, or accepted
                   with suspicious output): case id, mutation, exact command, class, stderr head
  cases/<id>/      the case's inputs (kept only with --keep-cases)
  seed/            the generated seed inputs (mappings, sweep files) the cases derive from

Classes: clean_error (exit 2, stderr non-empty), accepted (exit 0), internal_error (exit 1 or
another non-zero exit, or exit 2 without a message), crash (killed by a signal), sanitizer
("runtime error:", "AddressSanitizer", "LeakSanitizer" in stderr), hang (timeout), alloc
(std::bad_alloc in stderr), leftover (files left in the working directory after a failing
exit; *.tmp files always). Standard library only.
"""
import argparse
import concurrent.futures
import csv
import io
import json
import math
import os
import random
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

INT64_MAX = 9223372036854775807
INT64_MIN = -9223372036854775808
HOSTILE_NUMBERS = ["0", "-1", str(INT64_MAX), str(INT64_MIN), str(2**31), str(2**62), "nan",
                   "inf", "-inf", "1e308", "1e-320", "18446744073709551615", "0.5", "-0",
                   "1e400", "-1e308", "4294967296"]
HOSTILE_CLI_FLOATS = ["0", "-1", "nan", "inf", "-inf", "1e308", "1e-320", "-0", "abc", ""]
TEN_MB = 10 * 1024 * 1024

# Platform/stack pairs the stacks target (`edgesim list stacks`).
PAIRS = [
    ("nucleo-l4r5zi", "tflm-2.3"), ("nucleo-l4r5zi", "x-cube-ai-7.3"),
    ("nucleo-h7a3zi-q", "x-cube-ai-7.3"), ("nucleo-u575zi-q", "x-cube-ai-7.3"),
    ("nucleo-g0b1re", "tflm-cmsis-nn"), ("disco-f746ng", "x-cube-ai-7.3"),
    ("ek-ra6m4", "tflm-cmsis-nn"), ("nrf5340-dk", "tflm-cmsis-nn"),
    ("gap8", "gap-flow"), ("gap9-evk", "gap-flow"),
    ("corstone-300-ethos-u55", "vela"), ("corstone-300-ethos-u55-256", "vela"),
    ("stm32n6570-dk", "stedge-ai"), ("diana", "htvm"),
]
NETWORKS = ["mlperf_tiny/kws", "mlperf_tiny/vww", "mlperf_tiny/ic", "mlperf_tiny/ad"]
MAPPING_SEEDS = [("gap9-evk", "gap-flow", "mlperf_tiny/ic"), ("diana", "htvm", "mlperf_tiny/kws"),
                 ("stm32n6570-dk", "stedge-ai", "mlperf_tiny/vww"),
                 ("corstone-300-ethos-u55", "vela", "mlperf_tiny/ad")]
ONNX_SEEDS = ["mlperf_tiny/ad.onnx", "mlperf_tiny/ic.onnx", "mlperf_tiny/kws.onnx",
              "mlperf_tiny/vww.onnx", "mlperf_tiny/ic_qdq.onnx", "mlperf_tiny/ad_qlinear.onnx",
              "concat.onnx", "grouped_conv.onnx", "qlinear_conv.onnx", "reshape_const.onnx",
              "tcn.onnx", "torch_tcn.onnx", "torch_tcn_nopad.onnx", "torch_tinynet.onnx",
              "corpus/cnn1d.onnx", "corpus/nhwc_tf2onnx_style.onnx", "corpus/resnet18.onnx",
              "corpus/squeezenet1_1.onnx", "corpus/tiny_unet.onnx",
              "corpus/quantized_qnnpack.onnx", "corpus/mobilenet_v3_small.onnx"]
PRECISION_SEED = b'''base: "int8"
layers { layer: "conv*" weights: "int4" activations: "int16" }
layers { layer: "*" weights: "int8" activations: "int8" }
'''

# --------------------------------------------------------------------------------------------
# textproto tokenizer (enough to find fields, values, blocks and lists with their byte spans)

_PUNCT = set("{}[]:,<>;")


def tp_tokens(text):
    toks = []  # (kind, start, end)  kind: word | str | punct char
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            toks.append(("str", i, min(j + 1, n)))
            i = j + 1
        elif c in _PUNCT:
            toks.append((c, i, i + 1))
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _PUNCT and text[j] not in "\"'#":
                j += 1
            toks.append(("word", i, j))
            i = j
    return toks


def _matches(toks):
    """Index of the closing bracket of every opening one (linear; unclosed -> last token)."""
    pairs = {"{": "}", "<": ">", "[": "]"}
    m, st = {}, []
    for j, t in enumerate(toks):
        if t[0] in pairs:
            st.append(j)
        elif t[0] in ("}", ">", "]"):
            while st:
                o = st.pop()
                m[o] = j
                if pairs[toks[o][0]] == t[0]:
                    break
    for o in st:
        m[o] = len(toks) - 1
    return m


def tp_fields(text):
    """Occurrences of fields: dicts with kind scalar|list|block, name, span and value span,
    and for scalars the value kind (num|str|ident) and a path (name[i].sub...)."""
    toks = tp_tokens(text)
    match = _matches(toks)
    out = []
    stack = [("", {})]  # (prefix, counts)

    def word(t):
        return text[t[1]:t[2]]

    k = 0
    while k < len(toks):
        t = toks[k]
        if t[0] == "}" or t[0] == ">":
            if len(stack) > 1:
                stack.pop()
            k += 1
            continue
        if t[0] != "word" or k + 1 >= len(toks):
            k += 1
            continue
        name = word(t)
        prefix, counts = stack[-1]
        j = k + 1
        colon = toks[j][0] == ":"
        if colon:
            j += 1
        if j >= len(toks):
            break
        v = toks[j]
        if v[0] in "{<":
            end = match[j]
            idx = counts.get(name, 0)
            counts[name] = idx + 1
            out.append(dict(kind="block", name=name, start=t[1], end=toks[end][2],
                            vstart=v[1], vend=toks[end][2], path=f"{prefix}{name}[{idx}]"))
            # cap the path depth: deeply nested mutations would make paths quadratic in size
            sub = f"{prefix}{name}[{idx}]." if len(stack) < 40 else prefix
            stack.append((sub, {}))
            k = j + 1
            continue
        if not colon:
            k += 1
            continue
        if v[0] == "[":
            end = match[j]
            out.append(dict(kind="list", name=name, start=t[1], end=toks[end][2], vstart=v[1],
                            vend=toks[end][2], path=f"{prefix}{name}"))
            k = end + 1
            continue
        end = j
        if v[0] == "str":
            while end + 1 < len(toks) and toks[end + 1][0] == "str":
                end += 1
            vk = "str"
        elif v[0] == "word":
            vk = "num" if re.match(r"^[-+]?(\d|\.\d|inf|nan)", word(v), re.I) else "ident"
        else:
            k += 1
            continue
        out.append(dict(kind="scalar", name=name, start=t[1], end=toks[end][2], vstart=v[1],
                        vend=toks[end][2], vkind=vk, value=text[v[1]:toks[end][2]],
                        path=f"{prefix}{name}"))
        k = end + 1
    return out


def _splice(text, a, b, new):
    return text[:a] + new + text[b:]


def hostile_string(rng):
    r = rng.randrange(8)
    if r == 0:
        return '""', "empty string"
    if r == 1:
        return '"\\xff"', 'non-UTF-8 escape "\\xff"'
    if r == 2:
        return '"' + "A" * TEN_MB + '"', "10 MB string"
    if r == 3:
        return '"\\000"', "NUL byte string"
    if r == 4:
        return '"\xff\xfe"', "raw non-UTF-8 bytes in string"
    if r == 5:
        return '"../../../etc/passwd"', "path-traversal name"
    if r == 6:
        return '"nonexistent_xyz"', "unknown name"
    return '"' + "x" * 70000 + '"', "64 kB string"


def mutate_textproto(text, rng, nmut=None):
    """Apply 1..3 mutations; returns (new_text, [descriptions])."""
    descs = []
    if nmut is None:
        nmut = rng.choice([1, 1, 1, 2, 3])
    for _ in range(nmut):
        fields = tp_fields(text)
        scal = [f for f in fields if f["kind"] == "scalar"]
        nums = [f for f in scal if f["vkind"] == "num"]
        strs = [f for f in scal if f["vkind"] == "str"]
        idents = [f for f in scal if f["vkind"] == "ident"]
        lists = [f for f in fields if f["kind"] == "list"]
        blocks = [f for f in fields if f["kind"] == "block"]
        op = rng.choice(["num"] * 6 + ["str"] * 2 + ["ident", "list", "remove", "remove",
                         "dup", "block_remove", "block_dup", "block_empty", "truncate",
                         "garbage", "num_any", "deep", "unknown_field"])
        if op == "num" and nums:
            f = rng.choice(nums)
            v = rng.choice(HOSTILE_NUMBERS)
            text = _splice(text, f["vstart"], f["vend"], v)
            descs.append(f"{f['path']}: {f['value']} -> {v}")
        elif op == "num_any" and scal:
            f = rng.choice(scal)
            v = rng.choice(HOSTILE_NUMBERS)
            text = _splice(text, f["vstart"], f["vend"], v)
            descs.append(f"{f['path']} (was {f['value'][:40]}) -> number {v}")
        elif op == "str" and strs:
            f = rng.choice(strs)
            v, d = hostile_string(rng)
            text = _splice(text, f["vstart"], f["vend"], v)
            descs.append(f"{f['path']}: {f['value'][:40]} -> {d}")
        elif op == "ident" and idents:
            f = rng.choice(idents)
            v = rng.choice(["UNKNOWN_ENUM_XYZ", "999", "-1", '""', "true", "0"])
            text = _splice(text, f["vstart"], f["vend"], v)
            descs.append(f"{f['path']}: {f['value']} -> {v}")
        elif op == "list" and lists:
            f = rng.choice(lists)
            r = rng.randrange(4)
            if r == 0:
                v, d = "[]", "empty list"
            elif r == 1:
                v, d = "[" + rng.choice(HOSTILE_NUMBERS) + "]", "one hostile number"
            elif r == 2:
                v, d = "[" + ", ".join(["1"] * 200000) + "]", "200000 elements"
            else:
                v, d = '[""]', "one empty string"
            text = _splice(text, f["vstart"], f["vend"], v)
            descs.append(f"{f['path']}: list -> {d}")
        elif op == "remove" and scal:
            f = rng.choice(scal)
            text = _splice(text, f["start"], f["end"], "")
            descs.append(f"removed {f['path']}")
        elif op == "dup" and scal:
            f = rng.choice(scal)
            text = _splice(text, f["end"], f["end"], " " + text[f["start"]:f["end"]])
            descs.append(f"duplicated {f['path']}")
        elif op == "block_remove" and blocks:
            f = rng.choice(blocks)
            text = _splice(text, f["start"], f["end"], "")
            descs.append(f"removed block {f['path']}")
        elif op == "block_dup" and blocks:
            f = rng.choice(blocks)
            text = _splice(text, f["end"], f["end"], "\n" + text[f["start"]:f["end"]])
            descs.append(f"duplicated block {f['path']}")
        elif op == "block_empty" and blocks:
            f = rng.choice(blocks)
            text = _splice(text, f["vstart"], f["vend"], "{ }")
            descs.append(f"emptied block {f['path']}")
        elif op == "truncate" and len(text) > 2:
            cut = rng.randrange(1, len(text))
            text = text[:cut]
            descs.append(f"truncated at byte {cut}")
        elif op == "garbage":
            pos = rng.randrange(len(text) + 1)
            g = rng.choice(["}", "{", '"', "\x00", "\xff\xfe", ": :", "[", "<", "\\"])
            text = text[:pos] + g + text[pos:]
            descs.append(f"inserted {g!r} at byte {pos}")
        elif op == "deep":
            if blocks:
                name = rng.choice(blocks)["name"]
            else:
                name = "x"
            depth = rng.choice([200, 5000, 100000])
            text += "\n" + (name + " { ") * depth + "}" * depth + "\n"
            descs.append(f"appended {depth}-deep nested '{name}' blocks")
        elif op == "unknown_field":
            text += '\nzz_unknown_field: 1\n'
            descs.append("appended unknown field")
        else:
            cut = rng.randrange(len(text) // 2 + 1)
            text = text[:cut]
            descs.append(f"(fallback) truncated at byte {cut}")
    return text, descs


def tp_scalar_paths(text):
    """(path, value) of scalars, paths in --set syntax (name=X selector when known)."""
    fields = tp_fields(text)
    out = []
    # block path -> name-selector path
    names = {}
    for f in fields:
        if f["kind"] == "scalar" and f["name"] == "name" and f["vkind"] == "str":
            parent = f["path"][: -len(".name")]
            if parent.endswith("]"):
                names[parent] = parent[: parent.rfind("[")] + "[name=" + f["value"].strip('"') + "]"
    for f in fields:
        if f["kind"] != "scalar":
            continue
        p = f["path"]
        for blk, sel in names.items():
            if p.startswith(blk + "."):
                p = sel + p[len(blk):]
                break
        out.append((p, f["value"]))
    return out

# --------------------------------------------------------------------------------------------
# minimal protobuf wire codec (for ONNX)


def _rv(buf, i):
    r, s = 0, 0
    while True:
        if i >= len(buf):
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        r |= (b & 0x7F) << s
        if not b & 0x80:
            return r, i
        s += 7
        if s > 70:
            raise ValueError("varint too long")


def _wv(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_decode(buf):
    out, i = [], 0
    while i < len(buf):
        key, i = _rv(buf, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _rv(buf, i)
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        elif wt == 2:
            ln, i = _rv(buf, i)
            if i + ln > len(buf):
                raise ValueError("truncated field")
            v, i = buf[i:i + ln], i + ln
        else:
            raise ValueError(f"wire type {wt}")
        out.append([f, wt, v])
    return out


def pb_encode(fields):
    out = bytearray()
    for f, wt, v in fields:
        out += _wv((f << 3) | wt)
        if wt == 0:
            out += _wv(v)
        elif wt == 2:
            out += _wv(len(v)) + bytes(v)
        else:
            out += bytes(v)
    return bytes(out)


def _sub(fields, num):
    return [x for x in fields if x[0] == num and x[1] == 2]


def _s(v):
    try:
        return bytes(v).decode("utf-8", "replace")
    except Exception:
        return "?"


def _set_dims(tensor_fields, dims):
    rest = [x for x in tensor_fields if x[0] != 1]
    return [[1, 0, d] for d in dims] + rest


def _get_dims(tensor_fields):
    dims = []
    for f, wt, v in tensor_fields:
        if f == 1:
            if wt == 0:
                dims.append(v - (1 << 64) if v >= 1 << 63 else v)
            elif wt == 2:
                i = 0
                while i < len(v):
                    d, i = _rv(v, i)
                    dims.append(d - (1 << 64) if d >= 1 << 63 else d)
    return dims


HOSTILE_DIMS = [2**62, -1, 0, INT64_MAX, 2**31, INT64_MIN, -(2**62), 2**40]


def mutate_onnx(data, rng):
    """Returns (bytes, description)."""
    op = rng.choice(["byteflip"] * 4 + ["truncate"] * 3 + [
        "init_dims", "init_dims", "input_dim", "input_dim", "attr_ints", "attr_ints",
        "attr_ints", "attr_drop", "node_input", "node_drop", "node_dup", "op_type",
        "raw_trunc", "dtype", "init_drop", "opset", "ir_version", "graph_drop",
        "init_values", "node_flood", "len_corrupt", "value_info_dim"])
    if op == "byteflip":
        b = bytearray(data)
        k = rng.choice([1, 2, 4, 16, 64])
        pos = [rng.randrange(len(b)) for _ in range(k)]
        for p in pos:
            b[p] ^= rng.randrange(1, 256)
        return bytes(b), f"flipped {k} random bytes (first at {pos[0]})"
    if op == "truncate":
        cut = rng.randrange(0, len(data))
        return data[:cut], f"truncated to {cut} of {len(data)} bytes"
    if op == "len_corrupt":
        b = bytearray(data)
        # the graph field (7, wire type 2) length: make it claim more than the file holds
        model = pb_decode(data)
        i = 0
        while i < len(b):
            key, j = _rv(b, i)
            f, wt = key >> 3, key & 7
            if wt == 2:
                ln, k = _rv(b, j)
                if f == 7:
                    new = _wv(rng.choice([2**31, 2**62, ln + 1, 0x7FFFFFFF]))
                    return bytes(b[:j]) + new + bytes(b[k:]), "graph length varint set huge"
                i = k + ln
            elif wt == 0:
                _, i = _rv(b, j)
            elif wt == 1:
                i = j + 8
            elif wt == 5:
                i = j + 4
            else:
                break
        del model
        return data[:-1], "(fallback) dropped last byte"
    model = pb_decode(data)
    gi = [k for k, x in enumerate(model) if x[0] == 7 and x[1] == 2]
    if not gi:
        return data[: len(data) // 2], "(no graph) truncated"
    g = pb_decode(model[gi[0]][2])
    desc = op

    def put_graph():
        model[gi[0]][2] = pb_encode(g)
        return pb_encode(model)

    nodes = [k for k, x in enumerate(g) if x[0] == 1 and x[1] == 2]
    inits = [k for k, x in enumerate(g) if x[0] == 5 and x[1] == 2]
    if op in ("init_dims", "raw_trunc", "dtype", "init_values", "init_drop") and not inits:
        op = "attr_ints"
    if op == "init_dims":
        k = rng.choice(inits)
        t = pb_decode(g[k][2])
        dims = _get_dims(t) or [1]
        di = rng.randrange(len(dims))
        dims[di] = rng.choice(HOSTILE_DIMS)
        name = _s(next((v for f, wt, v in t if f == 8), b""))
        g[k][2] = pb_encode(_set_dims(t, dims))
        return put_graph(), f"initializer '{name}' dims -> {dims}"
    if op == "raw_trunc":
        k = rng.choice(inits)
        t = pb_decode(g[k][2])
        name = _s(next((v for f, wt, v in t if f == 8), b""))
        raw = [x for x in t if x[0] == 9]
        if raw:
            n = len(raw[0][2])
            keep = rng.choice([0, 1, n // 2, max(n - 1, 0)])
            raw[0][2] = raw[0][2][:keep]
            g[k][2] = pb_encode(t)
            return put_graph(), f"initializer '{name}' raw_data truncated {n} -> {keep} bytes"
        t = [x for x in t if x[0] not in (4, 5, 6, 7, 10, 11)]
        g[k][2] = pb_encode(t)
        return put_graph(), f"initializer '{name}' typed data removed"
    if op == "dtype":
        k = rng.choice(inits)
        t = pb_decode(g[k][2])
        name = _s(next((v for f, wt, v in t if f == 8), b""))
        dt = rng.choice([0, 8, 16, 99, -1, 2**31])
        t = [x for x in t if x[0] != 2] + [[2, 0, dt]]
        g[k][2] = pb_encode(t)
        return put_graph(), f"initializer '{name}' data_type -> {dt}"
    if op == "init_values":
        cand = []
        for k in inits:
            t = pb_decode(g[k][2])
            dt = next((v for f, wt, v in t if f == 2), 0)
            if dt == 7 and any(x[0] == 9 for x in t):
                cand.append(k)
        if cand:
            k = rng.choice(cand)
            t = pb_decode(g[k][2])
            name = _s(next((v for f, wt, v in t if f == 8), b""))
            raw = next(x for x in t if x[0] == 9)
            vals = [int.from_bytes(raw[2][i:i + 8], "little", signed=True)
                    for i in range(0, len(raw[2]) - 7, 8)]
            if vals:
                vi = rng.randrange(len(vals))
                vals[vi] = rng.choice([0, -1, -2, 2**62, INT64_MAX, INT64_MIN, 2**31])
                raw[2] = b"".join(v.to_bytes(8, "little", signed=True) for v in vals)
                g[k][2] = pb_encode(t)
                return put_graph(), f"int64 initializer '{name}' values -> {vals[:8]}"
        op = "init_drop"
    if op == "init_drop":
        k = rng.choice(inits)
        name = _s(next((v for f, wt, v in pb_decode(g[k][2]) if f == 8), b""))
        del g[k]
        return put_graph(), f"removed initializer '{name}'"
    if op in ("input_dim", "value_info_dim"):
        fnum = 11 if op == "input_dim" else rng.choice([12, 13, 11])
        vis = [k for k, x in enumerate(g) if x[0] == fnum and x[1] == 2]
        if vis:
            k = rng.choice(vis)
            vi = pb_decode(g[k][2])
            name = _s(next((v for f, wt, v in vi if f == 1), b""))
            for tx in vi:
                if tx[0] == 2:
                    tp = pb_decode(tx[2])
                    for tt in tp:
                        if tt[0] == 1:
                            tens = pb_decode(tt[2])
                            for sh in tens:
                                if sh[0] == 2:
                                    dims = pb_decode(sh[2])
                                    dl = [d for d in dims if d[0] == 1]
                                    if dl:
                                        d = rng.choice(dl)
                                        hv = rng.choice(HOSTILE_DIMS)
                                        d[2] = pb_encode([[1, 0, hv]])
                                        sh[2] = pb_encode(dims)
                                        tt[2] = pb_encode(tens)
                                        tx[2] = pb_encode(tp)
                                        g[k][2] = pb_encode(vi)
                                        return put_graph(), (f"graph field {fnum} value_info "
                                                             f"'{name}' a dim -> {hv}")
        op = "attr_ints"
    if not nodes:
        return put_graph()[:-3], "(no nodes) truncated"
    k = rng.choice(nodes)
    nd = pb_decode(g[k][2])
    nname = _s(next((v for f, wt, v in nd if f == 3), b""))
    otype = _s(next((v for f, wt, v in nd if f == 4), b""))
    if op == "attr_ints":
        cands = [(ki, kn) for ki in nodes for kn in [pb_decode(g[ki][2])]
                 if any(x[0] == 5 for x in kn)]
        if cands:
            ki, nd = rng.choice(cands)
            nname = _s(next((v for f, wt, v in nd if f == 3), b""))
            attrs = [x for x in nd if x[0] == 5]
            a = rng.choice(attrs)
            af = pb_decode(a[2])
            aname = _s(next((v for f, wt, v in af if f == 1), b""))
            hv = rng.choice([2**62, 2**31, -(2**31), -1, 0, INT64_MAX, 10**6, -(2**62)])
            ints = [x for x in af if x[0] == 8]
            if ints:
                if ints[0][1] == 2:  # packed
                    vals = []
                    i = 0
                    while i < len(ints[0][2]):
                        v, i = _rv(ints[0][2], i)
                        vals.append(v)
                    vals[rng.randrange(len(vals))] = hv
                    ints[0][2] = b"".join(_wv(v) for v in vals)
                else:
                    rng.choice(ints)[2] = hv
            elif any(x[0] == 3 for x in af):
                next(x for x in af if x[0] == 3)[2] = hv
            elif any(x[0] == 2 for x in af):
                import struct
                fv = rng.choice([float("nan"), float("inf"), -1.0, 1e38, 0.0])
                next(x for x in af if x[0] == 2)[2] = struct.pack("<f", fv)
                hv = fv
            else:
                af.append([8, 0, hv])
            a[2] = pb_encode(af)
            g[ki][2] = pb_encode(nd)
            return put_graph(), f"node '{nname}' attribute '{aname}' -> {hv}"
        op = "node_input"
    if op == "attr_drop":
        attrs = [x for x in nd if x[0] == 5]
        if attrs:
            a = rng.choice(attrs)
            aname = _s(next((v for f, wt, v in pb_decode(a[2]) if f == 1), b""))
            nd.remove(a)
            g[k][2] = pb_encode(nd)
            return put_graph(), f"node '{nname}' ({otype}) attribute '{aname}' removed"
        op = "node_input"
    if op == "node_input":
        ins = [x for x in nd if x[0] == 1]
        outs = [x for x in nd if x[0] == 2]
        r = rng.randrange(4)
        if ins and r == 0:
            rng.choice(ins)[2] = b"ghost_tensor_xyz"
            d = "an input -> undefined 'ghost_tensor_xyz'"
        elif ins and outs and r == 1:
            rng.choice(ins)[2] = outs[0][2]
            d = "an input -> its own output (cycle)"
        elif ins and r == 2:
            rng.choice(ins)[2] = b""
            d = "an input -> '' (optional/empty)"
        else:
            for o in outs:
                nd.remove(o)
            d = "outputs removed"
        g[k][2] = pb_encode(nd)
        return put_graph(), f"node '{nname}' ({otype}): {d}"
    if op == "node_drop":
        del g[k]
        return put_graph(), f"removed node '{nname}' ({otype})"
    if op == "node_dup":
        g.insert(k + 1, list(g[k]))
        return put_graph(), f"duplicated node '{nname}' ({otype})"
    if op == "node_flood":
        n = rng.choice([2000, 20000])
        g[k + 1:k + 1] = [list(g[k]) for _ in range(n)]
        return put_graph(), f"node '{nname}' ({otype}) repeated {n} times"
    if op == "op_type":
        new = rng.choice(["Einsum", "", "Conv", "Loop", "MatMul", "Reshape", "conv"])
        nd = [x for x in nd if x[0] != 4] + [[4, 2, new.encode()]]
        g[k][2] = pb_encode(nd)
        return put_graph(), f"node '{nname}' op_type {otype} -> '{new}'"
    if op == "opset":
        ops = [x for x in model if x[0] == 8]
        if ops and rng.random() < 0.7:
            o = pb_decode(ops[0][2])
            v = rng.choice([0, 1, 10**9, -1, 6])
            o = [x for x in o if x[0] != 2] + [[2, 0, v]]
            ops[0][2] = pb_encode(o)
            desc = f"opset_import version -> {v}"
        else:
            model[:] = [x for x in model if x[0] != 8]
            desc = "opset_import removed"
        model[gi[0]][2] = pb_encode(g)
        return pb_encode(model), desc
    if op == "ir_version":
        v = rng.choice([0, -1, 2**40, 100])
        model[:] = [x for x in model if x[0] != 1] + [[1, 0, v]]
        return pb_encode(model), f"ir_version -> {v}"
    if op == "graph_drop":
        del model[gi[0]]
        return pb_encode(model), "graph removed"
    return put_graph(), desc + " (no-op)"

# --------------------------------------------------------------------------------------------
# CSV mutation

CSV_BAD = {
    "value": ["0", "-1", "nan", "inf", "-inf", "1e308", "1e-320", "", "abc", "1e999", "-0"],
    "clock_mhz": ["0", "-1", "nan", "inf", "1e308", "", "abc", "1e-320", "-0"],
    "voltage_v": ["0", "-1", "nan", "inf", "1e308", "abc", "1e-320"],
    "unit": ["parsecs", "", "MS", "J", "us"],
    "metric": ["bogus", "", "Latency", "peak_memory", "macs"],
    "platform": ["unknown-board", "", "../platforms/gap8", "gap8"],
    "stack": ["unknown-stack", "", "vela"],
    "network": ["mlperf_tiny/nope", "", "/etc/passwd", "mlperf_tiny/../mlperf_tiny/ic",
                "x.onnx"],
    "strategy": ["bogus", ""],
    "source": ["", "\x00"],
}


def mutate_csv(text, rng):
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    op = rng.choice(["cell"] * 8 + ["drop_col", "dup_col", "header_only", "empty", "huge",
                     "unbalanced_quote", "nul", "bom_crlf", "extra_field", "short_row",
                     "truncate", "non_utf8", "dup_rows", "header_case"])

    def dump(h, b, lineterm="\n"):
        s = io.StringIO()
        w = csv.writer(s, lineterminator=lineterm)
        w.writerow(h)
        w.writerows(b)
        return s.getvalue()

    if op == "cell":
        n = rng.choice([1, 1, 3])
        descs = []
        for _ in range(n):
            col = rng.choice([c for c in header if c in CSV_BAD])
            ci = header.index(col)
            ri = rng.randrange(len(body))
            v = rng.choice(CSV_BAD[col])
            body[ri][ci] = v
            descs.append(f"row {ri + 1} {col} -> {v!r}")
        return dump(header, body), "; ".join(descs)
    if op == "drop_col":
        ci = rng.randrange(len(header))
        name = header[ci]
        return dump([c for i, c in enumerate(header) if i != ci],
                    [[c for i, c in enumerate(r) if i != ci] for r in body]), f"column '{name}' removed"
    if op == "dup_col":
        ci = rng.randrange(len(header))
        return dump(header + [header[ci]], [r + [r[ci]] for r in body]), f"column '{header[ci]}' duplicated"
    if op == "header_case":
        ci = rng.randrange(len(header))
        h = list(header)
        h[ci] = h[ci].upper() + " "
        return dump(h, body), f"header '{header[ci]}' -> {h[ci]!r}"
    if op == "header_only":
        return dump(header, []), "header only, no rows"
    if op == "empty":
        return "", "empty file"
    if op == "huge":
        n = rng.choice([20000, 100000])
        return dump(header, (body * (n // len(body) + 1))[:n]), f"{n} rows (repeated)"
    if op == "unbalanced_quote":
        s = dump(header, body)
        lines = s.split("\n")
        li = rng.randrange(1, len(lines) - 1)
        lines[li] = '"' + lines[li]
        return "\n".join(lines), f"unbalanced quote at line {li + 1}"
    if op == "nul":
        s = dump(header, body)
        p = rng.randrange(len(s))
        return s[:p] + "\x00" + s[p:], f"NUL byte at {p}"
    if op == "bom_crlf":
        return "\ufeff" + dump(header, body, "\r\n"), "UTF-8 BOM and CRLF line ends"
    if op == "extra_field":
        ri = rng.randrange(len(body))
        body[ri] = body[ri] + ["extra", "fields"]
        return dump(header, body), f"row {ri + 1} has 2 extra fields"
    if op == "short_row":
        ri = rng.randrange(len(body))
        body[ri] = body[ri][: rng.randrange(len(body[ri]))]
        return dump(header, body), f"row {ri + 1} truncated to {len(body[ri])} fields"
    if op == "truncate":
        s = dump(header, body)
        cut = rng.randrange(1, len(s))
        return s[:cut], f"truncated at byte {cut}"
    if op == "non_utf8":
        s = dump(header, body)
        p = rng.randrange(len(s))
        return s[:p] + "\udcff" + s[p:], f"byte 0xff at {p}"
    ri = rng.randrange(len(body))
    return dump(header, body + [body[ri]] * 3), f"row {ri + 1} repeated 3 times"

# --------------------------------------------------------------------------------------------
# case generation


class Case:
    def __init__(self, cid, kind):
        self.id = cid
        self.kind = kind
        self.desc = ""
        self.files = {}      # relpath under case input dir -> bytes | ("copytree", src) | ("symlink", target)
        self.setup = []      # shell commands run in the (empty) work dir before the binary
        self.args = []       # argv after the binary; "{IN}" = case input dir
        self.env = {}        # extra environment
        self.json_out = False


class Gen:
    def __init__(self, config_dir, seed_dir):
        self.cd = config_dir
        self.seed_dir = seed_dir
        self.cache = {}

    def read(self, path):
        if path not in self.cache:
            with open(path, "rb") as f:
                self.cache[path] = f.read()
        return self.cache[path]

    def text(self, path):
        return self.read(path).decode("utf-8", "surrogateescape")

    def gen(self, seed, i):
        rng = random.Random(f"{seed}:{i}")
        kinds = [("platform", 15), ("stack", 12), ("network", 9), ("mapping", 6), ("onnx", 17),
                 ("csv", 10), ("study", 7), ("calib", 4), ("conditions", 2), ("precision", 3),
                 ("set", 5), ("cli", 10), ("pareto", 4)]
        kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        c = Case(f"c{i:05d}", kind)
        getattr(self, "gen_" + kind)(c, rng)
        return c

    # helpers -----------------------------------------------------------------------------
    def cfg(self, c, rng, path_override=None):
        """--config-dir: the original, or a copy in the case dir (with one file replaced)."""
        if path_override:
            c.files["configs"] = ("copytree", self.cd)
            return ["--config-dir", "{IN}/configs"]
        return ["--config-dir", self.cd]

    def sim_outputs(self, c, rng):
        a = []
        if rng.random() < 0.5:
            a += ["--out", "out.h5"]
        if rng.random() < 0.3:
            a += ["--trace", "trace.json"]
        if rng.random() < 0.2:
            a += ["--write-mapping", "map.textproto"]
        return a

    def enc(self, s):
        return s.encode("utf-8", "surrogateescape")

    # kinds -------------------------------------------------------------------------------
    def _cfg_textproto_case(self, c, rng, sub, name, use_arg):
        src = os.path.join(self.cd, sub, name + ".textproto")
        text, descs = mutate_textproto(self.text(src), rng)
        via_dir = rng.random() < 0.4
        c.desc = f"{sub}/{name}.textproto: " + "; ".join(descs)
        if via_dir:
            c.files[f"configs/{sub}/{name}.textproto"] = self.enc(text)
            c.desc += " (via --config-dir copy)"
            return self.cfg(c, rng, True), name
        fn = f"{name}.textproto"
        c.files[fn] = self.enc(text)
        return self.cfg(c, rng), "{IN}/" + fn

    def gen_platform(self, c, rng):
        plat, stack = rng.choice(PAIRS)
        pre, p = self._cfg_textproto_case(c, rng, "platforms", plat, True)
        net = rng.choice(NETWORKS)
        fid = rng.choice(["tlm", "tlm", "analytical", "both"])
        c.args = pre + ["simulate", "-p", p, "-s", stack, "-n", net, "--fidelity", fid,
                        "--format", "json"] + self.sim_outputs(c, rng)
        c.json_out = True

    def gen_stack(self, c, rng):
        plat, stack = rng.choice(PAIRS)
        pre, s = self._cfg_textproto_case(c, rng, "stacks", stack, True)
        net = rng.choice(NETWORKS)
        fid = rng.choice(["tlm", "tlm", "analytical", "both"])
        c.args = pre + ["simulate", "-p", plat, "-s", s, "-n", net, "--fidelity", fid,
                        "--format", "json"] + self.sim_outputs(c, rng)
        c.json_out = True

    def gen_network(self, c, rng):
        net = rng.choice(NETWORKS)
        short = net.split("/")[1]
        text, descs = mutate_textproto(self.text(os.path.join(self.cd, "networks", net + ".textproto")), rng)
        if rng.random() < 0.3:
            c.files[f"configs/networks/{net}.textproto"] = self.enc(text)
            pre, n = self.cfg(c, rng, True), net
            c.desc = f"networks/{net}.textproto (via --config-dir copy): " + "; ".join(descs)
        else:
            c.files[short + ".textproto"] = self.enc(text)
            pre, n = self.cfg(c, rng), "{IN}/" + short + ".textproto"
            c.desc = f"networks/{net}.textproto: " + "; ".join(descs)
        if rng.random() < 0.35:
            c.args = pre + ["inspect", "-n", n, "--format", "json"]
            if rng.random() < 0.3:
                c.args += ["--quantize", "int8"]
        else:
            plat, stack = rng.choice(PAIRS)
            c.args = pre + ["simulate", "-p", plat, "-s", stack, "-n", n, "--fidelity",
                            rng.choice(["tlm", "analytical"]), "--format", "json"] + self.sim_outputs(c, rng)
        c.json_out = True

    def gen_mapping(self, c, rng):
        k = rng.randrange(len(MAPPING_SEEDS))
        plat, stack, net = MAPPING_SEEDS[k]
        text = self.text(os.path.join(self.seed_dir, f"mapping{k}.textproto"))
        ops = rng.random()
        if ops < 0.25:
            fields = [f for f in tp_fields(text) if f["kind"] == "scalar" and f["name"] in ("layer", "engine")]
            f = rng.choice(fields)
            v = rng.choice(['"nonexistent_xyz"', '""', '"host"', '"\\xff"', '"conv1"', '"*"'])
            text = _splice(text, f["vstart"], f["vend"], v)
            descs = [f"{f['path']}: {f['value']} -> {v}"]
        else:
            text, descs = mutate_textproto(text, rng)
        c.files["mapping.textproto"] = self.enc(text)
        c.desc = f"mapping of {net} on {plat}/{stack}: " + "; ".join(descs)
        c.args = self.cfg(c, rng) + ["simulate", "-p", plat, "-s", stack, "-n", net, "--mapping",
                                     "{IN}/mapping.textproto", "--fidelity",
                                     rng.choice(["tlm", "analytical"]), "--format", "json"] + self.sim_outputs(c, rng)
        c.json_out = True

    def gen_onnx(self, c, rng):
        src = rng.choice(ONNX_SEEDS)
        data = self.read(os.path.join(REPO, "tests/data/onnx", src))
        new, d = mutate_onnx(data, rng)
        if rng.random() < 0.25 and new:
            try:
                pb_decode(new)
                new2, d2 = mutate_onnx(new, rng)
                new, d = new2, d + "; " + d2
            except ValueError:
                pass
        c.files["model.onnx"] = new
        c.desc = f"onnx {src}: {d}"
        if rng.random() < 0.5:
            c.args = self.cfg(c, rng) + ["inspect", "-n", "{IN}/model.onnx", "--format", "json"]
            if rng.random() < 0.3:
                c.args += ["--quantize", "int8"]
        else:
            plat, stack = rng.choice(PAIRS)
            c.args = self.cfg(c, rng) + ["simulate", "-p", plat, "-s", stack, "-n", "{IN}/model.onnx",
                                         "--fidelity", rng.choice(["analytical", "analytical", "tlm"]),
                                         "--format", "json"] + self.sim_outputs(c, rng)
        c.json_out = True

    def gen_csv(self, c, rng):
        src = rng.choice([os.path.join(REPO, "..", "shared/data/silicon/calibration.csv"),
                          os.path.join(REPO, "data/silicon/mlperf-tiny-published.csv")])
        src = os.path.normpath(src)
        text, d = mutate_csv(self.text(src), rng)
        c.files["measurements.csv"] = self.enc(text)
        c.desc = f"{os.path.relpath(src, os.path.dirname(REPO))}: {d}"
        if rng.random() < 0.6:
            c.args = self.cfg(c, rng) + ["validate", "-m", "{IN}/measurements.csv", "--format", "json",
                                         "--fidelity", rng.choice(["tlm", "analytical"])]
            if rng.random() < 0.3:
                c.args += ["--out", "validation.h5"]
            if rng.random() < 0.1:
                c.args += ["--cross-validate", rng.choice(["board", "network"]), "--max-evaluations", "10"]
        else:
            c.args = self.cfg(c, rng) + ["calibrate", "-m", "{IN}/measurements.csv", "--format", "json",
                                         "--fidelity", "analytical", "--max-evaluations", "20"]
            if rng.random() < 0.3:
                c.args += ["--conditions", "none"]
        c.json_out = True

    def gen_study(self, c, rng):
        name = rng.choice(["dvfs", "mlperf-tiny-all", "u55-whatif", "gap9-whatif"])
        text = self.text(os.path.join(self.cd, "studies", name + ".textproto"))
        text = re.sub(r"points: 600", "points: 12", text)  # keep ASan runs short
        text, descs = mutate_textproto(text, rng)
        c.desc = f"studies/{name}.textproto: " + "; ".join(descs)
        c.files["study.textproto"] = self.enc(text)
        c.args = self.cfg(c, rng) + ["sweep", "--study", "{IN}/study.textproto", "--out", "sweep.h5",
                                     "-q", "-j", rng.choice(["1", "1", "1", "2"])]
        if rng.random() < 0.2:
            c.args.append("--layers")

    def gen_calib(self, c, rng):
        text, descs = mutate_textproto(self.text(os.path.join(self.cd, "calibration/mlperf-tiny.textproto")), rng)
        c.files["calibration.textproto"] = self.enc(text)
        c.desc = "calibration/mlperf-tiny.textproto: " + "; ".join(descs)
        csvp = os.path.normpath(os.path.join(REPO, "..", "shared/data/silicon/calibration.csv"))
        if rng.random() < 0.7:
            c.args = self.cfg(c, rng) + ["calibrate", "-m", csvp, "--parameters", "{IN}/calibration.textproto",
                                         "--fidelity", "analytical", "--max-evaluations", "20", "--format", "json"]
        else:
            c.args = self.cfg(c, rng) + ["validate", "-m", csvp, "--parameters", "{IN}/calibration.textproto",
                                         "--cross-validate", "board", "--fold", "gap9-evk",
                                         "--max-evaluations", "10", "--fidelity", "analytical",
                                         "--format", "json"]
        c.json_out = True

    def gen_conditions(self, c, rng):
        text, descs = mutate_textproto(self.text(os.path.join(self.cd, "measurements/mlperf-tiny.textproto")), rng)
        c.files["conditions.textproto"] = self.enc(text)
        c.desc = "measurements/mlperf-tiny.textproto: " + "; ".join(descs)
        csvp = os.path.normpath(os.path.join(REPO, "..", "shared/data/silicon/calibration.csv"))
        c.args = self.cfg(c, rng) + [rng.choice(["validate", "calibrate"]), "-m", csvp, "--conditions",
                                     "{IN}/conditions.textproto", "--fidelity", "analytical", "--format", "json"]
        if c.args[2] == "calibrate":
            c.args += ["--max-evaluations", "20"]
        c.json_out = True

    def gen_precision(self, c, rng):
        text, descs = mutate_textproto(PRECISION_SEED.decode(), rng)
        c.files["precision.textproto"] = self.enc(text)
        c.desc = "precision textproto: " + "; ".join(descs)
        plat, stack = rng.choice(PAIRS)
        if rng.random() < 0.5:
            c.args = self.cfg(c, rng) + ["inspect", "-n", rng.choice(NETWORKS), "--quantize",
                                         "{IN}/precision.textproto", "--format", "json"]
        else:
            c.args = self.cfg(c, rng) + ["simulate", "-p", plat, "-s", stack, "-n", rng.choice(NETWORKS),
                                         "--quantize", "{IN}/precision.textproto", "--format", "json"]
        c.json_out = True

    def gen_set(self, c, rng):
        plat, stack = rng.choice(PAIRS)
        which = rng.choice(["platform", "stack"])
        src = os.path.join(self.cd, which + "s", (plat if which == "platform" else stack) + ".textproto")
        paths = tp_scalar_paths(self.text(src))
        sets = []
        for _ in range(rng.choice([1, 1, 2])):
            r = rng.random()
            if r < 0.75 and paths:
                p, _ = rng.choice(paths)
                v = rng.choice(HOSTILE_NUMBERS + ["", "abc", "\xff", "A" * 100000, "UNKNOWN"])
                sets.append(f"{which}.{p}={v}")
            else:
                sets.append(rng.choice([
                    "platform.memories[99].size_bytes=1", "platform.memories[-1].size_bytes=1",
                    f"platform.memories[{2**62}].size_bytes=1", "platform.nonexistent=1",
                    "platform.memories[name=l1]=3", "platform.=1", "=", "platform",
                    "platform.memories[name=].size_bytes=1", "stack.kernels[].cycles_per_mac=1",
                    "platform.memories[name=l1.size_bytes=1", "bogus.x=1",
                    "stack.kernels[conv2d].cycles_per_mac=nan",
                    "platform.operating_points[0].clock_hz=0"]))
        c.desc = "--set " + " --set ".join(s[:120] for s in sets)
        c.args = self.cfg(c, rng) + ["simulate", "-p", plat, "-s", stack, "-n", rng.choice(NETWORKS),
                                     "--fidelity", rng.choice(["tlm", "analytical", "both"]), "--format", "json"]
        for s in sets:
            c.args += ["--set", s]
        c.args += self.sim_outputs(c, rng)
        c.json_out = True

    def gen_cli(self, c, rng):
        plat, stack = rng.choice(PAIRS)
        net = rng.choice(NETWORKS)
        base = self.cfg(c, rng) + ["simulate", "-p", plat, "-s", stack, "-n", net, "--format", "json"]
        c.json_out = True
        r = rng.randrange(22)
        if r == 0:
            v = rng.choice(HOSTILE_CLI_FLOATS + ["1e9"])
            c.args, c.desc = base + ["--clock-mhz", v], f"--clock-mhz {v!r}"
        elif r == 1:
            v = rng.choice(HOSTILE_CLI_FLOATS + ["100"])
            c.args, c.desc = base + ["--voltage-v", v], f"--voltage-v {v!r}"
        elif r == 2:
            v = rng.choice(["0", "-1", "1e9", "1000000000", "2147483648", str(INT64_MAX), "99999999999999999999", "100000"])
            c.args, c.desc = base + ["--batch", v], f"--batch {v}"
        elif r == 3:
            v = rng.choice(["1000000000", str(2**31), "-1", str(INT64_MAX), "100000"])
            c.args, c.desc = base + ["--repeat", v], f"--repeat {v}"
        elif r == 4:
            v = rng.choice(["-1", str(2**64), "abc", ""])
            c.args, c.desc = base + ["--seed", v], f"--seed {v!r}"
        elif r == 5:
            o = rng.choice(["--operating-point", "--strategy", "--quantize", "--objective", "--fidelity"])
            v = rng.choice(["", "nonexistent", "\xff", "A" * 100000, "/dev/null", "."])
            c.args, c.desc = base + [o, v], f"{o} {v[:40]!r}"
        elif r == 6:
            v = rng.choice(["/dev/null", ".", "nonexistent.textproto", "{IN}/emptydir", "/dev/zero"])
            c.files["emptydir/.keep"] = b""
            c.args, c.desc = base + ["--mapping", v], f"--mapping {v}"
        elif r == 7:
            b = rng.choice(["0", "-1", "nan", "inf", "1e-320"])
            c.args = base + ["--mapping", "exhaustive", "--objective", "energy", "--latency-budget-ms", b]
            c.desc = f"--mapping exhaustive --objective energy --latency-budget-ms {b}"
        elif r in (8, 9, 10):
            o = rng.choice(["--out", "--trace", "--write-mapping"])
            t = rng.randrange(8)
            if t == 0:
                c.setup, v, d = ["mkdir outdir"], "outdir", "a directory"
            elif t == 1:
                v, d = "/dev/null", "/dev/null"
            elif t == 2:
                c.setup, v, d = ["ln -s /dev/null link.out"], "link.out", "a symlink to /dev/null"
            elif t == 3:
                c.setup, v, d = ["ln -s nowhere/x dangling.out"], "dangling.out", "a dangling symlink"
            elif t == 4:
                v, d = "nodir/sub/out.file", "a path in a nonexistent directory"
            elif t == 5:
                v, d = "", "empty"
            elif t == 6:
                v, d = "/dev/full", "/dev/full"
            else:
                c.setup, v, d = ["mkdir ro", "chmod 555 ro"], "ro/out.file", "a path in a read-only directory"
            c.args, c.desc = base + [o, v], f"{o} {d}"
        elif r == 11:
            c.args, c.desc = base + ["--out", "same.out", "--trace", "same.out"], "--out and --trace the same path"
        elif r == 12:
            c.args, c.desc = base + ["--out", "same.out", "--write-mapping", "same.out"], "--out and --write-mapping the same path"
        elif r == 13:
            v = rng.choice(["/nonexistent", "/dev/null", "{IN}/emptydir", "", "{IN}/emptydir/../emptydir"])
            c.files["emptydir/.keep"] = b""
            c.args = ["--config-dir", v, "simulate", "-p", plat, "-s", stack, "-n", net, "--format", "json"]
            c.desc = f"--config-dir {v!r}"
        elif r == 14:
            c.args = rng.choice([base + ["--bogus"], base + ["-Z"], base + ["-p", "gap8"],
                                 ["--config-dir", self.cd, "bogus-subcommand"], [],
                                 ["--config-dir", self.cd], ["--config-dir"],
                                 ["--config-dir", self.cd, "list", "bogus"],
                                 ["--config-dir", self.cd, "list", "platforms", "extra"]])
            c.desc = "unknown/misplaced arguments: " + " ".join(c.args[-2:])
            c.json_out = False
        elif r == 15:
            v = rng.choice(["/nonexistent.onnx", "{IN}/zero.onnx", "{IN}/dir.onnx", "{IN}/empty.textproto",
                            "{IN}/x.txt", "", "mlperf_tiny/", "../mlperf_tiny/ic", "{IN}/fifo.onnx"])
            c.files["zero.onnx"] = ("symlink", "/dev/zero")
            c.files["dir.onnx/.keep"] = b""
            c.files["empty.textproto"] = b""
            c.files["x.txt"] = b"hello"
            if v == "{IN}/fifo.onnx":
                v = "{IN}/devnull.onnx"
                c.files["devnull.onnx"] = ("symlink", "/dev/null")
            c.args = self.cfg(c, rng) + [rng.choice(["inspect", "simulate"]), "-n", v, "--format", "json"]
            if c.args[2] == "simulate":
                c.args += ["-p", plat, "-s", stack]
            c.desc = f"-n {v!r}"
        elif r == 16:
            v = rng.choice(["/dev/null", "{IN}/emptydir", "/nonexistent.csv", "{IN}/zero.csv"])
            c.files["emptydir/.keep"] = b""
            c.files["zero.csv"] = ("symlink", "/dev/zero")
            sub = rng.choice(["validate", "calibrate"])
            c.args = self.cfg(c, rng) + [sub, "-m", v, "--format", "json", "--max-evaluations", "20"]
            c.desc = f"{sub} -m {v}"
        elif r == 17:
            csvp = os.path.normpath(os.path.join(REPO, "..", "shared/data/silicon/calibration.csv"))
            opts = rng.choice([["--cross-validate", "bogus"], ["--fold", "gap8"], ["--cross-validate", "board", "--fold", "nonexistent"],
                               ["--max-evaluations", "0"], ["--max-evaluations", "-1"], ["--parameters", "/dev/null"],
                               ["--parameters", "nonexistent"], ["--conditions", "nonexistent"], ["--conditions", "/dev/null"],
                               ["--set", "platform.memories[name=l1].size_bytes=0"], ["--quantize", "bogus"],
                               ["--cross-validate", "network", "--max-evaluations", "1"]])
            c.args = self.cfg(c, rng) + ["validate", "-m", csvp, "--format", "json", "--fidelity", "analytical"] + opts
            c.desc = "validate " + " ".join(opts)
        elif r == 18:
            csvp = os.path.normpath(os.path.join(REPO, "..", "shared/data/silicon/calibration.csv"))
            opts = rng.choice([["--fit", ""], ["--fit", "platform/gap8:"], ["--fit", "platform/nonexistent:x"],
                               ["--fit", "stack/tflm-2.3:kernels[conv2d].nonexistent"],
                               ["--fit", "platform/nucleo-l4r5zi:memories[name=sram1].size_bytes"],
                               ["--fit", "stack/tflm-2.3:kernels[conv2d].cycles_per_mac", "--range", rng.choice(["0", "-1", "nan", "1", "inf", "1e308"])],
                               ["--fit", "platform/nucleo-l4r5zi:name"],
                               ["--fit", "stack/tflm-2.3:kernels[conv2d,conv2d].cycles_per_mac"],
                               ["--metric", "bogus"], ["--max-evaluations", "0"],
                               ["--fit", "stack/tflm-2.3:kernels[99].cycles_per_mac"],
                               ["--fit", "stack/tflm-2.3:per_inference_overhead_cycles"]])
            c.args = self.cfg(c, rng) + ["calibrate", "-m", csvp, "--format", "json", "--fidelity", "analytical",
                                         "--max-evaluations", "20"] + opts
            c.desc = "calibrate " + " ".join(opts)
        elif r == 19:
            t = rng.randrange(9)
            a = ["sweep", "--study", "dvfs", "--out", "s.h5", "-q"]
            if t == 0:
                a, d = ["sweep", "--study", "nonexistent", "--out", "s.h5"], "--study nonexistent"
            elif t == 1:
                a, d = ["sweep", "--study", "/dev/null", "--out", "s.h5"], "--study /dev/null"
            elif t == 2:
                c.setup = ["mkdir s.h5"]
                d = "--out is a directory"
            elif t == 3:
                a, d = a[:4] + ["/dev/null", "-q"], "--out /dev/null"
            elif t == 4:
                a, d = a + ["-j", rng.choice(["4096", "-1", "5000"])], "-j extreme"
            elif t == 5:
                v = rng.choice(["0", "-1", "nan", "inf", "1e-320"])
                a, d = a + ["-j", "1", "--flush-seconds", v], f"--flush-seconds {v}"
            elif t == 6:
                a, d = a + ["-j", "1", "--resume"], "--resume on nonexistent --out"
            elif t == 7:
                c.setup = ["printf 'not hdf5' > s.h5"]
                a, d = a + ["-j", "1", rng.choice(["--resume", "--overwrite"])], "existing non-HDF5 --out with " + a[-1]
            else:
                c.setup = ["printf 'not hdf5' > s.h5"]
                a, d = a + ["-j", "1"], "existing non-HDF5 --out without --overwrite"
            c.args = self.cfg(c, rng) + a
            c.desc = "sweep " + d
            c.json_out = False
        elif r == 20:
            c.env = {"EDGESIM_CONFIG_DIR": rng.choice(["/nonexistent", "/dev/null", ""])}
            c.args = ["simulate", "-p", plat, "-s", stack, "-n", net, "--format", "json"]
            c.desc = f"no --config-dir, EDGESIM_CONFIG_DIR={c.env['EDGESIM_CONFIG_DIR']!r}"
        else:
            v = rng.choice(["0", "1", "2", "99"])
            c.args = base + ["--fidelity", "tlm", "--repeat", "3", "--batch", rng.choice(["0", "64", "4096"])]
            c.desc = "large batch / repeat combination"

    def gen_pareto(self, c, rng):
        base = os.path.join(self.seed_dir, "dvfs.h5")
        data = self.read(base)
        t = rng.randrange(10)
        if t < 4:
            b = bytearray(data)
            k = rng.choice([1, 8, 64, 512])
            lo = rng.choice([0, 0, 512])
            pos = [rng.randrange(lo, len(b)) for _ in range(k)]
            for p in pos:
                b[p] ^= rng.randrange(1, 256)
            c.files["sweep.h5"] = bytes(b)
            d = f"dvfs.h5 with {k} flipped bytes (from offset {lo})"
        elif t < 6:
            cut = rng.randrange(0, len(data))
            c.files["sweep.h5"] = data[:cut]
            d = f"dvfs.h5 truncated to {cut} bytes"
        else:
            c.files["sweep.h5"] = data
            d = "valid dvfs.h5"
        c.setup = ["cp {IN}/sweep.h5 work.h5"]
        if t < 6 and rng.random() < 0.3:
            c.args = self.cfg(c, rng) + ["sweep", "--study", "dvfs", "--out", "work.h5", "--resume", "-q", "-j", "1"]
            c.desc = d + ", sweep --resume"
            return
        opts = ["--x", "latency_s", "--y", "energy_j"]
        if t >= 6:
            opts = rng.choice([["--x", "bogus", "--y", "energy_j"], ["--x", "latency_s", "--y", "latency_s"],
                               ["--x", "platform", "--y", "energy_j"], ["--x", "", "--y", ""],
                               ["--x", "latency_s", "--y", "energy_j", "--where", "status"],
                               ["--x", "latency_s", "--y", "energy_j", "--where", "bogus=1"],
                               ["--x", "latency_s", "--y", "energy_j", "--dataset", "bogus"],
                               ["--x", "latency_s", "--y", "energy_j", "--dataset", "runs"],
                               ["--x", "latency_s", "--y", "energy_j", "--z", "latency_s"],
                               ["--x", "max:latency_s", "--y", "max:energy_j"],
                               ["--x", "latency_s", "--y", "energy_j", "--dataset", "pareto"]])
        c.args = self.cfg(c, rng) + ["pareto", "work.h5"] + opts + ["--format", "json"]
        c.desc = d + ", pareto " + " ".join(opts)
        c.json_out = True

# --------------------------------------------------------------------------------------------
# running


SAN_RE = re.compile(r"runtime error:|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer")
KEY_RE = re.compile(r"macs|cycles|latency|energy", re.I)


def materialize(case, in_dir):
    # config-dir copies first, the mutated files inside them after
    items = sorted(case.files.items(), key=lambda kv: not (isinstance(kv[1], tuple) and kv[1][0] == "copytree"))
    for rel, content in items:
        p = os.path.join(in_dir, rel)
        if isinstance(content, tuple) and content[0] == "copytree":
            if not os.path.exists(p):
                shutil.copytree(content[1], p, symlinks=True)
            continue
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if isinstance(content, tuple) and content[0] == "symlink":
            if os.path.lexists(p):
                os.remove(p)
            os.symlink(content[1], p)
        else:
            with open(p, "wb") as f:
                f.write(content)


def snapshot(d):
    out = {}
    for root, dirs, files in os.walk(d):
        for n in dirs + files:
            p = os.path.join(root, n)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            out[os.path.relpath(p, d)] = (st.st_size, st.st_mtime_ns, os.path.isdir(p) and not os.path.islink(p))
    return out


def suspicious(stdout_bytes, want_json):
    reasons = []
    text = stdout_bytes.decode("utf-8", "replace")
    if want_json and text.strip():
        try:
            doc = json.loads(text)
        except ValueError as e:
            m = re.search(r"\b(-?nan|-?inf(inity)?)\b", text, re.I)
            return [f"stdout is not valid JSON ({e})" + (f"; contains {m.group(0)}" if m else "")]

        def walk(o, path):
            if len(reasons) >= 6:
                return
            if isinstance(o, dict):
                for k, v in o.items():
                    walk(v, f"{path}.{k}")
            elif isinstance(o, list):
                for i, v in enumerate(o):
                    walk(v, f"{path}[{i}]")
            elif isinstance(o, float) or (isinstance(o, int) and not isinstance(o, bool)):
                last = path.rsplit(".", 1)[-1]
                if not KEY_RE.search(last):
                    return
                f = float(o)
                if math.isnan(f):
                    reasons.append(f"{path} = nan")
                elif math.isinf(f):
                    reasons.append(f"{path} = {f}")
                elif f < 0:
                    reasons.append(f"{path} = {o} (negative)")
                elif f == 0 and math.copysign(1, f) < 0:
                    reasons.append(f"{path} = -0")

        walk(doc, "")
    elif text:
        for m in re.finditer(r"(?<![\w.])(-?nan|-?inf|-0(\.0+)?)(?![\w.])", text, re.I):
            reasons.append(f"stdout contains {m.group(0)!r}")
            break
    return reasons


def classify(rc, timed_out, stderr, new_files, tmp_files):
    if timed_out:
        return "hang"
    if SAN_RE.search(stderr):
        return "sanitizer"
    if rc is not None and rc < 0:
        return "crash"
    if "bad_alloc" in stderr:
        return "alloc"
    if rc != 0 and (new_files or tmp_files):
        return "leftover"
    if tmp_files:
        return "leftover"
    if rc == 0:
        return "accepted"
    if rc == 2 and stderr.strip():
        return "clean_error"
    return "internal_error"


def is_asan(path):
    try:
        with open(path, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


class Runner:
    def __init__(self, args, binaries):
        self.a = args
        self.bins = binaries
        self.asan = {b: is_asan(b) for b in binaries}
        self.lock = threading.Lock()
        self.summary = {b: {} for b in binaries}
        self.failures = []
        self.done = 0
        self.tty = sys.stderr.isatty()

    def env_for(self, binary, case):
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = "detect_leaks=0:allocator_may_return_null=1:abort_on_error=0"
        env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=0"
        env.pop("EDGESIM_CONFIG_DIR", None)
        env.update(case.env)
        return env

    def repro(self, binary, case, in_dir, work):
        args = [x.replace("{IN}", in_dir) for x in case.args]
        setup = [s.replace("{IN}", shlex.quote(in_dir)) for s in case.setup]
        envs = ["ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1:abort_on_error=0",
                "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=0"]
        envs += [f"{k}={shlex.quote(v)}" for k, v in case.env.items()]
        unset = "" if "EDGESIM_CONFIG_DIR" in case.env else "-u EDGESIM_CONFIG_DIR "
        cmd = " ".join([shlex.quote(binary)] + [shlex.quote(x) for x in args])
        pre = f"rm -rf {shlex.quote(work)} && mkdir -p {shlex.quote(work)} && cd {shlex.quote(work)} && "
        pre += "".join(s + " && " for s in setup)
        return pre + f"env {unset}{' '.join(envs)} {cmd}"

    def run_one(self, binary, bi, case, in_dir):
        work = os.path.join(self.a.out_dir, "work", f"b{bi}", case.id)
        logs = os.path.join(self.a.out_dir, "work", f"b{bi}", case.id + ".log")
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        os.makedirs(logs, exist_ok=True)
        for s in case.setup:
            subprocess.run(["bash", "-c", s.replace("{IN}", shlex.quote(in_dir))], cwd=work,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        before = snapshot(work)
        in_before = snapshot(in_dir)
        args = [binary] + [x.replace("{IN}", in_dir) for x in case.args]

        def limits():
            if not self.asan[binary]:
                resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        out_p, err_p = os.path.join(logs, "stdout"), os.path.join(logs, "stderr")
        t0 = time.monotonic()
        timed_out = False
        with open(out_p, "wb") as fo, open(err_p, "wb") as fe:
            p = subprocess.Popen(args, cwd=work, stdin=subprocess.DEVNULL, stdout=fo, stderr=fe,
                                 env=self.env_for(binary, case), start_new_session=True,
                                 preexec_fn=limits)
            try:
                rc = p.wait(timeout=self.a.timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                rc = p.wait()
        wall = time.monotonic() - t0
        if not timed_out:  # sweep workers may outlive the parent
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        with open(err_p, "rb") as f:
            stderr = f.read(1 << 20).decode("utf-8", "replace")
        with open(out_p, "rb") as f:
            stdout = f.read(64 << 20)
        after = snapshot(work)
        new_files = sorted(k for k, v in after.items() if k not in before or
                           (before[k][:2] != v[:2] and not v[2]))
        in_after = snapshot(in_dir)
        tmp_files = sorted(k for k in after if ".tmp" in os.path.basename(k) and k not in before)
        tmp_files += sorted("IN/" + k for k in in_after if k not in in_before and ".tmp" in os.path.basename(k))
        cls = classify(rc, timed_out, stderr, new_files, tmp_files)
        rec = dict(case=case.id, kind=case.kind, binary=binary, mutation=case.desc,
                   command=self.repro(binary, case, in_dir, work), cls=cls,
                   exit=rc, signal=(-rc if rc is not None and rc < 0 else None),
                   wall_s=round(wall, 3), stderr_head="\n".join(stderr.splitlines()[:12])[:3000])
        if cls in ("leftover",) or (rc != 0 and new_files):
            rec["leftover_files"] = (new_files + tmp_files)[:20]
        if cls == "accepted":
            sus = suspicious(stdout, case.json_out)
            if sus:
                rec["suspicious"] = sus
        if not self.a.keep_cases:
            shutil.rmtree(work, ignore_errors=True)
            shutil.rmtree(logs, ignore_errors=True)
        return rec

    def run_case(self, gen, i):
        try:
            case = gen.gen(self.a.seed, i)
        except Exception as e:  # a generator bug must not lose the run
            sys.stderr.write(f"bad_input_corpus: generating case {i} failed: {e!r}\n")
            return
        in_dir = os.path.join(self.a.out_dir, "cases", case.id)
        shutil.rmtree(in_dir, ignore_errors=True)
        os.makedirs(in_dir)
        materialize(case, in_dir)
        with open(os.path.join(in_dir, "case.json"), "w") as f:
            json.dump(dict(id=case.id, kind=case.kind, mutation=case.desc, args=case.args,
                           setup=case.setup, env=case.env), f, indent=1)
        recs = [self.run_one(b, bi, case, in_dir) for bi, b in enumerate(self.bins)]
        if not self.a.keep_cases:
            shutil.rmtree(in_dir, ignore_errors=True)
        with self.lock:
            with open(os.path.join(self.a.out_dir, "results.jsonl"), "a") as f:
                for r in recs:
                    f.write(json.dumps(dict(case=r["case"], binary=r["binary"], cls=r["cls"],
                                            exit=r.get("exit"))) + "\n")
            for r in recs:
                s = self.summary[r["binary"]]
                s[r["cls"]] = s.get(r["cls"], 0) + 1
                if r.get("suspicious"):
                    s["accepted_suspicious"] = s.get("accepted_suspicious", 0) + 1
                if r["cls"] != "clean_error" and (r["cls"] != "accepted" or r.get("suspicious")):
                    self.failures.append(r)
                    with open(os.path.join(self.a.out_dir, "failures.partial.jsonl"), "a") as f:
                        f.write(json.dumps(r) + "\n")
            self.done += 1
            if self.tty:
                sys.stderr.write(f"\r{self.done}/{self.a.count} cases")
                sys.stderr.flush()


def make_seeds(binary, config_dir, seed_dir):
    os.makedirs(seed_dir, exist_ok=True)
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    for k, (plat, stack, net) in enumerate(MAPPING_SEEDS):
        out = os.path.join(seed_dir, f"mapping{k}.textproto")
        if not os.path.exists(out):
            subprocess.run([binary, "--config-dir", config_dir, "simulate", "-p", plat, "-s", stack,
                            "-n", net, "--fidelity", "analytical", "--write-mapping", out],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=seed_dir)
    out = os.path.join(seed_dir, "dvfs.h5")
    if not os.path.exists(out):
        subprocess.run([binary, "--config-dir", config_dir, "sweep", "--study", "dvfs", "--out", out,
                        "-j", "1", "-q"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=env, cwd=seed_dir)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--edgesim", action="append", required=True, help="edgesim binary (repeatable)")
    ap.add_argument("--config-dir", default=os.path.join(REPO, "configs"))
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=600)
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep-cases", action="store_true")
    ap.add_argument("--only", help="comma-separated case kinds or ids to run (debugging)")
    a = ap.parse_args()
    a.out_dir = os.path.abspath(a.out_dir)
    a.config_dir = os.path.abspath(a.config_dir)
    bins = [os.path.abspath(b) for b in a.edgesim]
    for b in bins:
        if not os.access(b, os.X_OK):
            sys.exit(f"bad_input_corpus: {b} is not executable")
    os.makedirs(a.out_dir, exist_ok=True)
    seed_dir = os.path.join(a.out_dir, "seed")
    make_seeds(bins[0], a.config_dir, seed_dir)
    gen = Gen(a.config_dir, seed_dir)
    runner = Runner(a, bins)
    ids = list(range(a.count))
    for stale in ("failures.partial.jsonl", "results.jsonl"):
        try:
            os.remove(os.path.join(a.out_dir, stale))
        except OSError:
            pass
    if a.only:
        want = set(a.only.split(","))
        ids = [i for i in ids if f"c{i:05d}" in want or gen.gen(a.seed, i).kind in want]
        a.count = len(ids)
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        futs = [ex.submit(runner.run_case, gen, i) for i in ids]
        for f in concurrent.futures.as_completed(futs):
            f.result()
    if runner.tty:
        sys.stderr.write("\n")
    runner.failures.sort(key=lambda r: (r["case"], r["binary"]))
    try:
        os.remove(os.path.join(a.out_dir, "failures.partial.jsonl"))
    except OSError:
        pass
    with open(os.path.join(a.out_dir, "failures.jsonl"), "w") as f:
        for r in runner.failures:
            f.write(json.dumps(r) + "\n")
    summary = dict(seed=a.seed, count=a.count, timeout_s=a.timeout, wall_s=round(time.monotonic() - t0, 1),
                   config_dir=a.config_dir, per_binary=runner.summary)
    with open(os.path.join(a.out_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
    print(json.dumps(summary["per_binary"], indent=1, sort_keys=True))
    if not a.keep_cases:
        shutil.rmtree(os.path.join(a.out_dir, "work"), ignore_errors=True)
        shutil.rmtree(os.path.join(a.out_dir, "cases"), ignore_errors=True)


if __name__ == "__main__":
    main()
