#!/usr/bin/env bash
# The tests on real Xen: boot Xen 4.17 + a Linux dom0 in QEMU (TCG) and run
# tests/xen/plan in dom0 (tests/xen/README.md). Needs root to install the
# packages on first use; a few minutes. Arguments go to tests/xen/run.sh:
#   scripts/xen-tests.sh [--timeout SECS] [--keep] [--log FILE] [--plan FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
exec tests/xen/run.sh "$@"
