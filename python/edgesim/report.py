"""`edgesim report RESULTS.h5... --out DIR`: an HTML page with figures of whatever tables an edgesim
results file holds (issue 16).

- /runs + /layers (+ /energy): per-layer latency and energy coloured by engine, memory traffic
  per level and layer, energy by component;
- /validation: predicted against measured with the +-10 % and +-20 % bands, per platform, and
  the held-out predictions of a cross-validation beside the in-sample ones;
- /sweep: latency against energy with the Pareto front highlighted, and how each parameter
  axis moves latency and energy;
- /nas: the feasible front after each generation and the hypervolume over generations;
- /dnas: task loss, accuracy, each cost against its limit and each lambda per epoch.

Figures are PNG files drawn by matplotlib (Debian python3-matplotlib) with its Agg backend: no
display, no network, nothing fetched when the page is viewed. matplotlib rather than SVG
written by hand in C++: plotting is not our modelling, and a kept library draws axes, ticks,
legends and log scales better than code of our own would. Every number comes from the file;
the only computation is the Pareto front, which is the library's (edgesim._edgesim.pareto_front,
analysis/Pareto.h), not re-implemented here.

The page is written to a temporary directory beside DIR and renamed into place at the end, so
a failed report leaves no partial DIR. Exit status 2 for bad input (no such file, not an HDF5
file, no edgesim tables, DIR exists and is not a report).
"""

import argparse
import html
import json
import math
import os
import shutil
import sys
import tempfile

from . import _edgesim
from .results import read_results

# ---- figures --------------------------------------------------------------------------------

_MAX_LAYER_RUNS = 3  # runs drawn layer by layer (a sweep with --layers holds hundreds)
_MAX_TABLE_ROWS = 40  # rows of a table shown on the page


class ReportError(Exception):
    """Bad input: the message names the file and what is wrong."""


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "font.size": 9,
                         "axes.grid": True, "grid.alpha": 0.3,
                         "svg.hashsalt": "edgesim", "path.simplify": True})
    return plt


class _Page:
    """The figures and HTML of one report, written into `directory`."""

    def __init__(self, directory):
        self.directory = directory
        self.parts = []
        self.images = []
        self.prefix = ""  # of image files: one per results file when a page shows several
        self.plt = _pyplot()

    def heading(self, text, level=2):
        self.parts.append(f"<h{level}>{html.escape(text)}</h{level}>")

    def text(self, text):
        self.parts.append(f"<p>{html.escape(text)}</p>")

    def raw(self, markup):
        self.parts.append(markup)

    def figure(self, fig, name, caption):
        file = f"{self.prefix}{name}.png"
        fig.savefig(os.path.join(self.directory, file), bbox_inches="tight",
                    metadata={"Software": None})
        self.plt.close(fig)
        self.images.append(file)
        self.parts.append(f'<figure><a href="{html.escape(file)}"><img src="{html.escape(file)}" '
                          f'alt="{html.escape(caption)}"></a>'
                          f"<figcaption>{html.escape(caption)}</figcaption></figure>")

    def table(self, frame, columns=None, formats=None):
        if columns is not None:  # each once, those the table has
            frame = frame[[c for c in dict.fromkeys(columns) if c in frame]]
        formats = formats or {}
        rows = []
        for _, row in frame.head(_MAX_TABLE_ROWS).iterrows():
            cells = "".join(f"<td>{html.escape(_cell(row[c], formats.get(c)))}</td>"
                            for c in frame.columns)
            rows.append(f"<tr>{cells}</tr>")
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
        more = (f"<p class=note>{len(frame) - _MAX_TABLE_ROWS} more rows in the file.</p>"
                if len(frame) > _MAX_TABLE_ROWS else "")
        self.parts.append(f"<div class=scroll><table><tr>{head}</tr>{''.join(rows)}</table>"
                          f"</div>{more}")


def _cell(value, fmt=None):
    """A table cell: NaN as "-", counts (integral values) with thousands separators, other
    numbers to 4 significant digits."""
    import numpy

    if isinstance(value, numpy.generic):
        value = value.item()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if fmt is None and value.is_integer() and abs(value) >= 1000:
            return f"{int(value):,}"
        return format(value, fmt or ".4g")
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    return str(value)


def _si(value, unit):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    for factor, prefix in ((1, ""), (1e3, "m"), (1e6, "u"), (1e9, "n"), (1e12, "p")):
        if abs(value) * factor >= 1 or prefix == "p":
            return f"{value * factor:.4g} {prefix}{unit}"
    return f"{value:g} {unit}"


def _tick(value):
    """A compact tick label for a swept value: 131072 -> '131k', 3.7e8 -> '370M', 0.65 -> '0.65'
    (rounded first, so 999999 is '1M', not '1e+03k')."""
    value = float(f"{value:.3g}")
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g}{prefix}"
    return f"{value:.3g}"


