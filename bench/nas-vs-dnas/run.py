#!/usr/bin/python3
"""NAS vs DNAS: the evolutionary search (`edgesim nas`) and the differentiable search
(`edgesim dnas`, PIT) on the same space, target, limits, data and wall-clock time.

Steps (README.md in this directory says why each is there):
  1. simulate the seed (fmnist/ds-cnn) on gap9-evk/gap-flow: the limits (latency <= 50%, flash
     <= the runtime's bytes + 50% of the seed's weight bytes);
  2. simulate every member of the shared space (128 width choices): the ground truth of which
     networks are feasible (not part of either method's time);
  3. run the DNAS study, timed; its wall-clock time is the NAS's budget;
  4. run the NAS study for the same time and stop it with SIGINT (finished rows are kept),
     watching the file to time the first feasible network;
  5. check that both sides search the same space (tiles, seed reproduced, exported networks in
     the space) and re-train each method's best network from scratch with the DNAS's recipe;
  6. print the table and write it as CSV.

Usage: bench/nas-vs-dnas/run.py [--out DIR] [flags; each has an environment variable, --help]
Needs /usr/bin/python3 with h5py. Builds nothing: point --edgesim at a built binary.
"""
import argparse
import csv
import itertools
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import h5py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PLATFORM, STACK = "gap9-evk", "gap-flow"
SEED_NETWORK = os.path.join(ROOT, "configs", "networks", "fmnist", "ds-cnn.textproto")
# The seed's searchable channel groups (PIT: the producers of each group) and the NAS stages
# that decide the same channels, in order.
GROUPS = ["conv1", "pw1", "pw2", "pw3"]
STAGES = ["stem", "b1", "b2", "b3"]


