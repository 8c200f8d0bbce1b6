#!/usr/bin/env python3
"""Compares two results.json files of `lowrank verify` (or of any command) apart from what differs from run to
run: provenance (`run`), how the run was executed (`execution`), wall-clock times (every key ending in
`seconds`/`Seconds`) and durations written inside text ("in 2.6 s", "(12.3 us each"). Prints one line per
difference (JSON path, left, right) and exits 0 when there is none, 1 otherwise, 2 on bad input.

    python3 scripts/compare-results.py A/results.json B/results.json
    python3 scripts/compare-results.py --ignore e1.regimeMap A/results.json B/results.json
    python3 scripts/compare-results.py --sort results.controls:control A/results.json B/results.json

--ignore PATH drops a subtree (dotted path, list indices as [] e.g. hunts.hunts[].label); --sort PATH:KEY
compares the list at PATH as sorted by KEY (for a change of order made on purpose); --any-launcher writes every
replay line's launcher as `lowrank` (an installed tool writes `lowrank verify ...`, a build output
`dotnet run --project Runner.CSharp -c Release -- verify ...`). Used to show that the
layout change of issue #12 kept verify's results (step 0 of that issue)."""

import argparse
import json
import re
import sys

TIME_KEY = re.compile(r"(^|[a-z])([Ss]econds)$")
# a number followed by a unit of time, inside free text
TIME_TEXT = re.compile(r"\b\d+(?:\.\d+)?(?:e[+-]?\d+)? ?(?:s|us|ms)\b")
DROPPED = {"run", "execution"}
LAUNCHER = "dotnet run --project Runner.CSharp -c Release -- "
ANY_LAUNCHER = False


def normalise(x, path, ignore, sort):
    if path in ignore:
        return None
    if isinstance(x, dict):
        return {
            k: normalise(v, f"{path}.{k}" if path else k, ignore, sort)
            for k, v in x.items()
            if not (path == "" and k in DROPPED) and not TIME_KEY.search(k)
        }
    if isinstance(x, list):
        items = [normalise(v, path + "[]", ignore, sort) for v in x]
        if path in sort:
            key = sort[path]
            items.sort(key=lambda v: json.dumps(v.get(key) if isinstance(v, dict) else v, sort_keys=True))
        return items
    if isinstance(x, str):
        if ANY_LAUNCHER and x.startswith(LAUNCHER):
            x = "lowrank " + x[len(LAUNCHER):]
        return TIME_TEXT.sub("<time>", x)
    return x


def differences(a, b, path):
    if type(a) is not type(b):
        yield path, a, b
    elif isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            p = f"{path}.{k}" if path else k
            if k not in a:
                yield p, "<absent>", b[k]
            elif k not in b:
                yield p, a[k], "<absent>"
            else:
                yield from differences(a[k], b[k], p)
    elif isinstance(a, list):
        if len(a) != len(b):
            yield path + ".length", len(a), len(b)
        for i, (u, v) in enumerate(zip(a, b)):
            yield from differences(u, v, f"{path}[{i}]")
    elif a != b:
        yield path, a, b


def short(v):
    s = json.dumps(v)
    return s if len(s) <= 300 else s[:300] + "..."


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("left")
    ap.add_argument("right")
    ap.add_argument("--ignore", action="append", default=[], help="dotted path of a subtree to leave out")
    ap.add_argument("--sort", action="append", default=[], help="PATH:KEY, compare the list at PATH sorted by KEY")
    ap.add_argument("--any-launcher", action="store_true", help="replay lines: dotnet run ... -- counts as lowrank")
    args = ap.parse_args()
    global ANY_LAUNCHER
    ANY_LAUNCHER = args.any_launcher
    try:
        sort = dict(s.rsplit(":", 1) for s in args.sort)
        docs = [json.load(open(f, encoding="utf-8")) for f in (args.left, args.right)]
    except (OSError, ValueError) as e:
        print(f"compare-results: {e}", file=sys.stderr)
        return 2
    a, b = (normalise(d, "", set(args.ignore), sort) for d in docs)
    n = 0
    for path, u, v in differences(a, b, ""):
        n += 1
        print(f"{path}: {short(u)} != {short(v)}")
    print(f"{n} difference(s)" if n else "identical (apart from provenance, execution and times)")
    return 1 if n else 0


if __name__ == "__main__":
    sys.exit(main())