def _colours(names):
    """A fixed colour per name (tab10, in first-seen order)."""
    import matplotlib

    cmap = matplotlib.colormaps["tab10"]
    order = list(dict.fromkeys(names))
    return {n: cmap(i % 10) for i, n in enumerate(order)}


def _scale(ax, x=None, y=None):
    """Log axes for values that span more than a decade (all positive), linear otherwise; a
    log axis of up to two decades labels its minor ticks too (else it may show one label)."""
    from matplotlib.ticker import LogFormatterSciNotation

    for values, setter, axis in ((x, ax.set_xscale, ax.xaxis), (y, ax.set_yscale, ax.yaxis)):
        if values is None:
            continue
        values = [v for v in values if v == v]
        if values and min(values) > 0 and max(values) / min(values) > 10:
            setter("log")
            axis.set_minor_formatter(LogFormatterSciNotation(labelOnlyBase=False,
                                                             minor_thresholds=(2, 0.5)))


def _natural(text):
    """A sort key that orders "3x3x8" before "3x3x32" (numbers as numbers)."""
    import re

    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(text))]


def _front(points, maximize):
    """Indices of the non-dominated rows of `points` (the library's Pareto front)."""
    if not points:
        return []
    return list(_edgesim.pareto_front(points, maximize))


# ---- /runs, /layers, /layer_memory, /energy ------------------------------------------------------

_LEVELS = ["flash", "sram", "tcm", "external"]


def _runs_section(page, res):
    runs = res["runs"]
    page.heading("Simulations (/runs)")
    page.table(runs, ["run_id", "platform", "stack", "network", "strategy", "fidelity",
                      "operating_point", "status", "latency_s", "energy_j", "peak_ram_bytes",
                      "flash_bytes", "macs", "reason"])
    layers = res.get("layers")
    memories = res.get("layer_memory")
    energy = res.get("energy")
    ran = runs[runs["status"] == "ok"]
    drawn = ran.head(_MAX_LAYER_RUNS)
    if len(ran) > _MAX_LAYER_RUNS:
        # Many runs (a sweep's): the fastest and the slowest, layer by layer.
        drawn = ran.loc[[ran["latency_s"].idxmin(), ran["latency_s"].idxmax()]]
        page.text(f"Layer by layer: the fastest and the slowest of the {len(ran)} runs that "
                  "ran.")
    for _, run in drawn.iterrows():
        rid = int(run["run_id"])
        title = (f"run {rid}: {run['network']} on {run['platform']} / {run['stack']} "
                 f"({run['fidelity']}) - {_si(run['latency_s'], 's')}, "
                 f"{_si(run['energy_j'], 'J')}")
        page.heading(title, 3)
        if layers is not None:
            mine = layers[layers["run_id"] == rid]
            if len(mine):
                per_memory = None
                if memories is not None:
                    per_memory = memories[memories["run_id"] == rid]
                _layer_figures(page, mine, run, rid, per_memory)
        if energy is not None:
            mine = energy[energy["run_id"] == rid]
            if len(mine):
                _energy_figure(page, mine, run, rid)


_MAX_LAYERS_DRAWN = 60  # beyond, the costliest (in execution order): a figure stays readable


def _layer_figures(page, layers, run, rid, per_memory=None):
    plt = page.plt
    if len(layers) > _MAX_LAYERS_DRAWN:
        costliest = layers["cycles"].nlargest(_MAX_LAYERS_DRAWN).index
        layers = layers.loc[sorted(costliest)]
        page.text(f"The {_MAX_LAYERS_DRAWN} layers with the most cycles of {run['network']}'s "
                  "layers, in execution order.")
    names = list(layers["layer_name"])
    engines = list(layers["engine"])
    colours = _colours(engines)
    seconds = layers["cycles"] / run["clock_hz"]
    x = range(len(names))
    width = max(6.0, 0.28 * len(names))
    fig, (a, b) = plt.subplots(2, 1, figsize=(width, 6), sharex=True)
    a.bar(x, seconds * 1e3, color=[colours[e] for e in engines])
    a.set_ylabel("latency (ms)")
    b.bar(x, layers["energy_j"] * 1e6, color=[colours[e] for e in engines])
    b.set_ylabel("energy (uJ)")
    b.set_xticks(list(x), names, rotation=90)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()]
    a.legend(handles, list(colours), title="engine", fontsize=8)
    a.set_title("per layer, coloured by the engine that ran it")
    page.figure(fig, f"run{rid}_layers", f"Run {rid}: latency and energy per layer, by engine.")

    if per_memory is not None and len(per_memory):
        # Each memory of the platform by name, those the run never touched left out.
        moved = per_memory.assign(moved=per_memory["bytes_read"] + per_memory["bytes_written"])
        totals = moved.groupby("memory", sort=False)["moved"].sum()
        table = moved.pivot_table(index="layer_index", columns="memory", values="moved",
                                  aggfunc="sum", fill_value=0)
        table = table.reindex(index=list(layers["layer_index"]), fill_value=0)
        kinds = dict(zip(moved["memory"], moved["kind"]))
        series = [(f"{m} ({kinds[m].lower()})", table[m]) for m in totals.index if totals[m] > 0]
        _traffic_figure(page, names, width, rid, series, "memory",
                        "bytes moved per layer in each memory of the platform (/layer_memory)")
        return
    series = [(lv, layers[f"bytes_{lv}"]) for lv in _LEVELS if layers[f"bytes_{lv}"].sum() > 0]
    _traffic_figure(page, names, width, rid, series, "memory kind",
                    "bytes moved per layer and memory kind (/layers sums the memories of a "
                    "kind: on a PULP SoC, L1 and L2 are both sram; Result.layers in Python has "
                    "every memory)")


