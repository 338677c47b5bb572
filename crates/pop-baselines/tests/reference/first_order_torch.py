"""Golden trajectories for crates/pop-baselines/tests/first_order.rs (test `golden_trajectories`).

Runs torch.optim.{SGD, Adam, RMSprop} in float64 for 20 steps from a fixed start on
    f(z) = (0.6 - z0)^2 + 4 (z1 - z0^2)^2 + 1.5 (z2 + 0.3 z1)^2,
a smooth non-convex function on [-1, 1]^3, and prints every iterate (start included) as Rust
constants. Every iterate stays strictly inside (-1, 1)^3 (asserted), so the box never acts.

Reproduce (CPU torch from PyPI; produced with torch 2.15.0, Python 3.11):
    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch
    /tmp/torchenv/bin/python crates/pop-baselines/tests/reference/first_order_torch.py
"""
import torch

torch.set_default_dtype(torch.float64)

START = [-0.5, 0.4, 0.6]
STEPS = 20


def f(z):
    a = 0.6 - z[0]
    b = z[1] - z[0] ** 2
    c = z[2] + 0.3 * z[1]
    return a * a + 4.0 * b * b + 1.5 * c * c


# (Rust constant name, Rust config expression, torch optimizer factory)
CASES = [
    ("GD", "GdConfig { lr: 1e-2 }",
     lambda p: torch.optim.SGD(p, lr=1e-2)),
    ("MOMENTUM", "MomentumConfig { lr: 1e-2, momentum: 0.9, dampening: 0.0, nesterov: false }",
     lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.9)),
    ("NESTEROV", "MomentumConfig { lr: 1e-2, momentum: 0.9, dampening: 0.0, nesterov: true }",
     lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.9, nesterov=True)),
    ("MOMENTUM_DAMPENED", "MomentumConfig { lr: 2e-2, momentum: 0.8, dampening: 0.5, nesterov: false }",
     lambda p: torch.optim.SGD(p, lr=2e-2, momentum=0.8, dampening=0.5)),
    ("ADAM", "AdamConfig { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 }",
     lambda p: torch.optim.Adam(p, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)),
    ("ADAM_FAST", "AdamConfig { lr: 5e-2, beta1: 0.8, beta2: 0.99, eps: 1e-6 }",
     lambda p: torch.optim.Adam(p, lr=5e-2, betas=(0.8, 0.99), eps=1e-6)),
    ("RMSPROP", "RmsPropConfig { lr: 1e-2, alpha: 0.99, eps: 1e-8, momentum: 0.0, centered: false }",
     lambda p: torch.optim.RMSprop(p, lr=1e-2, alpha=0.99, eps=1e-8)),
    ("RMSPROP_CENTERED_MOMENTUM",
     "RmsPropConfig { lr: 1e-3, alpha: 0.9, eps: 1e-8, momentum: 0.5, centered: true }",
     lambda p: torch.optim.RMSprop(p, lr=1e-3, alpha=0.9, eps=1e-8, momentum=0.5, centered=True)),
]

for name, cfg, make in CASES:
    z = torch.tensor(START, requires_grad=True)
    opt = make([z])
    traj = [z.detach().tolist()]
    for _ in range(STEPS):
        opt.zero_grad()
        f(z).backward()
        opt.step()
        traj.append(z.detach().tolist())
    assert all(-0.99 < v < 0.99 for p in traj for v in p), (name, traj)
    print(f"// {cfg}")
    print(f"const {name}: [[f64; 3]; {STEPS + 1}] = [")
    for p in traj:
        print("    [" + ", ".join(repr(v) for v in p) + "],")
    print("];")
