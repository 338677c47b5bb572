"""The Python package: import, minimize with each family of methods, budget accounting, ask/tell
equal to the Rust harness bit for bit, error paths, SciPy's custom-method path."""

import math

import numpy as np
import pytest

import pop_optimizer as po
from pop_optimizer import _core

BRANIN_BOUNDS = [(-5.0, 10.0), (0.0, 15.0)]
BRANIN_MIN = 0.397887357729738


def branin(x):
    a, b, c, r, s, t = 1.0, 5.1 / (4 * math.pi**2), 5 / math.pi, 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x[1] - b * x[0] ** 2 + c * x[0] - r) ** 2 + s * (1 - t) * math.cos(x[0]) + s


def branin_vg(x):
    return _core.benchmark_value_and_grad("branin", list(map(float, x)))


def test_import_and_methods():
    names = po.methods()
    for m in ["pop", "pop-paper", "velo-style-es", "adam", "lbfgs", "cmaes", "tpe"]:
        assert m in names
    assert isinstance(po.__version__, str)


@pytest.mark.parametrize("method", ["pop", "pop-paper", "velo-style-es", "adam-tuned", "lbfgs", "cmaes", "tpe", "random-search"])
def test_minimize_branin_with_each_family(method):
    res = po.minimize(branin_vg, [0.0, 5.0], bounds=BRANIN_BOUNDS, jac=True, method=method, maxfev=60, seed=1)
    assert res.nfev == 60
    assert res.success and np.isfinite(res.fun)
    assert res.fun >= BRANIN_MIN - 1e-9
    assert res.fun < branin([0.0, 5.0])
    assert len(res.history) == 60 and np.all(np.diff(res.history) <= 0)


def rosenbrock(x):
    x = np.asarray(x, dtype=float)
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))


@pytest.mark.parametrize("method", ["pop", "velo-style-es", "adam-tuned", "lbfgs", "cmaes", "de", "tpe"])
def test_minimize_rosenbrock_with_each_family(method):
    # 4-D Rosenbrock on [-5, 10]^4 with forward differences for the gradient methods (counted).
    calls = []

    def f(x):
        calls.append(1)
        return rosenbrock(x)

    x0 = [3.0, 3.0, 3.0, 3.0]
    res = po.minimize(f, x0, bounds=[(-5.0, 10.0)] * 4, method=method, maxfev=250, seed=4)
    assert len(calls) == res.nfev <= 250
    assert res.nfev > 250 - 5  # forward differences waste at most d calls
    assert res.fun >= 0.0 and res.fun < rosenbrock(x0)
    assert rosenbrock(res.x) == res.fun


def test_rosenbrock_value_and_gradient_match_the_rust_registry():
    x = [0.3, -1.2, 2.0]
    v, g = _core.benchmark_value_and_grad("rosenbrock", x, 3)
    assert v == pytest.approx(rosenbrock(x), rel=1e-12)
    h = 1e-6
    for i in range(3):
        e = np.zeros(3)
        e[i] = h
        fd = (rosenbrock(np.add(x, e)) - rosenbrock(np.subtract(x, e))) / (2 * h)
        assert g[i] == pytest.approx(fd, rel=1e-6)


def test_pop_gets_close_on_branin():
    res = po.minimize(branin_vg, [0.0, 5.0], bounds=BRANIN_BOUNDS, jac=True, method="pop", maxfev=100, seed=1)
    assert res.fun - BRANIN_MIN < 0.1


def test_forward_differences_count_against_maxfev():
    calls = []

    def f(x):
        calls.append(1)
        return branin(x)

    res = po.minimize(f, [0.0, 5.0], bounds=BRANIN_BOUNDS, method="pop", maxfev=61, seed=1)
    # d = 2: three calls of f per step, 61 // 3 = 20 steps.
    assert len(calls) == res.nfev == 60
    res = po.minimize(f, [0.0, 5.0], bounds=BRANIN_BOUNDS, method="cmaes", maxfev=61, seed=1)
    assert res.nfev == 61  # gradient-free: one call per step


def test_ask_tell_equals_the_rust_harness_bit_for_bit():
    for method in ["pop", "lbfgs", "cmaes"]:
        x0 = [2.5, 7.5]
        opt = po.Optimizer(method, BRANIN_BOUNDS, 40, seed=3, x0=x0)
        while not opt.done:
            x = opt.ask()
            v, g = branin_vg(x)
            opt.tell(x, v, g)
        best, values = opt.history()
        ref_best, ref_values, ref_x = _core.run_benchmark(method, "branin", x0, 40, 3, po._POLICIES)
        assert list(best) == ref_best
        assert [None if np.isnan(v) else v for v in values] == ref_values
        assert list(opt.best[0]) == ref_x


def test_errors():
    with pytest.raises(po.PopError, match="unknown method.*valid"):
        po.Optimizer("no-such-method", BRANIN_BOUNDS, 10)
    with pytest.raises(ValueError, match="finite"):
        po.minimize(branin, [0.0, 0.0], bounds=[(-1, np.inf), (0, 1)], method="cmaes")
    with pytest.raises(ValueError, match="bounds"):
        po.minimize(branin, [0.0, 0.0], method="cmaes")
    opt = po.Optimizer("adam", BRANIN_BOUNDS, 5)
    x = opt.ask()
    with pytest.raises(po.PopError, match="exactly the point"):
        opt.tell(x + 1.0, 1.0, [0.0, 0.0])
    with pytest.raises(po.PopError, match="gradient"):
        opt.tell(x, 1.0)

    class Boom(Exception):
        pass

    def bad(x):
        raise Boom("from the user's function")

    with pytest.raises(Boom, match="user's function"):
        po.minimize(bad, [0.0, 5.0], bounds=BRANIN_BOUNDS, method="pop", maxfev=10)


def test_nan_values_count_and_are_skipped():
    def f(x):
        return float("nan") if x[0] > 2.0 else branin(x)

    res = po.minimize(f, [0.0, 5.0], bounds=BRANIN_BOUNDS, method="random-search", maxfev=30, seed=2)
    assert res.nfev == 30 and np.isfinite(res.fun)


def test_scipy_custom_method():
    scipy_opt = pytest.importorskip("scipy.optimize")
    res = scipy_opt.minimize(
        branin_vg,
        [0.0, 5.0],
        method=po.minimize,
        jac=True,
        bounds=BRANIN_BOUNDS,
        options={"maxfev": 50, "seed": 1, "method": "pop"},
    )
    assert res.nfev == 50 and res.fun < branin([0.0, 5.0])
    direct = po.minimize(branin_vg, [0.0, 5.0], bounds=BRANIN_BOUNDS, jac=True, method="pop", maxfev=50, seed=1)
    assert res.fun == direct.fun


def test_the_readme_snippet_minimises_branin():
    import pathlib
    import re

    readme = pathlib.Path(__file__).resolve().parents[3] / "README.md"
    if not readme.exists():
        pytest.skip("not run from the workspace")
    section = readme.read_text().split("## From Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) <= 5
    scope = {}
    exec(compile(code.replace("print(", "(lambda *a: None)("), "README.md", "exec"), scope)
    assert scope["res"].fun - BRANIN_MIN < 0.01 and scope["res"].nfev == 99