def _traffic_figure(page, names, width, rid, series, legend, caption):
    """Per-layer bytes as stacked bars, one (label, bytes per layer) of `series` per colour."""
    if not series:
        return
    x = range(len(names))
    fig, ax = page.plt.subplots(figsize=(width, 3.2))
    bottom = [0.0] * len(names)
    for label, values in series:
        values = list(values / 1024)
        ax.bar(x, values, bottom=bottom, label=label)
        bottom = [p + q for p, q in zip(bottom, values)]
    ax.set_ylabel("KiB moved (read + written)")
    ax.set_xticks(list(x), names, rotation=90)
    ax.legend(title=legend, fontsize=8)
    ax.set_title(f"memory traffic per layer and {legend}")
    page.figure(fig, f"run{rid}_traffic", f"Run {rid}: {caption}; DMA transfers included.")


def _energy_figure(page, energy, run, rid):
    plt = page.plt
    energy = energy[(energy["dynamic_j"] > 0) | (energy["static_j"] > 0)]
    if not len(energy):
        return
    # The row "static" is the platform's own: its background switching per cycle (dynamic)
    # and its static power (sim/model/Energy.cpp), not a component's.
    dynamic = energy["dynamic_j"] * 1e6
    static = energy["static_j"] * 1e6
    labels = ["platform (background, static power)" if c == "static" else c
              for c in energy["component"]]
    fig, ax = plt.subplots(figsize=(6.5, 0.35 * len(energy) + 1.2))
    y = range(len(energy))
    if (dynamic > 0).any():
        ax.barh(y, dynamic, color="C0", label="dynamic")
    if (static > 0).any():
        ax.barh(y, static, left=dynamic, color="C1", label="static")
    ax.set_yticks(list(y), labels)
    ax.invert_yaxis()
    ax.margins(x=0.08)
    ax.set_xlabel("energy (uJ)")
    ax.legend(fontsize=8)
    ax.set_title(f"energy by component (total {_si(run['energy_j'], 'J')})")
    page.figure(fig, f"run{rid}_energy", f"Run {rid}: energy by component (/energy).")


# ---- /validation -------------------------------------------------------------------------------

def _validation_section(page, res):
    val = res["validation"]
    page.heading("Predictions against measurements (/validation)")
    plt = page.plt
    held_out = val[val["fold"] != "in-sample"]
    panels = [("in-sample", val[val["fold"] == "in-sample"])]
    if len(held_out):
        panels.append(("held out (cross-validation)", held_out))
    metrics = sorted(set(val["metric"]))
    colours = _colours(sorted(set(val["platform"])))
    fig, axes = plt.subplots(len(metrics), len(panels), figsize=(5.2 * len(panels),
                                                                 4.4 * len(metrics)),
                             squeeze=False)
    for i, metric in enumerate(metrics):
        for j, (label, rows) in enumerate(panels):
            ax = axes[i][j]
            rows = rows[(rows["metric"] == metric) & rows["predicted"].notna()]
            if not len(rows):
                ax.set_visible(False)
                continue
            lo = min(rows["measured"].min(), rows["predicted"].min()) * 0.7
            hi = max(rows["measured"].max(), rows["predicted"].max()) * 1.4
            line = [lo, hi]
            ax.fill_between(line, [v * 0.8 for v in line], [v * 1.2 for v in line],
                            color="0.9", label="+-20 %")
            ax.fill_between(line, [v * 0.9 for v in line], [v * 1.1 for v in line],
                            color="0.8", label="+-10 %")
            ax.plot(line, line, "k-", lw=0.8)
            for platform, part in rows.groupby("platform"):
                ax.scatter(part["measured"], part["predicted"], s=18,
                           color=colours[platform], label=platform)
            ax.set_xscale("log")
            ax.set_yscale("log")
            unit = rows["unit"].iloc[0]
            mape = rows["error_pct"].abs().mean()
            ax.set_xlabel(f"measured ({unit})")
            ax.set_ylabel(f"predicted ({unit})")
            ax.set_title(f"{metric}, {label}: MAPE {mape:.1f} % ({len(rows)} rows)")
            if i == 0 and j == len(panels) - 1:
                ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    page.figure(fig, "validation_scatter", "Predicted against measured, per metric, with the "
                "+-10 % and +-20 % bands; colours are platforms.")

    # Error per platform (in-sample and held out).
    summary = (val[val["predicted"].notna()]
               .assign(abs_error=lambda f: f["error_pct"].abs(),
                       kind=lambda f: f["fold"].where(f["fold"] == "in-sample", "held out"))
               .groupby(["platform", "kind"])["abs_error"].mean().unstack())
    fig, ax = plt.subplots(figsize=(max(6, 0.7 * len(summary)), 3.4))
    summary.plot.bar(ax=ax)
    ax.set_ylabel("mean |error| (%)")
    ax.set_xlabel("")
    ax.set_title("mean absolute error per platform")
    page.figure(fig, "validation_platforms", "Mean absolute percentage error per platform.")
    if "validation_folds" in res:
        page.table(res["validation_folds"], ["fold", "rows", "mape_pct", "latency_mape_pct",
                                             "energy_mape_pct", "in_sample_mape_pct",
                                             "not_identifiable"],
                   {c: ".1f" for c in res["validation_folds"].columns if c.endswith("_pct")})


