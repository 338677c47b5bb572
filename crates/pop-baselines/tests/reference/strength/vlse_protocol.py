"""POP's evaluation protocol for reference libraries in Python (see README.md).

* `Evaluator`: one long-running `eval_stdio` process per function (the Rust VLSE-47 functions, so
  Python evaluates exactly what the Rust evaluation does, gradients included).
* `Problem`: the box, f* and the canonical map `x = l + (z + 1)(u - l)/2` (the same floating-point
  operations as `pop_bench_fns::Bounds::to_x`/`to_z`/`grad_to_z`).
* `Oracle`: the counting and cutting wrapper. Call 1 is the start point; every call (value and
  gradient, or value only) counts 1; the call after the budget raises `BudgetSpent` before anything
  is evaluated; a NaN/inf value counts but does not improve best-so-far. Every asked z is clipped
  to [-1, 1] first (NaN -> 0), as the Rust harness does.
* `normalized_regret`: (best_T - f*)/(f(x0) - f*), undefined (None) when f(x0) is not finite or
  f(x0) <= f*, as `pop_optim::metrics::normalized_regret`.
"""

from __future__ import annotations

import hashlib
import math
import os
import subprocess
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[5]


class BudgetSpent(Exception):
    """Raised by `Oracle` when a method asks for a call beyond the budget."""


def default_binary() -> Path:
    """The eval_stdio example built by `cargo build --release -p pop-bench-fns --example eval_stdio`."""
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "release" / "examples" / "eval_stdio"


def _num(s: str) -> float:
    return float(s)  # Python reads `nan`, `inf`, `-inf` and Rust's `1.5e0` alike


class Evaluator:
    """A running `eval_stdio <function>`: `evaluate(x) -> (value, grad_x)` in the function's box."""

    def __init__(self, function: str, binary: Path | None = None):
        self.function = function
        binary = Path(binary or default_binary())
        if not binary.exists():
            raise FileNotFoundError(
                f"{binary} not found: build it with "
                "`cargo build --release -p pop-bench-fns --example eval_stdio` "
                "(or set CARGO_TARGET_DIR / --eval-bin)"
            )
        self.proc = subprocess.Popen(
            [str(binary), function],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        header = self.proc.stdout.readline().strip()
        if not header.startswith("bounds "):
            err = self.proc.stderr.read()
            raise RuntimeError(f"eval_stdio {function}: {err.strip() or header}")
        lo, hi, fs = header[len("bounds "):].split(";")
        self.lower = np.array([_num(v) for v in lo.split(",")])
        self.upper = np.array([_num(v) for v in hi.split(",")])
        self.f_star = _num(fs)
        self.dim = len(self.lower)

    def evaluate(self, x) -> tuple[float, np.ndarray]:
        # repr() of a Python float is the shortest round-trip form: Rust parses the same double.
        self.proc.stdin.write(",".join(repr(float(v)) for v in x) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line or line.startswith("error"):
            raise RuntimeError(f"eval_stdio {self.function}: {line.strip() or 'exited'}")
        parts = line.rstrip("\n").split(",")
        return _num(parts[0]), np.array([_num(v) for v in parts[1:]])

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Problem:
    """A function's box, f* and the canonical z-space map (bit-identical to the Rust `Bounds`)."""

    def __init__(self, evaluator: Evaluator):
        self.ev = evaluator
        self.lower, self.upper, self.f_star, self.dim = (
            evaluator.lower,
            evaluator.upper,
            evaluator.f_star,
            evaluator.dim,
        )

    def clip_x(self, x):
        x = np.array(x, dtype=float)
        centre = 0.5 * (self.lower + self.upper)
        x = np.where(np.isnan(x), centre, x)
        return np.minimum(np.maximum(x, self.lower), self.upper)

    def to_z(self, x):
        # Rust: 2.0 * (x - l) / (u - l) - 1.0
        return 2.0 * (np.asarray(x, dtype=float) - self.lower) / (self.upper - self.lower) - 1.0

    def to_x(self, z):
        # Rust: l if z <= -1, u if z >= 1, else l + 0.5 * (z + 1.0) * (u - l)
        z = np.asarray(z, dtype=float)
        inner = self.lower + 0.5 * (z + 1.0) * (self.upper - self.lower)
        return np.where(z <= -1.0, self.lower, np.where(z >= 1.0, self.upper, inner))

    def grad_to_z(self, g):
        return np.asarray(g, dtype=float) * (0.5 * (self.upper - self.lower))

    def start_z(self, x0):
        """The harness's start: clip x0 to the box, map to z, clip z (call 1 is at to_x of this)."""
        return clip_z(self.to_z(self.clip_x(x0)))


def clip_z(z):
    z = np.array(z, dtype=float)
    z = np.where(np.isnan(z), 0.0, z)
    return np.clip(z, -1.0, 1.0)


class Oracle:
    """Counts and cuts: exactly `budget` calls, best-so-far after each.

    `value(z)` evaluates f only (gradient-free methods), `value_and_grad(z)` returns f and
    df/dz; both count one call. After `budget` calls the next request raises `BudgetSpent`.
    """

    def __init__(self, problem: Problem, budget: int):
        self.p = problem
        self.budget = budget
        self.values: list[float | None] = []  # None where the value was NaN/inf
        self.best: list[float] = []  # best finite value after each call (+inf before any)
        self.points: list[np.ndarray] = []  # every evaluated z (after clipping)
        self._best = math.inf

    @property
    def calls(self) -> int:
        return len(self.values)

    @property
    def spent(self) -> bool:
        return self.calls >= self.budget

    def _call(self, z):
        if self.calls >= self.budget:
            raise BudgetSpent
        z = clip_z(np.asarray(z, dtype=float).reshape(-1))
        if z.shape != (self.p.dim,):
            raise ValueError(f"asked a point of shape {z.shape} in dimension {self.p.dim}")
        v, g = self.p.ev.evaluate(self.p.to_x(z))
        ok = math.isfinite(v)
        self.points.append(z)
        self.values.append(v if ok else None)
        if ok and v < self._best:
            self._best = v
        self.best.append(self._best)
        return v, g

    def value(self, z) -> float:
        return self._call(z)[0]

    def value_and_grad(self, z) -> tuple[float, np.ndarray]:
        v, g = self._call(z)
        return v, self.p.grad_to_z(g)

    @property
    def f0(self) -> float | None:
        return self.values[0] if self.values else None

    def best_at(self, t: int) -> float:
        return self.best[t - 1]


def normalized_regret(f0, best, f_star):
    """(best - f*)/(f0 - f*); None without a finite f0 or with f0 <= f* (as pop_optim::metrics)."""
    if f0 is None or not math.isfinite(f0):
        return None
    gap = f0 - f_star
    if not gap > 0.0:
        return None
    return (best - f_star) / gap


def derive_seed(master: int, *parts) -> int:
    """A 32-bit seed for (master, parts...): the first 4 bytes (little-endian) of
    sha256("master/part1/part2/..."), plus 1 (never 0: pycma reads seed 0 as "use the time")."""
    text = "/".join(str(p) for p in (master, *parts))
    h = hashlib.sha256(text.encode()).digest()
    return int.from_bytes(h[:4], "little") % (2**32 - 1) + 1
