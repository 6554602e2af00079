#!/usr/bin/python3
"""How well do the training-free NAS proxies rank candidates against real training?

Draws the first population of configs/studies/nas-fmnist-demo.textproto (random members of
its space, the same draw for every evaluator since it depends on the seed only), scores it
with the `train` evaluator and with each proxy (`naswot`, `synflow`), and prints Kendall's
tau between each proxy's score and the trained accuracy.

    scripts/nas_proxy_vs_train.py [--edgesim build/apps/edgesim] [--population 40]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import h5py


def kendall_tau(x, y):
    n = len(x)
    concordant = discordant = 0
    for i in range(n):
        for j in range(i + 1, n):
            s = (x[i] - x[j]) * (y[i] - y[j])
            concordant += s > 0
            discordant += s < 0
    pairs = n * (n - 1) / 2
    return (concordant - discordant) / pairs if pairs else float("nan")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--edgesim", default=os.path.join(root, "build", "apps", "edgesim"))
    ap.add_argument("--population", type=int, default=40)
    args = ap.parse_args()
    study = open(os.path.join(root, "configs", "studies", "nas-fmnist-demo.textproto")).read()
    study = re.sub(r"algorithm \{[^}]*\}",
                   f'algorithm {{ kind: "nsga2" population: {args.population} generations: 1 offspring: 1 }}',
                   study)
    study = re.sub(r"seeds \{[^}]*\}", "", study)  # a random sample only
    evaluators = {
        "train": None,
        "naswot": 'accuracy { evaluator: "proxy" proxy { kind: "naswot" } }',
        "synflow": 'accuracy { evaluator: "proxy" proxy { kind: "synflow" } }',
    }
    scores = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, accuracy in evaluators.items():
            text = study if accuracy is None else re.sub(r"accuracy \{.*?\n\}\n", accuracy + "\n",
                                                         study, flags=re.S)
            path = os.path.join(tmp, name + ".textproto")
            open(path, "w").write(text)
            out = os.path.join(tmp, name + ".h5")
            subprocess.run([args.edgesim, "nas", "--study", path, "--out", out, "--quiet"],
                           check=True, stdout=subprocess.DEVNULL)
            with h5py.File(out) as f:
                rows = f["nas/evaluations"][:]
                scores[name] = {r["network_sha256"]: r["accuracy"] for r in rows
                                if r["accuracy"] == r["accuracy"]}
    common = sorted(set.intersection(*(set(s) for s in scores.values())))
    print(f"{len(common)} networks scored by every evaluator (feasible ones; random draws)")
    acc = [scores["train"][k] for k in common]
    for proxy in ("naswot", "synflow"):
        tau = kendall_tau([scores[proxy][k] for k in common], acc)
        print(f"Kendall tau {proxy} vs train: {tau:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