# ---- /sweep ------------------------------------------------------------------------------------

_SWEEP_FIXED = {"point_index", "platform", "stack", "network", "strategy", "batch", "quantize",
                "operating_point", "status", "reason", "latency_cycles", "latency_s",
                "energy_j", "peak_ram_bytes", "flash_bytes", "macs", "clock_hz", "voltage_v",
                "mapping", "config_sha256", "sim_wall_s"}


def _swept(sweep):
    """The study's parameter columns of /sweep: the writer puts them between operating_point
    and status (SweepPlan's column order); the metrics after status are never axes."""
    columns = list(sweep.columns)
    if "operating_point" in columns and "status" in columns:
        return columns[columns.index("operating_point") + 1:columns.index("status")]
    return [c for c in columns if c not in _SWEEP_FIXED and not c.startswith("bytes_")]


def _sweep_section(page, res):
    from matplotlib.ticker import MaxNLocator

    sweep = res["sweep"]
    plt = page.plt
    page.heading("Sweep (/sweep)")
    counts = sweep["status"].value_counts()
    planned = res.provenance.get("points")
    of = f" of the study's {planned}" if planned and str(planned) != str(len(sweep)) else ""
    done = ", ".join(f"{n} {s}" for s, n in counts.items())
    page.text(f"{len(sweep)} points{of}{': ' + done if done else ''}." +
              (" The run stopped before the end (resume it to finish)." if of else ""))
    ok = sweep[sweep["latency_s"].notna() & sweep["energy_j"].notna()].reset_index(drop=True)
    if not len(ok):
        page.text("No point produced a latency and an energy: nothing to plot.")
        return
    # Different workloads (networks, strategies, batches) are not alternatives to one another:
    # each has its own front, and medians are taken per workload.
    workload = [c for c in ("network", "strategy", "batch") if ok[c].nunique() > 1]
    # Colour by the workload when it varies, else by whichever of stack / platform / operating
    # point varies (the first that does).
    key = next((k for k in workload + ["stack", "platform", "operating_point"]
                if ok[k].nunique() > 1), "stack")
    colours = _colours(list(ok[key]))
    by = workload[0] if len(workload) == 1 else workload  # a one-column grouper as a name
    parts = list(ok.groupby(by, sort=False)) if workload else [((), ok)]
    front = []
    for _, part in parts:
        idx = _front([[a, b] for a, b in zip(part["latency_s"], part["energy_j"])],
                     [False, False])
        front.extend(part.index[idx])
    fig, ax = plt.subplots(figsize=(6.5, 4.6))
    for name, part in ok.groupby(key, sort=False):
        ax.scatter(part["latency_s"] * 1e3, part["energy_j"] * 1e6, s=14, alpha=0.6,
                   color=colours[name], label=f"{key} {name}")
    f = ok.loc[front]
    for _, part in (list(f.groupby(by, sort=False)) if workload else [((), f)]):
        part = part.sort_values("latency_s")
        ax.plot(part["latency_s"] * 1e3, part["energy_j"] * 1e6, "k-", lw=1, zorder=3)
    ax.scatter(f["latency_s"] * 1e3, f["energy_j"] * 1e6, s=40, facecolors="none",
               edgecolors="k", zorder=4, label=f"Pareto front ({len(f)} points)")
    _scale(ax, ok["latency_s"], ok["energy_j"])
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("energy (uJ)")
    ax.legend(fontsize=7)
    per = f" per {' and '.join(workload)}" if workload else ""
    ax.set_title(f"latency against energy; the front{per} minimises both")
    page.figure(fig, "sweep_pareto", f"Every point that ran; circled: the latency/energy "
                f"Pareto front{per} (analysis/Pareto.h)" +
                (": different workloads are not alternatives to one another." if per else "."))
    page.table(f.sort_values(workload + ["latency_s"]),
               ["point_index", "platform", "stack", "network", "strategy", "batch",
                "operating_point"] + _swept(sweep) + ["latency_s", "energy_j", "peak_ram_bytes"])

    axes_cols = _swept(sweep)
    axes_cols += [c for c in ("operating_point", "stack", "network", "strategy", "batch",
                              "quantize") if c in sweep and sweep[c].nunique() > 1]
    if axes_cols:
        per_row = 4
        rows = math.ceil(len(axes_cols) / per_row)
        width = min(per_row, len(axes_cols))
        fig, axes = plt.subplots(2 * rows, width, figsize=(3.4 * width, 5.4 * rows),
                                 squeeze=False)
        for ax in axes.flat:
            ax.set_visible(False)
        for n, col in enumerate(axes_cols):
            j = n % per_row
            for i, (metric, scale, unit) in enumerate((("latency_s", 1e3, "latency (ms)"),
                                                       ("energy_j", 1e6, "energy (uJ)"))):
                ax = axes[2 * (n // per_row) + i][j]
                ax.set_visible(True)
                numeric = ok[col].dtype.kind in "if"
                if numeric:
                    ax.scatter(ok[col], ok[metric] * scale, s=10, alpha=0.5,
                               c=[colours[v] for v in ok[key]] if workload else None)
                    # A median per workload: pooled, a value at which only the smaller
                    # networks fit would look faster than one at which all do.
                    for name, part in (ok.groupby(by, sort=False) if workload else [("", ok)]):
                        medians = part.groupby(col)[metric].median()
                        # Coloured by the workload's first column (`key`), as the points.
                        first = name[0] if isinstance(name, tuple) else name
                        if len(medians) <= 12:
                            ax.plot(medians.index, medians.values * scale, ".-", lw=1,
                                    color=colours[first] if workload else "k")
                    _scale(ax, x=ok[col])
                else:
                    groups = sorted(((n, g[metric] * scale) for n, g in ok.groupby(col)),
                                    key=lambda item: _natural(item[0]))
                    ax.boxplot([g for _, g in groups], labels=[n for n, _ in groups])
                    ax.tick_params(axis="x", rotation=45)
                _scale(ax, y=ok[metric])
                if numeric:
                    values = sorted(ok[col].dropna().unique())
                    if len(values) <= 6:  # a tick at each swept value, compactly labelled
                        from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

                        ax.xaxis.set_major_locator(FixedLocator(values))
                        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _tick(v)))
                        ax.xaxis.set_minor_formatter(NullFormatter())
                    else:
                        ax.xaxis.set_major_locator(
                            MaxNLocator(4, integer=ok[col].dtype.kind == "i"))
                    ax.tick_params(axis="x", rotation=30)
                unit_of = res.units("sweep").get(col, "")
                ax.set_xlabel((f"{col} ({unit_of})" if unit_of and unit_of != "1" else col)
                              if i == 1 else "")
                ax.set_ylabel(unit if j == 0 else "")
        fig.suptitle("how each swept axis moves latency and energy (points that ran)")
        fig.tight_layout(rect=(0, 0, 1, 0.96))
        page.figure(fig, "sweep_axes", "Each swept parameter against latency and energy; "
                    "lines: the median per value" +
                    (f" for each {key} (colours as above)." if workload else "."))


