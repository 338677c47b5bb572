"""POP, a learned optimizer (Prior-fitted Optimizer Policies), and every baseline of the
reproduction, from Python.

* :func:`minimize` — SciPy-style: ``minimize(fun, x0, bounds=..., jac=True, method="pop",
  maxfev=100, seed=0)`` returns an ``OptimizeResult``; it also plugs into SciPy itself as a
  custom method (``scipy.optimize.minimize(fun, x0, method=pop_optimizer.minimize, ...)``).
* :class:`Optimizer` — ask/tell with exactly the Rust harness's accounting (z-space, clipping,
  the NaN rule): the first ``ask()`` is the start point.
* :func:`methods` — every method name (``pop``, ``pop-paper``, ``velo-style-es``, ``adam``,
  ``lbfgs``, ``cmaes``, ``tpe``, ...).

Every method works in the box ``bounds`` (finite, lower < upper) and spends exactly its budget
of oracle calls, the start point included.
"""

from __future__ import annotations

import inspect
import os
import warnings
from importlib.resources import files
from typing import Any, Callable, Optional, Sequence, Tuple

import numpy as np


def _import_core():  # type: ignore[no-untyped-def]
    # The Rust workspace pins OpenBLAS's kernel and threads (cargo [env]) so that BO's bits are
    # the same everywhere; libopenblas reads these when the extension loads it.
    saved = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS")}
    os.environ.setdefault("OPENBLAS_CORETYPE", "Prescott")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        from . import _core
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return _core


_core = _import_core()
PopError = _core.PopError
__version__: str = _core.__version__
_POLICIES = str(files(__package__) / "policies")

try:  # the class SciPy users expect
    from scipy.optimize import OptimizeResult
except ImportError:  # a numpy-only install

    class OptimizeResult(dict):  # type: ignore[no-redef]
        """A dict with attribute access, as ``scipy.optimize.OptimizeResult``."""

        def __getattr__(self, name: str) -> Any:
            try:
                return self[name]
            except KeyError as e:
                raise AttributeError(name) from e

        __setattr__ = dict.__setitem__  # type: ignore[assignment]
        __delattr__ = dict.__delitem__  # type: ignore[assignment]


__all__ = ["minimize", "Optimizer", "OptimizeResult", "methods", "PopError", "__version__"]


def methods() -> list[str]:
    """Every method name, in the order of the reproduction's tables."""
    return list(_core.methods())


def _box(bounds: Any, n: int) -> Tuple[list[float], list[float]]:
    if bounds is None:
        raise ValueError("every method works in a box: give finite bounds (a sequence of (lo, hi) pairs or a scipy.optimize.Bounds)")
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):
        lo = np.broadcast_to(np.asarray(bounds.lb, dtype=float), (n,))
        hi = np.broadcast_to(np.asarray(bounds.ub, dtype=float), (n,))
    else:
        pairs = [(np.nan if lo is None else lo, np.nan if hi is None else hi) for lo, hi in bounds]
        b = np.asarray(pairs, dtype=float)
        if b.shape != (n, 2):
            raise ValueError(f"bounds: {len(pairs)} (lo, hi) pairs for {n} coordinates")
        lo, hi = b[:, 0], b[:, 1]
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)) and np.all(lo < hi)):
        raise ValueError("bounds must be finite with lower < upper in every coordinate")
    return [float(v) for v in lo], [float(v) for v in hi]


def _seed(seed: Any) -> int:
    s = int(seed)
    if s < 0 or s >= 2**64:
        raise ValueError(f"seed must lie in [0, 2**64), got {seed}")
    return s


class Optimizer:
    """One ask/tell run of ``method`` on ``bounds`` for ``budget`` oracle calls.

    The first :meth:`ask` returns the start point ``x0`` (default: the box centre) clipped into
    the box; each :meth:`tell` gives the value (and, when :attr:`uses_gradient`, the gradient
    ``df/dx``) at the point just asked. A NaN or infinite value counts as a call and is told to
    the method as a failure (the harness's NaN rule). Errors are :class:`PopError` with the Rust
    message.
    """

    def __init__(
        self,
        method: str,
        bounds: Any,
        budget: int,
        seed: int = 0,
        x0: Optional[Sequence[float]] = None,
        policy: Optional[str] = None,
    ) -> None:
        lo, hi = _box(bounds, len(bounds.lb) if hasattr(bounds, "lb") else len(bounds))
        start = [0.5 * (a + b) for a, b in zip(lo, hi)] if x0 is None else [float(v) for v in np.asarray(x0, dtype=float).ravel()]
        if int(budget) < 1:
            raise ValueError(f"budget must be at least 1 (the start point), got {budget}")
        self._o = _core.Optimizer(method, lo, hi, int(budget), _seed(seed), start, _POLICIES, policy)
        self._last: Optional[np.ndarray] = None

    def ask(self) -> np.ndarray:
        """The next point to evaluate (a new array)."""
        x = np.asarray(self._o.ask(), dtype=float)
        self._last = x.copy()
        return x

    def tell(self, x: Any, value: float, grad: Any = None) -> None:
        """The value (and gradient, for gradient methods) at ``x``, the point ``ask`` returned."""
        g = None if grad is None else [float(v) for v in np.asarray(grad, dtype=float).ravel()]
        self._o.tell([float(v) for v in np.asarray(x, dtype=float).ravel()], float(value), g)

    @property
    def best(self) -> Tuple[np.ndarray, float]:
        """``(x, value)`` of the best finite value told so far (``inf`` before one)."""
        x, v = self._o.best
        return np.asarray(x, dtype=float), float(v)

    @property
    def nfev(self) -> int:
        """Oracle calls told so far."""
        return int(self._o.nfev)

    @property
    def done(self) -> bool:
        """Whether the budget is spent."""
        return bool(self._o.done)

    @property
    def budget(self) -> int:
        """The budget of oracle calls."""
        return int(self._o.budget)

    @property
    def name(self) -> str:
        """The method's full name (with its hyperparameters)."""
        return str(self._o.name)

    @property
    def uses_gradient(self) -> bool:
        """Whether :meth:`tell` needs the gradient."""
        return bool(self._o.uses_gradient)

    def history(self) -> Tuple[np.ndarray, np.ndarray]:
        """``(best_so_far, values)`` per call; values are NaN where a call failed."""
        best, values = self._o.history()
        return np.asarray(best, dtype=float), np.asarray([np.nan if v is None else v for v in values], dtype=float)


