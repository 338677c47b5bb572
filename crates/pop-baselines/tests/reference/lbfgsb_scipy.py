"""Reference for tests/lbfgs.rs (`lbfgs_stops_like_scipy`): SciPy's L-BFGS-B at its defaults on
six small functions written directly in z-space (the box [-1, 1]^d), from fixed starts.

Run: python3 -m venv venv && venv/bin/pip install "scipy==1.17.*" numpy
     venv/bin/python lbfgsb_scipy.py
Prints, per run, the stop message, nfev, nit, the final f (shortest repr) and the final z (12
digits); the Rust test holds these numbers. The functions are written out again, identically, in tests/lbfgs.rs.

`minimize(method="L-BFGS-B", jac=True, bounds=[(-1, 1)] * d)` with no options: maxcor 10,
ftol = factr * eps = 1e7 * 2.220446049250313e-16 = 2.220446049250313e-09, gtol (pgtol) 1e-5,
maxls 20, maxfun = maxiter = 15000 (never reached here). `nfev` counts calls of the function,
which returns value and gradient together (one oracle call each), the start included.
"""
import math
import sys

import numpy as np
import scipy
from scipy.optimize import minimize

# Rotated quadratic, d = 4: f = 0.5 (z - c)^T A (z - c), A = Q diag(1, 3, 10, 30) Q^T with
# Q the 4x4 Householder-like rotation below; minimum 0 at c (inside the box).
C4 = np.array([0.3, -0.2, 0.1, 0.45])
V = np.array([1.0, 2.0, -1.0, 0.5])
Q4 = np.eye(4) - 2.0 * np.outer(V, V) / V.dot(V)
A4 = Q4 @ np.diag([1.0, 3.0, 10.0, 30.0]) @ Q4.T


def quadratic(z):
    r = z - C4
    g = A4 @ r
    return 0.5 * r.dot(g), g


def rosenbrock(z):
    # Rosenbrock on [-2, 2]^2 mapped to z = x / 2; minimum 0 at z = (0.5, 0.5).
    x0, x1 = 2.0 * z[0], 2.0 * z[1]
    a, b = 1.0 - x0, x1 - x0 * x0
    f = a * a + 100.0 * b * b
    gx0 = -2.0 * a - 400.0 * x0 * b
    gx1 = 200.0 * b
    return f, np.array([2.0 * gx0, 2.0 * gx1])


def branin(z):
    # Branin on [-5, 10] x [0, 15] mapped to [-1, 1]^2: x1 = 2.5 + 7.5 z0, x2 = 7.5 + 7.5 z1.
    x1, x2 = 2.5 + 7.5 * z[0], 7.5 + 7.5 * z[1]
    b, c, r, s, t = 5.1 / (4.0 * math.pi**2), 5.0 / math.pi, 6.0, 10.0, 1.0 / (8.0 * math.pi)
    u = x2 - b * x1 * x1 + c * x1 - r
    f = u * u + s * (1.0 - t) * math.cos(x1) + s
    g1 = 2.0 * u * (-2.0 * b * x1 + c) - s * (1.0 - t) * math.sin(x1)
    g2 = 2.0 * u
    return f, np.array([7.5 * g1, 7.5 * g2])


def boundary(z):
    # Minimum on the boundary: the unconstrained minimiser (2, 0.3, -1.6) is outside the box;
    # on the box the minimum has z0 = 1 and z2 = -1 (both bounds active).
    a, b, c = z[0] - 2.0, z[1] - 0.3, z[2] + 1.6
    f = a * a + 4.0 * b * b + 0.8 * a * b + 2.0 * c * c + 0.5 * b * c
    return f, np.array([2.0 * a + 0.8 * b, 8.0 * b + 0.8 * a + 0.5 * c, 4.0 * c + 0.5 * b])


def kinked(z):
    # Non-smooth at its minimum (0.3, -0.4): f = |z0 - 0.3| + 2 |z1 + 0.4|, gradient its sign
    # pattern; the line search cannot satisfy the curvature condition across the kink.
    m = np.array([0.3, -0.4])
    w = np.array([1.0, 2.0])
    r = z - m
    f = float(np.sum(w * np.abs(r)))
    g = w * np.sign(r)
    return f, g


def biased(z):
    # A gradient that disagrees with f (as an inexact or noisy gradient does): f = |z - m|^2,
    # but the reported gradient is 2 (z - m) + (0.5, 0); it vanishes at (0.05, -0.4), where f is
    # not minimal, and between there and m the line search cannot satisfy Armijo.
    m = np.array([0.3, -0.4])
    r = z - m
    return float(r.dot(r)), 2.0 * r + np.array([0.5, 0.0])


FUNCTIONS = [
    ("quadratic", quadratic, [[-0.9, 0.8, 0.7, -0.6], [0.95, -0.95, -0.3, 0.2]]),
    ("rosenbrock", rosenbrock, [[-0.6, 0.5], [0.9, -0.9]]),
    ("branin", branin, [[-0.8, 0.6], [0.5, -0.5]]),
    ("boundary", boundary, [[-0.5, -0.7, 0.5], [0.9, 0.9, 0.9]]),
    ("kinked", kinked, [[-0.7, 0.6], [0.8, 0.9]]),
    ("biased", biased, [[0.9, -0.9], [0.7, -0.2], [0.9, 0.9]]),
]


def main():
    print("scipy", scipy.__version__, "numpy", np.__version__, "python", sys.version.split()[0])
    for name, fun, starts in FUNCTIONS:
        for z0 in starts:
            d = len(z0)
            res = minimize(fun, np.array(z0), jac=True, method="L-BFGS-B", bounds=[(-1.0, 1.0)] * d)
            zs = ", ".join(f"{v:.12g}" for v in res.x)
            print(
                f"{name} z0={z0}: message={res.message!r} nfev={res.nfev} nit={res.nit} "
                f"f={float(res.fun)!r} z=[{zs}]"
            )


main()