# ---- /nas --------------------------------------------------------------------------------------

def _objectives(text):
    """'min l4r5.latency_s, max macs' -> [('l4r5.latency_s', False), ('macs', True)]."""
    out = []
    for part in str(text).split(","):
        words = part.split()
        if len(words) == 2:
            out.append((words[1], words[0] == "max"))
    return out


def _nas_section(page, res):
    plt = page.plt
    page.heading("Evolutionary NAS (/nas)")
    prov = res.provenance
    objectives = _objectives(prov.get("objectives", ""))
    pop = res.get("nas/population")
    gens = res.get("nas/generations")
    page.text(f"Study {prov.get('study_name', '?')}: {prov.get('algorithm', '?')}, objectives "
              f"{prov.get('objectives', '?')}, targets {prov.get('targets', '?')}.")
    if pop is not None and len(objectives) >= 2 and all(o in pop for o, _ in objectives[:2]):
        (xo, xmax), (yo, ymax) = objectives[:2]
        feasible = pop[(pop["violation"] == 0) & pop[xo].notna() & pop[yo].notna()]
        generations = sorted(set(pop["generation"]))
        import matplotlib

        cmap = matplotlib.colormaps["viridis"]
        fig, ax = plt.subplots(figsize=(6.5, 4.6))
        ax.scatter(feasible[xo], feasible[yo], s=10, color="0.75", label="feasible individuals")
        for k, g in enumerate(generations):
            seen = feasible[feasible["generation"] <= g].reset_index(drop=True)
            idx = _front([[a, b] for a, b in zip(seen[xo], seen[yo])], [xmax, ymax])
            f = seen.loc[idx].sort_values(xo)
            colour = cmap(k / max(1, len(generations) - 1))
            ax.step(f[xo], f[yo], where="post", color=colour, lw=1.2,
                    label=f"front after generation {g}" if k in (0, len(generations) - 1)
                    else None)
            ax.scatter(f[xo], f[yo], s=16, color=colour, zorder=3)
        units = pop.attrs.get("units", {})
        for setter, name, maximise in ((ax.set_xlabel, xo, xmax), (ax.set_ylabel, yo, ymax)):
            unit = units.get(name, "")
            setter(f"{name}{f' ({unit})' if unit and unit != '1' else ''}, "
                   f"{'maximised' if maximise else 'minimised'}")
        _scale(ax, feasible[xo], feasible[yo])
        ax.legend(fontsize=7)
        ax.set_title("feasible Pareto front after each generation")
        page.figure(fig, "nas_fronts", "The front of every feasible individual evaluated up to "
                    "each generation (darker: earlier)."
                    + (f" Of the {len(objectives)} objectives, the first two; every pair "
                       "follows." if len(objectives) > 2 else ""))
    if pop is not None and len(objectives) > 2 and all(o in pop for o, _ in objectives):
        _nas_pairs(page, pop, objectives)
    if gens is not None and len(gens):
        fig, ax = plt.subplots(figsize=(6.5, 3.2))
        from matplotlib.ticker import MaxNLocator

        ax.plot(gens["generation"], gens["hypervolume"], "o-")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("generation")
        ax.set_ylabel("hypervolume")
        ax.set_title("hypervolume of the population over generations")
        page.figure(fig, "nas_hypervolume", "Hypervolume (reference: the file's "
                    "hypervolume_reference attribute) per generation.")
        page.table(gens)
    if "nas/pareto" in res:
        page.heading("final front (/nas/pareto)", 3)
        cols = ["id", "generation", "genes"] + [o for o, _ in objectives] + ["accuracy"]
        page.table(res["nas/pareto"], cols)