def env(name, default):
    return os.environ.get(name, default)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--out", default=env("OUT_DIR", "/tmp/nas-vs-dnas"),
                   help="output directory (env OUT_DIR); emptied of this benchmark's files")
    p.add_argument("--edgesim", default=env("EDGESIM", os.path.join(ROOT, "build-dev/apps/edgesim")),
                   help="edgesim binary (env EDGESIM)")
    p.add_argument("--train-images", type=int, default=int(env("TRAIN_IMAGES", "20000")),
                   help="Fashion-MNIST training subset, both sides (env TRAIN_IMAGES)")
    p.add_argument("--test-images", type=int, default=int(env("TEST_IMAGES", "2000")),
                   help="test subset, both sides (env TEST_IMAGES)")
    p.add_argument("--dnas-epochs", default=env("DNAS_EPOCHS", "5,15,5"),
                   help="DNAS warm-up,search,fine-tune epochs (env DNAS_EPOCHS); sets the budget")
    p.add_argument("--nas-epochs", type=int, default=int(env("NAS_EPOCHS", "5")),
                   help="epochs of each NAS candidate's own short training; 0 = the DNAS's "
                   "total (env NAS_EPOCHS)")
    p.add_argument("--nas-seconds", type=float, default=float(env("NAS_SECONDS", "0")),
                   help="NAS wall-clock budget; 0 = the DNAS's measured time (env NAS_SECONDS)")
    p.add_argument("--jobs", type=int, default=int(env("JOBS", "2")),
                   help="NAS workers, one training thread each (env JOBS)")
    p.add_argument("--dnas-threads", type=int, default=int(env("DNAS_THREADS", "1")),
                   help="DNAS intra-op threads (env DNAS_THREADS; README: why 1)")
    p.add_argument("--population", type=int, default=int(env("NAS_POPULATION", "16")),
                   help="aging-evolution population (env NAS_POPULATION)")
    p.add_argument("--no-retrain", action="store_true", default=env("RETRAIN", "1") == "0",
                   help="skip re-training the best networks with the DNAS recipe (env RETRAIN=0)")
    a = p.parse_args()
    a.dnas_epochs = [int(x) for x in a.dnas_epochs.split(",")]
    if len(a.dnas_epochs) != 3 or min(a.dnas_epochs) < 1:
        p.error("--dnas-epochs needs three positive counts: warm-up,search,fine-tune")
    a.nas_epochs = a.nas_epochs or sum(a.dnas_epochs)
    return a


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(args, cmd, **kw):
    """Runs edgesim with `cmd`; returns stdout; exits with its stderr on failure."""
    r = subprocess.run([args.edgesim] + cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"edgesim {' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
    return r.stdout


def simulate(args, network):
    d = json.loads(run(args, ["simulate", "-p", PLATFORM, "-s", STACK, "-n", network,
                              "--format", "json"]))
    if d["status"] != "ok":
        sys.exit(f"{network} does not run on {PLATFORM}/{STACK}: {d['status']}")
    return d


def inspect(args, network):
    return json.loads(run(args, ["inspect", "-n", network, "--format", "json"]))["totals"]


def seed_text():
    with open(SEED_NETWORK) as f:
        return f.read()


def seed_widths(text):
    return [int(re.search(r'name: "%s" conv2d \{ out_channels: (\d+)' % g, text).group(1))
            for g in GROUPS]


def network_with_widths(text, widths):
    """The seed's text with each group's producer at `widths` (what PIT's export does)."""
    for g, w in zip(GROUPS, widths):
        text, n = re.subn(r'(name: "%s" conv2d \{ out_channels: )\d+' % g, r"\g<1>%d" % w, text)
        assert n == 1, g
    name = "fmnist/ds-cnn-" + "-".join(map(str, widths))
    return re.sub(r'^name: ".*"$', f'name: "{name}"', text, count=1, flags=re.M)


def set_field(text, pattern, value):
    """Replaces the value after `pattern` (a regex ending before the value) once."""
    new, n = re.subn(r"(%s)[-+.\w\"/]+" % pattern, lambda m: m.group(1) + str(value), text, count=1)
    assert n == 1, pattern
    return new


def study_text(name, target, lat_max, flash_max, fields):
    """The study `name` of this directory with its two limits and `fields` rewritten."""
    with open(os.path.join(HERE, name)) as f:
        t = f.read()
    t = set_field(t, r'metric: "latency_s" %smax: ' % target, repr(lat_max))
    t = set_field(t, r'metric: "flash_bytes" %smax: ' % target, int(flash_max))
    for field, value in fields:
        t = set_field(t, r"\b%s: " % field, value)
    return t


def table(path, name):
    with h5py.File(path, "r") as f:
        if name not in f:
            return []
        rows = f[name][()]
    out = []
    for r in rows:
        out.append({k: (v.decode() if isinstance(v, bytes) else v.item() if hasattr(v, "item") else v)
                    for k, v in zip(rows.dtype.names, r)})
    return out


def fmt_s(v):
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.1f}"


