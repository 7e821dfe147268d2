#!/usr/bin/env bash
# Sets up (apt packages, registry models) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ -x scripts/fetch_models.sh ]; then scripts/fetch_models.sh; fi
swift build --build-tests
swift test --skip-build
