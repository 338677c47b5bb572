#!/usr/bin/env python3
"""POP and baselines on COCO's ``bbob`` suite, through the ``pop_optimizer`` package.

Every method gets a budget of ``budget_multiplier * d`` evaluations per problem, counted by COCO.
BBOB is black-box: gradient methods (pop, pop-paper, velo-style-es, lbfgs, adam...) get forward
differences, whose ``d`` extra evaluations per point count against the budget (such a method makes
``budget // (d + 1)`` steps), exactly as ``pop_optimizer.minimize(..., jac=None)`` does. Every run
starts at ``problem.initial_solution`` (the centre of the box on bbob) with a seed derived from the
master seed and the problem id. No method restarts beyond its own rule.

Writes COCO's standard folders ``<out>/exdata/<method>`` (the observer's ``result_folder``), a
per-problem ``<out>/runs.csv``, ``<out>/summary.md`` / ``summary.json`` (share of the 51 standard
targets 1e2..1e-8 reached at the end of the budget, the value the ECDF curves end at), and unless
``--no-post`` runs ``cocopp`` to ``<out>/ppdata`` (HTML plus PNG figures).

    pip install ./crates/pop-py coco-experiment cocopp six
    python crates/pop-py/examples/coco_bbob.py --out bbob-run
    python crates/pop-py/examples/coco_bbob.py --methods pop,cmaes --dims 2 --functions 1-3 --out quick

Needs ``coco-experiment`` (module ``cocoex``); the report needs ``cocopp`` and ``six``.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import math
import os
import shutil
import sys
import time
import zlib
from typing import Any, Dict, List

import numpy as np

import pop_optimizer as po

DEFAULT_METHODS = "pop,pop-paper,velo-style-es,lbfgs,lbfgs+restarts,adam-tuned,cmaes,de,tpe,random-search"
TARGETS = [10.0 ** (2 - 0.2 * k) for k in range(51)]  # 1e2 .. 1e-8, COCO's bbob targets


def run_seed(master: int, problem_id: str) -> int:
    """A stable 32-bit seed per (master seed, problem)."""
    return zlib.crc32(f"{master}:{problem_id}".encode())


def run_method(method: str, args: argparse.Namespace, rows: List[Dict[str, Any]]) -> str:
    import cocoex  # type: ignore[import-not-found]

    cocoex.utilities.MiniPrint = None  # type: ignore[attr-defined]
    options = f"dimensions: {args.dims} instance_indices: {args.instances}"
    if args.functions:
        options += f" function_indices: {args.functions}"
    suite = cocoex.Suite("bbob", "", options)
    # COCO writes under exdata/ of the current directory (main() changes into --out).
    observer = cocoex.Observer(
        "bbob",
        f"result_folder: {method} algorithm_name: {method} "
        f"algorithm_info: pop_optimizer_{po.__version__}_budget_{args.budget_multiplier}d",
    )
    t_all = time.perf_counter()
    for problem in suite:
        problem.observe_with(observer)
        d = problem.dimension
        budget = args.budget_multiplier * d
        lb, ub = problem.lower_bounds, problem.upper_bounds
        t0 = time.perf_counter()
        res = po.minimize(
            lambda x: float(problem(x)),
            np.asarray(problem.initial_solution, dtype=float),
            bounds=list(zip(lb, ub)),
            jac=None,
            method=method,
            maxfev=budget,
            seed=run_seed(args.seed, problem.id),
        )
        secs = time.perf_counter() - t0
        evals = problem.evaluations
        fid, iid, pid = problem.id_function, problem.id_instance, problem.id
        problem.free()  # flushes the observer's files
        precision = last_precision(os.path.join(observer.result_folder, f"data_f{fid}", f"bbobexp_f{fid}_DIM{d}.dat"))
        rows.append(
            {
                "method": method,
                "problem": pid,
                "function": fid,
                "instance": iid,
                "dim": d,
                "budget": budget,
                "evaluations": evals,
                "precision": precision,
                "seconds": secs,
            }
        )
        if evals > budget:
            raise RuntimeError(f"{method} used {evals} > {budget} evaluations on {rows[-1]['problem']}")
    print(f"{method}: {len(suite)} problems in {time.perf_counter() - t_all:.1f} s", file=sys.stderr)
    return observer.result_folder


def last_precision(dat: str) -> float:
    """Best f - fopt of the run just finished: column 3 of the last line COCO wrote to ``dat``."""
    with open(dat) as f:
        last = [line for line in f if line.strip() and not line.startswith("%")][-1]
    return float(last.split()[2])


def targets_reached(precision: float) -> float:
    return sum(precision <= t for t in TARGETS) / len(TARGETS)


def summarise(rows: List[Dict[str, Any]], out: str) -> None:
    methods = list(dict.fromkeys(r["method"] for r in rows))
    dims = sorted({r["dim"] for r in rows})
    table: Dict[str, Dict[str, Any]] = {}
    for m in methods:
        table[m] = {}
        for d in dims:
            sel = [r for r in rows if r["method"] == m and r["dim"] == d]
            if not sel:
                continue
            table[m][str(d)] = {
                "targets_reached": float(np.mean([targets_reached(r["precision"]) for r in sel])),
                "solved_1e-8": sum(r["precision"] <= 1e-8 for r in sel),
                "problems": len(sel),
                "median_log10_precision": float(np.median([math.log10(max(r["precision"], 1e-12)) for r in sel])),
                "seconds": float(sum(r["seconds"] for r in sel)),
            }
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump({"targets": "51 targets 1e2..1e-8", "table": table}, f, indent=1)
    lines = [
        "| method | " + " | ".join(f"{d}-D targets reached" for d in dims) + " | "
        + " | ".join(f"{d}-D solved (1e-8)" for d in dims) + " | seconds |",
        "|---|" + "---|" * (2 * len(dims) + 1),
    ]
    order = sorted(methods, key=lambda m: -np.mean([table[m][str(d)]["targets_reached"] for d in dims if str(d) in table[m]]))
    for m in order:
        cells = [f"{table[m][str(d)]['targets_reached']:.3f}" if str(d) in table[m] else "" for d in dims]
        solved = [f"{table[m][str(d)]['solved_1e-8']}/{table[m][str(d)]['problems']}" if str(d) in table[m] else "" for d in dims]
        secs = sum(table[m][str(d)]["seconds"] for d in dims if str(d) in table[m])
        lines.append(f"| `{m}` | " + " | ".join(cells) + " | " + " | ".join(solved) + f" | {secs:.0f} |")
    groups = {"separ (f1-5)": range(1, 6), "lcond (f6-9)": range(6, 10), "hcond (f10-14)": range(10, 15),
              "multi (f15-19)": range(15, 20), "mult2 (f20-24)": range(20, 25)}
    present = {g: fs for g, fs in groups.items() if any(int(r["function"]) in fs for r in rows)}
    lines += ["", "Targets reached by function group (all dimensions):", "",
              "| method | " + " | ".join(present) + " |", "|---|" + "---|" * len(present)]
    for m in order:
        cells = []
        for fs in present.values():
            sel = [targets_reached(r["precision"]) for r in rows if r["method"] == m and int(r["function"]) in fs]
            cells.append(f"{np.mean(sel):.3f}")
        lines.append(f"| `{m}` | " + " | ".join(cells) + " |")
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


def post_process(folders: List[str], out: str) -> None:
    import cocopp  # type: ignore[import-not-found]

    cocopp.genericsettings.figure_file_formats = ["svg", "png"]
    pp = os.path.join(out, "ppdata")
    cocopp.main(["--no-interactive", "-o", pp] + folders)
    pngs = sorted(glob.glob(os.path.join(pp, "*", "pprldmany_*D_noiselessall.png")))
    print("ECDF figures:\n  " + "\n  ".join(pngs), file=sys.stderr)


def main(argv: List[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--methods", default=DEFAULT_METHODS, help=f"comma-separated (default {DEFAULT_METHODS})")
    p.add_argument("--dims", default="2,5,10", help="COCO dimensions (default 2,5,10)")
    p.add_argument("--instances", default="1-5", help="instance indices (default 1-5)")
    p.add_argument("--functions", default="", help="function indices, e.g. 1-3 (default all 24)")
    p.add_argument("--budget-multiplier", type=int, default=100, help="evaluations per dimension (default 100)")
    p.add_argument("--seed", type=int, default=0, help="master seed (default 0)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--no-post", action="store_true", help="skip cocopp")
    p.add_argument("--summarise-only", action="store_true", help="rewrite summary.md/json from <out>/runs.csv")
    args = p.parse_args(argv)
    methods = [m for m in args.methods.split(",") if m]
    valid = po.methods()
    unknown = [m for m in methods if m not in valid]
    if unknown:
        p.error(f"unknown method(s) {unknown}; valid: {', '.join(valid)}")
    os.makedirs(args.out, exist_ok=True)
    os.chdir(args.out)
    args.out = "."
    if args.summarise_only:
        with open("runs.csv") as f:
            old = list(csv.DictReader(f))
        for r in old:
            r["dim"], r["precision"], r["seconds"] = int(r["dim"]), float(r["precision"]), float(r["seconds"])
        summarise(old, ".")
        return 0
    for m in methods:
        folder = os.path.join("exdata", m)
        if os.path.exists(folder):
            shutil.rmtree(folder)  # COCO would otherwise write to <folder>-0001
    rows: List[Dict[str, Any]] = []
    folders = [run_method(m, args, rows) for m in methods]
    with open(os.path.join(args.out, "runs.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    summarise(rows, args.out)
    if not args.no_post:
        post_process(folders, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
