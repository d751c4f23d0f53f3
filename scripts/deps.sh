#!/usr/bin/env bash
# Install the Debian 12 packages xballoon needs to build and test, if any is
# missing; with arguments, those packages instead (a harness's own, e.g.
# tests/cluster/run.sh's Slurm). Needs root (apt-get) only when something
# must be installed.
#   scripts/deps.sh [PACKAGE...]
set -euo pipefail

packages=(
	build-essential cmake ninja-build pkg-config
	libglib2.0-dev libyaml-dev libcriterion-dev libcairo2-dev
	libjson-glib-dev
	libxen-dev
)
[ $# -eq 0 ] || packages=("$@")

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "xballoon: missing packages: ${missing[*]}" >&2
	echo "xballoon: run as root, or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "xballoon: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
