# Shell helpers of the harnesses tests/*/run.sh: messages prefixed with the
# harness's name, and the exit statuses they share. Set harness=NAME and
# usage_lines=FROM,TO (the lines of the script's header that show its
# usage), then source this file.
# shellcheck shell=bash disable=SC2154

say() { echo "$harness: $*" >&2; }
# The harness itself cannot run (bad usage, a missing package): exit 2.
die() {
	say "error: $*"
	exit 2
}
# Neither a pass nor a failure: exit 77 (ctest's SKIP_RETURN_CODE), loud.
skip() {
	echo
	echo "SKIPPED: $*"
	echo
	exit 77
}
usage() {
	sed -n "${usage_lines}p" "$0" | sed 's/^# \{0,1\}//' >&2
	exit "${1:-2}"
}
