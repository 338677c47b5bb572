"""Ours vs the reference libraries on identical starts: reads `pop-reproduce`'s VLSE-47 records and
`run_reference.py`'s reference_nr.csv, and prints a Markdown table of mean NR ± SE per budget.

    python compare.py --ours /tmp/ours-strength --reference out/ [--budgets 50,100]

Aggregation on both sides: NR per run = (best_T - f*)/(f(x0) - f*) (undefined, and skipped,
where f(x0) <= f*), mean over starts per function, then mean over functions; SE = sample std
(ddof 1) of the per-function means / sqrt(#functions). Ours is recomputed here from the records
(the same rule as `pop_eval::runner::Record::regret_at`), so that both columns share one code
path; `summary.csv` of the results folder holds the same means.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vlse_protocol import normalized_regret  # noqa: E402

# reference method -> (our method key, library, how x0 is given)
PAIRS = {
    "lbfgsb+restarts": ("lbfgs", "scipy", "x0 passed to minimize (SciPy evaluates it first); restarts from seeded uniform z"),
    "tpe": ("tpe", "optuna", "study.enqueue_trial(x0): trial 1"),
    "tpe-univariate": ("tpe-univariate", "optuna", "study.enqueue_trial(x0): trial 1"),
    "cmaes": ("cmaes", "cma", "x0 evaluated as call 1 by the wrapper and passed as the initial mean"),
    "de": ("de", "scipy", "differential_evolution(x0=...): population member 0, evaluated first"),
    "random-search": ("random-search", "numpy", "x0 evaluated as call 1, then uniform draws"),
    "adam-tuned": ("adam-tuned", "torch", "torch.tensor(x0) is the initial parameter; call 1 is its gradient"),
}


def stats(per_function: dict[str, list[float]]):
    means = [float(np.mean(v)) for v in per_function.values() if v]
    if not means:
        return None
    se = float(np.std(means, ddof=1) / math.sqrt(len(means))) if len(means) > 1 else float("nan")
    return float(np.mean(means)), se, len(means)


def ours_runs(records: Path, key: str) -> dict[tuple[str, int, int], float]:
    """(function, start, budget) -> NR of our records of method `key` (undefined ones left out)."""
    out = {}
    # Records format 2 (pop-eval `records.rs`): gzip JSON lines whose `best` holds the best-so-far
    # at thinned calls; its last entry is the value at the record's own budget.
    path = records / "records" / "vlse47" / f"{key}.jsonl.gz"
    if not path.exists():
        return out
    with gzip.open(path, "rt") as fh:
        text = fh.read()
    for line in text.splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        f0, budget = r["f0"], r["budget"]
        if f0 is None:
            continue  # a failed start: NR undefined
        b = r["best"][-1]
        nr = normalized_regret(f0, f0 if b is None else b, r["f_star"])
        if nr is not None:
            out[(r["function"], r["start"], budget)] = nr
    return out


def ours_nr(records: Path, key: str, budget: int, starts: set[int] | None):
    per = defaultdict(list)
    for (f, s, b), nr in ours_runs(records, key).items():
        if b == budget and (starts is None or s in starts):
            per[f].append(nr)
    return stats(per)


def same_algorithm_check(records: Path, rows, ours_key: str, ref_method: str):
    """Per-run |NR ours − NR reference| for a method that is the same algorithm on both sides
    (torch Adam vs our Adam): a check that starts, box map, gradients and counting agree."""
    ours = ours_runs(records, ours_key)
    diffs = []
    for r in rows:
        if r["method"] == ref_method and r["nr"] != "":
            k = (r["function"], int(r["start"]), int(r["budget"]))
            if k in ours:
                diffs.append((abs(ours[k] - float(r["nr"])), k))
    return sorted(diffs, reverse=True)


def reference_nr(rows, method: str, budget: int):
    per = defaultdict(list)
    for r in rows:
        if r["method"] == method and int(r["budget"]) == budget and r["nr"] != "":
            per[r["function"]].append(float(r["nr"]))
    return stats(per), {int(r["start"]) for r in rows if r["method"] == method}


def write_per_function(path: Path, ours_dir: Path, rows, methods, budgets):
    """function,budget,reference_method,ours_method,ours_mean_nr,reference_mean_nr,starts."""
    ref = defaultdict(list)
    for r in rows:
        if r["nr"] != "":
            ref[(r["method"], int(r["budget"]), r["function"])].append((int(r["start"]), float(r["nr"])))
    functions = list(dict.fromkeys(r["function"] for r in rows))
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["function", "budget", "reference_method", "ours_method", "ours_mean_nr", "reference_mean_nr", "starts"])
        for m in methods:
            key = PAIRS[m][0]
            ours = ours_runs(ours_dir, key)
            for b in budgets:
                for f in functions:
                    rr = ref.get((m, b, f), [])
                    starts = {s for s, _ in rr}
                    oo = [v for (ff, s, bb), v in ours.items() if ff == f and bb == b and s in starts]
                    w.writerow([
                        f, b, m, key,
                        f"{np.mean(oo):.6g}" if oo else "",
                        f"{np.mean([v for _, v in rr]):.6g}" if rr else "",
                        len(starts),
                    ])


def paired_difference(ours_dir: Path, rows, method: str, budget: int):
    """Mean over functions of (reference − ours) per-function mean NR, on the reference's starts,
    with the paired SE (sample std of the per-function differences / sqrt(#functions))."""
    ref = defaultdict(dict)
    for r in rows:
        if r["method"] == method and int(r["budget"]) == budget and r["nr"] != "":
            ref[r["function"]][int(r["start"])] = float(r["nr"])
    ours = defaultdict(dict)
    for (f, s, b), v in ours_runs(ours_dir, PAIRS[method][0]).items():
        if b == budget:
            ours[f][s] = v
    diffs = []
    for f, rs in ref.items():
        common = sorted(set(rs) & set(ours.get(f, {})))
        if common:
            diffs.append(np.mean([rs[s] for s in common]) - np.mean([ours[f][s] for s in common]))
    if len(diffs) < 2:
        return None
    return float(np.mean(diffs)), float(np.std(diffs, ddof=1) / math.sqrt(len(diffs))), len(diffs)


def fmt(s):
    return "—" if s is None else f"{s[0]:.3f} ± {s[1]:.3f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ours", required=True, help="pop-reproduce results folder")
    ap.add_argument("--reference", required=True, help="folder with reference_nr.csv and reference_meta.json")
    ap.add_argument("--budgets", default="50,100")
    ap.add_argument("--per-function", default=None, help="also write per-function means to this CSV")
    args = ap.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    ref = Path(args.reference)
    rows = list(csv.DictReader(open(ref / "reference_nr.csv")))
    meta = json.loads((ref / "reference_meta.json").read_text())
    versions = meta["versions"]
    methods = list(dict.fromkeys(r["method"] for r in rows))
    head = ["method (ours / reference)"]
    for b in budgets:
        head += [f"ours T={b}", f"reference T={b}"]
    head += ["reference library+version", "how x0 is given"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for m in methods:
        key, lib, how = PAIRS[m]
        cells = [f"{key} / {m}"]
        for b in budgets:
            r, starts = reference_nr(rows, m, b)
            all_starts = len(starts) == meta["starts"]
            o = ours_nr(Path(args.ours), key, b, None if all_starts else starts)
            cells += [fmt(o), fmt(r)]
            note = "" if all_starts else f" (starts {min(starts)}–{max(starts)} on both sides)"
        libv = {
            "scipy": f"SciPy {versions['scipy']}",
            "optuna": f"Optuna {versions['optuna']}",
            "cma": f"pycma {versions['cma']}",
            "numpy": f"NumPy {versions['numpy']}",
            "torch": f"PyTorch {versions['torch']}",
        }[lib]
        cells += [libv + note, how]
        print("| " + " | ".join(cells) + " |")
    print("\n| method (ours / reference) | " + " | ".join(f"reference − ours, T={b} (paired SE)" for b in budgets) + " |")
    print("|" + "---|" * (len(budgets) + 1))
    for m in methods:
        cells = [f"{PAIRS[m][0]} / {m}"]
        for b in budgets:
            d = paired_difference(Path(args.ours), rows, m, b)
            cells.append("—" if d is None else f"{d[0]:+.3f} ± {d[1]:.3f}")
        print("| " + " | ".join(cells) + " |")
    if args.per_function:
        write_per_function(Path(args.per_function), Path(args.ours), rows, methods, budgets)
    if "adam-tuned" in methods:
        d = same_algorithm_check(Path(args.ours), rows, "adam-tuned", "adam-tuned")
        if d:
            small = sum(1 for x, _ in d if x < 1e-9)
            print(
                f"\nadam-tuned, same algorithm on both sides: {len(d)} runs compared, {small} agree to 1e-9 "
                f"in NR; largest differences: "
                + ", ".join(f"{x:.2e} ({k[0]} start {k[1]} T={k[2]})" for x, k in d[:5])
            )


if __name__ == "__main__":
    main()
