#!/usr/bin/env bash
# Reproduces every shipped model: trains one at a time (each run uses both cores), then evaluates it on the
# runtime's CPU reference (reports in models/reports/, calibrated thresholds written into each model).
# Logs: out/<model>.log. Extra arguments go to every scripts/train.ts call.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p out models/reports

run() {
  local task=$1 arch=$2 epochs=$3
  shift 3
  local name="${task}-${arch}"
  echo "== ${name} (${epochs} epochs)"
  npx tsx scripts/train.ts --task "$task" --arch "$arch" --epochs "$epochs" --seed 1 --out "models/${name}.bee" "$@" >"out/${name}.log" 2>&1
  npx tsx scripts/evaluate.ts --model "models/${name}.bee" >>"out/${name}.log" 2>&1
  tail -n 2 "out/${name}.log"
}

# Shipped recipe: defaultConfig, default augmentation, exit losses weighted 0.5/0.75/1/1 (early exits pull less on
# the shared features), each batch in two shards on the machine's two cores (train.ts's default). kws (12600
# training clips, `npm run datagen -- --task kws`): the four architectures, each given the epochs that fit the
# 40-minute budget (an epoch takes 2.2-2.8 min on two cores).
# digits (3140 training clips) gets 50 epochs and langid (2620) 64, 36 min each.
W=(--exit-weights 0.5,0.75,1,1)
run kws birealnet 14 "${W[@]}" "$@"
run kws xnornet 15 "${W[@]}" "$@"
run kws binarynet 15 "${W[@]}" "$@"
run kws reactnet "${KWS_REACTNET_EPOCHS:-13}" "${W[@]}" "$@"
run digits reactnet 50 "${W[@]}" "$@"
run langid reactnet 64 "${W[@]}" "$@"
