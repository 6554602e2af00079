"""Networks from what Python users hold: names and paths, ONNX bytes, a torch.nn.Module with
an example input (exported by torch.onnx in memory), and NetworkBuilder for NAS loops that
generate candidates directly. Everything ends as the library's own network text or ONNX
bytes, loaded and validated by the C++ loaders (errors carry their file: field: reason text).
"""

import io
import os

from . import _edgesim

Network = _edgesim.Network


def network(source, example_input=None, *, name=None, config_dir=None):
    """An edgesim.Network from `source`:

    - a Network (returned as is);
    - a built-in name ("mlperf_tiny/kws") or a path to a .textproto or .onnx file (str or
      os.PathLike);
    - bytes of an ONNX model;
    - a NetworkBuilder;
    - a torch.nn.Module, with `example_input` (a tensor of the input's shape, batch 1);
    - a tuple (module, example_input).

    `name` renames the network (results carry it)."""
    name = name or ""
    if isinstance(source, Network):
        return source
    if isinstance(source, (str, os.PathLike)):
        return Network.from_file(os.fspath(source), config_dir, name)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return Network.from_bytes(bytes(source), "onnx", "<onnx bytes>", name)
    if isinstance(source, NetworkBuilder):
        return source.build(name=name or None)
    if isinstance(source, tuple) and len(source) == 2 and example_input is None:
        return from_torch(source[0], source[1], name=name or None)
    if _is_torch_module(source):
        if example_input is None:
            raise TypeError("a torch.nn.Module needs an example input: "
                            "edgesim.network(module, example_input)")
        return from_torch(source, example_input, name=name or None)
    raise TypeError(f"cannot make a network of a {type(source).__name__} (expected a name, a "
                    "path, ONNX bytes, a NetworkBuilder, a torch.nn.Module with an example "
                    "input, or an edgesim.Network)")


def as_network(source):
    """What Simulator.run calls for a network that is neither a name nor a Network."""
    return network(source)


def _is_torch_module(obj):
    torch = __import__("sys").modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def from_torch(module, example_input, *, name=None, opset_version=13):
    """Exports `module` (in eval mode) with torch.onnx into memory and imports it: batch norms
    fold and activations fuse as the ONNX importer does for files. The module's training
    mode is restored afterwards."""
    import torch

    buffer = io.BytesIO()
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            torch.onnx.export(module, example_input, buffer, opset_version=opset_version,
                              do_constant_folding=True, input_names=["input"],
                              output_names=["output"])
    finally:
        module.train(was_training)
    label = f"<torch {type(module).__name__}>"
    return Network.from_bytes(buffer.getvalue(), "onnx", label,
                              name or type(module).__name__)


_DTYPES = {"int8": "INT8", "int16": "INT16", "int32": "INT32", "fp32": "FP32", "float32": "FP32",
           "int4": "INT4", "int2": "INT2", "ternary": "TERNARY"}
_ACTIVATIONS = {"relu": "RELU", "relu6": "RELU6"}
_PADDINGS = {"same": "SAME", "valid": "VALID", "causal": "CAUSAL"}


def input_error(source, field, reason):
    """An edgesim.InputError as the C++ library raises it ("source: field: reason")."""
    error = _edgesim.InputError(f"{source}: {field}: {reason}")
    error.diagnostics = [{"file": source, "line": 0, "field": field, "reason": reason}]
    return error


def _quoted(text):
    """`text` as a text-format string literal (quotes, backslashes and controls escaped)."""
    out = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c >= " " else f"\\{ord(c):03o}" for c in out) + '"'


def _list(values):
    return "[" + ", ".join(str(v) for v in values) + "]"


def _enum(table, value, what):
    return table.get(str(value).lower())


