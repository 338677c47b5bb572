#!/usr/bin/env bash
# Issue 14 point 7: one training run per ablation config (paper-quick with one ingredient
# reverted), then the validation table (prior validation splits only; never a test suite).
# Resumable: a run folder with a checkpoint is resumed, a finished one is skipped by the trainer.
#   nice -n 10 data/ablation-14/run.sh [NAME...]      (from the workspace root; ≈ 25 min per run on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -q -p pop-train --bin pop-train --example validation_table
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  names=(no-rms fixed-horizon final-reward gae no-ppo-health learned-time)
fi
for n in "${names[@]}"; do
  out=data/ablation-14/$n
  if [ -f "$out/checkpoint/state.json" ]; then
    target/release/pop-train train --config "data/ablation-14/configs/$n.toml" --out "$out" --resume
  elif [ ! -f "$out/best/weights.safetensors" ]; then
    target/release/pop-train train --config "data/ablation-14/configs/$n.toml" --out "$out"
  fi
done
specs=(paper-quick=policy:data/pop-paper-quick)
for n in no-rms fixed-horizon final-reward gae no-ppo-health learned-time; do
  [ -f "data/ablation-14/$n/best/weights.safetensors" ] && specs+=("$n=policy:data/ablation-14/$n")
done
for d in 2 5; do
  target/release/examples/validation_table --dim $d "${specs[@]}" | tee "data/ablation-14/validation-${d}d.md"
done
