#!/usr/bin/env bash
# Reproduces every shipped model: trains one at a time (the machine's cores are shared), then evaluates it on the
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
# the shared features). kws (12600 training clips, `npm run datagen -- --task kws`): the four architectures with
# the same recipe (4 epochs); the best one trained longer.
W=(--exit-weights 0.5,0.75,1,1)
for arch in birealnet xnornet binarynet; do
  run kws "$arch" 4 "${W[@]}" "$@"
done
run kws reactnet "${KWS_REACTNET_EPOCHS:-12}" "${W[@]}" "$@"
run digits reactnet 10 "${W[@]}" "$@"
run langid reactnet 10 "${W[@]}" "$@"
