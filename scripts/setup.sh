#!/usr/bin/env bash
# Installs what Vigil needs on Debian 12 with the Swift toolchain on PATH:
# FFmpeg 5.1 and libjpeg dev packages from apt (and the ffmpeg CLI, which tests use as a
# cross-check). Idempotent: skips apt when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(pkg-config libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libjpeg-dev ffmpeg)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: the Swift toolchain is not on PATH" >&2; exit 1; }
