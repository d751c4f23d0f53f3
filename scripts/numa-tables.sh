#!/usr/bin/env bash
# shellcheck disable=SC2016 # backquotes are Markdown, not expansions
# The NUMA tables of README.md and docs/driver.md, from the current build:
#   scripts/numa-tables.sh [XBALLOON]     (default build/default/xballoon)
# 1. scenarios/numa-shrink.yaml: each vnode's locality at the end and the
#    populate calls, per policy, with its default numa_exact, on and off.
# 2. scenarios/numa-split.yaml: each policy under each numa_split rule.
# Runs are deterministic: the tables are the same on every machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/default/xballoon}
[ -x "$bin" ] || {
	echo "numa-tables: $bin: no such program (build first)" >&2
	exit 1
}
scripts/deps.sh jq
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# "0.660 / 0.785": each vnode's locality.
loc='[.guest.vnodes[].locality | . * 1000 | round / 1000 |
      tostring | if test("\\.") then . else . + ".0" end] | join(" / ")'

echo "numa-shrink: vnode locality at the end (populate calls)"
echo
echo '| policy | default | `numa_exact=on` | `numa_exact=off` |'
echo '| --- | --- | --- | --- |'
for p in linux huge-first vmw; do
	row="| \`$p\` |"
	for k in "" numa_exact=on numa_exact=off; do
		"$bin" run scenarios/numa-shrink.yaml --policy "$p" \
			${k:+--knobs "$k"} --json >"$tmp/r.json"
		row+=" $(jq -r "($loc) + \" (\" + \
			(.hypercalls.populate_physmap.calls | tostring) + \")\"" \
			"$tmp/r.json") |"
	done
	echo "$row"
done

echo
echo "numa-split: the 2 GiB target (10 s to 30 s) under each split rule"
echo
echo '| policy | `numa_split` | populated at 29 s | reached at | pgsteal | compact_stall | balloon migrated | Fu(9) end | locality at the end |'
echo '| --- | --- | --- | --- | --- | --- | --- | --- | --- |'
for p in huge-first linux; do
	for k in size free local; do
		d=$tmp/$p-$k
		"$bin" run scenarios/numa-split.yaml --policy "$p" \
			--knobs "numa_split=$k" --out "$d" >/dev/null
		pop=$(awk -F, 'NR > 1 && $1 == 29 { print $2 }' "$d/series.csv")
		at=$(awk -F, 'NR > 1 && $1 >= 10 && $1 < 30 && $2 == $3 {
			print $1 + 0 " s"; exit }' "$d/series.csv")
		jq -r --arg p "$p" --arg k "$k" --arg pop "$pop" \
			--arg at "${at:-not reached}" \
			"\"| \`\\(\$p)\` | \`\\(\$k)\` | \\(\$pop) | \\(\$at) | \" +
			 \"\\(.vmstat.pgsteal_kswapd + .vmstat.pgsteal_direct) | \" +
			 \"\\(.vmstat.compact_stall) | \\(.balloon.migrated) | \" +
			 \"\\(.guest.fu9 * 1000 | round / 1000) | \" + ($loc) + \" |\"" \
			"$d/report.json"
	done
done
