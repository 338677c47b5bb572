#!/usr/bin/env python3
"""Per-call cost of the Python boundary: ask/tell from Python against the same run inside Rust.

Runs `random-search` and `pop` on Branin (2-D) through `pop_optimizer.Optimizer` (ask, evaluate the
Rust benchmark function, tell) and through `_core.run_benchmark` (the whole loop in Rust, same
process), and prints microseconds per ask, per tell and per call, with the Python/Rust ratio. The per-call
columns of both loops include creating the optimizer (for `pop`: loading the policy) once per run.

    python crates/pop-py/benches/overhead.py [--budget 200] [--repeats 50]
"""

import argparse
import time

import numpy as np

import pop_optimizer as po
from pop_optimizer import _core

BOUNDS = [(-5.0, 10.0), (0.0, 15.0)]


def python_loop(method: str, budget: int, seed: int):
    opt = po.Optimizer(method, BOUNDS, budget, seed=seed, x0=[2.5, 7.5])
    t_ask = t_tell = 0.0
    while not opt.done:
        t0 = time.perf_counter()
        x = opt.ask()
        t1 = time.perf_counter()
        v, g = _core.benchmark_value_and_grad("branin", x.tolist())
        t2 = time.perf_counter()
        opt.tell(x, v, g)
        t3 = time.perf_counter()
        t_ask += t1 - t0
        t_tell += t3 - t2
    return t_ask, t_tell


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--budget", type=int, default=200)
    p.add_argument("--repeats", type=int, default=50)
    a = p.parse_args()
    print(f"| method | µs per ask | µs per tell | µs per call, Python loop | µs per call, Rust loop | ratio |")
    print("|---|---|---|---|---|---|")
    for method in ["random-search", "pop"]:
        asks, tells, pys, rusts = [], [], [], []
        for r in range(a.repeats):
            t0 = time.perf_counter()
            ta, tt = python_loop(method, a.budget, r)
            pys.append(time.perf_counter() - t0)
            asks.append(ta)
            tells.append(tt)
            t0 = time.perf_counter()
            _core.run_benchmark(method, "branin", [2.5, 7.5], a.budget, r, po._POLICIES)
            rusts.append(time.perf_counter() - t0)
        us = lambda xs: 1e6 * float(np.median(xs)) / a.budget  # noqa: E731
        print(f"| `{method}` | {us(asks):.1f} | {us(tells):.1f} | {us(pys):.1f} | {us(rusts):.1f} | {np.median(pys) / np.median(rusts):.1f} |")


if __name__ == "__main__":
    main()
