# Aliases only: every recipe is a `cargo xtask` command (see `cargo xtask --help`).

# all checks: fmt, clippy, tests
test:
    cargo xtask test

# criterion benchmarks (all crates, or one: `just bench pop-bench-fns`)
bench package="":
    cargo xtask bench {{ if package == "" { "" } else { "--package " + package } }}

# install system packages (OpenBLAS)
deps:
    cargo xtask deps

# PPO meta-training: `just train quick runs/quick` (preset name or TOML file)
train config="smoke" out="runs/smoke":
    cargo run --release -p pop-train -- train --config {{config}} --out {{out}}
