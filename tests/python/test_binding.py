"""Tests of the Python package edgesim (issue 16), run by tests/python/PythonBindingTest.cpp with
Debian's /usr/bin/python3, PYTHONPATH=<build>/python, EDGESIM_CLI=<the edgesim binary> and
EDGESIM_TEST_DIR=<tests/>. Each TestCase class is one GoogleTest case.

The binding is a shell over the library: its results must equal the CLI's for the same
query, bit for bit (compared as the JSON both print).
"""

import importlib.util
import json
import os
import re
import subprocess
import tempfile
import threading
import unittest

import edgesim

CLI = os.environ["EDGESIM_CLI"]
TEST_DIR = os.environ["EDGESIM_TEST_DIR"]
CONFIGS = os.environ["EDGESIM_CONFIG_DIR"]


def cli(*args, check=True):
    """`edgesim ARGS`: (exit code, stdout, stderr)."""
    p = subprocess.run([CLI, *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"edgesim {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p.returncode, p.stdout, p.stderr


def cli_json(*args):
    """`edgesim simulate ARGS --format json` without its provenance block."""
    j = json.loads(cli("simulate", *args, "--format", "json")[1])
    del j["provenance"]
    return j


def torch_or_skip(case):
    if importlib.util.find_spec("torch") is None:
        case.skipTest("python3-torch is not installed (scripts/setup.sh installs it)")


class SameAsCli(unittest.TestCase):
    """Simulator.run gives what `edgesim simulate --format json` prints for the same query."""

    def assertSameAsCli(self, result, *args):
        mine = result.to_dict()
        # The one difference: the precision's reason names the Python argument, not the flag.
        mine["precision"] = mine["precision"].replace("(quantize)", "(--quantize)")
        self.assertEqual(mine, cli_json(*args))

    def test_builtin_network_tlm(self):
        sim = edgesim.Simulator("nucleo-l4r5zi", "tflm-cmsis-nn")
        r = sim.run("mlperf_tiny/kws")
        self.assertEqual(r.status, "ok")
        self.assertTrue(r.ok)
        self.assertSameAsCli(r, "-p", "nucleo-l4r5zi", "-s", "tflm-cmsis-nn", "-n",
                             "mlperf_tiny/kws")
        # Attributes are the same numbers as the dict.
        d = r.to_dict()
        self.assertEqual(r.latency_cycles, d["latency_cycles"])
        self.assertEqual(r.energy_j, d["energy_j"])
        self.assertEqual(r.peak_ram_bytes, d["peak_ram_bytes"])
        self.assertEqual(r.macs, d["macs"])
        self.assertEqual(len(r.config_sha256), 64)

    def test_options_overrides_and_operating_point(self):
        sim = edgesim.Simulator("gap9-evk", "gap-flow",
                                overrides={"platform.memories[name=l2].size_bytes": 1048576})
        r = sim.run("mlperf_tiny/ic", fidelity="analytical", operating_point={"clock_mhz": 200},
                    overrides=["stack.kernels[0].overhead_cycles=1000"], seed=5)
        self.assertSameAsCli(r, "-p", "gap9-evk", "-s", "gap-flow", "-n", "mlperf_tiny/ic",
                             "--fidelity", "analytical", "--clock-mhz", "200", "--seed", "5",
                             "--set", "platform.memories[name=l2].size_bytes=1048576",
                             "--set", "stack.kernels[0].overhead_cycles=1000")
        self.assertEqual(r.clock_hz, 200e6)
        self.assertEqual(r.fidelity, "analytical")

    def test_float_onnx_quantized_and_a_training_strategy(self):
        onnx = os.path.join(TEST_DIR, "data/onnx/corpus/cnn1d.onnx")
        sim = edgesim.Simulator("nucleo-l4r5zi", "tflm-cmsis-nn")
        r = sim.run(onnx, quantize="int8")
        self.assertSameAsCli(r, "-p", "nucleo-l4r5zi", "-s", "tflm-cmsis-nn", "-n", onnx,
                             "--quantize", "int8")
        t = sim.run("fmnist/ds-cnn", strategy="sparse-backprop",
                    strategy_params={"channel_ratio": 0.25}, batch=4)
        self.assertSameAsCli(t, "-p", "nucleo-l4r5zi", "-s", "tflm-cmsis-nn", "-n",
                             "fmnist/ds-cnn", "--strategy", "sparse-backprop", "--strategy-param",
                             "channel_ratio=0.25", "--batch", "4")

    def test_trace_is_the_cli_trace(self):
        with tempfile.TemporaryDirectory() as d:
            mine, theirs = os.path.join(d, "py.json"), os.path.join(d, "cli.json")
            sim = edgesim.Simulator("gap9-evk", "gap-flow")
            sim.run("mlperf_tiny/ic", trace=mine)
            cli("simulate", "-p", "gap9-evk", "-s", "gap-flow", "-n", "mlperf_tiny/ic",
                "--trace", theirs)
            with open(mine) as a, open(theirs) as b:
                self.assertEqual(json.load(a), json.load(b))

    def test_a_network_that_does_not_fit_is_a_value(self):
        sim = edgesim.Simulator("nucleo-l4r5zi", "tflm-cmsis-nn",
                                overrides={"platform.memories[name=sram3].size_bytes": 8192})
        r = sim.run("mlperf_tiny/ic")
        self.assertEqual(r.status, "does_not_fit")
        self.assertFalse(r.ok)
        self.assertIsNone(r.latency_s)
        self.assertIsNone(r.energy_j)
        self.assertGreater(r.peak_ram_bytes, 8192)
        self.assertIn("sram3", r.reason)
        self.assertSameAsCli(r, "-p", "nucleo-l4r5zi", "-s", "tflm-cmsis-nn", "-n",
                             "mlperf_tiny/ic", "--set",
                             "platform.memories[name=sram3].size_bytes=8192")

    def test_run_many_equals_single_runs(self):
        sim = edgesim.Simulator("nucleo-l4r5zi", "tflm-cmsis-nn")
        queries = ["mlperf_tiny/kws", {"network": "mlperf_tiny/ad", "fidelity": "analytical"},
                   {"network": "mlperf_tiny/kws", "operating_point": "zephyr-80mhz"}]
        many = sim.run_many(queries)
        self.assertEqual(len(many), 3)
        single = [sim.run("mlperf_tiny/kws"),
                  sim.run("mlperf_tiny/ad", fidelity="analytical"),
                  sim.run("mlperf_tiny/kws", operating_point="zephyr-80mhz")]
        for a, b in zip(many, single):
            self.assertEqual(a.to_dict(), b.to_dict())
        self.assertEqual(many[2].operating_point, "zephyr-80mhz")
        self.assertGreater(many[2].latency_s, many[0].latency_s)

    def test_threads_share_nothing_wrong(self):
        # The GIL is released while simulating; two threads on one simulator and two on
        # another give the results one thread gets.
        a = edgesim.Simulator("nucleo-l4r5zi", "tflm-cmsis-nn")
        b = edgesim.Simulator("gap9-evk", "gap-flow")
        expect = {id(a): a.run("mlperf_tiny/vww").to_dict(),
                  id(b): b.run("mlperf_tiny/vww").to_dict()}
        errors = []

        def work(sim):
            for _ in range(5):
                if sim.run("mlperf_tiny/vww").to_dict() != expect[id(sim)]:
                    errors.append(sim.platform)

        threads = [threading.Thread(target=work, args=(s,)) for s in (a, a, b, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])


class Networks(unittest.TestCase):
    """Networks from names, paths, ONNX bytes, the builder and torch modules."""

    def test_onnx_bytes_equal_the_file(self):
        path = os.path.join(TEST_DIR, "data/onnx/torch_tinynet.onnx")
        sim = edgesim.Simulator("nucleo-l4r5zi", "tflm-cmsis-nn")
        with open(path, "rb") as f:
            data = f.read()
        from_bytes = sim.run(data)
        from_path = sim.run(path)
        a, b = from_bytes.to_dict(), from_path.to_dict()
        self.assertEqual(a["latency_cycles"], b["latency_cycles"])
        self.assertEqual(a["layers"], b["layers"])
        # The same bytes hash alike, whatever their origin (the network's content, not its name).
        self.assertEqual(from_bytes.config_sha256, from_path.config_sha256)
        net = edgesim.network(data, name="tiny")
        self.assertEqual(net.name, "tiny")
        self.assertEqual(sim.run(net).latency_cycles, b["latency_cycles"])

    def test_builder_equals_the_builtin_kws(self):
        b = edgesim.NetworkBuilder("kws-built", input_shape=(49, 10, 1), input_name="mfcc")
        b.conv2d(64, kernel=(10, 4), stride=2, activation="relu")
        for _ in range(4):
            b.depthwise_conv2d(kernel=3, activation="relu")
            b.conv2d(64, kernel=1, activation="relu")
        b.avg_pool(kernel=(24, 5), padding="valid")
        b.flatten()
        b.dense(12)
        b.softmax()
        net = b.build()
        builtin = edgesim.network("mlperf_tiny/kws")
        self.assertEqual((net.macs, net.params, net.layers),
                         (builtin.macs, builtin.params, builtin.layers))
        sim = edgesim.Simulator("nucleo-l4r5zi", "tflm-cmsis-nn")
        built, reference = sim.run(net), sim.run("mlperf_tiny/kws")
        self.assertEqual(built.network, "kws-built")
        self.assertEqual(built.latency_cycles, reference.latency_cycles)
        self.assertEqual(built.energy_j, reference.energy_j)
        self.assertEqual(built.peak_ram_bytes, reference.peak_ram_bytes)

    def test_builder_skip_connection_and_precision(self):
        b = edgesim.NetworkBuilder("res", input_shape=(16, 16, 8))
        x = b.conv2d(8, kernel=3, activation="relu", name="c1")
        y = b.conv2d(8, kernel=3, name="c2", weight_dtype="int4")
        b.add([x, y], activation="relu")
        b.global_avg_pool()
        b.dense(4)
        net = b.build()
        self.assertIn('inputs: "c1"', b.text())
        self.assertEqual(net.layers, 5)  # graph inputs are not layers
        r = edgesim.Simulator("gap9-evk", "gap-flow").run(net)
        self.assertEqual(r.status, "ok")

    def test_torch_module_costs_its_macs(self):
        torch_or_skip(self)
        import torch

        torch.manual_seed(0)
        model = torch.nn.Sequential(
            torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
            torch.nn.Conv2d(8, 16, 3, stride=2, padding=1), torch.nn.ReLU(),
            torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(16, 10))
        x = torch.randn(1, 1, 28, 28)
        # MACs counted independently: convolution output elements x kernel volume, and the
        # linear layer's weights.
        expect = 28 * 28 * 8 * (1 * 9) + 14 * 14 * 16 * (8 * 9) + 16 * 10
        net = edgesim.network(model, x, name="tnet")
        self.assertEqual(net.macs, expect)
        self.assertTrue(model.training)  # restored after the export
        sim = edgesim.Simulator("nucleo-l4r5zi", "tflm-cmsis-nn")
        r = sim.run((model, x), quantize="int8")
        self.assertEqual(r.status, "ok", r.reason)
        self.assertEqual(r.macs, expect)
        # A float model without --quantize has no int8 kernels: a value, not an exception.
        self.assertEqual(sim.run(net).status, "unsupported")


class CostModels(unittest.TestCase):
    """DNAS cost tables from Python: what a differentiable latency term is built from."""

    def test_tables_predict_the_simulator(self):
        model = edgesim.cost_model("fmnist/ds-cnn", "nucleo-l4r5zi", "tflm-cmsis-nn",
                                   channel_step=16)
        self.assertEqual(model.metrics[:2], ["latency_s", "energy_j"])
        seed = model.seed_channels
        self.assertEqual(len(seed), len(model.groups))
        sim = edgesim.Simulator("nucleo-l4r5zi", "tflm-cmsis-nn")
        reference = sim.run("fmnist/ds-cnn")
        at_seed = model.predict(seed)
        self.assertAlmostEqual(at_seed["latency_s"] / reference.latency_s, 1.0, delta=1e-6)
        self.assertEqual(at_seed["peak_ram_bytes"], reference.peak_ram_bytes)
        # Every table holds values over its grids; a searchable group's grid spans the seed's.
        for t in model.layers:
            values = t["values"]["latency_s"]
            self.assertEqual(len(values), len(t["in_grid"]))
            self.assertEqual(len(values[0]), len(t["out_grid"]))
        half = [max(g["tile"], c // 2) if g["searchable"] else c
                for c, g in zip(seed, model.groups)]
        net = model.network(half, name="half")
        self.assertLess(net.macs, edgesim.network("fmnist/ds-cnn").macs)
        simulated = sim.run(net)
        predicted = model.predict(half)
        self.assertEqual(simulated.network, "half")
        self.assertAlmostEqual(predicted["latency_s"] / simulated.latency_s, 1.0, delta=0.05)
        self.assertLess(simulated.latency_s, reference.latency_s)

    def test_bad_input(self):
        model = edgesim.cost_model("fmnist/ds-cnn", "nucleo-l4r5zi", "tflm-cmsis-nn",
                                   channel_step=32)
        with self.assertRaises(edgesim.InputError):
            model.predict([1, 2, 3])
        fixed = [c + 1 if not g["searchable"] else c
                 for c, g in zip(model.seed_channels, model.groups)]
        with self.assertRaises(edgesim.InputError):
            model.network(fixed)
        onnx = os.path.join(TEST_DIR, "data/onnx/torch_tinynet.onnx")
        with self.assertRaisesRegex(edgesim.InputError, "network text"):
            edgesim.cost_model(edgesim.network(onnx), "nucleo-l4r5zi", "tflm-cmsis-nn")


class Errors(unittest.TestCase):
    """Bad input raises edgesim.InputError with the CLI's text; the interpreter survives."""

    def assertInputError(self, call, *fragments):
        with self.assertRaises(edgesim.InputError) as ctx:
            call()
        text = str(ctx.exception)
        for f in fragments:
            self.assertIn(f, text)
        self.assertIsInstance(ctx.exception, ValueError)
        self.assertTrue(ctx.exception.diagnostics)
        return ctx.exception

    def test_names_and_values(self):
        self.assertInputError(lambda: edgesim.Simulator("nucleo-l4r5zi", "cmsis-nn"),
                              "<python>: stack: unknown stack 'cmsis-nn'")
        sim = edgesim.Simulator("nucleo-l4r5zi", "tflm-cmsis-nn")
        e = self.assertInputError(lambda: sim.run("nope"), "<python>: network: unknown network")
        self.assertEqual(e.diagnostics[0]["field"], "network")
        self.assertInputError(lambda: sim.run("mlperf_tiny/kws", fidelity="fast"), "fidelity")
        self.assertInputError(lambda: sim.run("mlperf_tiny/kws", strategy="magic"), "strategy")
        self.assertInputError(
            lambda: sim.run("mlperf_tiny/kws", overrides={"platform.nope": 1}),
            "overrides['platform.nope']")
        self.assertInputError(lambda: sim.run("mlperf_tiny/kws", operating_point="turbo"),
                              "operating_point")
        self.assertInputError(lambda: sim.run("mlperf_tiny/kws", batch=0), "batch")
        with self.assertRaises(TypeError):
            sim.run("mlperf_tiny/kws", fidelty="tlm")
        with self.assertRaises(TypeError):
            sim.run(3.5)
        # The simulator still works.
        self.assertTrue(sim.run("mlperf_tiny/kws").ok)

    def test_argument_types_are_named(self):
        sim = edgesim.Simulator("nucleo-l4r5zi", "tflm-cmsis-nn")
        for kwargs, text in (({"batch": 2.5}, "batch must be an int"),
                             ({"batch": "2"}, "batch must be an int"),
                             ({"fidelity": None}, "fidelity must be a str"),
                             ({"strategy": 3}, "strategy must be a str"),
                             ({"operating_point": {"clock_mhz": "60"}},
                              "operating_point['clock_mhz'] must be a number"),
                             ({"strategy_params": "a=1"}, "strategy_params must be a dict")):
            with self.assertRaisesRegex(TypeError, re.escape(text)):
                sim.run("mlperf_tiny/kws", **kwargs)
        for kwargs, field in (({"batch": 2 ** 40}, "batch"), ({"seed": -1}, "seed")):
            e = self.assertInputError(lambda: sim.run("mlperf_tiny/kws", **kwargs), "out of range")
            self.assertEqual(e.diagnostics[0]["field"], field)
        with self.assertRaises(TypeError):
            sim.run_many("mlperf_tiny/kws")
        e = self.assertInputError(lambda: sim.run_many(["mlperf_tiny/kws", "nope"]), "nope")
        self.assertEqual(e.diagnostics[0]["field"], "queries[1].network")
        # List parameters as lists (the CLI writes "2,4").
        r = sim.run("mlperf_tiny/kws", strategy="early-exit",
                    strategy_params={"exits": [2, 4], "exit_shares": (0.3, 0.3)})
        self.assertTrue(r.ok)
        with self.assertRaises(edgesim.InputError):
            edgesim.sweep(os.path.join(TEST_DIR, "apps/data/sweep-mcu.textproto"),
                          "never.h5", jobs=-1)
        self.assertFalse(os.path.exists("never.h5"))

    def test_builder_checks_its_arguments(self):
        b = edgesim.NetworkBuilder("z", input_shape=(8, 8, 3))
        # A name is a name, whatever it holds: no text of it becomes network structure.
        tricky = 'a" conv2d { out_channels: 64 } } layers { name: "b'
        self.assertEqual(b.conv2d(4, kernel=1, name=tricky), tricky)
        self.assertEqual(b.build().layers, 1)
        with self.assertRaises(TypeError):
            b.conv2d(4.5, kernel=1)
        with self.assertRaises(TypeError):
            b.conv2d(True, kernel=1)
        for call, field in ((lambda: b.conv2d(0, kernel=3), "out_channels"),
                            (lambda: b.conv2d(4, kernel=3, groups=0), "groups"),
                            (lambda: b.depthwise_conv2d(kernel=3, depth_multiplier=0),
                             "depth_multiplier"),
                            (lambda: b.conv2d(4, kernel=3, activation="swish9"), "activation"),
                            (lambda: b.conv2d(4, kernel=3, padding="mirror"), "padding")):
            self.assertInputError(call, "<NetworkBuilder z>", field)
        self.assertEqual(b.build().layers, 1)  # refused calls added nothing

    def test_same_text_as_cli(self):
        rc, _, err = cli("simulate", "-p", "nucleo-l4r5zi", "-s", "tflm-cmsis-nn", "-n",
                         "mlperf_tiny/kws", "--set",
                         "platform.memories[name=sram3].size_bytes=1000", check=False)
        self.assertEqual(rc, 2)
        sim = edgesim.Simulator("nucleo-l4r5zi", "tflm-cmsis-nn")
        e = self.assertInputError(lambda: sim.run(
            "mlperf_tiny/kws", overrides={"platform.memories[name=sram3].size_bytes": 1000}))
        # The same reason, with the Python argument named where the CLI names its option.
        self.assertEqual(e.diagnostics[0]["reason"], err.split("--set: ", 1)[1].strip())

    def test_malformed_networks(self):
        bad = os.path.join(TEST_DIR, "data/onnx/truncated.onnx")
        with open(bad, "rb") as f:
            data = f.read()
        self.assertInputError(lambda: edgesim.network(data), "<onnx bytes>")
        self.assertInputError(lambda: edgesim.network(b"\x00\x01garbage"), "<onnx bytes>")
        b = edgesim.NetworkBuilder("bad", input_shape=(8, 8, 3))
        b.conv2d(4, kernel=3)
        b.add(["conv2d1", "missing"])
        self.assertInputError(b.build, "<NetworkBuilder bad>", "missing")
        with self.assertRaises(ValueError):
            b.conv2d(4, kernel=3, activation="gelu")
        with self.assertRaises(TypeError):
            edgesim.network(object())


def run_in_worker(sim, network):
    """A multiprocessing pool's task: a run in another process, its Result sent back."""
    return sim.run(network, fidelity="analytical")


class Pickling(unittest.TestCase):
    """Simulators and Results pickle, so multiprocessing pools can run queries and return
    Results; an unpickled Result has every attribute, to_dict() and layers of the original."""

    PROPERTIES = ["status", "ok", "reason", "platform", "stack", "network", "strategy", "batch",
                  "fidelity", "mapping", "precision", "operating_point", "clock_hz",
                  "voltage_v", "latency_cycles", "latency_s", "energy_j", "peak_ram_bytes",
                  "flash_bytes", "weight_bytes", "macs", "config_sha256", "host_seconds"]

    def assert_same(self, a, b, same_run=True):
        for name in self.PROPERTIES:
            if name != "host_seconds" or same_run:  # two runs take their own host time
                self.assertEqual(getattr(a, name), getattr(b, name), name)
        self.assertEqual(a.to_dict(), b.to_dict())
        self.assertTrue(a.layers.equals(b.layers))

    def test_results_round_trip(self):
        import pickle

        sim = edgesim.Simulator("gap9-evk", "gap-flow")
        too_big = os.path.join(TEST_DIR, "apps/data/too_big.textproto")
        cases = [sim.run("mlperf_tiny/kws"),
                 sim.run("mlperf_tiny/ic", fidelity="analytical", batch=2,
                         operating_point={"clock_mhz": 100}),
                 edgesim.Simulator("nucleo-l4r5zi", "tflm-2.3").run(too_big)]
        self.assertEqual(cases[2].status, "does_not_fit")
        for r in cases:
            copy = pickle.loads(pickle.dumps(r))
            self.assert_same(r, copy)
            self.assert_same(r, pickle.loads(pickle.dumps(copy)))  # and again
        self.assertIsNone(pickle.loads(pickle.dumps(cases[2])).latency_s)
        blank = edgesim.Result.__new__(edgesim.Result)
        for state in [(99, "{}", 0.0), (1, "{}", 0.0), (1, "not json", 0.0),
                      (1, json.dumps({**cases[0].to_dict(), "status": "fine"}), 0.0)]:
            with self.assertRaises(ValueError, msg=str(state)[:80]):
                blank.__setstate__(state)
        with self.assertRaises(ValueError):
            edgesim.Simulator.__new__(edgesim.Simulator).__setstate__(("gap9-evk", "gap-flow",
                                                                         None, None))

    def test_a_pool_runs_queries_in_other_processes(self):
        import multiprocessing

        sim = edgesim.Simulator("nucleo-l4r5zi", "tflm-cmsis-nn",
                                overrides={"platform.cores[name=cpu].cycle_scale": 2})
        networks = ["mlperf_tiny/kws", "mlperf_tiny/ad"]
        with multiprocessing.get_context("spawn").Pool(2) as pool:
            remote = pool.starmap(run_in_worker, [(sim, n) for n in networks])
        for n, r in zip(networks, remote):
            self.assert_same(sim.run(n, fidelity="analytical"), r, same_run=False)
            # The overrides travelled with the Simulator.
            self.assertNotEqual(r.latency_s, edgesim.Simulator("nucleo-l4r5zi", "tflm-cmsis-nn")
                                .run(n, fidelity="analytical").latency_s)


class ResultsFiles(unittest.TestCase):
    """read_results decodes every table; studies run from Python equal the CLI's."""

    def test_runs_and_layers_of_simulate(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "r.h5")
            cli("simulate", "-p", "nucleo-l4r5zi", "-s", "tflm-cmsis-nn", "-n",
                "mlperf_tiny/kws", "--out", out)
            res = edgesim.read_results(out)
            self.assertEqual(sorted(res), ["energy", "layer_memory", "layers", "runs"])
            runs = res["runs"]
            # The breakdown adds up to the run's energy.
            e = res["energy"]
            self.assertAlmostEqual((e["dynamic_j"] + e["static_j"]).sum() / runs["energy_j"][0],
                                   1.0, places=9)
            self.assertEqual(res.units("energy")["dynamic_j"], "J")
            self.assertEqual(runs["status"][0], "ok")
            self.assertEqual(runs["network"][0], "mlperf_tiny/kws")
            self.assertEqual(res.units("runs")["latency_s"], "s")
            self.assertEqual(res.units("runs")["energy_j"], "J")
            sim = edgesim.Simulator("nucleo-l4r5zi", "tflm-cmsis-nn")
            r = sim.run("mlperf_tiny/kws")
            self.assertEqual(runs["latency_s"][0], r.latency_s)
            self.assertEqual(runs["config_sha256"][0], r.config_sha256)
            self.assertEqual(list(res["layers"]["layer_name"]), list(r.layers["name"]))
            # /layer_memory pivots to Result.layers' per-memory columns.
            lm = res["layer_memory"]
            self.assertEqual(res.units("layer_memory")["bytes_read"], "B")
            read = lm.pivot(index="layer_index", columns="memory", values="bytes_read")
            for memory in read.columns:
                column = r.layers.get(f"bytes_read_{memory}")
                want = [0] * len(read) if column is None else list(column.fillna(0))
                self.assertEqual(list(read[memory]), want, memory)
            self.assertIn("edgesim_version", res.provenance)
            self.assertIn("simulate", res.provenance["command_line"])

    def test_sweep_equals_the_cli(self):
        study = os.path.join(TEST_DIR, "apps/data/sweep-mcu.textproto")
        with tempfile.TemporaryDirectory() as d:
            py_out, cli_out = os.path.join(d, "py.h5"), os.path.join(d, "cli.h5")
            res = edgesim.sweep(study, py_out, jobs=1, quiet=True)
            cli("sweep", "--study", study, "--out", cli_out, "--jobs", "1", "-q")
            ref = edgesim.read_results(cli_out)
            self.assertEqual(res.summary["points"], 81)
            self.assertEqual(res.summary["by_status"], {"does_not_fit": 33, "ok": 48})
            a = res["sweep"].drop(columns=["sim_wall_s"])
            b = ref["sweep"].drop(columns=["sim_wall_s"])
            self.assertTrue(a.equals(b))
            # NaN, not 0, for what a point that does not fit did not produce.
            nofit = a[a["status"] == "does_not_fit"]
            self.assertTrue(nofit["latency_s"].isna().all())
            self.assertTrue((nofit["peak_ram_bytes"] > 0).all())
            self.assertIn("edgesim.sweep", res.provenance["command_line"])
            # An existing file without resume/overwrite is bad input, as on the CLI.
            with self.assertRaisesRegex(edgesim.InputError, "resume=True continues it"):
                edgesim.sweep(study, py_out, jobs=1, quiet=True)
            with self.assertRaises(edgesim.InputError) as both:
                edgesim.sweep(study, py_out, resume=True, overwrite=True)
            self.assertEqual(both.exception.diagnostics[0]["field"], "resume")
            self.assertEqual(both.exception.diagnostics[0]["file"], "<python>")
            again = edgesim.sweep(study, py_out, jobs=1, quiet=True, resume=True)
            self.assertEqual(again.summary["ran"], 0)

    def test_dnas_study_exports_what_it_reports(self):
        if not os.path.exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"):
            self.skipTest("Fashion-MNIST not installed (scripts/setup.sh: dataset-fashion-mnist)")
        study_text = """name: "tiny" seed: 3 network: "fmnist/ds-cnn"
searches { name: "l4r5" target { platform: "nucleo-l4r5zi" stack: "tflm-cmsis-nn" }
  limits { metric: "latency_s" max_fraction: 0.6 } }
training { train_images: 600 test_images: 200 batch_size: 50 warmup_epochs: 1
  search_epochs: 2 finetune_epochs: 1 arch_learning_rate: 0.05 no_baseline: true }
costs { cache_dir: "none" check_networks: 1 }
"""
        with tempfile.TemporaryDirectory() as d:
            study = os.path.join(d, "tiny.textproto")
            with open(study, "w") as f:
                f.write(study_text)
            res = edgesim.dnas(study, os.path.join(d, "tiny.h5"), quiet=True)
            self.assertEqual(res.summary["searches"][0]["status"], "ok")
            result = res["dnas/result"].set_index("metric")
            self.assertEqual(len(res["dnas/epochs"]), 4)
            # The exported network, simulated from Python, costs what the table says.
            exported = os.path.join(d, "tiny.dnas", "l4r5.textproto")
            r = edgesim.Simulator("nucleo-l4r5zi", "tflm-cmsis-nn").run(exported)
            self.assertEqual(r.latency_s, result.loc["latency_s", "simulated"])
            self.assertEqual(r.peak_ram_bytes, result.loc["peak_ram_bytes", "simulated"])
            self.assertEqual(result.loc["latency_s", "met"],
                             int(r.latency_s <= result.loc["latency_s", "target"]))

    def test_nas_study(self):
        with open(os.path.join(CONFIGS, "studies/nas-kws.textproto")) as f:
            text = f.read().replace("population: 16 generations: 6",
                                    "population: 6 generations: 1")
        with tempfile.TemporaryDirectory() as d:
            study = os.path.join(d, "nas.textproto")
            with open(study, "w") as f:
                f.write(text)
            res = edgesim.nas(study, os.path.join(d, "nas.h5"), jobs=1, quiet=True)
            self.assertEqual(res.summary["generations"], 1)
            tables = set(res)
            self.assertTrue(any("pareto" in t for t in tables), tables)
            self.assertTrue(any("population" in t for t in tables), tables)


if __name__ == "__main__":
    unittest.main()
