"""The libraries a practitioner would use, under POP's protocol, on the 47 VLSE functions from the
same start points as `pop-reproduce` (see README.md for what each method is and how it gets x0).

Usage (from the repository root, after building eval_stdio and exporting the starts):

    python run_reference.py --starts-json starts.json [--out DIR] [--jobs 2]
                            [--methods lbfgsb+restarts,tpe,...] [--tpe-starts 20]
                            [--functions branin,ackley] [--budgets 50,100]

Every method here ignores the budget (none reads T), so each (function, start) is run once at the
largest budget and the smaller budgets are cut from that run's best-so-far curve.

Writes DIR/reference_nr.csv (function,method,budget,start,nr; nr empty where it is undefined) and
DIR/reference_meta.json (versions, seeds, restarts, timings), and prints the mean NR per method and
budget (mean over functions of the per-function mean over starts) with its standard error
(sample std over functions / sqrt(#functions)).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import multiprocessing as mp
import os
import platform
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vlse_protocol import (  # noqa: E402
    REPO,
    BudgetSpent,
    Evaluator,
    Oracle,
    Problem,
    derive_seed,
    normalized_regret,
)

MASTER_SEED = 20261128  # the `quick` preset's seed; the reference libraries' seeds derive from it
METHODS = ["lbfgsb+restarts", "tpe", "cmaes", "de", "random-search", "adam-tuned"]
OPTIONAL_METHODS = ["tpe-univariate"]  # Optuna's TPE with multivariate=False (what Rust `tpe` ports)
CMA_SIGMA0 = 0.5  # as pop_baselines::gradient_free::cmaes::CmaEsConfig::default (z-units)


def tuned_adam_lr() -> float:
    data = json.loads((REPO / "data" / "tuned-hyperparameters.json").read_text())
    for m in data["methods"]:
        if m["default"]["method"] == "adam":
            return float(m["tuned"]["lr"])
    raise KeyError("data/tuned-hyperparameters.json has no tuned adam entry")


# --------------------------------------------------------------------------------------------
# The methods. Each gets the oracle, the start z0 (call 1 must be at z0), the run's seed and a
# `restart_rng` for fresh uniform points; it runs until the oracle raises BudgetSpent. A library
# that returns before the budget is restarted from a fresh uniform z with a fresh seed; `stats`
# counts those restarts.
# --------------------------------------------------------------------------------------------


def run_restarting(oracle, z0, seed, restart_rng, stats, once):
    """Calls `once(oracle, z, seed_k)` from z0, then from fresh uniform points until the budget."""
    z, k = z0, 0
    while True:
        once(oracle, z, seed if k == 0 else derive_seed(seed, "restart", k))
        if oracle.spent:
            return
        k += 1
        stats["restarts"] += 1
        z = restart_rng.uniform(-1.0, 1.0, oracle.p.dim)


def m_lbfgsb(oracle, z0, seed, restart_rng, stats):
    import scipy.optimize

    bounds = [(-1.0, 1.0)] * oracle.p.dim

    def once(oracle, z, _seed):
        # SciPy defaults (m=10, ftol 2.2e-9, gtol 1e-5, maxfun 15000, maxls 20); value and
        # gradient in one call (jac=True), so one function evaluation is one oracle call.
        scipy.optimize.minimize(oracle.value_and_grad, z, jac=True, method="L-BFGS-B", bounds=bounds)

    run_restarting(oracle, z0, seed, restart_rng, stats, once)


def _tpe(multivariate):
    def method(oracle, z0, seed, restart_rng, stats):
        import optuna

        names = [f"z{i}" for i in range(oracle.p.dim)]

        def objective(trial):
            z = np.array([trial.suggest_float(n, -1.0, 1.0) for n in names])
            return oracle.value(z)

        def once(oracle, z, s):
            kwargs = {} if multivariate is None else {"multivariate": multivariate}
            study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=s, **kwargs))
            # x0 is trial 1: enqueued, so Optuna evaluates it first and keeps it in its history
            # (it is one of the 10 startup trials).
            study.enqueue_trial({n: float(v) for n, v in zip(names, z)})
            study.optimize(objective, n_trials=oracle.budget - oracle.calls)

        run_restarting(oracle, z0, seed, restart_rng, stats, once)

    return method


def patch_pycma_1d():
    """pycma 4.5.0 cannot run in 1-D once a standard deviation exceeds `maxstd` (a third of the
    box): `_stds_into_limits` initialises `sigma_vec` to `np.ones(1)` and then
    `DiagonalDecoding.set_i` refuses it, because its "not initialised" test is `np.size(scaling)
    == 1`, which a 1-vector also passes. Testing `np.ndim(scaling) == 0` instead is what the check
    means; in 2-D and up the two tests agree, so only the 1-D functions (gramacy-lee, forrester)
    are affected, and there the patched pycma does what it does in every other dimension."""
    import numpy as np
    from cma.transformations import DiagonalDecoding

    def set_i(self, index, value):
        if np.ndim(self.scaling) == 0:
            raise ValueError("not yet initialized (dimension needed)")
        self.is_identity = False
        self.scaling[index] = value

    DiagonalDecoding.set_i = set_i


def m_cmaes(oracle, z0, seed, restart_rng, stats):
    import cma

    if oracle.p.dim == 1:
        patch_pycma_1d()

    # x0 is call 1 (evaluated here, as the Rust harness does) and pycma's initial mean; pycma
    # itself never evaluates its mean.
    oracle.value(z0)

    def once(oracle, z, s):
        es = cma.CMAEvolutionStrategy(
            z, CMA_SIGMA0, {"bounds": [-1, 1], "seed": s, "verbose": -9, "verb_log": 0, "verb_disp": 0}
        )
        while not es.stop():
            X = es.ask()
            F = [oracle.value(x) for x in X]  # BudgetSpent mid-generation ends the run
            es.tell(X, F)
        stats["stops"].append(dict(es.stop()))

    run_restarting(oracle, z0, seed, restart_rng, stats, once)


def m_de(oracle, z0, seed, restart_rng, stats):
    import scipy.optimize

    bounds = [(-1.0, 1.0)] * oracle.p.dim

    def once(oracle, z, s):
        # SciPy defaults (best1bin, popsize 15, maxiter 1000, tol 0.01, mutation (0.5, 1),
        # recombination 0.7, latinhypercube, polish=True, updating='immediate'); x0 replaces
        # population member 0, which SciPy evaluates first.
        scipy.optimize.differential_evolution(oracle.value, bounds, x0=z, rng=np.random.default_rng(s))

    run_restarting(oracle, z0, seed, restart_rng, stats, once)


def m_random(oracle, z0, seed, restart_rng, stats):
    rng = np.random.default_rng(seed)
    oracle.value(z0)
    while True:
        oracle.value(rng.uniform(-1.0, 1.0, oracle.p.dim))


def m_adam(oracle, z0, seed, restart_rng, stats):
    import torch

    lr = stats["lr"]
    z = torch.tensor(z0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([z], lr=lr)  # betas (0.9, 0.999), eps 1e-8: torch defaults
    while True:
        _, g = oracle.value_and_grad(z.detach().numpy())
        z.grad = torch.from_numpy(np.array(g, dtype=np.float64))
        opt.step()
        with torch.no_grad():
            z.clamp_(-1.0, 1.0)  # projected Adam, as the harness clips every asked point


RUNNERS = {
    "lbfgsb+restarts": m_lbfgsb,
    "tpe": _tpe(None),
    "tpe-univariate": _tpe(False),
    "cmaes": m_cmaes,
    "de": m_de,
    "random-search": m_random,
    "adam-tuned": m_adam,
}


def run_function(task):
    """All (method, start) runs of one function in one worker; one eval_stdio process."""
    function, starts, methods, budget, tpe_starts, eval_bin, adam_lr = task
    warnings.simplefilter("ignore")
    # Import every library before the clocks start (importing torch alone takes seconds).
    import cma  # noqa: F401
    import optuna
    import scipy.optimize  # noqa: F401
    import torch

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    torch.set_num_threads(1)  # one worker per core; Adam on a d <= 10 vector needs no threads
    rows, meta = [], {}
    with Evaluator(function, eval_bin) as ev:
        p = Problem(ev)
        for method in methods:
            n_starts = min(len(starts), tpe_starts) if method.startswith("tpe") else len(starts)
            stats = {"restarts": 0, "stops": [], "lr": adam_lr}
            t0, c0 = time.perf_counter(), time.process_time()
            first_ok = True
            for s in range(n_starts):
                seed = derive_seed(MASTER_SEED, method, function, s)
                restart_rng = np.random.default_rng(derive_seed(MASTER_SEED, method, function, s, "restart-points"))
                oracle = Oracle(p, budget)
                z0 = p.start_z(starts[s])
                try:
                    RUNNERS[method](oracle, z0, seed, restart_rng, stats)
                except BudgetSpent:
                    pass
                if oracle.calls != budget:
                    raise RuntimeError(f"{method} on {function} start {s}: {oracle.calls} calls, not {budget}")
                first_ok &= bool(np.array_equal(oracle.points[0], z0))
                rows.append((function, method, s, oracle.f0, list(oracle.best)))
            meta[method] = {
                "starts": n_starts,
                "restarts": stats["restarts"],
                "first_call_is_x0": first_ok,
                "wall_s": time.perf_counter() - t0,
                "cpu_s": time.process_time() - c0,
                "cma_stop_reasons": sorted({k for st in stats["stops"] for k in st}) if stats["stops"] else None,
            }
    return function, p.f_star, p.dim, rows, meta


def versions():
    import cma
    import optuna
    import scipy
    import torch

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "optuna": optuna.__version__,
        "cma": cma.__version__,
        "torch": torch.__version__,
    }


def summarize(nr_rows, methods, budgets):
    """{(method, budget): (mean, se, n_functions)} from rows (function, method, budget, start, nr)."""
    per = defaultdict(list)
    for f, m, b, s, nr in nr_rows:
        if nr is not None:
            per[(m, b, f)].append(nr)
    out = {}
    for m in methods:
        for b in budgets:
            means = [float(np.mean(v)) for (mm, bb, _), v in per.items() if mm == m and bb == b]
            if means:
                se = float(np.std(means, ddof=1) / math.sqrt(len(means))) if len(means) > 1 else float("nan")
                out[(m, b)] = (float(np.mean(means)), se, len(means))
    return out


def main():
    warnings.simplefilter("ignore")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--starts-json", required=True, help="output of the export_starts example")
    ap.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "ref-strength"))
    ap.add_argument("--methods", default=",".join(METHODS), help=f"of {METHODS + OPTIONAL_METHODS}")
    ap.add_argument("--budgets", default="50,100")
    ap.add_argument("--functions", default=None, help="comma-separated subset (default: all in the JSON)")
    ap.add_argument("--starts", type=int, default=None, help="use only the first N starts")
    ap.add_argument("--tpe-starts", type=int, default=1_000_000, help="TPE on the first N starts only")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--eval-bin", default=None, help="path of eval_stdio (default: $CARGO_TARGET_DIR or target/)")
    args = ap.parse_args()

    methods = args.methods.split(",")
    for m in methods:
        if m not in RUNNERS:
            sys.exit(f"unknown method {m!r}; valid: {', '.join(RUNNERS)}")
    budgets = sorted(int(b) for b in args.budgets.split(","))
    starts = json.loads(Path(args.starts_json).read_text())
    functions = args.functions.split(",") if args.functions else list(starts)
    for f in functions:
        if f not in starts:
            sys.exit(f"{f!r} is not in {args.starts_json}")
    n = args.starts
    adam_lr = tuned_adam_lr()
    tasks = [
        (f, starts[f][:n] if n else starts[f], methods, budgets[-1], args.tpe_starts, args.eval_bin, adam_lr)
        for f in functions
    ]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    results = []
    with mp.get_context("spawn").Pool(args.jobs) as pool:
        for i, r in enumerate(pool.imap_unordered(run_function, tasks), 1):
            results.append(r)
            print(f"[{i}/{len(tasks)}] {r[0]} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    wall = time.perf_counter() - t0
    order = {f: i for i, f in enumerate(functions)}
    results.sort(key=lambda r: order[r[0]])

    nr_rows = []
    for function, f_star, _dim, rows, _meta in results:
        for f, m, s, f0, best in rows:
            for b in budgets:
                nr_rows.append((f, m, b, s, normalized_regret(f0, best[b - 1], f_star)))
    key = {m: i for i, m in enumerate(methods)}
    nr_rows.sort(key=lambda r: (order[r[0]], key[r[1]], r[2], r[3]))
    with open(out / "reference_nr.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["function", "method", "budget", "start", "nr"])
        for f, m, b, s, nr in nr_rows:
            w.writerow([f, m, b, s, "" if nr is None else repr(nr)])

    summary = summarize(nr_rows, methods, budgets)
    per_method = {}
    for m in methods:
        ms = [r[4][m] for r in results]
        per_method[m] = {
            "starts_per_function": sorted({x["starts"] for x in ms}),
            "restarts": sum(x["restarts"] for x in ms),
            "first_call_is_x0_everywhere": all(x["first_call_is_x0"] for x in ms),
            "cpu_s": round(sum(x["cpu_s"] for x in ms), 1),
            "wall_s_summed_over_workers": round(sum(x["wall_s"] for x in ms), 1),
            "cma_stop_reasons": sorted({k for x in ms for k in (x["cma_stop_reasons"] or [])}) or None,
        }
    meta = {
        "versions": versions(),
        "master_seed": MASTER_SEED,
        "budgets": budgets,
        "functions": len(functions),
        "starts": len(tasks[0][1]) if tasks else 0,
        "adam_lr": adam_lr,
        "cma_sigma0": CMA_SIGMA0,
        "jobs": args.jobs,
        "wall_s": round(wall, 1),
        "methods": per_method,
        "summary": {f"{m}@{b}": {"mean_nr": v[0], "se": v[1], "functions": v[2]} for (m, b), v in summary.items()},
    }
    (out / "reference_meta.json").write_text(json.dumps(meta, indent=2) + "\n")

    print(f"\nmean NR over {len(functions)} functions (per-function mean over starts), ± SE; wall {wall:.0f} s")
    print(f"{'method':18s}" + "".join(f"{'T=' + str(b):>20s}" for b in budgets) + f"{'restarts':>10s}{'cpu s':>9s}")
    for m in methods:
        cells = "".join(
            f"{summary[(m, b)][0]:>11.3f} ± {summary[(m, b)][1]:.3f}" if (m, b) in summary else f"{'—':>20s}"
            for b in budgets
        )
        pm = per_method[m]
        print(f"{m:18s}{cells}{pm['restarts']:>10d}{pm['cpu_s']:>9.0f}")
    for m, pm in per_method.items():
        if not pm["first_call_is_x0_everywhere"]:
            print(f"warning: {m}: the first call was not x0 in some run", file=sys.stderr)
    print(f"\nwrote {out / 'reference_nr.csv'} and {out / 'reference_meta.json'}")


if __name__ == "__main__":
    main()