def main():
    a = parse_args()
    if not os.access(a.edgesim, os.X_OK):
        sys.exit(f"no edgesim at {a.edgesim} (--edgesim or $EDGESIM)")
    os.makedirs(a.out, exist_ok=True)
    for n in ["dnas.h5", "nas.h5", "dnas.dnas", "nas.front", "space", "cache", "retrain",
              "space.csv", "nas-vs-dnas.csv"]:
        p = os.path.join(a.out, n)
        shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else (
            os.remove(p) if os.path.exists(p) else None)
    checks = []  # (what, ok, detail)

    # 1. The seed and the limits.
    text = seed_text()
    seed_w = seed_widths(text)
    seed_sim = simulate(a, SEED_NETWORK)
    seed_ins = inspect(a, SEED_NETWORK)
    lat_max = 0.5 * seed_sim["latency_s"]
    flash_max = seed_sim["flash_bytes"] - 0.5 * seed_ins["weight_bytes"]
    log(f"seed {seed_w}: {seed_sim['latency_s'] * 1e6:.1f} us, flash {seed_sim['flash_bytes']} B "
        f"(weights {seed_ins['weight_bytes']} B) -> limits {lat_max * 1e6:.2f} us, {flash_max:.0f} B")

    # 2. The shared space, simulated member by member (ground truth, untimed).
    space_dir = os.path.join(a.out, "space")
    os.makedirs(space_dir)
    choices = [list(range(16, w + 1, 16)) for w in seed_w]  # checked against the tiles below
    space = {}
    for widths in itertools.product(*choices):
        path = os.path.join(space_dir, "ds-cnn-%s.textproto" % "-".join(map(str, widths)))
        with open(path, "w") as f:
            f.write(network_with_widths(text, widths))
        s = simulate(a, path)
        space[widths] = {"path": path, "latency_s": s["latency_s"], "flash_bytes": s["flash_bytes"],
                         "macs": s["macs"],
                         "feasible": s["latency_s"] <= lat_max and s["flash_bytes"] <= flash_max}
    n_feasible = sum(v["feasible"] for v in space.values())
    with open(os.path.join(a.out, "space.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["widths", "latency_us", "flash_bytes", "macs", "feasible"])
        for k, v in space.items():
            w.writerow(["/".join(map(str, k)), f"{v['latency_s'] * 1e6:.2f}", v["flash_bytes"],
                        v["macs"], int(v["feasible"])])
    log(f"space: {len(space)} networks, {n_feasible} feasible by simulation")

    # 3. DNAS, timed.
    dnas_study = os.path.join(a.out, "dnas.textproto")
    t = study_text("dnas.textproto", "", lat_max, flash_max,
                   [("train_images", a.train_images), ("test_images", a.test_images),
                    ("warmup_epochs", a.dnas_epochs[0]), ("search_epochs", a.dnas_epochs[1]),
                    ("finetune_epochs", a.dnas_epochs[2]), ("threads", a.dnas_threads)])
    t = set_field(t, r"cache_dir: ", json.dumps(os.path.join(a.out, "cache")))
    with open(dnas_study, "w") as f:
        f.write(t)
    dnas_h5 = os.path.join(a.out, "dnas.h5")
    log(f"dnas: {sum(a.dnas_epochs)} epochs on {a.train_images} images, {a.dnas_threads} thread(s) ...")
    start = time.monotonic()
    with open(os.path.join(a.out, "dnas.log"), "w") as lf:
        rc = subprocess.call([a.edgesim, "dnas", "--study", dnas_study, "--out", dnas_h5,
                              "--overwrite"], stdout=lf, stderr=subprocess.STDOUT)
    dnas_wall = time.monotonic() - start
    if rc != 0:
        sys.exit(f"edgesim dnas failed ({rc}); see {a.out}/dnas.log")
    res = {r["metric"]: r for r in table(dnas_h5, "dnas/result")}
    r0 = res["latency_s"]
    dnas_w = tuple(int(re.search(r"%s=(\d+)" % g, r0["channels"]).group(1)) for g in GROUPS)
    dnas_met = all(res[m]["met"] == 1 for m in ("latency_s", "flash_bytes")) and r0["status"] == "ok"
    epochs = table(dnas_h5, "dnas/epochs")
    dnas = {"method": "dnas (pit)", "wall_s": dnas_wall, "evaluated": 1, "trained": 1,
            "accuracy": r0["accuracy"] if dnas_met else float("nan"),
            "latency_s": res["latency_s"]["simulated"], "flash_bytes": res["flash_bytes"]["simulated"],
            "first_feasible_s": dnas_wall if dnas_met else None, "widths": dnas_w,
            "feasible": dnas_met, "raw_accuracy": r0["accuracy"]}
    # When the network PIT would export first met the limits by the cost model (0% error on
    # this target: /dnas/cost_model); the time before the first epoch is the set-up.
    setup = dnas_wall - sum(e["seconds"] for e in epochs)
    done = setup
    for e in epochs:
        done += e["seconds"]
        if (e["latency_s_predicted"] <= lat_max and e["flash_bytes_predicted"] <= flash_max):
            dnas["predicted_feasible"] = (e["epoch"], e["phase"], done)
            break
    log(f"dnas: {dnas_wall:.1f} s, widths {dnas_w}, accuracy {r0['accuracy']:.3f}, "
        f"limits met: {dnas_met}")

    # 4. NAS for the same wall-clock time, stopped by SIGINT.
    budget = a.nas_seconds if a.nas_seconds > 0 else dnas_wall
    nas_study = os.path.join(a.out, "nas.textproto")
    t = study_text("nas.textproto", 'target: "gap9" ', lat_max, flash_max,
                   [("train_images", a.train_images), ("test_images", a.test_images),
                    ("epochs", a.nas_epochs), ("population", a.population)])
    for s, w in zip(STAGES, seed_w):  # the channel choices: the tile multiples up to the seed's
        t = re.sub(r'(name: "%s" .*?channels: )\[[\d, ]*\]' % s,
                   lambda m: m.group(1) + str(list(range(16, w + 1, 16))), t)
    with open(nas_study, "w") as f:
        f.write(t)
    nas_h5 = os.path.join(a.out, "nas.h5")
    log(f"nas: {budget:.1f} s, {a.jobs} workers, {a.nas_epochs} epochs per candidate ...")
    seen = {}  # first_id -> seconds since start when its row was first in the file
    snap = os.path.join(a.out, ".nas-snapshot.h5")

    def poll(now):
        try:
            shutil.copyfile(nas_h5, snap)
            for r in table(snap, "nas/evaluations"):
                seen.setdefault(r["first_id"], now)
        except (OSError, KeyError, ValueError):
            pass  # caught mid-write: the next change reads it

    start = time.monotonic()
    with open(os.path.join(a.out, "nas.log"), "w") as lf:
        proc = subprocess.Popen([a.edgesim, "nas", "--study", nas_study, "--out", nas_h5,
                                 "--overwrite", "--jobs", str(a.jobs)], stdout=lf,
                                stderr=subprocess.STDOUT)
        mtime, stopped_at = None, None
        while proc.poll() is None:
            time.sleep(0.25)
            now = time.monotonic() - start
            if stopped_at is None and now >= budget:
                proc.send_signal(signal.SIGINT)
                stopped_at = now
            try:
                m = os.stat(nas_h5).st_mtime_ns
            except OSError:
                continue
            if m != mtime:
                mtime = m
                poll(now)
        nas_wall = time.monotonic() - start
        if proc.returncode not in ((0, 130) if stopped_at is not None else (0,)):
            sys.exit(f"edgesim nas failed ({proc.returncode}); see {a.out}/nas.log")
    poll(nas_wall)
    os.remove(snap) if os.path.exists(snap) else None
    evals = table(nas_h5, "nas/evaluations")
    for r in evals:
        seen.setdefault(r["first_id"], nas_wall)
    pop = {r["id"]: r for r in table(nas_h5, "nas/population")}

    def feasible(r):
        return (r["status"] == "ok" and r["gap9.status"] == "ok" and not math.isnan(r["accuracy"])
                and r["gap9.latency_s"] <= lat_max and r["gap9.flash_bytes"] <= flash_max)

    def widths_of(r):
        """A NAS network's widths: from /nas/population, else matched by its simulated costs."""
        if r["first_id"] in pop:
            p = pop[r["first_id"]]
            return tuple(choices[k][p["gene.%s.channels" % s]] for k, s in enumerate(STAGES))
        match = [w for w, v in space.items() if v["macs"] == r["gap9.macs"]
                 and v["flash_bytes"] == r["gap9.flash_bytes"]
                 and abs(v["latency_s"] - r["gap9.latency_s"]) < 1e-12]
        return match[0] if len(match) == 1 else None

    feas = [r for r in evals if feasible(r)]
    best = max(feas, key=lambda r: (r["accuracy"], -r["first_id"])) if feas else None
    nas = {"method": "nas (aging evolution)", "wall_s": nas_wall, "evaluated": len(evals),
           "trained": sum(not math.isnan(r["accuracy"]) for r in evals),
           "accuracy": best["accuracy"] if best else float("nan"),
           "latency_s": best["gap9.latency_s"] if best else float("nan"),
           "flash_bytes": best["gap9.flash_bytes"] if best else float("nan"),
           "first_feasible_s": min(seen[r["first_id"]] for r in feas) if feas else None,
           "widths": widths_of(best) if best else None, "feasible": bool(best),
           "stopped_s": stopped_at}
    with open(os.path.join(a.out, "nas.log")) as f:
        m = re.search(r"(\d+) networks evaluated", f.read())
    nas["reported"] = int(m.group(1)) if m else None
    log(f"nas: {nas_wall:.1f} s (SIGINT at {fmt_s(stopped_at)} s), {len(evals)} networks, "
        f"{len(feas)} feasible, best {nas['accuracy']:.3f} {nas['widths']}")

    # 5. Same space? And each method's best network re-trained with the DNAS's recipe.
    with open(next(os.scandir(os.path.join(a.out, "cache"))).path) as f:
        groups = {g["name"]: g for g in json.load(f)["groups"]}
    tiles_ok = all(groups[g]["searchable"] and groups[g]["channels"] == w
                   and choices[k] == list(range(groups[g]["tile"], w + 1, groups[g]["tile"]))
                   for k, (g, w) in enumerate(zip(GROUPS, seed_w)))
    checks.append(("DNAS groups and tiles give the NAS channel lists", tiles_ok,
                   ", ".join(f"{g} {groups[g]['channels']}/tile {groups[g]['tile']}" for g in GROUPS)))
    seed_row = next((r for r in evals if r["first_id"] == 0), None)
    checks.append(("NAS seed genes = DNAS seed (study `reference` check; MACs, params)",
                   seed_row is not None and seed_row["macs"] == seed_ins["macs"]
                   and seed_row["params"] == seed_ins["params"]
                   and seed_row["gap9.latency_s"] == seed_sim["latency_s"],
                   f"MACs {seed_row and seed_row['macs']:.0f} vs {seed_ins['macs']}, params "
                   f"{seed_row and seed_row['params']:.0f} vs {seed_ins['params']}"))
    v = space.get(dnas_w)
    checks.append(("DNAS export is a member of the NAS space, same simulated costs",
                   v is not None and v["latency_s"] == dnas["latency_s"]
                   and v["flash_bytes"] == dnas["flash_bytes"], f"widths {dnas_w}"))
    front = os.path.join(a.out, "nas.front", f"{best['first_id']}.textproto") if best else None
    if front and os.path.exists(front) and nas["widths"]:
        fi, si = inspect(a, front), inspect(a, space[nas["widths"]]["path"])
        checks.append(("NAS best (front file) = the seed at its widths (inspect)",
                       fi["macs"] == si["macs"] and fi["params"] == si["params"]
                       and fi["weight_bytes"] == si["weight_bytes"],
                       f"MACs {fi['macs']}, params {fi['params']}"))
    retrained = {}
    if not a.no_retrain:
        os.makedirs(os.path.join(a.out, "retrain"))
        for w in sorted({w for w in (dnas_w, nas["widths"]) if w}):
            tag = "-".join(map(str, w))
            with open(dnas_study) as f:
                t = f.read()
            t = set_field(t, r"\bnetwork: ", json.dumps(space[w]["path"]))
            t = set_field(t, r"\bno_baseline: ", "false")
            t = set_field(t, r"cache_dir: ", json.dumps(os.path.join(a.out, "retrain", "cache")))
            study = os.path.join(a.out, "retrain", f"{tag}.textproto")
            with open(study, "w") as f:
                f.write(t)
            log(f"re-training {w} from scratch, {sum(a.dnas_epochs)} epochs (DNAS recipe) ...")
            h5 = os.path.join(a.out, "retrain", f"{tag}.h5")
            with open(os.path.join(a.out, "retrain", f"{tag}.log"), "w") as lf:
                rc = subprocess.call([a.edgesim, "dnas", "--study", study, "--out", h5,
                                      "--overwrite"], stdout=lf, stderr=subprocess.STDOUT)
            if rc == 0:
                retrained[w] = table(h5, "dnas/result")[0]["seed_accuracy"]
    for m in (dnas, nas):
        m["retrained"] = retrained.get(m["widths"], float("nan"))

    # 6. The table.
    cols = ["method", "wall_s", "evaluated", "trained", "best_feasible_accuracy", "latency_us",
            "latency_limit_us", "flash_bytes", "flash_limit_bytes", "first_feasible_s", "widths",
            "accuracy_retrained_dnas_recipe"]
    rows = []
    for m in (nas, dnas):
        rows.append([m["method"], f"{m['wall_s']:.1f}", m["evaluated"], m["trained"],
                     f"{m['accuracy']:.3f}", f"{m['latency_s'] * 1e6:.1f}", f"{lat_max * 1e6:.1f}",
                     f"{m['flash_bytes']:.0f}", f"{flash_max:.0f}", fmt_s(m["first_feasible_s"]),
                     "/".join(map(str, m["widths"])) if m["widths"] else "-",
                     f"{m['retrained']:.3f}"])
    with open(os.path.join(a.out, "nas-vs-dnas.csv"), "w", newline="") as f:
        csv.writer(f).writerows([cols] + rows)
    heads = ["method", "wall s", "networks", "trained", "best feasible acc", "latency us (limit)",
             "flash B (limit)", "first feasible s", "widths", "acc retrained"]
    disp = [[r[0], r[1], r[2], r[3], r[4], f"{r[5]} ({r[6]})", f"{r[7]} ({r[8]})", r[9], r[10], r[11]]
            for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(heads, *disp)]
    print(f"NAS vs DNAS on {PLATFORM}/{STACK}, space of {len(space)} widths of fmnist/ds-cnn "
          f"({n_feasible} feasible by simulation); {a.train_images}/{a.test_images} images; "
          f"DNAS {'+'.join(map(str, a.dnas_epochs))} epochs, NAS {a.nas_epochs} per candidate; "
          f"NAS {a.jobs} workers, DNAS {a.dnas_threads} thread(s)")
    for r in [heads] + disp:
        print("  ".join(str(x).ljust(w) for x, w in zip(r, widths)).rstrip())
    for what, ok, detail in checks:
        print(f"check: {'ok  ' if ok else 'FAIL'} {what} ({detail})")
    acc = {m["method"]: m["accuracy"] for m in (nas, dnas) if not math.isnan(m["accuracy"])}
    if acc:
        win = max(acc, key=acc.get)
        print(f"higher feasible accuracy: {win}"
              + (" (tie)" if len(set(acc.values())) == 1 and len(acc) == 2 else ""))
    if "predicted_feasible" in dnas:
        ep, ph, t = dnas["predicted_feasible"]
        print(f"dnas: the network it would export met the limits by its cost model from epoch "
              f"{ep} ({ph}) at ~{t:.1f} s; set-up before epoch 1 {setup:.1f} s; feasibility "
              f"counts only once the fine-tuned export is simulated, at the end")
    if nas["reported"] is not None and nas["reported"] > len(evals):
        print(f"nas: warning: edgesim reported {nas['reported']} networks evaluated, the file "
              f"holds {len(evals)}: results that finished after a still-running earlier job are "
              f"dropped at SIGINT (README.md, problems)")
    if nas.get("stopped_s") is None:
        print(f"nas: finished its generations before the {budget:.1f} s budget")
    print(f"csv: {os.path.join(a.out, 'nas-vs-dnas.csv')}")


if __name__ == "__main__":
    main()
