#!/usr/bin/env bash
# Regenerate scenarios/NAME.expected.json from the current build. Run it
# only after a deliberate change of behaviour, and say why in the commit.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${XB_BIN:-build/default/xballoon}
for y in scenarios/*.yaml; do
	n=$(basename "$y" .yaml)
	"$bin" run "$y" --check full --json |
		sed -E 's/"wall_time_s": [0-9.]+/"wall_time_s": 0.000/' \
			>"scenarios/$n.expected.json.tmp"
	mv "scenarios/$n.expected.json.tmp" "scenarios/$n.expected.json"
	echo "$n" >&2
done
