#!/usr/bin/env bash
# Installs everything beenet needs on a fresh Debian machine: the system packages (Chromium for the browser
# tests and its SwiftShader Vulkan driver, which Dawn uses for WebGPU without a GPU; the speech synthesisers
# and sox for the dataset generator) and the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(chromium libvulkan1 libegl-dev espeak-ng flite sox festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts
  festvox-italp16k festvox-ca-ona-hts festvox-suopuhe-lj festvox-czech-dita sonic-pi-samples)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
