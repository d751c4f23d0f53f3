#!/usr/bin/env bash
# The real-kernel balloon instrument (tests/vm/README.md): Debian's Linux
# 6.1 in QEMU (TCG, or KVM where /dev/kvm exists) with the xbvm module
# making a balloon driver's guest-side allocations; one boot per pattern,
# build/vm/NAME.json per run, checks of what must hold on real Linux, and
# "N passed, N failed". Needs root to install QEMU, the kernel, its headers
# and busybox-static on first use; about five minutes under TCG. Arguments
# go to tests/vm/run.sh:
#   scripts/vm-tests.sh [--no-build] [--reuse-logs] [--logs DIR] [NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
exec tests/vm/run.sh "$@"