def _nas_pairs(page, pop, objectives):
    """Three or more objectives: every pair of them, the feasible individuals in grey and the
    front in all the objectives at once (the library's) in colour."""
    names = [o for o, _ in objectives]
    feasible = pop[(pop["violation"] == 0) & pop[names].notna().all(axis=1)].reset_index(drop=True)
    if not len(feasible):
        return
    front = feasible.loc[_front(feasible[names].values.tolist(), [m for _, m in objectives])]
    pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
    cols = min(3, len(pairs))
    rows = -(-len(pairs) // cols)
    fig, axes = page.plt.subplots(rows, cols, figsize=(4.6 * cols, 3.6 * rows), squeeze=False,
                                  layout="constrained")
    units = pop.attrs.get("units", {})

    def label(k):
        unit = units.get(names[k], "")
        return (f"{names[k]}{f' ({unit})' if unit and unit != '1' else ''}, "
                f"{'max' if objectives[k][1] else 'min'}")

    for ax, (i, j) in zip(axes.flat, pairs):
        ax.scatter(feasible[names[i]], feasible[names[j]], s=8, color="0.75")
        ax.scatter(front[names[i]], front[names[j]], s=16, color="C3", zorder=3)
        ax.set_xlabel(label(i), fontsize=8)
        ax.set_ylabel(label(j), fontsize=8)
        _scale(ax, feasible[names[i]], feasible[names[j]])
    for ax in list(axes.flat)[len(pairs):]:
        ax.set_visible(False)
    fig.suptitle(f"every pair of the {len(names)} objectives: feasible individuals (grey) and "
                 f"the front in all {len(names)} (red, {len(front)} individuals)", fontsize=9)
    page.figure(fig, "nas_objectives", "Each pair of objectives; red: the individuals no other "
                "feasible one dominates in all the objectives together (a point may look "
                "dominated in one pair and not be).")


# ---- /dnas -------------------------------------------------------------------------------------

_DNAS_METRICS = ["latency_s", "energy_j", "weight_bytes", "flash_bytes", "peak_ram_bytes"]


def _dnas_section(page, res):
    plt = page.plt
    page.heading("Differentiable NAS (/dnas)")
    epochs = res.get("dnas/epochs")
    result = res.get("dnas/result")
    prov = res.provenance
    page.text(f"Study {prov.get('study_name', '?')}: method {prov.get('method', '?')}, seed "
              f"network {prov.get('seed_network', '?')}.")
    if epochs is None or not len(epochs):
        page.text("No epochs recorded.")
    else:
        for search, rows in epochs.groupby("search", sort=False):
            limits, simulated = {}, {}
            if result is not None:
                mine = result[result["search"] == search]
                limits = {m: t for m, t in zip(mine["metric"], mine["target"])
                          if not math.isnan(t)}
                simulated = dict(zip(mine["metric"], mine["simulated"]))
            metrics = [m for m in _DNAS_METRICS if f"{m}_predicted" in rows
                       and rows[f"{m}_predicted"].notna().any()]
            n = 2 + len(metrics)
            cols = 3
            fig, axes = plt.subplots(math.ceil(n / cols), cols,
                                     figsize=(4.2 * cols, 3.1 * math.ceil(n / cols)),
                                     squeeze=False)
            flat = [a for row in axes for a in row]
            ax = flat[0]
            ax.plot(rows["epoch"], rows["task_loss"], "o-", color="C0")
            ax.set_ylabel("task loss")
            ax.set_title("task loss and accuracy")
            twin = ax.twinx()
            twin.plot(rows["epoch"], rows["accuracy"], "s--", color="C1")
            twin.set_ylabel("test accuracy")
            twin.grid(False)
            ax = flat[1]
            for m in metrics:
                lam = rows.get(f"lambda_{m}")
                if lam is not None and (lam > 0).any():
                    # Zero (no pressure yet) has no place on a log axis: left out.
                    ax.plot(rows["epoch"], lam.where(lam > 0), "o-", label=m)
            ax.set_yscale("log")
            ax.set_title("lambda per limit")
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7)
            for k, m in enumerate(metrics):
                ax = flat[2 + k]
                ax.plot(rows["epoch"], rows[f"{m}_predicted"], "o-", label="predicted")
                if m in limits:
                    ax.axhline(limits[m], color="r", ls="--", label="limit")
                if m in simulated and simulated[m] == simulated[m]:
                    ax.plot([rows["epoch"].max()], [simulated[m]], "k*", ms=10,
                            label="exported, simulated")
                ax.set_title(m)
                ax.legend(fontsize=7)
            for ax in flat[n:]:
                ax.set_visible(False)
            for ax in flat[:n]:
                ax.set_xlabel("epoch")
                # Shade the phases (warm-up, search, fine-tune).
                for phase, part in rows.groupby("phase", sort=False):
                    if phase == "search":
                        ax.axvspan(part["epoch"].min() - 0.5, part["epoch"].max() + 0.5,
                                   color="C2", alpha=0.08)
            fig.suptitle(f"search {search} (shaded: search epochs)")
            fig.tight_layout()
            page.figure(fig, f"dnas_{_slug(search)}", f"Search {search}: loss, accuracy, "
                        "lambdas and each cost per epoch, limits dashed.")
    if result is not None and len(result):
        page.heading("exported networks (/dnas/result)", 3)
        page.table(result, ["search", "platform", "stack", "metric", "target", "seed_simulated",
                            "predicted", "simulated", "met", "status", "accuracy",
                            "seed_accuracy"])


