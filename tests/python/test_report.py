"""Tests of `edgesim report` (issue 16), run by tests/python/PythonBindingTest.cpp: every table
kind an edgesim file can hold is reported, every image the page references exists, and the
page rendered by a real browser (Debian's chromium, headless) is not blank. Without chromium
the browser checks are skipped with a message (scripts/setup.sh installs it).
"""

import glob
import os
import re
import shutil
import subprocess
import tempfile
import unittest

CLI = os.environ["EDGESIM_CLI"]
TEST_DIR = os.environ["EDGESIM_TEST_DIR"]
CONFIGS = os.environ["EDGESIM_CONFIG_DIR"]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FASHION_MNIST = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"

TINY_DNAS = """name: "tiny" seed: 3 network: "fmnist/ds-cnn"
searches { name: "l4r5" target { platform: "nucleo-l4r5zi" stack: "tflm-cmsis-nn" }
  limits { metric: "latency_s" max_fraction: 0.6 } limits { metric: "weight_bytes" max: 9000 } }
training { train_images: 1000 test_images: 300 batch_size: 50 warmup_epochs: 1
  search_epochs: 2 finetune_epochs: 1 arch_learning_rate: 0.05 no_baseline: true }
costs { cache_dir: "none" check_networks: 2 }
"""


def edgesim(*args, check=True):
    p = subprocess.run([CLI, *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"edgesim {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p


def referenced_images(index):
    with open(index, encoding="utf-8") as f:
        return re.findall(r'<img src="([^"]+)"', f.read())


def screenshot(index, png, work):
    """Renders `index` in headless chromium to `png` (the flags a closed network needs)."""
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={os.path.join(work, 'chromium-profile')}",
                    f"--screenshot={png}", "--window-size=1280,1600",
                    "file://" + os.path.abspath(index)],
                   capture_output=True, timeout=120)


def ink(png):
    """(share of pixels that are not background white, number of distinct colours)."""
    import matplotlib.image
    import numpy

    pixels = matplotlib.image.imread(png)[:, :, :3]
    inked = (pixels < 0.97).any(axis=2).mean()
    colours = len(numpy.unique((pixels * 255).astype(numpy.uint8).reshape(-1, 3), axis=0))
    return inked, colours