class NetworkBuilder:
    """Builds a network layer by layer (the network text format of configs/networks/, which the
    C++ loader validates: shapes, channels, names). Each method returns the new layer's name,
    to pass as `inputs` of a later layer (a skip connection); without `inputs` a layer reads
    the previous one.

        b = edgesim.NetworkBuilder("cand", input_shape=(49, 10, 1))
        b.conv2d(64, kernel=(10, 4), stride=2, activation="relu")
        b.depthwise_conv2d(kernel=3, activation="relu")
        b.global_avg_pool(); b.flatten(); b.dense(12); b.softmax()
        net = b.build()
    """

    def __init__(self, name, input_shape=None, *, input_name="input", activation_dtype=None,
                 weight_dtype=None):
        self.name = str(name)
        self._lines = []
        self._inputs = []
        self._header = []
        self._count = {}
        self._calls = 0
        if activation_dtype:
            self._header.append(f"activation_dtype: "
                                f"{self._dtype(activation_dtype, 'activation_dtype')}")
        if weight_dtype:
            self._header.append(f"weight_dtype: {self._dtype(weight_dtype, 'weight_dtype')}")
        if input_shape is not None:
            self.input(input_name, input_shape)

    # Arguments are checked here (InputError naming the call and the argument, as the C++
    # loader names fields) before they become network text.
    def _source(self):
        return f"<NetworkBuilder {self.name}>"

    def _error(self, field, reason):
        return input_error(self._source(), f"call {self._calls} ({field})", reason)

    def _int(self, value, field, minimum=1):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"NetworkBuilder: {field} must be an int, not "
                            f"{type(value).__name__}")
        if value < minimum:
            raise self._error(field, f"{value} must be >= {minimum}")
        return value

    def _ints(self, value, field, minimum=1):
        if isinstance(value, (list, tuple)):
            if not value:
                raise self._error(field, "no value given")
            return [self._int(v, field, minimum) for v in value]
        return [self._int(value, field, minimum)]

    def _dtype(self, value, field):
        found = _enum(_DTYPES, value, field)
        if found is None:
            raise self._error(field, f"unknown type '{value}' (one of: {', '.join(_DTYPES)})")
        return found

    def _choice(self, table, value, field):
        found = _enum(table, value, field)
        if found is None:
            raise self._error(field, f"unknown {field} '{value}' (one of: {', '.join(table)})")
        return found

    def input(self, name, shape, dtype=None):
        """A graph input of per-sample shape `shape` (channels last: [H, W, C] or [T, C])."""
        self._calls += 1
        text = f"inputs {{ name: {_quoted(name)} shape: {_list(self._ints(shape, 'shape'))}"
        if dtype:
            text += f" dtype: {self._dtype(dtype, 'dtype')}"
        self._inputs.append(text + " }")
        return str(name)

    def _layer(self, op, body, name, inputs, activation=None, weight_dtype=None,
               output_dtype=None):
        if name is None:
            self._count[op] = self._count.get(op, 0) + 1
            name = f"{op}{self._count[op]}"
        text = f"layers {{ name: {_quoted(name)}"
        if inputs is not None:
            if isinstance(inputs, str):
                inputs = [inputs]
            text += "".join(f" inputs: {_quoted(i)}" for i in inputs)
        text += f" {op} {{ {body} }}" if body else f" {op} {{}}"
        if activation:
            text += f" activation: {self._choice(_ACTIVATIONS, activation, 'activation')}"
        if weight_dtype:
            text += f" weight_dtype: {self._dtype(weight_dtype, 'weight_dtype')}"
        if output_dtype:
            text += f" output_dtype: {self._dtype(output_dtype, 'output_dtype')}"
        self._lines.append(text + " }")
        return str(name)

    def _window(self, kernel, stride=None, dilation=None, padding=None):
        self._calls += 1
        text = f"window {{ kernel: {_list(self._ints(kernel, 'kernel'))}"
        if stride is not None:
            text += f" stride: {_list(self._ints(stride, 'stride'))}"
        if dilation is not None:
            text += f" dilation: {_list(self._ints(dilation, 'dilation'))}"
        if padding is not None:
            text += f" padding: {self._choice(_PADDINGS, padding, 'padding')}"
        return text + " }"

    def _call(self):
        """A layer method without a window was called (errors count calls)."""
        self._calls += 1

    def _conv(self, op, out_channels, kernel, stride, dilation, padding, groups, bias,
              activation, name, inputs, weight_dtype, output_dtype):
        body = self._window(kernel, stride, dilation, padding)
        body = f"out_channels: {self._int(out_channels, 'out_channels')} " + body
        if groups is not None:
            body += f" groups: {self._int(groups, 'groups')}"
        if not bias:
            body += " no_bias: true"
        return self._layer(op, body, name, inputs, activation, weight_dtype, output_dtype)

    def conv2d(self, out_channels, kernel, stride=None, *, dilation=None, padding=None,
               groups=None, bias=True, activation=None, name=None, inputs=None,
               weight_dtype=None, output_dtype=None):
        """A 2-D convolution over [H, W, C]."""
        return self._conv("conv2d", out_channels, kernel, stride, dilation, padding, groups,
                          bias, activation, name, inputs, weight_dtype, output_dtype)

    def temporal_conv(self, out_channels, kernel, stride=None, *, dilation=None, padding=None,
                      groups=None, bias=True, activation=None, name=None, inputs=None,
                      weight_dtype=None, output_dtype=None):
        """A 1-D (temporal) convolution over [T, C]; padding "causal" for a TCN."""
        return self._conv("temporal_conv", out_channels, kernel, stride, dilation, padding,
                          groups, bias, activation, name, inputs, weight_dtype, output_dtype)

    def depthwise_conv2d(self, kernel, stride=None, *, dilation=None, padding=None,
                         depth_multiplier=None, bias=True, activation=None, name=None,
                         inputs=None, weight_dtype=None, output_dtype=None):
        body = self._window(kernel, stride, dilation, padding)
        if depth_multiplier is not None:
            body += f" depth_multiplier: {self._int(depth_multiplier, 'depth_multiplier')}"
        if not bias:
            body += " no_bias: true"
        return self._layer("depthwise_conv2d", body, name, inputs, activation, weight_dtype,
                           output_dtype)

    def dense(self, units, *, bias=True, activation=None, name=None, inputs=None,
              weight_dtype=None, output_dtype=None):
        self._call()
        body = f"units: {self._int(units, 'units')}" + ("" if bias else " no_bias: true")
        return self._layer("dense", body, name, inputs, activation, weight_dtype, output_dtype)

    def avg_pool(self, kernel, stride=None, *, padding=None, name=None, inputs=None):
        return self._layer("avg_pool", self._window(kernel, stride, None, padding), name, inputs)

    def max_pool(self, kernel, stride=None, *, padding=None, name=None, inputs=None):
        return self._layer("max_pool", self._window(kernel, stride, None, padding), name, inputs)

    def global_avg_pool(self, *, name=None, inputs=None):
        self._call()
        return self._layer("global_avg_pool", "", name, inputs)

    def add(self, inputs, *, activation=None, name=None):
        self._call()
        return self._layer("add", "", name, inputs, activation)

    def concat(self, inputs, *, axis=None, name=None):
        self._call()
        if axis is not None and (isinstance(axis, bool) or not isinstance(axis, int)):
            raise TypeError(f"NetworkBuilder: axis must be an int, not {type(axis).__name__}")
        return self._layer("concat", "" if axis is None else f"axis: {axis}", name, inputs)

    def relu(self, *, name=None, inputs=None):
        self._call()
        return self._layer("relu", "", name, inputs)

    def relu6(self, *, name=None, inputs=None):
        self._call()
        return self._layer("relu6", "", name, inputs)

    def softmax(self, *, name=None, inputs=None):
        self._call()
        return self._layer("softmax", "", name, inputs)

    def flatten(self, *, name=None, inputs=None):
        self._call()
        return self._layer("flatten", "", name, inputs)

    def reshape(self, shape, *, name=None, inputs=None):
        self._call()
        return self._layer("reshape", f"shape: {_list(self._ints(shape, 'shape', -1))}", name,
                           inputs)

    def text(self, name=None):
        """The network text (configs/networks/ format) of what was added so far."""
        lines = [f"name: {_quoted(name or self.name)}"] + self._header + self._inputs + self._lines
        return "\n".join(lines) + "\n"

    def build(self, name=None):
        """The network as an edgesim.Network (InputError naming the layer for a bad one)."""
        return Network.from_bytes(self.text(name).encode(), "textproto",
                                  f"<NetworkBuilder {name or self.name}>", "")
