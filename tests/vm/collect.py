#!/usr/bin/env python3
"""Parse the console logs of tests/vm (tests/vm/README.md) into one JSON per
run, build/vm/NAME.json, and check what must hold on real Linux.

    tests/vm/collect.py [--logs DIR] [--out DIR] [NAME...]

Each check prints one line, PASS or FAIL; a table of the real figures per
step follows; the last line is "N passed, N failed". Exit status 0 if every
check passed, 1 otherwise, 2 on bad usage.
"""
import argparse
import json
import os
import sys

HUGE = 512
EIGHTHS = 8
# taint bits that loading an unsigned out-of-tree module sets:
# TAINT_OOT_MODULE (O, 4096) and TAINT_UNSIGNED_MODULE (E, 8192)
TAINT_MODULE = 4096 | 8192
# The /proc/vmstat counters of the step table and the JSON's "vm" deltas.
VM_KEYS = [
    "compact_stall", "compact_success", "compact_fail",
    "compact_migrate_scanned", "compact_free_scanned", "compact_isolated",
    "compact_daemon_wake", "compact_daemon_migrate_scanned",
    "compact_daemon_free_scanned", "pgmigrate_success", "pgmigrate_fail",
    "allocstall_dma", "allocstall_dma32", "allocstall_normal",
    "allocstall_movable", "pgscan_kswapd", "pgscan_direct", "pgsteal_kswapd",
    "pgsteal_direct", "pageoutrun", "kswapd_low_wmark_hit_quickly",
    "kswapd_high_wmark_hit_quickly", "thp_fault_alloc", "thp_fault_fallback",
    "thp_collapse_alloc", "thp_split_page", "thp_split_pmd",
    "balloon_inflate", "balloon_deflate", "balloon_migrate",
    "nr_free_pages", "nr_file_pages", "nr_anon_pages",
    "nr_anon_transparent_hugepages", "nr_slab_reclaimable_b",
    "nr_slab_unreclaimable_b",
]
ZINFO = ["start_pfn", "spanned", "present", "managed", "free", "min", "low",
         "high"]


def parse(path):
    """The `XB key value` lines of a log, in order (a kernel message may
    share a line with one: the key starts at "XB " anywhere)."""
    kv = {}
    errors = []
    with open(path, errors="replace") as f:
        for line in f:
            i = line.find("XB ")
            if i < 0:
                continue
            parts = line[i:].rstrip("\n").split(None, 2)
            if len(parts) == 2:  # "XB done"
                parts.append("")
            if len(parts) < 3:
                continue
            if parts[1] == "error":
                errors.append(parts[2])
            kv[parts[1]] = parts[2]
    return kv, errors


def num(kv, key, default=None):
    v = kv.get(key)
    if v is None:
        return default
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            return default


def zones_of(kv, phase):
    zones = []
    for k in kv:
        pre = phase + ".zinfo."
        if k.startswith(pre):
            z = k[len(pre):].rsplit(".", 1)[0]
            if z not in zones:
                zones.append(z)
    return zones


def zone_state(kv, phase):
    out = {}
    for z in zones_of(kv, phase):
        present = num(kv, f"{phase}.zinfo.{z}.present", 0)
        if not present:
            continue
        zs = {f: num(kv, f"{phase}.zinfo.{z}.{f}") for f in ZINFO}
        zs["buddy"] = [num(kv, f"{phase}.zbuddy.{z}.{o}", 0)
                       for o in range(11)]
        zs["blocks"] = {}
        zs["free_by_type"] = {}
        pb = f"{phase}.zblocks.{z}."
        pf = f"{phase}.zfree.{z}."
        for k, v in kv.items():
            if k.startswith(pb):
                zs["blocks"][k[len(pb):]] = int(v)
            elif k.startswith(pf):
                t, o = k[len(pf):].rsplit(".", 1)
                zs["free_by_type"].setdefault(t, [0] * 11)[int(o)] = int(v)
        out[z] = zs
    return out


def vm_delta(kv, a, b, all_keys=False):
    d = {}
    keys = VM_KEYS
    if all_keys:
        keys = [k[len(a) + 4:] for k in kv if k.startswith(a + ".vm.")]
    for k in keys:
        x, y = num(kv, f"{a}.vm.{k}"), num(kv, f"{b}.vm.{k}")
        if x is not None and y is not None:
            d[k] = y - x
    return d


def free_2m(buddy):
    return sum(n << max(0, o - 9) for o, n in enumerate(buddy) if o >= 9)


