#!/bin/sh
# Turn a man page written in Markdown (docs/NAME.SECTION.md) into roff, at
# build time. It knows the little Markdown those pages use: "# SECTION"
# headings, paragraphs, ``` blocks, definition lists (a term line, then its
# text on lines starting ": " and indented by two), inline `code` (bold)
# and *text* (italic). Anything it cannot place is an error, not a guess.
#   scripts/md2man.sh IN.md OUT VERSION
set -eu
in=$1 out=$2 version=$3
page=$(basename "$in" .md)
awk -v title="${page%.*}" -v section="${page##*.}" -v version="$version" \
	-v file="$in" '
function die(msg) {
	printf "%s:%d: error: %s\n", file, NR, msg > "/dev/stderr"
	failed = 1
	exit 1
}
# Roff escapes: backslashes first, and a line must not start with a
# control character.
function lead(s) { return s ~ /^[.\047]/ ? "\\&" s : s }
function code_text(s) { gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s); return s }
function inline(s,   parts, n, i, r, t) {
	gsub(/\\/, "\\e", s)
	n = split(s, parts, "`")
	if (n % 2 == 0)
		die("unmatched ` (a code span must stay on one line)")
	r = ""
	for (i = 1; i <= n; i++) {
		t = parts[i]
		if (i % 2 == 0) {
			gsub(/-/, "\\-", t)
			r = r "\\fB" t "\\fR"
			continue
		}
		while (match(t, /\*[^*]+\*/))
			t = substr(t, 1, RSTART - 1) "\\fI" \
			    substr(t, RSTART + 1, RLENGTH - 2) "\\fR" \
			    substr(t, RSTART + RLENGTH)
		if (sect == "NAME")
			sub(/ - /, " \\- ", t)
		r = r t
	}
	return r
}
# A paragraph is flushed whole: a definition if its second line starts
# with ": ", else plain text.
function flush(   i, l) {
	if (!np)
		return
	if (np > 1 && para[2] ~ /^: /) {
		print ".TP"
		print lead(inline(para[1]))
		for (i = 2; i <= np; i++) {
			l = para[i]
			if (i == 2)
				sub(/^: /, "", l)
			else if (l !~ /^  [^ ]/)
				die("a definition continues on lines indented by two")
			else
				sub(/^  /, "", l)
			print lead(inline(l))
		}
	} else {
		print ".PP"
		for (i = 1; i <= np; i++)
			print lead(inline(para[i]))
	}
	np = 0
}
BEGIN {
	printf ".TH %s %s \"\" \"%s %s\" \"User Commands\"\n", toupper(title),
	    section, title, version
}
/^```/ {
	flush()
	if (incode) {
		print ".fi"
		print ".RE"
	} else {
		print ".PP"
		print ".RS 4"
		print ".nf"
	}
	incode = !incode
	next
}
incode { print lead(code_text($0)); next }
/^# / {
	flush()
	sect = substr($0, 3)
	print ".SH " sect
	next
}
/^#/ { die("only \"# SECTION\" headings") }
/^[ \t]*$/ { flush(); next }
{ para[++np] = $0 }
END {
	if (failed)
		exit 1
	if (incode)
		die("``` block not closed")
	flush()
}
' "$in" >"$out.tmp" || {
	rm -f "$out.tmp"
	exit 1
}
mv "$out.tmp" "$out"