def _slug(text):
    return "".join(c if c.isalnum() else "_" for c in str(text))


# ---- the page ----------------------------------------------------------------------------------

_CSS = """body{font-family:sans-serif;max-width:1200px;margin:24px auto;padding:0 16px;color:#222}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}
h3{font-size:15px}table{border-collapse:collapse;font-size:12px;margin:8px 0}
td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}th{background:#f3f3f3}
figure{margin:12px 0}img{max-width:100%;border:1px solid #eee}figcaption{font-size:12px;color:#555}
.note{font-size:12px;color:#555}code{background:#f3f3f3;padding:1px 3px}
.scroll{overflow-x:auto}td{white-space:nowrap}"""

# Studies first; /runs last (with a sweep's --layers they are its points again).
_SECTIONS = [("sweep", _sweep_section), ("nas/population", _nas_section),
             ("dnas/epochs", _dnas_section), ("validation", _validation_section),
             ("runs", _runs_section)]


def _provenance(page, res, traces):
    prov = res.provenance
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td style='text-align:left'>"
                   f"{html.escape(str(v))}</td></tr>" for k, v in prov.items()
                   if k in ("edgesim_version", "command_line", "config_sha256", "created_utc",
                            "seed", "study_name", "study_file", "study_sha256"))
    page.raw(f"<table>{rows}</table>")
    links = "".join(f'<li><a href="{html.escape(t)}">{html.escape(t)}</a></li>' for t in traces)
    if "runs" not in res and not traces:
        return
    page.raw("<p class=note>Timelines: write one with <code>edgesim simulate ... --trace "
             "FILE.json</code> (or pass it to <code>edgesim report --trace</code> to link it "
             "here) and open it in Perfetto: <a href=\"https://ui.perfetto.dev\">"
             "ui.perfetto.dev</a>, Open trace file (the trace stays on your machine).</p>"
             + (f"<ul>{links}</ul>" if links else ""))


