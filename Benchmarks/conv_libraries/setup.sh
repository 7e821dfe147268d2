#!/bin/sh
# Installs oneDNN and OpenBLAS from Debian (if their headers are missing) and builds conv_bench
# into Benchmarks/conv_libraries/build/. Safe to run again.
set -e
here=$(cd "$(dirname "$0")" && pwd)
missing=""
[ -f /usr/include/oneapi/dnnl/dnnl.h ] || missing="$missing libdnnl-dev"
[ -n "$(ls /usr/include/*/cblas.h /usr/include/cblas.h 2>/dev/null | head -1)" ] && pkg-config --exists openblas 2>/dev/null \
    || missing="$missing libopenblas-dev"
command -v pkg-config >/dev/null || missing="$missing pkg-config"
command -v gcc >/dev/null || missing="$missing gcc"
if [ -n "$missing" ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing:$missing"
    $sudo apt-get update
    $sudo apt-get install -y $missing
fi
"$here/build.sh"
"$here/build/conv_bench" --info
