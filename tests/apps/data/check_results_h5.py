#!/usr/bin/python3
"""Reads an edgesim results file the way a user does, with plain h5py and pandas (DESIGN.md
section 3, "HDF5 results"), and checks what the contract promises: tables that pandas reads
after the documented one-line decode, str values after it, a "<column>_unit" attribute on every
column, NaN (not 0) for metrics a point did not produce, and the provenance root attributes.
Run by tests/apps/SweepCliTest.cpp with Debian's /usr/bin/python3 (python3-h5py, python3-pandas).

    check_results_h5.py sweep FILE PLATFORM STUDY_FILE   # `edgesim sweep` output (/sweep, and
                                                         #  /runs and /layers when present)
    check_results_h5.py runs FILE PLATFORM               # `edgesim simulate --out` of one run
                                                         #  that does not fit
Prints "OK ..." and exits 0 when every check passes, else prints each failure and exits 1.
"""
import hashlib
import math
import re
import sys

import h5py
import pandas as pd

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)


def text(value):
    """An attribute as str (h5py gives str for variable-length UTF-8, bytes for fixed)."""
    return value.decode("utf-8") if isinstance(value, bytes) else value


def table(f, name):
    df = pd.DataFrame(f[name][()])
    # The documented decode (README / DESIGN.md): variable-length strings come back as bytes.
    df = df.apply(lambda c: c.str.decode("utf-8") if c.dtype == object else c)
    return df


# Units every table that has these columns must declare.
UNITS = {
    "latency_s": "s",
    "energy_j": "J",
    "clock_hz": "Hz",
    "voltage_v": "V",
    "latency_cycles": "cycles",
    "peak_ram_bytes": "B",
    "flash_bytes": "B",
    "macs": "MAC",
    "sim_wall_s": "s",
}


def check_units(f, name):
    ds = f[name]
    for column in ds.dtype.names:
        key = column + "_unit"
        check(key in ds.attrs, f"/{name}: no attribute {key}")
        if key not in ds.attrs:
            continue
        unit = text(ds.attrs[key])
        check(isinstance(unit, str), f"/{name}: {key} is not a string: {unit!r}")
        expected = UNITS.get(column)
        if column.startswith("bytes_") or column.startswith("dma_bytes_"):
            expected = "B"
        if expected is not None:
            check(unit == expected, f"/{name}: {key} is {unit!r}, expected {expected!r}")


def check_strings(df, name, columns):
    for column in columns:
        bad = [v for v in df[column] if not isinstance(v, str)]
        check(not bad, f"/{name}.{column}: values that are not str after decoding: {bad[:3]}")


def check_root(f, command):
    a = f.attrs
    for key in ("edgesim_version", "created_utc", "command_line", "config_sha256", "seed"):
        check(key in a, f"root attribute {key} missing")
    if failures:
        return
    check(re.match(r"^\d+\.\d+\.\d+", text(a["edgesim_version"])) is not None,
          f"edgesim_version {a['edgesim_version']!r}")
    check(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", text(a["created_utc"])) is not None,
          f"created_utc {a['created_utc']!r} is not ISO 8601 UTC")
    check(f" {command} " in text(a["command_line"]),
          f"command_line {a['command_line']!r} is not an edgesim {command} command")
    check(re.match(r"^[0-9a-f]{64}$", text(a["config_sha256"])) is not None,
          f"config_sha256 {a['config_sha256']!r}")
    check(isinstance(a["seed"], (int,)) or hasattr(a["seed"], "dtype") and a["seed"].dtype.kind in "iu",
          f"seed {a['seed']!r} is not an integer")


def nan(v):
    return isinstance(v, float) and math.isnan(v)


