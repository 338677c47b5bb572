"""Deterministic reference trajectories of pycma for the CMA-ES unit tests
(src/gradient_free/cmaes.rs, `mod tests`).

pycma 4.5 (``pip install cma``), default options except:
* ``randn``: a fixed sequence instead of random normals (the Rust test feeds the same sequence),
  v_t = 2 sqrt(3) (frac(0.5 + t * 0.6180339887498949) - 0.5), t = 0, 1, 2, ... row by row;
* ``CMA_eigenmethod``: numpy's eigh with each eigenvector's largest-magnitude component made
  positive (the sign convention of the Rust Jacobi solver; LAPACK's signs are arbitrary);
* ``bounds = [-1, 1]`` (BoundTransform, pycma's default boundary handler);
* ``np.argsort`` made stable: pycma ranks with ``np.argsort`` whose default sort is not stable in
  numpy 2.x (SIMD quicksort), so equal f-values (here: several failed evaluations, +inf) would be
  ordered arbitrarily; the Rust ranking breaks ties by sampling order, as a stable sort does.
Everything else (weights, learning rates, CSA, active update, lazy eigendecomposition, maxstd from
the bound range) is pycma's default. ``es.stop()`` is ignored.

Prints, per case, the final genotype mean, sigma, covariance matrix, the sigma_vec scaling and the
last generation's phenotypes, to be pasted into the Rust test.
Usage: python3 gradient_free_cma_trajectory.py
"""

import math
import warnings

import numpy as np
import cma

warnings.simplefilter("ignore")

_argsort = np.argsort


def _stable_argsort(a, *args, **kwargs):
    kwargs["kind"] = "stable"
    return _argsort(a, *args, **kwargs)


np.argsort = _stable_argsort

PHI = 0.6180339887498949


class Fixed:
    def __init__(self):
        self.t = 0

    def __call__(self, lam, n):
        out = np.empty((lam, n))
        for k in range(lam):
            for i in range(n):
                x = 0.5 + self.t * PHI
                self.t += 1
                out[k, i] = 2.0 * math.sqrt(3.0) * ((x - math.floor(x)) - 0.5)
        return out


def eig(C):
    D, B = np.linalg.eigh(C)
    for k in range(B.shape[1]):
        i = int(np.argmax(np.abs(B[:, k])))
        if B[i, k] < 0:
            B[:, k] *= -1
    return D, B


def rosen_box(z):  # Rosenbrock on [-5, 10]^2 in z-space
    x = -5.0 + 0.5 * (np.asarray(z) + 1.0) * 15.0
    return float(100.0 * (x[1] - x[0] ** 2) ** 2 + (x[0] - 1.0) ** 2)


C5 = np.array([0.97, -0.99, 0.5, 1.2, -0.3])


def ellipsoid5(z):  # optimum outside the box in coordinate 3, close to the bounds elsewhere
    z = np.asarray(z)
    w = 10.0 ** (3.0 * np.arange(5) / 4.0)
    return float(np.sum(w * (z - C5) ** 2))


def sphere3_with_holes(z):  # fails (inf) when z0 > 0.6: failed evaluations are ranked last
    z = np.asarray(z)
    if z[0] > 0.6:
        return math.inf
    return float(np.sum((z - np.array([0.2, -0.1, 0.4])) ** 2))


CASES = [
    ("rosenbrock2", rosen_box, [0.3, -0.6], 0.5, 30),
    ("ellipsoid5", ellipsoid5, [-0.5, 0.2, 0.9, -0.98, 0.0], 0.5, 40),
    ("holes3", sphere3_with_holes, [0.5, 0.5, -0.5], 1.5, 20),
]


def fmt(a):
    return "[" + ", ".join(repr(float(v)) for v in np.ravel(a)) + "]"


def main():
    print(f"cma {cma.__version__}, numpy {np.__version__}")
    for name, f, x0, sigma0, gens in CASES:
        es = cma.CMAEvolutionStrategy(
            x0,
            sigma0,
            {
                "bounds": [-1, 1],
                "randn": Fixed(),
                "CMA_eigenmethod": eig,
                "verbose": -9,
                "verb_log": 0,
                "verb_disp": 0,
                "seed": 1,
            },
        )
        X = None
        for _ in range(gens):
            X = es.ask()
            es.tell(X, [f(x) for x in X])
        scaling = np.ones(len(x0)) * es.sigma_vec.scaling
        print(f"// {name}: {gens} generations, lambda = {es.popsize}")
        print(f"mean: {fmt(es.mean)}")
        print(f"sigma: {float(es.sigma)!r}")
        print(f"c: {fmt(es.sm.C)}")
        print(f"scaling: {fmt(scaling)}")
        print(f"last_x: {fmt(np.asarray(X))}")


if __name__ == "__main__":
    main()