# The columns each section reads: a table without them is not edgesim's (a foreign file).
_REQUIRED = {
    "runs": ["run_id", "platform", "stack", "network", "fidelity", "status", "reason",
             "latency_s", "energy_j", "clock_hz"],
    "layers": ["run_id", "layer_index", "layer_name", "engine", "cycles", "energy_j"],
    "energy": ["run_id", "component", "dynamic_j", "static_j"],
    "layer_memory": ["run_id", "layer_index", "memory", "kind", "bytes_read", "bytes_written"],
    "validation": ["fold", "platform", "metric", "unit", "measured", "predicted", "error_pct"],
    "sweep": ["point_index", "platform", "stack", "network", "operating_point", "status",
              "latency_s", "energy_j"],
    "nas/population": ["generation", "violation"],
    "nas/generations": ["generation", "hypervolume"],
    "dnas/epochs": ["search", "phase", "epoch", "task_loss", "accuracy"],
    "dnas/result": ["search", "metric", "target", "simulated"],
}


def _load(results):
    """The Results of one file and the sections it has; ReportError for bad input."""
    if not os.path.exists(results):
        raise ReportError(f"{results}: no such results file")
    try:
        res = read_results(results)
    except OSError as e:
        raise ReportError(str(e)) from None
    for table, columns in _REQUIRED.items():
        if table in res:
            missing = [c for c in columns if c not in res[table]]
            if missing:
                raise ReportError(f"{results}: /{table} has no column {', '.join(missing)}: "
                                  "not an edgesim results table")
    sections = [fn for key, fn in _SECTIONS if key in res]
    if not sections:
        raise ReportError(f"{results}: holds no table a report draws (found: "
                          f"{', '.join(sorted(res)) or 'none'}; expected runs, validation, "
                          "sweep, nas/population or dnas/epochs)")
    return res, sections


def write_report(results, out, traces=(), title=None):
    """Writes `out`/index.html and its figures for the results file `results` (or a list of
    them: one page, a part per file); returns the path of index.html. ReportError for bad
    input (nothing is left at `out` then)."""
    files = [os.fspath(results)] if isinstance(results, (str, os.PathLike)) else \
        [os.fspath(r) for r in results]
    out = os.fspath(out)
    if not files:
        raise ReportError("no results file given")
    loaded = [(f, *_load(f)) for f in files]
    for t in traces:
        if not os.path.isfile(t):
            raise ReportError(f"--trace: {t}: no such file")
        try:
            with open(t, encoding="utf-8") as f:
                json.load(f)
        except (ValueError, UnicodeDecodeError) as e:
            raise ReportError(f"--trace: {t}: not a JSON trace (simulate --trace writes one): "
                              f"{e}") from None
    if os.path.exists(out) and not (os.path.isdir(out) and (
            not os.listdir(out) or os.path.exists(os.path.join(out, "index.html")))):
        raise ReportError(f"--out: {out} exists and is not an edgesim report (a directory "
                          "holding index.html): not replaced")
    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(prefix=".report-", dir=parent)
    # mkdtemp makes the directory private (0700); a report is a directory like any other, to be
    # served or shared: the user's umask decides, as for a directory made with mkdir.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(work, 0o777 & ~umask)
    names = ", ".join(os.path.basename(f) for f in files)
    try:
        page = _Page(work)
        page.raw(f"<h1>{html.escape(title or 'edgesim report: ' + names)}</h1>")
        linked = []
        for t in traces:
            name = os.path.basename(t)
            shutil.copyfile(t, os.path.join(work, name))
            linked.append(name)
        if len(loaded) > 1:
            page.raw("<ul>" + "".join(f'<li><a href="#file{k}">{html.escape(f)}</a></li>'
                                      for k, (f, _, _) in enumerate(loaded)) + "</ul>")
        for k, (file, res, sections) in enumerate(loaded):
            if len(loaded) > 1:
                page.prefix = f"file{k}_"
                page.raw(f'<h1 id="file{k}">{html.escape(file)}</h1>')
            _provenance(page, res, linked if k == 0 else [])
            for fn in sections:
                fn(page, res)
        with open(os.path.join(work, "index.html"), "w", encoding="utf-8") as f:
            f.write("<!DOCTYPE html><html><head><meta charset=utf-8>"
                    f"<title>{html.escape(title or names)}</title>"
                    f"<style>{_CSS}</style></head><body>\n" + "\n".join(page.parts) +
                    "\n</body></html>\n")
        if os.path.exists(out):
            shutil.rmtree(out)
        os.rename(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return os.path.join(out, "index.html")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="edgesim report",
                                     description="Write an HTML report (figures and tables) of "
                                                 "an edgesim results file.")
    parser.add_argument("results", nargs="+", help="edgesim HDF5 results files (one page)")
    parser.add_argument("--out", required=True, help="the report's directory (index.html)")
    parser.add_argument("--trace", action="append", default=[],
                        help="a Perfetto/Chrome trace (simulate --trace) to link; repeatable")
    parser.add_argument("--title", help="the page's title")
    args = parser.parse_args(argv)
    try:
        index = write_report(args.results, args.out, args.trace, args.title)
    except ReportError as e:
        print(f"edgesim report: {e}", file=sys.stderr)
        return 2
    print(index)
    return 0


if __name__ == "__main__":
    sys.exit(main())