def _fd_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, fx: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    g = np.empty_like(x)
    for i in range(x.size):
        h = 1e-8 * max(1.0, abs(x[i]))
        xi = x.copy()
        # step inwards at the upper bound
        if xi[i] + h > hi[i]:
            h = -h
        xi[i] += h
        g[i] = (f(xi) - fx) / h
    return g


def minimize(
    fun: Callable[..., Any],
    x0: Any,
    args: tuple = (),
    *,
    bounds: Any = None,
    jac: Any = None,
    method: str = "pop",
    maxfev: int = 100,
    seed: int = 0,
    callback: Optional[Callable[..., Any]] = None,
    policy: Optional[str] = None,
    hess: Any = None,
    hessp: Any = None,
    constraints: Any = (),
    tol: Any = None,
    **unknown: Any,
) -> OptimizeResult:
    """Minimise ``fun`` over the box ``bounds`` with ``method`` in exactly ``maxfev`` calls of ``fun``.

    ``jac``: ``True`` (``fun`` returns ``(value, gradient)``, as SciPy), a callable
    ``jac(x, *args)``, or ``None``/``False``/``"2-point"``: forward differences for gradient
    methods, whose ``d`` extra calls per point **count against** ``maxfev`` (such a method then
    makes ``maxfev // (d + 1)`` steps). Gradient-free methods never use ``jac``.

    Also a SciPy custom method: ``scipy.optimize.minimize(fun, x0, method=pop_optimizer.minimize,
    jac=True, bounds=b, options={"maxfev": 100, "seed": 1, "method": "cmaes"})``.

    Returns an ``OptimizeResult`` with ``x``, ``fun``, ``nfev``, ``njev``, ``nit``, ``success``,
    ``status``, ``message``, ``method``, and ``history`` (best-so-far after each oracle call).
    An exception raised by ``fun`` propagates unchanged.
    """
    if unknown:
        warnings.warn(f"unknown options ignored: {sorted(unknown)}", RuntimeWarning, stacklevel=2)
    if constraints not in ((), None, []):
        raise ValueError("constraints are not supported: every method works in a box")
    x0a = np.atleast_1d(np.asarray(x0, dtype=float))
    if x0a.ndim != 1:
        raise ValueError("x0 must be one-dimensional")
    n = x0a.size
    lo, hi = _box(bounds, n)
    lo_a, hi_a = np.asarray(lo), np.asarray(hi)
    if int(maxfev) < 1:
        raise ValueError(f"maxfev must be at least 1, got {maxfev}")
    uses_gradient = bool(_core.uses_gradient(method, _POLICIES, policy))
    fd = uses_gradient and (jac is None or jac is False or jac == "2-point")
    if isinstance(jac, str) and jac != "2-point":
        raise ValueError(f"jac={jac!r}: use True, a callable, None or '2-point'")
    budget = int(maxfev) // (n + 1) if fd else int(maxfev)
    if budget < 1:
        raise ValueError(f"maxfev={maxfev} is too small for forward differences in {n} dimensions (needs at least {n + 1})")
    opt = Optimizer(method, list(zip(lo, hi)), budget, seed, x0a, policy)

    nfev = 0
    njev = 0

    def value_only(x: np.ndarray) -> float:
        nonlocal nfev
        nfev += 1
        out = fun(x, *args)
        if jac is True:
            out = out[0]
        return float(out)

    status, message = 0, "the budget of oracle calls is spent"
    stop_style = None
    if callback is not None:
        params = list(inspect.signature(callback).parameters)
        stop_style = "result" if params == ["intermediate_result"] else "x"
    while not opt.done:
        x = opt.ask()
        g = None
        if not uses_gradient:
            v = value_only(x.copy())
        elif jac is True:
            nfev += 1
            njev += 1
            v, g = fun(x.copy(), *args)
            v = float(v)
        elif callable(jac):
            v = value_only(x.copy())
            njev += 1
            g = jac(x.copy(), *args)
        else:
            v = value_only(x.copy())
            g = _fd_gradient(value_only, x.copy(), v, lo_a, hi_a) if np.isfinite(v) else np.full(n, np.nan)
        opt.tell(x, v, g)
        if callback is not None:
            bx, bv = opt.best
            try:
                if stop_style == "result":
                    callback(intermediate_result=OptimizeResult(x=bx, fun=bv))
                else:
                    callback(bx)
            except StopIteration:
                status, message = 99, "`callback` raised `StopIteration`."
                break
    bx, bv = opt.best
    history, _ = opt.history()
    success = bool(np.isfinite(bv))
    if not success:
        status, message = 1, "every call of the objective failed (NaN or infinite)"
    return OptimizeResult(
        x=bx,
        fun=bv,
        nfev=nfev,
        njev=njev,
        nit=max(opt.nfev - 1, 0),
        success=success,
        status=status,
        message=message,
        method=opt.name,
        history=history,
    )
