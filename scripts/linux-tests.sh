#!/usr/bin/env bash
# The calibration suite against real Linux 6.1 running as user-mode Linux
# (tests/linux/README.md): boots UML once per pattern, runs the same pattern
# in the model, prints real against model and "N passed, N failed". Needs
# root to install user-mode-linux and busybox-static on first use; about
# six minutes. Arguments go to tests/linux/run.sh:
#   scripts/linux-tests.sh [--no-build] [--reuse-logs] [--logs DIR] [NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
exec tests/linux/run.sh "$@"
