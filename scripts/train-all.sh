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
# Real speakers (../shared/data, never committed): the four kws architectures on the Speech Commands spectrogram
# images (38,700 training clips; an epoch takes ~5 min here) and digits on the Speech Commands digit images plus
# four FSDD speakers with copies at random gains and speeds (15,151 clips, 32 epochs, 63 min); evaluated on the real test speakers by evaluate.ts --data images and
# scripts/evaluate-real.ts. Each model trains in stages: a first run, then runs from the previous one's best
# weights on a new schedule (run_stage: --init, a warm restart), at most ~150 min in all per model. Every run is
# resumable: --until-epoch N stops early, --resume out/<name>.ckpt.json continues bit for bit.
if [ -d ../shared/data/speech-commands-v2 ]; then
  evaluate_real() {
    local name=$1 seed=${2:-1}
    npx tsx scripts/evaluate.ts --data images --seed "$seed" --model "models/${name}.bee" --save-features "out/${name}.clips" >>"out/${name}.log" 2>&1
    node --import tsx --import ./scripts/wgsl-loader.mjs scripts/evaluate-real.ts --model "models/${name}.bee" >>"out/${name}.log" 2>&1
    # The WebGPU path against the CPU reference on the same clips (SwiftShader here: models/reports/<name>.gpu.json).
    VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-/usr/lib/chromium/vk_swiftshader_icd.json} NODEVICE_SELECT=1 \
      node --import tsx --import ./scripts/wgsl-loader.mjs scripts/check-gpu.ts --model "models/${name}.bee" --features "out/${name}.clips" >>"out/${name}.log" 2>&1
    tail -n 3 "out/${name}.log"
  }
  run_real() {
    local task=$1 arch=$2 epochs=$3
    shift 3
    local name="${task}-${arch}"
    echo "== ${name} (real speech, ${epochs} epochs)"
    npx tsx scripts/train.ts --data images --task "$task" --arch "$arch" --epochs "$epochs" --seed 1 --out "models/${name}.bee" "$@" >"out/${name}.log" 2>&1
    evaluate_real "$name"
  }
  # Stage k (k >= 2) from stage k-1's best weights: --init out/<name>-stage<k-1>.ckpt.json, seed k.
  run_stage() {
    local task=$1 arch=$2 stage=$3 epochs=$4 lr=$5
    shift 5
    local name="${task}-${arch}"
    local prev="out/${name}-stage$((stage - 1)).ckpt.json"
    echo "== ${name} (real speech, stage ${stage}: ${epochs} more epochs from stage $((stage - 1))'s best weights)"
    cp "out/${name}.ckpt.json" "$prev"
    npx tsx scripts/train.ts --data images --task "$task" --arch "$arch" --epochs "$epochs" --lr "$lr" --seed "$stage" --init "$prev" --out "models/${name}.bee" "$@" >"out/${name}.log" 2>&1
    evaluate_real "$name" "$stage"
  }
  # Early-exit heads refit on the frozen network (docs/training.md, "Exit heads refit"), then recalibrated.
  refit_real() {
    local name=$1 cells=$2 seed=$3
    echo "== ${name} (early exits refit: ${cells})"
    npx tsx scripts/refit-exits.ts --model "models/${name}.bee" --cells "$cells" >>"out/${name}.log" 2>&1
    evaluate_real "$name" "$seed"
  }
  run_real kws reactnet 7 "${W[@]}" "$@"
  run_stage kws reactnet 2 8 1.5e-3 "${W[@]}" "$@"
  refit_real kws-reactnet 3x2,gap,gap 2
  # digits: one run, the FSDD training voices also at random gains (the held-out speakers are 4-9x quieter) and
  # speeds (more voices from four).
  run_real digits reactnet 32 --fsdd-gain-copies 4 --fsdd-speed 0.12 "${W[@]}" "$@"
  refit_real digits-reactnet 3x2,gap,gap 1
  run_real kws birealnet 16 "${W[@]}" "$@"
  refit_real kws-birealnet 3x2,gap,gap 1
  run_real kws xnornet 6 "${W[@]}" "$@"
  run_stage kws xnornet 2 6 1.5e-3 "${W[@]}" "$@"
  run_stage kws xnornet 3 4 1.2e-3 "${W[@]}" "$@"
  refit_real kws-xnornet 3x2,gap,gap 3
  run_real kws binarynet 5 "${W[@]}" "$@"
  run_stage kws binarynet 2 5 1.5e-3 "${W[@]}" "$@"
  run_stage kws binarynet 3 7 1.2e-3 "${W[@]}" "$@"
else
  echo "no ../shared/data: the kws models and digits train on synthesised speech"
  run kws reactnet "${KWS_REACTNET_EPOCHS:-13}" "${W[@]}" "$@"
  run digits reactnet 50 "${W[@]}" "$@"
  run kws birealnet 14 "${W[@]}" "$@"
  run kws xnornet 15 "${W[@]}" "$@"
  run kws binarynet 15 "${W[@]}" "$@"
fi
run langid reactnet 64 "${W[@]}" "$@"
