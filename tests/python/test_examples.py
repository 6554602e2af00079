"""The examples of python/examples/ run as users run them (small settings), so they cannot rot:
run by tests/python/PythonBindingTest.cpp."""

import importlib.util
import os
import re
import subprocess
import sys
import unittest

EXAMPLES = os.path.join(os.environ["EDGESIM_SOURCE_DIR"], "python", "examples")


def run(name, *args):
    p = subprocess.run([sys.executable, os.path.join(EXAMPLES, name), *args],
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise AssertionError(f"{name} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
    return p.stdout


def torch_or_skip(case):
    if importlib.util.find_spec("torch") is None:
        case.skipTest("python3-torch is not installed (scripts/setup.sh installs it)")


class Examples(unittest.TestCase):
    def test_quickstart(self):
        out = run("quickstart.py")
        self.assertIn("<edgesim.Result mlperf_tiny/kws on nucleo-l4r5zi/tflm-cmsis-nn: ok", out)
        self.assertIn("zephyr-80mhz:", out)
        self.assertIn("InputError: <python>: overrides[", out)

    def test_evolutionary_search(self):
        torch_or_skip(self)
        out = run("evolutionary_search.py", "--generations", "1", "--population", "3",
                  "--train-images", "300", "--test-images", "100")
        self.assertRegex(out, r"\d+ candidates simulated, \d+ trained")

    def test_differentiable_latency_agrees_with_the_simulator(self):
        torch_or_skip(self)
        out = run("differentiable_latency.py", "--steps", "40", "--images", "640")
        m = re.search(r"this term ([\d.]+) ms, cost model ([\d.]+) ms, simulated ([\d.]+) ms",
                      out)
        self.assertIsNotNone(m, out)
        term, model, simulated = (float(v) for v in m.groups())
        # The loss term reads the same tables as the cost model; the cost model predicts the
        # simulation of the exported network (NAS.md §3: within a few percent).
        self.assertAlmostEqual(term / model, 1.0, delta=0.01)
        self.assertAlmostEqual(model / simulated, 1.0, delta=0.05)


if __name__ == "__main__":
    unittest.main()
