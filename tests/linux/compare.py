#!/usr/bin/env python3
"""Real Linux 6.1 (UML) against the model: one line per comparison.

    compare.py --xballoon BIN --logs DIR [--scenarios DIR] [--patterns FILE]
               [--model-out DIR] [NAME...]

For each pattern of tests/linux/patterns.list (or the NAMEs given) it reads
the UML console log DIR/NAME.log ("XB key value" lines, see
patterns/xbpat.h), runs the model on tests/linux/scenarios/NAME.yaml twice
(the whole scenario: "after"; and the scenario cut at its
"# xb:before: TIME" comment: "before") with --json --policy linux, and
prints

    pattern figure real model tolerance verdict

Verdicts PASS and FAIL are counted; "info" lines are context and are not.
The last line is "N passed, N failed"; the exit status is 1 when anything
failed (a missing log or model figure is a failure, never a pass).
tests/linux/README.md explains every figure.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ORDERS = 11

# The model's report names its compaction counters after the fields of its
# compaction stats; Linux /proc/vmstat names them differently. Used only
# while the report has no "vmstat" object.
COMPACTION_FALLBACK = {
    "compact_migrate_scanned": "migrate_scanned",
    "compact_free_scanned": "free_scanned",
    "compact_isolated": "isolated",
    "pgmigrate_success": "migrated",
    "pgmigrate_fail": "failed",
    "compact_stall": "stall",
    "compact_success": "success",
    "compact_fail": "fail",
}


class Missing(Exception):
    """A figure one side cannot give; the comparison fails with the text."""


# ---- the real side ---------------------------------------------------------


def read_log(path):
    """The XB key/value pairs of a console log (the last value of a key)."""
    xb = {}
    with open(path, errors="replace") as f:
        for line in f:
            # A kernel message may share the line: the marker counts
            # wherever it starts.
            i = line.find("XB ")
            if i < 0:
                continue
            parts = line[i:].rstrip("\n").split(" ", 2)
            if len(parts) == 3:
                xb[parts[1]] = parts[2]
    return xb


def real_int(xb, key):
    if key not in xb:
        raise Missing("UML log has no %s" % key)
    return int(xb[key])


def real_buddy(xb, phase):
    return [real_int(xb, "%s.buddy.%d" % (phase, o)) for o in range(ORDERS)]


def real_delta(xb, name):
    return real_int(xb, "after.vm." + name) - real_int(xb, "before.vm." + name)


# ---- the model side --------------------------------------------------------


def parse_time_ns(text):
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)(ms|s|min)\s*", text)
    if not m:
        raise ValueError("not a time: %r" % text)
    scale = {"ms": 10**6, "s": 10**9, "min": 60 * 10**9}[m.group(2)]
    return round(float(m.group(1)) * scale)


def before_variant(text):
    """The scenario cut at its '# xb:before: TIME': duration TIME, and the
    timeline events (one flow mapping a line) after TIME dropped. The run
    up to TIME is the same as the whole scenario's (one seed, one event
    order), so its counters are the whole run's at TIME."""
    m = re.search(r"^# xb:before:\s*(\S+)\s*$", text, re.M)
    if not m:
        raise Missing("scenario has no '# xb:before: TIME' line")
    cut_text = m.group(1)
    cut = parse_time_ns(cut_text)
    out = []
    for line in text.splitlines():
        if re.match(r"^duration:", line):
            line = "duration: " + cut_text
        ev = re.match(r"^\s*-\s*\{\s*at:\s*([^,}]+)", line)
        if ev and parse_time_ns(ev.group(1)) > cut:
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def scenario_path(scenarios, name):
    """NAME.yaml, or for a family of boots NAME = FAMILY.MEMBER (the size
    sweep's sweep.2010M) the family's FAMILY.yaml."""
    own = os.path.join(scenarios, name + ".yaml")
    if os.path.exists(own) or "." not in name:
        return own
    return os.path.join(scenarios, name.split(".", 1)[0] + ".yaml")


