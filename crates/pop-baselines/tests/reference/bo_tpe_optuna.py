"""Reference for tests/bo_tpe.rs (`tpe_matches_optuna_on_branin`): Optuna's TPESampler on
Branin, 100 trials, seeds 0..400.

Run: pip install optuna==5.0.0 numpy; python3 bo_tpe_optuna.py   (about 10 minutes)
Prints the quartiles of the gap `best - f*` after 50 and after 100 trials (both from the same
100-trial run), for the univariate sampler (multivariate=False, `tpe_univariate` in Rust), the
multivariate one (multivariate=True, Optuna 5.0's single-objective default, `tpe`, the Rust
default) and uniform random search (RandomSampler).
The first trial is Optuna's own (uniform random), matching in distribution the harness's
uniform random start points.
"""
import math
import sys

import numpy as np
import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
F_STAR = 0.397887357729738
SEEDS = range(400)


def branin(x1, x2):
    a, b, c = 1.0, 5.1 / (4 * math.pi**2), 5 / math.pi
    r, s, t = 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


def objective(trial):
    return branin(trial.suggest_float("x1", -5.0, 10.0), trial.suggest_float("x2", 0.0, 15.0))


def gaps(make_sampler):
    g50, g100 = [], []
    for s in SEEDS:
        study = optuna.create_study(sampler=make_sampler(s))
        study.optimize(objective, n_trials=100)
        values = [t.value for t in study.trials]
        g50.append(min(values[:50]) - F_STAR)
        g100.append(min(values) - F_STAR)
    return g50, g100


def summary(name, make_sampler):
    g50, g100 = gaps(make_sampler)
    for budget, g in ((50, g50), (100, g100)):
        q1, med, q3 = np.percentile(g, [25, 50, 75])
        print(f"{name} budget {budget}: gap median {med:.6g} q1 {q1:.6g} q3 {q3:.6g}")


summary("tpe multivariate=False", lambda s: optuna.samplers.TPESampler(seed=s, multivariate=False))
summary("tpe multivariate=True", lambda s: optuna.samplers.TPESampler(seed=s, multivariate=True))
summary("random", lambda s: optuna.samplers.RandomSampler(seed=s))
print("optuna", optuna.__version__, "numpy", np.__version__, "python", sys.version.split()[0])
