#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, run the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh default >/dev/null
exec build/default/xballoon compare scenarios/fragmented-shrink.yaml --policies linux,huge-first "$@"
