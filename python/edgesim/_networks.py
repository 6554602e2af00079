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


def _ints(value):
    if isinstance(value, int):
        return [value]
    return [int(v) for v in value]


def _list(values):
    return "[" + ", ".join(str(v) for v in values) + "]"


def _enum(table, value, what):
    try:
        return table[str(value).lower()]
    except KeyError:
        raise ValueError(f"unknown {what} '{value}' (one of: {', '.join(sorted(table))})") \
            from None


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
        self.name = name
        self._lines = []
        self._inputs = []
        self._header = []
        if activation_dtype:
            self._header.append(f"activation_dtype: {_enum(_DTYPES, activation_dtype, 'dtype')}")
        if weight_dtype:
            self._header.append(f"weight_dtype: {_enum(_DTYPES, weight_dtype, 'dtype')}")
        self._count = {}
        if input_shape is not None:
            self.input(input_name, input_shape)

    def input(self, name, shape, dtype=None):
        """A graph input of per-sample shape `shape` (channels last: [H, W, C] or [T, C])."""
        text = f'inputs {{ name: "{name}" shape: {_list(_ints(shape))}'
        if dtype:
            text += f" dtype: {_enum(_DTYPES, dtype, 'dtype')}"
        self._inputs.append(text + " }")
        return name

    def _layer(self, op, body, name, inputs, activation=None, weight_dtype=None,
               output_dtype=None):
        if name is None:
            self._count[op] = self._count.get(op, 0) + 1
            name = f"{op}{self._count[op]}"
        text = f'layers {{ name: "{name}"'
        if inputs is not None:
            if isinstance(inputs, str):
                inputs = [inputs]
            text += "".join(f' inputs: "{i}"' for i in inputs)
        text += f" {op} {{ {body} }}" if body else f" {op} {{}}"
        if activation:
            text += f" activation: {_enum(_ACTIVATIONS, activation, 'activation')}"
        if weight_dtype:
            text += f" weight_dtype: {_enum(_DTYPES, weight_dtype, 'dtype')}"
        if output_dtype:
            text += f" output_dtype: {_enum(_DTYPES, output_dtype, 'dtype')}"
        self._lines.append(text + " }")
        return name

    @staticmethod
    def _window(kernel, stride=None, dilation=None, padding=None):
        text = f"window {{ kernel: {_list(_ints(kernel))}"
        if stride is not None:
            text += f" stride: {_list(_ints(stride))}"
        if dilation is not None:
            text += f" dilation: {_list(_ints(dilation))}"
        if padding is not None:
            text += f" padding: {_enum(_PADDINGS, padding, 'padding')}"
        return text + " }"

    def conv2d(self, out_channels, kernel, stride=None, *, dilation=None, padding=None,
               groups=None, bias=True, activation=None, name=None, inputs=None,
               weight_dtype=None, output_dtype=None):
        body = f"out_channels: {int(out_channels)} " + self._window(kernel, stride, dilation,
                                                                      padding)
        if groups is not None:
            body += f" groups: {int(groups)}"
        if not bias:
            body += " no_bias: true"
        return self._layer("conv2d", body, name, inputs, activation, weight_dtype, output_dtype)

    def temporal_conv(self, out_channels, kernel, stride=None, *, dilation=None, padding=None,
                      groups=None, bias=True, activation=None, name=None, inputs=None,
                      weight_dtype=None, output_dtype=None):
        body = f"out_channels: {int(out_channels)} " + self._window(kernel, stride, dilation,
                                                                      padding)
        if groups is not None:
            body += f" groups: {int(groups)}"
        if not bias:
            body += " no_bias: true"
        return self._layer("temporal_conv", body, name, inputs, activation, weight_dtype,
                           output_dtype)

    def depthwise_conv2d(self, kernel, stride=None, *, dilation=None, padding=None,
                         depth_multiplier=None, bias=True, activation=None, name=None,
                         inputs=None, weight_dtype=None, output_dtype=None):
        body = self._window(kernel, stride, dilation, padding)
        if depth_multiplier is not None:
            body += f" depth_multiplier: {int(depth_multiplier)}"
        if not bias:
            body += " no_bias: true"
        return self._layer("depthwise_conv2d", body, name, inputs, activation, weight_dtype,
                           output_dtype)

    def dense(self, units, *, bias=True, activation=None, name=None, inputs=None,
              weight_dtype=None, output_dtype=None):
        body = f"units: {int(units)}" + ("" if bias else " no_bias: true")
        return self._layer("dense", body, name, inputs, activation, weight_dtype, output_dtype)

    def avg_pool(self, kernel, stride=None, *, padding=None, name=None, inputs=None):
        return self._layer("avg_pool", self._window(kernel, stride, None, padding), name, inputs)

    def max_pool(self, kernel, stride=None, *, padding=None, name=None, inputs=None):
        return self._layer("max_pool", self._window(kernel, stride, None, padding), name, inputs)

    def global_avg_pool(self, *, name=None, inputs=None):
        return self._layer("global_avg_pool", "", name, inputs)

    def add(self, inputs, *, activation=None, name=None):
        return self._layer("add", "", name, inputs, activation)

    def concat(self, inputs, *, axis=None, name=None):
        return self._layer("concat", "" if axis is None else f"axis: {int(axis)}", name, inputs)

    def relu(self, *, name=None, inputs=None):
        return self._layer("relu", "", name, inputs)

    def relu6(self, *, name=None, inputs=None):
        return self._layer("relu6", "", name, inputs)

    def softmax(self, *, name=None, inputs=None):
        return self._layer("softmax", "", name, inputs)

    def flatten(self, *, name=None, inputs=None):
        return self._layer("flatten", "", name, inputs)

    def reshape(self, shape, *, name=None, inputs=None):
        return self._layer("reshape", f"shape: {_list(_ints(shape))}", name, inputs)

    def text(self, name=None):
        """The network text (configs/networks/ format) of what was added so far."""
        lines = [f'name: "{name or self.name}"'] + self._header + self._inputs + self._lines
        return "\n".join(lines) + "\n"

    def build(self, name=None):
        """The network as an edgesim.Network (InputError naming the layer for a bad one)."""
        return Network.from_bytes(self.text(name).encode(), "textproto",
                                  f"<NetworkBuilder {name or self.name}>", "")
