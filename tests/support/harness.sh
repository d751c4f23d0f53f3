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

# The boot harnesses' command line (tests/linux, tests/vm):
#   [--no-build] [--reuse-logs] [--logs DIR] [NAME...]
# sets build=0, boot=0, logs and names (the caller sets the defaults).
parse_boot_args() {
	while [ $# -gt 0 ]; do
		case "$1" in
		--no-build) build=0; shift ;;
		--reuse-logs) boot=0; shift ;;
		--logs) logs=$2; shift 2 ;;
		-h | --help) usage 0 ;;
		-*) say "unknown argument: $1"; usage 2 ;;
		*) names+=("$1"); shift ;;
		esac
	done
}

# The patterns of LIST (the first word of every line but blanks and
# comments) as all_names; names defaults to all of them, and every name
# asked for must be one.
select_patterns() {
	local list=$1 n
	all_names=()
	while read -r n _; do
		case "$n" in '' | '#'*) continue ;; esac
		all_names+=("$n")
	done <"$list"
	[ ${#names[@]} -eq 0 ] && names=("${all_names[@]}")
	for n in "${names[@]}"; do
		printf '%s\n' "${all_names[@]}" | grep -qx -- "$n" ||
			die "no pattern $n in $list"
	done
}

# Install the Debian packages among PACKAGE... that are not installed yet
# (root, apt-get update first); a harness that cannot is skipped, loudly.
install_packages() {
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] ||
		skip "missing packages ${missing[*]} and not root to install them (sudo apt-get install ${missing[*]})"
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null 2>&1 || skip "apt-get update failed"
	apt-get install -o DPkg::Lock::Timeout=600 -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null 2>&1 || skip "apt-get install ${missing[*]} failed"
}
