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
# Real speakers (../shared/data, never committed): kws-reactnet on the Speech Commands spectrogram images (38,700
# training clips, 7 epochs, ~55 min here) and digits on the Speech Commands digit images plus four FSDD speakers
# (7,951 clips, 14 epochs on one core, ~40 min); evaluated on the real test speakers by evaluate.ts --data images
# and scripts/evaluate-real.ts. The other kws architectures still ship their synthesised-speech models (below)
# until they are retrained the same way (`--data images`, resumable: --until-epoch / --resume).
if [ -d ../shared/data/speech-commands-v2 ]; then
  run_real() {
    local task=$1 arch=$2 epochs=$3
    shift 3
    local name="${task}-${arch}"
    echo "== ${name} (real speech, ${epochs} epochs)"
    npx tsx scripts/train.ts --data images --task "$task" --arch "$arch" --epochs "$epochs" --seed 1 --out "models/${name}.bee" "$@" >"out/${name}.log" 2>&1
    npx tsx scripts/evaluate.ts --data images --model "models/${name}.bee" >>"out/${name}.log" 2>&1
    node --import tsx --import ./scripts/wgsl-loader.mjs scripts/evaluate-real.ts --model "models/${name}.bee" >>"out/${name}.log" 2>&1
    tail -n 3 "out/${name}.log"
  }
  run_real kws reactnet 7 "${W[@]}" "$@"
  run_real digits reactnet 14 --shards 1 --threads 1 "${W[@]}" "$@"
else
  echo "no ../shared/data: kws-reactnet and digits train on synthesised speech"
  run kws reactnet "${KWS_REACTNET_EPOCHS:-13}" "${W[@]}" "$@"
  run digits reactnet 50 "${W[@]}" "$@"
fi
run kws birealnet 14 "${W[@]}" "$@"
run kws xnornet 15 "${W[@]}" "$@"
run kws binarynet 15 "${W[@]}" "$@"
run langid reactnet 64 "${W[@]}" "$@"
