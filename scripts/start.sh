#!/usr/bin/env bash
# The main job: build, classify bundled clips with the CLI, then serve the demo page (static build) locally.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
npm run build

model="models/${BEENET_MODEL:-kws-reactnet}.bee"
echo
echo "== beenet info $model"
node bin/beenet.js info "$model"
echo
echo "== beenet classify (bundled clips, calibrated thresholds)"
node bin/beenet.js classify "$model" models/clips/kws/yes.wav models/clips/kws/stop.wav models/clips/kws/_silence_.wav
echo
echo "== demo page: http://localhost:4173/  (Ctrl-C to stop)"
exec npx vite preview --mode demo --host localhost --port 4173 --strictPort
