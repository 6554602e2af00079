"""edgesim from Python: the simulator and explorer of the C++ library, in process.

    import edgesim
    sim = edgesim.Simulator("nucleo-l4r5zi", "cmsis-nn")
    r = sim.run("mlperf_tiny/kws")
    r.latency_s, r.energy_j, r.peak_ram_bytes
    r.layers                       # per-layer rows (a DataFrame when pandas is present)

Networks are built-in names, .textproto/.onnx paths, ONNX bytes, torch.nn.Modules with an
example input (edgesim.network(module, x)) or NetworkBuilder candidates. Studies (sweep, nas,
dnas) run as the CLI's do and come back as DataFrames (read_results). Bad input raises
edgesim.InputError (a ValueError) with the CLI's "file:line: field: reason" text.
"""

import os as _os

from . import _edgesim, _networks
from ._edgesim import CostModel, InputError, Network, Result, Simulator, __version__, cost_model
from ._networks import NetworkBuilder, from_torch, network
from .results import Results, read_results

__all__ = ["Simulator", "Result", "Network", "NetworkBuilder", "InputError", "Results",
           "network", "from_torch", "read_results", "sweep", "nas", "dnas", "networks",
           "platforms", "stacks", "cost_model", "CostModel", "__version__"]

# Shown as edgesim.X, not edgesim._edgesim.X, in reprs and tracebacks.
for _cls in (Simulator, Result, Network, CostModel, InputError):
    _cls.__module__ = "edgesim"


def networks(config_dir=None):
    """Built-in network names (configs/networks/)."""
    return _edgesim.builtin_names("networks", config_dir)


def platforms(config_dir=None):
    """Platform config names (configs/platforms/)."""
    return _edgesim.builtin_names("platforms", config_dir)


def stacks(config_dir=None):
    """Stack config names (configs/stacks/)."""
    return _edgesim.builtin_names("stacks", config_dir)


# ---- results ---------------------------------------------------------------------------------

def _flatten_layer(row):
    """One layer of Result.to_dict() as flat columns: per-memory and per-engine dicts become
    "<field>_<name>" columns."""
    flat = {}
    for key, value in row.items():
        if isinstance(value, dict):
            for k, v in value.items():
                flat[f"{key}_{k}"] = v
        else:
            flat[key] = value
    return flat


def _layers(self):
    """Per-layer rows (the runtime's own work first): a pandas DataFrame when pandas is
    installed, else a list of dicts. Per-memory bytes are columns bytes_read_<memory>, ...;
    busy cycles per engine busy_cycles_<engine>."""
    rows = [_flatten_layer(r) for r in self.to_dict()["layers"]]
    try:
        import pandas
    except ImportError:
        return rows
    frame = pandas.DataFrame(rows)
    # Columns a layer does not touch are absent from its dict: 0 bytes, not missing.
    counted = [c for c in frame.columns if c.startswith(("bytes_", "dma_bytes_", "busy_cycles_"))]
    frame[counted] = frame[counted].fillna(0).astype("int64")
    return frame


def _repr(self):
    if self.latency_s is None:
        return (f"<edgesim.Result {self.network} on {self.platform}/{self.stack}: {self.status}"
                + (f" ({self.reason})" if self.reason else "") + ">")
    return (f"<edgesim.Result {self.network} on {self.platform}/{self.stack}: {self.status}, "
            f"{self.latency_s * 1e3:.4g} ms, {self.energy_j * 1e6:.4g} uJ, "
            f"peak RAM {self.peak_ram_bytes} B>")


Result.layers = property(_layers)
Result.__repr__ = _repr


# ---- studies ---------------------------------------------------------------------------------

def _command(name, study, out, **options):
    """The call as provenance ("python: edgesim.sweep('s.textproto', 'o.h5', jobs=2, ...)")."""
    shown = ", ".join(f"{k}={v!r}" for k, v in options.items())
    return f"python: edgesim.{name}({study!r}, {out!r}{', ' if shown else ''}{shown})"


_FLAGS = (("--resume", "resume=True"), ("--overwrite", "overwrite=True"), ("--jobs", "jobs"),
          ("--out", "out"), ("--study", "study"), ("--layers", "layers=True"))


def _pythonic(error):
    """A study runner's InputError with the CLI's flags named as this module's arguments."""
    def name(text, field=False):
        for flag, argument in _FLAGS:
            text = text.replace(flag, argument.split("=")[0] if field else argument)
        return text

    diagnostics = [dict(d, file="<python>" if d["file"] == "<command line>" else d["file"],
                        field=name(d["field"], True), reason=name(d["reason"]))
                   for d in getattr(error, "diagnostics", [])]
    if not diagnostics:
        return error
    text = "\n".join(f"{d['file']}{':' + str(d['line']) if d['line'] else ''}: "
                      f"{d['field'] + ': ' if d['field'] else ''}{d['reason']}"
                      for d in diagnostics)
    renamed = InputError(text)
    renamed.diagnostics = diagnostics
    return renamed


def _run_study(runner, *args):
    try:
        return runner(*args)
    except InputError as e:
        raise _pythonic(e) from None


def _check_jobs(jobs):
    if isinstance(jobs, bool) or not isinstance(jobs, int):
        raise TypeError(f"jobs must be an int, not {type(jobs).__name__}")
    if jobs < 0:
        raise _networks.input_error("<python>", "jobs",
                                    f"{jobs} must be >= 0 (0: one worker per core)")


def _results(out, summary):
    results = read_results(out)
    results.summary = summary
    if summary.get("interrupted"):
        raise KeyboardInterrupt(f"edgesim.{summary.get('kind')}: interrupted; completed results "
                                f"are in {out} (resume=True continues)")
    return results


def sweep(study, out, *, resume=False, overwrite=False, jobs=0, layers=False, quiet=False,
          config_dir=None):
    """Runs the sweep study `study` (a file or a name under configs/studies/) into `out` as
    `edgesim sweep` does, and returns its tables (Results; the run's summary as .summary).
    jobs: worker processes (0 = one per core, 1 = this process)."""
    study, out = _os.fspath(study), _os.fspath(out)
    _check_jobs(jobs)
    summary = _run_study(_edgesim.run_sweep, study, out, resume, overwrite, jobs, layers, quiet,
                         config_dir, _command("sweep", study, out, resume=resume,
                                              overwrite=overwrite, jobs=jobs, layers=layers))
    summary["kind"] = "sweep"
    return _results(out, summary)


def nas(study, out, *, resume=False, overwrite=False, jobs=0, quiet=False, config_dir=None):
    """Runs the NAS study `study` into `out` as `edgesim nas` does; returns its tables."""
    study, out = _os.fspath(study), _os.fspath(out)
    _check_jobs(jobs)
    summary = _run_study(_edgesim.run_nas, study, out, resume, overwrite, jobs, quiet,
                         config_dir, _command("nas", study, out, resume=resume,
                                              overwrite=overwrite, jobs=jobs))
    summary["kind"] = "nas"
    return _results(out, summary)


def dnas(study, out, *, resume=False, overwrite=False, quiet=False, config_dir=None):
    """Runs the DNAS study `study` into `out` as `edgesim dnas` does; returns its tables."""
    study, out = _os.fspath(study), _os.fspath(out)
    summary = _run_study(_edgesim.run_dnas, study, out, resume, overwrite, quiet, config_dir,
                         _command("dnas", study, out, resume=resume, overwrite=overwrite))
    summary["kind"] = "dnas"
    return _results(out, summary)
