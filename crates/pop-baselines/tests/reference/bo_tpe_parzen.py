"""Reference for the Parzen-estimator unit test in src/tpe.rs (`parzen_matches_optuna`).

Run: pip install optuna==5.0.0 numpy; python3 bo_tpe_parzen.py
Builds Optuna's _ParzenEstimator with the TPESampler defaults on FloatDistribution(-1, 1)
from fixed observations (m = 3 and m = 30 trials, the latter with the ramp weights and a
duplicated point) and prints its log density at fixed points, univariate (one coordinate)
and multivariate (two coordinates).
"""
import numpy as np
from optuna.distributions import FloatDistribution
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
from optuna.samplers._tpe.sampler import default_weights

params = _ParzenEstimatorParameters(
    prior_weight=1.0,
    consider_magic_clip=True,
    consider_endpoints=False,
    weights=default_weights,
    multivariate=True,
)


def obs(m):
    # A fixed, irregular set in [-1, 1]^2 with one exact duplicate and one point on the boundary.
    i = np.arange(m)
    a = np.sin(1.7 * i + 0.3) * 0.95
    b = np.cos(2.3 * i * i + 0.1)
    if m > 10:
        # Duplicates of equal weight only: numpy's argsort is not stable, so which of two equal
        # centres gets which bandwidth is unspecified (it matters only when their weights differ).
        a[9] = a[6]
        b[9] = b[6]
        b[8] = -1.0
    return a, b


xs = np.array([-1.0, -0.93, -0.5, -0.11, 0.0, 0.27, 0.5, 0.81, 0.999, 1.0])
ys = np.array([0.3, -0.2, 1.0, -1.0, 0.05, 0.7, -0.66, 0.2, 0.9, -0.45])
space1 = {"a": FloatDistribution(-1.0, 1.0)}
space2 = {"a": FloatDistribution(-1.0, 1.0), "b": FloatDistribution(-1.0, 1.0)}
for m in (0, 1, 3, 30):
    a, b = obs(m)
    pe1 = _ParzenEstimator({"a": a}, space1, params)
    pe2 = _ParzenEstimator({"a": a, "b": b}, space2, params)
    print(f"m = {m}")
    print("  uni", [float(v) for v in pe1.log_pdf({"a": xs})])
    print("  multi", [float(v) for v in pe2.log_pdf({"a": xs, "b": ys})])