def run_json(name, kv, errors):
    pattern = {}
    for pre in ("frag.", "slab.", "cache.", "write.", "thp."):
        for k, v in kv.items():
            if k.startswith(pre) and not k.startswith("frag.pfn_hist"):
                pattern[k] = num(kv, k, v)
    layout = {k[len("layout."):]: num(kv, k) for k in kv
              if k.startswith("layout.")}
    run = {
        "name": name,
        "finished": "done" in kv,
        "exit": num(kv, "exit"),
        "errors": errors,
        "boot_s": num(kv, "host.boot_s"),
        "guest_s": num(kv, "uptime.end"),
        "thp": kv.get("thp.enabled"),
        "thp_defrag": kv.get("thp.defrag"),
        "taint": {p: num(kv, f"taint.{p}") for p in ("boot", "load", "end")},
        "dmesg_warn": num(kv, "dmesg.warn"),
        "managed": num(kv, "managed"),
        "target": num(kv, "target"),
        "top_zone": kv.get("top_zone"),
        "layout": layout,
        "pattern": pattern,
        "zones_start": zone_state(kv, "start"),
        "zones_base": zone_state(kv, "base"),
        "steps": [],
    }
    if "compacted.ms" in kv:
        run["compaction"] = {
            "vm": vm_delta(kv, "base", "compacted"),
            "zones": zone_state(kv, "compacted"),
        }
    for k in range(1, (num(kv, "steps", 0) or 0) + 1):
        s = f"s{k}"
        step = {
            "step": k,
            "op": kv.get(f"{s}.op"),
            "target": num(kv, f"{s}.target"),
            "ms": num(kv, f"{s}.ms"),
        }
        for f in ("got.0", "got.9", "fail.0", "fail.9", "batches",
                  "short_batches", "stalls", "capped", "stopped",
                  "memavail_min", "totalreserve", "held", "held.order0",
                  "held.order9", "held.adjusted", "held.balloon_list",
                  "held.isolated", "regions"):
            step[f.replace(".", "_")] = num(kv, f"{s}.{f}")
        step["eighths"] = [num(kv, f"{s}.eighth.{i}") for i in range(EIGHTHS)]
        step["held_by_zone"] = {k2[len(s) + 6:]: int(v) for k2, v in kv.items()
                                if k2.startswith(f"{s}.zone.")}
        step["freed"] = num(kv, f"{s}.free.freed")
        step["held_after_free"] = num(kv, f"{s}.free.held")
        step["vm"] = vm_delta(kv, f"{s}.pre", f"{s}.post")
        step["vm_all"] = vm_delta(kv, f"{s}.pre", f"{s}.post", all_keys=True)
        if f"{s}.held_after_compaction.held" in kv:
            h = f"{s}.held_after_compaction"
            step["compacted"] = {
                "vm": vm_delta(kv, f"{s}.post", f"{s}.compacted"),
                "held": num(kv, f"{h}.held"),
                "balloon_list": num(kv, f"{h}.held.balloon_list"),
                "isolated": num(kv, f"{h}.held.isolated"),
                "regions": num(kv, f"{h}.regions"),
                "eighths": [num(kv, f"{h}.eighth.{i}")
                            for i in range(EIGHTHS)],
                "zones": zone_state(kv, f"{s}.compacted"),
            }
        step["zones_pre"] = zone_state(kv, f"{s}.pre")
        step["zones_post"] = zone_state(kv, f"{s}.post")
        run["steps"].append(step)
    return run


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, what, ok, detail=""):
        verdict = "PASS" if ok else "FAIL"
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(f"{name:<14} {what:<46} {verdict}  {detail}")