def check_not_produced(df, name, key):
    """Rows that did not fit: NaN latency and energy (never 0), a footprint and a reason."""
    nofit = df[df.status == "does_not_fit"]
    check(len(nofit) > 0, f"/{name}: no does_not_fit row to check")
    for _, row in nofit.iterrows():
        for column in ("latency_cycles", "latency_s", "energy_j"):
            check(nan(row[column]), f"/{name} {key} {row[key]}: {column} is {row[column]!r}, not NaN")
        check(not nan(row["peak_ram_bytes"]) and row["peak_ram_bytes"] > 0,
              f"/{name} {key} {row[key]}: peak_ram_bytes {row['peak_ram_bytes']!r}")
        check("RAM" in row["reason"], f"/{name} {key} {row[key]}: reason {row['reason']!r}")
    ok = df[df.status == "ok"]
    for _, row in ok.iterrows():
        for column in ("latency_s", "energy_j"):
            check(math.isfinite(row[column]) and row[column] > 0,
                  f"/{name} {key} {row[key]}: {column} is {row[column]!r}")
        check(row["reason"] == "", f"/{name} {key} {row[key]}: ok with reason {row['reason']!r}")
    return len(nofit), len(ok)


def check_sweep(f, platform, study_file):
    check_root(f, "sweep")
    check("study_sha256" in f.attrs, "root attribute study_sha256 missing")
    if "study_sha256" in f.attrs:
        with open(study_file, "rb") as s:
            want = hashlib.sha256(s.read()).hexdigest()
        check(text(f.attrs["study_sha256"]) == want,
              f"study_sha256 {f.attrs['study_sha256']!r}, sha256 of {study_file} is {want}")
    df = table(f, "sweep")
    check(len(df) > 0, "/sweep is empty")
    check(list(df.point_index) == list(range(len(df))), "/sweep point_index is not 0..n-1")
    check_strings(df, "sweep", ["platform", "stack", "network", "strategy", "status", "reason",
                                "operating_point", "mapping", "config_sha256"])
    check(set(df.platform) == {platform}, f"/sweep platforms {set(df.platform)}")
    check(set(df.status) <= {"ok", "does_not_fit", "unsupported", "invalid"},
          f"/sweep statuses {set(df.status)}")
    check_units(f, "sweep")
    nofit, ok = check_not_produced(df, "sweep", "point_index")
    summary = f"/sweep {len(df)} rows ({ok} ok, {nofit} does_not_fit)"
    if "runs" in f:
        runs = table(f, "runs")
        check(list(runs.run_id) == list(df.point_index), "/runs run_id is not point_index")
        check(list(runs.status) == list(df.status), "/runs status differs from /sweep")
        check_units(f, "runs")
        check_not_produced(runs, "runs", "run_id")
        layers = table(f, "layers")
        check(set(layers.run_id) == set(df.point_index[df.status == "ok"]),
              "/layers run_ids are not the ok points")
        check_strings(layers, "layers", ["layer_name", "op", "engine"])
        check_units(f, "layers")
        summary += f", /runs {len(runs)}, /layers {len(layers)} rows"
    return summary


def check_runs(f, platform):
    check_root(f, "simulate")
    runs = table(f, "runs")
    check(len(runs) == 1, f"/runs has {len(runs)} rows, expected 1")
    check_strings(runs, "runs", ["platform", "stack", "network", "status", "reason",
                                 "config_sha256"])
    check(list(runs.platform) == [platform], f"/runs platform {list(runs.platform)}")
    check(list(runs.status) == ["does_not_fit"], f"/runs status {list(runs.status)}")
    check_units(f, "runs")
    check_not_produced(runs, "runs", "run_id")
    layers = table(f, "layers")
    check(len(layers) == 0, f"/layers has {len(layers)} rows for a run that did not fit")
    check_units(f, "layers")
    return f"/runs {len(runs)} row, /layers {len(layers)} rows"


def main(argv):
    if len(argv) < 4 or argv[1] not in ("sweep", "runs") or (argv[1] == "sweep" and len(argv) < 5):
        print(__doc__, file=sys.stderr)
        return 2
    with h5py.File(argv[2], "r") as f:
        summary = check_sweep(f, argv[3], argv[4]) if argv[1] == "sweep" else check_runs(f, argv[3])
    if failures:
        for failure in failures:
            print("FAIL " + failure)
        return 1
    print("OK " + summary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
