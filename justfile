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

# the experiment: `just reproduce --quick` (evaluate the shipped policies), `just reproduce`
# (train with the quick presets, then evaluate everything), `just reproduce --paper`
reproduce *args:
    cargo xtask reproduce {{args}}

# ES meta-training of the VeLO-style competitor: `just train-es quick runs/velo-quick`
train-es config="smoke" out="runs/es-smoke":
    cargo run --release -p pop-train -- es --config {{config}} --out {{out}}
