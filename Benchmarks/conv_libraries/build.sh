#!/bin/sh
# Builds conv_bench into Benchmarks/conv_libraries/build/ (gitignored). Needs libdnnl-dev and
# libopenblas-dev (setup.sh installs them). Portable flags only: no -march=native.
set -e
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/build"
blas_flags=$(pkg-config --cflags --libs openblas 2>/dev/null || echo "-lopenblas")
gcc -O2 -march=x86-64-v3 -fopenmp -Wall -Wextra -Wno-unused-parameter -o "$here/build/conv_bench" \
    "$here/conv_bench.c" $blas_flags -ldnnl -lm
echo "built $here/build/conv_bench"