def check_run(c, run):
    n = run["name"]
    c.check(n, "boot finished (XB done, exit 0)",
            run["finished"] and run["exit"] == 0 and not run["errors"],
            f"exit {run['exit']}" + (f", errors: {run['errors'][:3]}"
                                     if run["errors"] else ""))
    t = run["taint"].get("end")
    c.check(n, "no taint beyond the unsigned out-of-tree module",
            t is not None and t & ~TAINT_MODULE == 0 and
            run["dmesg_warn"] == 0,
            f"taint {t}, {run['dmesg_warn']} kernel warnings")
    if "compaction" in run:
        vm = run["compaction"]["vm"]
        c.check(n, "compaction: the migrate scanner ran",
                (vm.get("compact_migrate_scanned") or 0) > 0,
                f"compact_migrate_scanned {vm.get('compact_migrate_scanned')}, "
                f"pgmigrate_success {vm.get('pgmigrate_success')}")
        if not run["steps"]:
            return
    if not run["steps"]:
        c.check(n, "steps ran", False, "no step in the log")
        return
    for s in run["steps"]:
        w = f"s{s['step']} {s['op']}"
        held, target = s["held"], s["target"]
        if held is None or target is None:
            c.check(n, f"{w}: module report", False, "missing")
            continue
        got = (s["got_0"] or 0) + HUGE * (s["got_9"] or 0)
        slack = HUGE - 1 if s["op"] == "vmw" else 0
        c.check(n, f"{w}: obtained <= target", held <= target + slack,
                f"{held} of {target}" + (" (+511: vmw rounds up to 2 MiB)"
                                         if slack else ""))
        c.check(n, f"{w}: held = order-0 + 512 x order-9 obtained",
                held == got, f"{held} vs {got}")
        iso = s["held_isolated"] or 0
        c.check(n, f"{w}: held = sum per eighth = sum per zone",
                sum(s["eighths"]) + iso == held and
                sum(s["held_by_zone"].values()) + iso == held,
                f"{sum(s['eighths'])} / {sum(s['held_by_zone'].values())}"
                + (f" + {iso} isolated by compaction" if iso else ""))
        lo = -(-held // HUGE)
        c.check(n, f"{w}: held/512 <= regions <= held",
                lo <= s["regions"] <= max(held, 0), f"{s['regions']} regions")
        c.check(n, f"{w}: stopped iff short of target",
                bool(s["stopped"]) == (held < target),
                f"stopped {s['stopped']}, {held} of {target}")
        pre, post = s["zones_pre"], s["zones_post"]
        dman = sum((pre[z]["managed"] or 0) - (post.get(z, {}).get("managed")
                                               or 0) for z in pre)
        want = s["held_adjusted"] if s["op"] != "vmw" else 0
        c.check(n, f"{w}: managed pages fall by the adjusted pages",
                dman == want, f"{dman} vs {want}")
        # vmw's 4 KiB pages go through balloon_page_enqueue(), the others
        # are plain allocations as drivers/xen/balloon.c makes them
        infl = s["got_0"] if s["op"] == "vmw" else 0
        c.check(n, f"{w}: balloon_inflate delta = 4 KiB vmw pages",
                s["vm"].get("balloon_inflate") == infl and
                (s["held_balloon_list"] or 0) == infl,
                f"{s['vm'].get('balloon_inflate')} vs {infl}")
        c.check(n, f"{w}: freed all, none left",
                s["freed"] == held and s["held_after_free"] == 0,
                f"freed {s['freed']}, left {s['held_after_free']}")
        cp = s.get("compacted")
        if cp:
            iso = cp["isolated"] or 0
            c.check(n, f"{w}: compaction while held keeps the balloon",
                    cp["held"] == held and
                    (cp["balloon_list"] or 0) == (s["held_balloon_list"] or 0)
                    and sum(cp["eighths"]) + iso == held,
                    f"held {cp['held']}, balloon_migrate "
                    f"{cp['vm'].get('balloon_migrate')}, pgmigrate_success "
                    f"{cp['vm'].get('pgmigrate_success')}, regions "
                    f"{s['regions']} -> {cp['regions']}")
        if s["op"] == "vmw":
            c.check(n, f"{w}: at most one failed 2 MiB allocation",
                    (s["fail_9"] or 0) <= 1, f"{s['fail_9']}")


def table(runs):
    print()
    print("boots (zones: managed pages at start; base: the pattern's state "
          "before the first step):")
    print(f"{'pattern':<16} {'boot s':>6} {'guest s':>7}  {'free 2MiB base':>14}"
          "  zones")
    for r in runs:
        zs = r["zones_start"]
        base = r["zones_base"]
        f2m = sum(free_2m(z["buddy"]) for z in base.values())
        print(f"{r['name']:<16} {r['boot_s'] or 0:>6} {r['guest_s'] or 0:>7}"
              f"  {f2m:>14}  " +
              ", ".join(f"{z} {v['managed']}" for z, v in zs.items()))
    print()
    print("real figures per step (vmstat deltas over the step; eighths in "
          "pages held):")
    hdr = (f"{'pattern':<14} {'op':<15} {'target':>7} {'held':>7} "
           f"{'2MiB':>5} {'f9':>4} {'4K':>7} {'stall':>5} {'stop':>4} "
           f"{'cstall':>6} {'csucc':>5} {'cfail':>5} {'migr':>7} "
           f"{'kswapd':>7} {'direct':>7} {'regions':>7}  eighths")
    print(hdr)
    for r in runs:
        for s in r["steps"]:
            v = s["vm"]
            print(f"{r['name']:<14} {s['op']:<15} {s['target'] or 0:>7} "
                  f"{s['held'] or 0:>7} {s['got_9'] or 0:>5} "
                  f"{s['fail_9'] or 0:>4} {s['got_0'] or 0:>7} "
                  f"{s['stalls'] or 0:>5} {s['stopped'] or 0:>4} "
                  f"{v.get('compact_stall', 0):>6} "
                  f"{v.get('compact_success', 0):>5} "
                  f"{v.get('compact_fail', 0):>5} "
                  f"{v.get('pgmigrate_success', 0):>7} "
                  f"{v.get('pgscan_kswapd', 0):>7} "
                  f"{v.get('pgscan_direct', 0):>7} "
                  f"{s['regions'] or 0:>7}  "
                  + " ".join(str(e or 0) for e in s["eighths"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--logs", default="build/vm/logs")
    ap.add_argument("--out", default="build/vm")
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    names = a.names or sorted(f[:-4] for f in os.listdir(a.logs)
                              if f.endswith(".log"))
    c = Checks()
    runs = []
    for name in names:
        path = os.path.join(a.logs, name + ".log")
        if not os.path.exists(path):
            c.check(name, "log exists", False, path)
            continue
        kv, errors = parse(path)
        run = run_json(name, kv, errors)
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, name + ".json"), "w") as f:
            json.dump(run, f, indent=1, sort_keys=True)
        check_run(c, run)
        runs.append(run)
    table(runs)
    print()
    print(f"{c.passed} passed, {c.failed} failed")
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