def from_boot(text, xb):
    """The scenario with every line marked '# xb:from-boot: WHAT' set from
    the boot's own snapshots: `managed` (guest.memory: start.zone.managed
    pages) and `pagetables` (the size of that line's workload: before -
    start nr_page_table_pages). These describe the boot, as guest.memory
    does in the other scenarios; none is a result the comparison checks."""
    def value(what):
        if what == "managed":
            return 4 * real_int(xb, "start.zone.managed")
        if what == "pagetables":
            return 4 * (real_int(xb, "before.vm.nr_page_table_pages")
                        - real_int(xb, "start.vm.nr_page_table_pages"))
        raise Missing("unknown '# xb:from-boot: %s'" % what)

    out = []
    for line in text.splitlines():
        m = re.search(r"#\s*xb:from-boot:\s*(\S+)\s*$", line)
        if m:
            kib = "%dKiB" % value(m.group(1))
            line, n = re.subn(r"((?:memory|size):\s*)\d+[KMG]iB", r"\g<1>" + kib, line, count=1)
            if n != 1:
                raise Missing("no memory: or size: to set on %r" % line)
        out.append(line)
    return "\n".join(out) + "\n"


def run_model(xballoon, scenario_path, text, out_path):
    """xballoon run --json --policy linux on `text` (written next to
    out_path, so error messages name a file that exists)."""
    yaml_path = out_path[: -len(".json")] + ".yaml"
    with open(yaml_path, "w") as f:
        f.write(text)
    r = subprocess.run(
        [xballoon, "run", yaml_path, "--json", "--policy", "linux"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if r.returncode != 0:
        raise Missing(
            "model run of %s failed (status %d): %s"
            % (scenario_path, r.returncode, r.stderr.strip()[:200])
        )
    with open(out_path, "w") as f:
        f.write(r.stdout)
    return json.loads(r.stdout)


def model_counter(report, name):
    """vmstat.NAME when the report has a vmstat object, else the
    compaction object's field for it, else Missing."""
    vm = report.get("vmstat")
    if isinstance(vm, dict):
        if name not in vm:
            raise Missing("model vmstat has no %s" % name)
        return int(vm[name])
    field = COMPACTION_FALLBACK.get(name)
    if field is None or field not in report.get("compaction", {}):
        raise Missing("model lacks vmstat")
    return int(report["compaction"][field])


def model_buddy(report):
    return [int(n) for n in report["guest"]["buddyinfo"]]


# ---- figures -----------------------------------------------------------------


def fu(buddy, order):
    """Fu(j) = 1 - (free pages in blocks of order >= j) / free pages."""
    free = sum(n << o for o, n in enumerate(buddy))
    if free == 0:
        return 0.0
    return 1.0 - sum(n << o for o, n in enumerate(buddy) if o >= order) / free


def blocks_2m(buddy):
    """Free 2 MiB blocks: order-9 blocks plus two per order-10 block."""
    return sum(n << (o - 9) for o, n in enumerate(buddy) if o >= 9)


def sum_workloads(text, prefix):
    """Frames of the timeline's workloads whose name starts with prefix."""
    units = {"B": 1, "KiB": 1 << 10, "K": 1 << 10, "MiB": 1 << 20,
             "M": 1 << 20, "GiB": 1 << 30, "G": 1 << 30}
    total = 0
    for m in re.finditer(
        r"name:\s*(%s[\w-]*)\s*,.*?size:\s*([0-9]+)([A-Za-z]+)" % re.escape(prefix),
        text,
    ):
        total += int(m.group(2)) * units[m.group(3)] // 4096
    return total


# ---- the table -------------------------------------------------------------


def read_known_gaps(path):
    """(pattern, figure) -> reason, from tests/linux/known-gaps."""
    gaps = {}
    if not os.path.exists(path):
        return gaps
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            w = line.split("|")
            if len(w) != 3:
                sys.exit("compare.py: %s: bad line %r" % (path, line))
            gaps[(w[0].strip(), w[1].strip())] = w[2].strip()
    return gaps


class Table:
    def __init__(self, gaps=None):
        self.passed = self.failed = self.xfailed = self.xpassed = 0
        self.gaps = gaps or {}
        self.seen_gaps = set()
        print(
            "%-10s %-30s %12s %12s  %-12s %s"
            % ("pattern", "figure", "real", "model", "tolerance", "verdict")
        )

    @staticmethod
    def fmt(v):
        if v is None:
            return "-"
        if isinstance(v, float):
            return "%.3f" % v
        return str(v)

    def line(self, pattern, figure, real, model, tol, verdict, note="",
             missing=False):
        gap = self.gaps.get((pattern, figure))
        if gap is not None and missing:
            # A figure one side could not give is a failure even where a
            # gap is known: the gap is about values, not about data.
            self.seen_gaps.add((pattern, figure))
        elif gap is not None:
            self.seen_gaps.add((pattern, figure))
            # A known gap of the model (tests/linux/known-gaps): its
            # failure is expected and shown as XFAIL. A pass is shown as
            # XPASS and counted apart: real figures vary from boot to boot,
            # and a gap at the edge of its tolerance passes now and then;
            # one that passes every run is to be removed from the list.
            if verdict == "FAIL":
                verdict = "XFAIL"
                note = (note + "; " if note else "") + "known gap: " + gap
            elif verdict == "PASS":
                verdict = "XPASS"
                note = (note + "; " if note else "") + \
                    "a known gap that passed: remove it once it always does"
        if verdict == "PASS":
            self.passed += 1
        elif verdict == "FAIL":
            self.failed += 1
        elif verdict == "XFAIL":
            self.xfailed += 1
        elif verdict == "XPASS":
            self.xpassed += 1
        print(
            "%-10s %-30s %12s %12s  %-12s %s%s"
            % (pattern, figure, self.fmt(real), self.fmt(model), tol, verdict,
               "  (" + note + ")" if note else "")
        )

    def fail(self, pattern, figure, why):
        self.line(pattern, figure, None, None, "-", "FAIL", why, missing=True)

    def check(self, pattern, figure, get_real, get_model, kind, tol, info=False):
        """kind: 'abs' (|m-r| <= tol), 'rel' (|m-r| <= tol*|r|), 'factor'
        (r/tol <= m <= r*tol)."""
        try:
            real = get_real()
        except Missing as e:
            return self.fail(pattern, figure, str(e))
        try:
            model = get_model()
        except Missing as e:
            return self.line(pattern, figure, real, None, "-",
                             "info" if info else "FAIL", str(e),
                             missing=not info)
        if kind == "abs":
            ok = abs(model - real) <= tol + 1e-12
            tol_text = "±%.2f" % tol
            note = "%+.3f" % (model - real)
        elif kind == "rel":
            ok = abs(model - real) <= tol * abs(real)
            tol_text = "±%d%%" % round(tol * 100)
            note = ("%+.1f%%" % (100.0 * (model - real) / real)) if real else "real 0"
        else:
            ok = real / tol <= model <= real * tol if real > 0 else model == 0
            tol_text = "×%g" % tol
            note = ("×%.2f" % (model / real)) if real else "real 0"
        if info:
            return self.line(pattern, figure, real, model, "-", "info", note)
        self.line(pattern, figure, real, model, tol_text,
                  "PASS" if ok else "FAIL", note)


# ---- one pattern -----------------------------------------------------------


def compare_pattern(t, name, checks, args):
    log = os.path.join(args.logs, name + ".log")
    scen = scenario_path(args.scenarios, name)
    if not os.path.exists(log):
        return t.fail(name, "boot", "no UML log %s" % log)
    xb = read_log(log)
    if "error" in xb:
        return t.fail(name, "boot", "pattern error: " + xb["error"])
    if "done" not in xb:
        return t.fail(name, "boot", "the pattern did not finish (see %s)" % log)
    try:
        with open(scen) as f:
            text = from_boot(f.read(), xb)
    except OSError as e:
        return t.fail(name, "scenario", str(e))
    except Missing as e:
        return t.fail(name, "scenario", str(e))
    os.makedirs(args.model_out, exist_ok=True)
    try:
        after = run_model(args.xballoon, scen, text,
                          os.path.join(args.model_out, name + ".after.json"))
        before = run_model(args.xballoon, scen, before_variant(text),
                           os.path.join(args.model_out, name + ".before.json"))
    except Missing as e:
        return t.fail(name, "model", str(e))

    # Set-up: the scenario must describe this boot.
    t.check(name, "managed pages", lambda: real_int(xb, "start.zone.managed"),
            lambda: int(after["guest"]["pages"]), "rel", 0.005)
    t.check(name, "kernel pages at start",
            lambda: real_int(xb, "start.zone.managed")
            - real_int(xb, "start.vm.nr_free_pages"),
            lambda: sum_workloads(text, "boot-"), "rel", 0, info=True)

    rb = lambda: real_buddy(xb, "before")
    ra = lambda: real_buddy(xb, "after")
    mb = lambda: model_buddy(before)
    ma = lambda: model_buddy(after)

    def model_delta(counter):
        return lambda: model_counter(after, counter) - model_counter(before, counter)

    if checks in ("compaction", "proactive"):
        t.check(name, "Fu(9) before", lambda: fu(rb(), 9), lambda: fu(mb(), 9), "abs", 0.05)
        t.check(name, "Fu(9) after", lambda: fu(ra(), 9), lambda: fu(ma(), 9), "abs", 0.05)
        t.check(name, "Fu(10) before", lambda: fu(rb(), 10), lambda: fu(mb(), 10), "abs", 0.05, info=True)
        t.check(name, "Fu(10) after", lambda: fu(ra(), 10), lambda: fu(ma(), 10), "abs", 0.05, info=True)
        t.check(name, "free 2MiB blocks before", lambda: blocks_2m(rb()),
                lambda: blocks_2m(mb()), "rel", 0.10, info=True)
        t.check(name, "free 2MiB blocks after", lambda: blocks_2m(ra()),
                lambda: blocks_2m(ma()), "rel", 0.10)
        t.check(name, "pgmigrate_success", lambda: real_delta(xb, "pgmigrate_success"),
                model_delta("pgmigrate_success"), "rel", 0.15)

        # Scan counts without UML's reserved pages (README.md, "The reserved
        # pages"). A whole-zone run starts its migrate scanner at the zone's
        # first pfn; it counts each PG_reserved page of the bottom gap as one
        # scanned page (no stride), so the gap comes off in full. The free
        # scanner starts at the zone's last pageblock, where UML's memblock
        # allocations (memmap, hash tables: present - managed - the bottom
        # gap, invisible to kpageflags since UML's max_pfn is
        # totalram_pages()) fill the top pageblocks. isolate_freepages()
        # doubles its stride (1, 2, 4 ... 32) after each pageblock that
        # yields no free page, so those count 1024 + 512 + 256 + ... pages,
        # not all of them.
        def runs():
            if checks == "compaction":
                return 1  # one write of compact_memory: one compact_zone()
            # kcompactd: one proactive run per 500 ms wake at most; count
            # the one-second intervals in which the migrate scanner moved.
            prev, n, s = real_int(xb, "before.vm.compact_migrate_scanned"), 0, 1
            while "wait.%d.compact_migrate_scanned" % s in xb:
                cur = real_int(xb, "wait.%d.compact_migrate_scanned" % s)
                n += cur != prev
                prev, s = cur, s + 1
            return max(n, 1)

        def bottom():
            if real_int(xb, "before.kpf.reserved") != real_int(xb, "before.kpf.reserved_bottom"):
                raise Missing("reserved pages outside the bottom gap")
            return real_int(xb, "before.kpf.reserved_bottom")

        def top():
            return (real_int(xb, "before.zone.present") - real_int(xb, "before.zone.managed")
                    - real_int(xb, "before.kpf.reserved"))

        def top_counted():
            pb = 1 << real_int(xb, "before.pageblock_order")
            full, part = divmod(top(), pb)
            stride = min(1 << full, 32)
            return (sum(-(-pb // min(1 << k, 32)) for k in range(full))
                    + -(-part // stride))

        def migrate_scanned():
            return real_delta(xb, "compact_migrate_scanned") - runs() * bottom()

        def free_scanned():
            return real_delta(xb, "compact_free_scanned") - runs() * top_counted()

        t.line(name, "reserved pages bottom/top", None, None, "-", "info",
               "%s / %s; scans less %s / %s, x%s run(s)"
               % (xb.get("before.kpf.reserved_bottom"), _try(top),
                  xb.get("before.kpf.reserved_bottom"), _try(top_counted), _try(runs)))
        t.check(name, "compact_migrate_scanned", migrate_scanned,
                model_delta("compact_migrate_scanned"), "rel", 0.25)
        t.check(name, "compact_free_scanned", free_scanned,
                model_delta("compact_free_scanned"), "rel", 0.25)
        t.check(name, "compact_isolated", lambda: real_delta(xb, "compact_isolated"),
                model_delta("compact_isolated"), "rel", 0.15, info=True)
    elif checks == "reclaim":
        t.check(name, "pgscan_kswapd", lambda: real_delta(xb, "pgscan_kswapd"),
                model_delta("pgscan_kswapd"), "factor", 2.0)
        t.check(name, "pgsteal_kswapd", lambda: real_delta(xb, "pgsteal_kswapd"),
                model_delta("pgsteal_kswapd"), "factor", 2.0)
        for c in ("pgscan_direct", "pgsteal_direct"):
            t.check(name, c, lambda c=c: real_delta(xb, c), model_delta(c),
                    "factor", 2.0, info=True)
        t.check(name, "allocstall",
                lambda: real_delta(xb, "allocstall_normal") + real_delta(xb, "allocstall_movable"),
                model_delta("allocstall"), "factor", 2.0, info=True)
        t.check(name, "free pages after", lambda: real_int(xb, "after.zone.free"),
                lambda: int(after["guest"]["free"]), "rel", 0.10, info=True)
        t.check(name, "Fu(9) after", lambda: fu(ra(), 9), lambda: fu(ma(), 9), "abs", 0.05, info=True)
    else:
        t.fail(name, "checks", "unknown CHECKS %r in patterns.list" % checks)


def _try(f):
    try:
        return f()
    except Missing:
        return "?"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--xballoon", required=True)
    ap.add_argument("--logs", required=True)
    ap.add_argument("--scenarios", default=os.path.join(here, "scenarios"))
    ap.add_argument("--patterns", default=os.path.join(here, "patterns.list"))
    ap.add_argument("--model-out", default=None)
    ap.add_argument("--known-gaps", default=os.path.join(here, "known-gaps"))
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    if args.model_out is None:
        args.model_out = tempfile.mkdtemp(prefix="xb-linux-model-")

    patterns = []
    with open(args.patterns) as f:
        for line in f:
            w = line.split()
            if w and not w[0].startswith("#"):
                patterns.append((w[0], w[3]))
    if args.names:
        known = {n for n, _ in patterns}
        for n in args.names:
            if n not in known:
                sys.exit("compare.py: no pattern %s in %s" % (n, args.patterns))
        patterns = [p for p in patterns if p[0] in args.names]

    t = Table(read_known_gaps(args.known_gaps))
    for name, checks in patterns:
        compare_pattern(t, name, checks, args)
    names = {n for n, _ in patterns}
    for (pattern, figure) in sorted(set(t.gaps) - t.seen_gaps):
        if pattern in names:
            t.fail(pattern, figure, "listed in known-gaps but not compared")
    if t.xfailed or t.xpassed:
        print("known gaps (tests/linux/known-gaps): %d failed as expected "
              "(XFAIL), %d passed (XPASS)" % (t.xfailed, t.xpassed))
    print("%d passed, %d failed" % (t.passed, t.failed))
    sys.exit(1 if t.failed else 0)


if __name__ == "__main__":
    main()