class Reports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp()
        cls.files = {}
        w = cls.work

        sim = os.path.join(w, "sim.h5")
        trace = os.path.join(w, "trace.json")
        edgesim("simulate", "-p", "gap9-evk", "-s", "gap-flow", "-n", "mlperf_tiny/ic",
                "--out", sim, "--trace", trace)
        cls.files["runs"] = (sim, ["--trace", trace])

        val = os.path.join(w, "val.h5")
        edgesim("validate", "-m", os.path.join(TEST_DIR, "data/silicon/calibration.csv"),
                "--out", val)
        cls.files["validation"] = (val, [])

        sweep = os.path.join(w, "sweep.h5")
        edgesim("sweep", "--study", os.path.join(TEST_DIR, "apps/data/sweep-mcu.textproto"),
                "--out", sweep, "--jobs", "1", "--layers", "-q")
        cls.files["sweep"] = (sweep, [])

        with open(os.path.join(CONFIGS, "studies/nas-kws.textproto")) as f:
            text = f.read().replace("population: 16 generations: 6",
                                    "population: 6 generations: 2")
        study = os.path.join(w, "nas.textproto")
        with open(study, "w") as f:
            f.write(text)
        nas = os.path.join(w, "nas.h5")
        edgesim("nas", "--study", study, "--out", nas, "--jobs", "1", "-q")
        cls.files["nas"] = (nas, [])

        # Three objectives (latency, energy, params): every pair is drawn.
        with open(os.path.join(CONFIGS, "studies/nas-ic.textproto")) as f:
            text = f.read()
        assert "population: 16 generations: 8" in text, "nas-ic changed: shrink it here too"
        text = text.replace("population: 16 generations: 8", "population: 6 generations: 2")
        study = os.path.join(w, "nas3.textproto")
        with open(study, "w") as f:
            f.write(text)
        nas3 = os.path.join(w, "nas3.h5")
        edgesim("nas", "--study", study, "--out", nas3, "--jobs", "1", "-q")
        cls.files["nas3"] = (nas3, [])

        if os.path.exists(FASHION_MNIST):
            study = os.path.join(w, "dnas.textproto")
            with open(study, "w") as f:
                f.write(TINY_DNAS)
            dnas = os.path.join(w, "dnas.h5")
            edgesim("dnas", "--study", study, "--out", dnas, "-q")
            cls.files["dnas"] = (dnas, [])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def report(self, kind):
        if kind not in self.files:
            self.skipTest(f"no {kind} file (Fashion-MNIST absent: dataset-fashion-mnist)")
        results, extra = self.files[kind]
        out = os.path.join(self.work, f"report-{kind}")
        p = edgesim("report", results, "--out", out, *extra)
        index = os.path.join(out, "index.html")
        self.assertEqual(p.stdout.strip(), index)
        self.assertTrue(os.path.isfile(index))
        images = referenced_images(index)
        self.assertTrue(images, "the page shows no figure")
        for image in images:
            path = os.path.join(out, image)
            self.assertTrue(os.path.isfile(path), f"{image} is referenced but missing")
            with open(path, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", image)
        # Figures are drawn, not empty frames.
        for image in images:
            inked, colours = ink(os.path.join(out, image))
            self.assertGreater(inked, 0.02, image)
            self.assertGreater(colours, 8, image)
        with open(index, encoding="utf-8") as f:
            page = f.read()
        self.assertIn("edgesim_version", page)
        self.assertIn("command_line", page)
        self.assertNotIn("http://", page.replace("https://ui.perfetto.dev", ""))
        if os.path.exists(CHROMIUM):
            png = os.path.join(self.work, f"shot-{kind}.png")
            screenshot(index, png, self.work)
            self.assertTrue(os.path.isfile(png), "chromium wrote no screenshot")
            inked, colours = ink(png)
            self.assertGreater(inked, 0.05, "the rendered page is (nearly) blank")
            self.assertGreater(colours, 50, "the rendered page shows no figure")
        return out, images

    def test_runs_layers_energy_and_trace(self):
        out, images = self.report("runs")
        # The report directory is made as mkdir makes one (the umask's mode), not private.
        umask = os.umask(0)
        os.umask(umask)
        self.assertEqual(os.stat(out).st_mode & 0o777, 0o777 & ~umask)
        self.assertIn("run0_layers.png", images)
        self.assertIn("run0_traffic.png", images)
        self.assertIn("run0_energy.png", images)
        with open(os.path.join(out, "index.html"), encoding="utf-8") as f:
            # The traffic figure draws each memory by name (/layer_memory), not memory kinds.
            self.assertIn("each memory of the platform (/layer_memory)", f.read())
        self.assertTrue(os.path.isfile(os.path.join(out, "trace.json")))
        if not os.path.exists(CHROMIUM):
            self.skipTest("chromium is not installed: the page was not rendered in a browser "
                          "(scripts/setup.sh installs Debian's chromium)")

    def test_validation(self):
        _, images = self.report("validation")
        self.assertIn("validation_scatter.png", images)
        self.assertIn("validation_platforms.png", images)

    def test_sweep(self):
        _, images = self.report("sweep")
        self.assertIn("sweep_pareto.png", images)
        self.assertIn("sweep_axes.png", images)
        # /runs of a sweep: the fastest and the slowest run, layer by layer.
        self.assertEqual(len([i for i in images if i.endswith("_layers.png")]), 2)

    def test_nas(self):
        _, images = self.report("nas")
        self.assertIn("nas_fronts.png", images)
        self.assertIn("nas_hypervolume.png", images)
        self.assertNotIn("nas_objectives.png", images)  # two objectives: the fronts say it all

    def test_nas_with_three_objectives(self):
        _, images = self.report("nas3")
        self.assertIn("nas_fronts.png", images)
        self.assertIn("nas_objectives.png", images)

    def test_dnas(self):
        _, images = self.report("dnas")
        self.assertIn("dnas_l4r5.png", images)

    def test_sweep_axes_are_the_study_parameters_only(self):
        # A training sweep's per-sample metrics come after status: never axes.
        import pandas
        from edgesim import report

        columns = ["point_index", "platform", "stack", "network", "strategy", "batch",
                   "quantize", "operating_point", "l2_bytes", "clk", "status", "reason",
                   "latency_s", "energy_j", "latency_s_per_sample", "training_arena_bytes",
                   "expected_latency_s", "bytes_l2", "clock_hz"]
        frame = pandas.DataFrame({c: [0] for c in columns})
        self.assertEqual(report._swept(frame), ["l2_bytes", "clk"])
        self.assertEqual(report._tick(131072), "131k")
        self.assertEqual(report._tick(3.7e8), "370M")
        self.assertEqual(report._tick(0.65), "0.65")
        self.assertEqual(report._tick(999999), "1M")

    def test_a_column_asked_twice_is_shown_once(self):
        # nas-fmnist-demo: "accuracy" is an objective and a column the NAS table always shows.
        import pandas
        from edgesim import report

        page = report._Page(self.work)
        frame = pandas.DataFrame({"id": [1, 2], "accuracy": [0.5, 0.25]})
        page.table(frame, ["id", "accuracy", "accuracy", "missing"])
        self.assertEqual(page.parts[-1].count("<th>accuracy</th>"), 1)
        self.assertIn("<td>0.25</td>", page.parts[-1])

    def test_bad_input_leaves_nothing(self):
        out = os.path.join(self.work, "bad-report")
        for args, text in (([os.path.join(self.work, "missing.h5")], "no such results file"),
                           ([os.path.join(TEST_DIR, "apps/data/sweep-mcu.textproto")],
                            "not an HDF5 results file")):
            p = edgesim("report", *args, "--out", out, check=False)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn(text, p.stderr)
            self.assertFalse(os.path.exists(out))
        # A foreign HDF5 file whose dataset has an edgesim table's name.
        import h5py
        import numpy

        foreign = os.path.join(self.work, "foreign.h5")
        with h5py.File(foreign, "w") as f:
            f["sweep"] = numpy.array([(1, 2.0)], dtype=[("latency_s", "i4"), ("energy_j", "f8")])
        p = edgesim("report", foreign, "--out", out, check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("not an edgesim results table", p.stderr)
        p = edgesim("report", self.files["runs"][0], "--out", out, "--trace",
                    os.path.join(TEST_DIR, "apps/data/sweep-mcu.textproto"), check=False)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("not a JSON trace", p.stderr)
        self.assertFalse(os.path.exists(out))
        # A directory that is not a report is never replaced.
        keep = os.path.join(self.work, "mine")
        os.makedirs(keep)
        with open(os.path.join(keep, "notes.txt"), "w") as f:
            f.write("mine")
        p = edgesim("report", self.files["runs"][0], "--out", keep, check=False)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(os.listdir(keep), ["notes.txt"])
        # No temporary directory is left beside the output.
        self.assertEqual(glob.glob(os.path.join(self.work, ".report-*")), [])
        # A report replaces an earlier report.
        first = self.report("runs")[0]
        again = edgesim("report", self.files["validation"][0], "--out", first)
        self.assertEqual(again.returncode, 0)
        self.assertIn("validation_scatter.png", referenced_images(os.path.join(first,
                                                                                "index.html")))


if __name__ == "__main__":
    unittest.main()
