#!/usr/bin/env python3
"""Checks the repository's Markdown: README.md, docs/*.md and reports/README.md.

- every relative link [text](target) resolves to a file or folder of the repository, and its #anchor (if
  any) to a heading of the target Markdown file (GitHub's anchor rule);
- no link leaves the repository (an absolute path, or one that climbs above the root, such as
  ../shared/THEORY.md, which a clone does not have);
- every repository path written in backticks (`Theory.FSharp/Claims/C4.Absorption.fs`, `Properties/...`,
  `reports/...`) exists; paths with placeholders (<ID>, …, *) are matched as patterns.

Links and paths inside fenced code blocks are not checked (they are commands, not references). Prints one
line per problem and exits 1 when there is any, 0 otherwise.

    python3 scripts/check-links.py
"""

import glob
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LINK = re.compile(r"\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\n]+)`")
# Paths that the docs name on purpose although no such file is committed.
NOT_COMMITTED = {
    "reports/latest": "written by every run, git-ignored",
    "Theory.FSharp/Claims/C8.ShortName.fs": "the new claim of adding-a-claim.md's recipe",
    "Properties/Claims/C8.ShortNameTests.fs": "the new claim of adding-a-claim.md's recipe",
}
TOP = ("Theory.FSharp/", "Properties/", "Runner.CSharp/", "reports/", "docs/", "scripts/", "examples/",
       "deploy/", "Benchmarks/", ".ci/")


def files():
    names = ["README.md", "reports/README.md"] + sorted(
        os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "*.md")))
    return [n for n in names if os.path.exists(os.path.join(ROOT, n))]


def prose_lines(path):
    """The lines of a Markdown file outside fenced code blocks, with their numbers."""
    fenced = False
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            if not fenced:
                yield number, line


def slug(heading):
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`([^`]*)`", r"\1", heading.strip().lower())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return "".join(c for c in text if c.isalnum() or c in " -_").replace(" ", "-")


def anchors(path):
    seen = {}
    result = set()
    for _, line in prose_lines(path):
        m = re.match(r"#{1,6}\s+(.*)", line)
        if m:
            s = slug(m.group(1))
            n = seen.get(s, 0)
            seen[s] = n + 1
            result.add(s if n == 0 else f"{s}-{n}")
    return result


def inside_root(path):
    return os.path.commonpath([ROOT, os.path.abspath(path)]) == ROOT


def check_link(source, target):
    if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
        return None
    path, _, anchor = target.partition("#")
    if path.startswith("/"):
        return f"absolute link {target}"
    resolved = os.path.normpath(os.path.join(ROOT, os.path.dirname(source), path)) if path else \
        os.path.join(ROOT, source)
    if not inside_root(resolved):
        return f"link outside the repository: {target}"
    if not os.path.exists(resolved):
        return f"broken link: {target}"
    if anchor and resolved.endswith(".md") and anchor not in anchors(resolved):
        return f"no heading for anchor #{anchor} in {os.path.relpath(resolved, ROOT)}"
    return None


def check_path(text):
    if not text.startswith(TOP) or " " in text.strip() or text in NOT_COMMITTED:
        return None
    if any(ch in text for ch in "<>…{"):
        pattern = re.sub(r"<[^>]*>|…|\{[^}]*\}", "*", text)
    else:
        pattern = text
    pattern = pattern.rstrip(".,;:")
    if "*" in pattern:
        return None if glob.glob(os.path.join(ROOT, pattern)) else f"no file matches path `{text}`"
    return None if os.path.exists(os.path.join(ROOT, pattern)) else f"missing path `{text}`"


def main():
    problems = []
    checked = 0
    for name in files():
        for number, line in prose_lines(os.path.join(ROOT, name)):
            for target in LINK.findall(line):
                checked += 1
                p = check_link(name, target)
                if p:
                    problems.append(f"{name}:{number}: {p}")
            for text in CODE.findall(line):
                p = check_path(text)
                if p:
                    problems.append(f"{name}:{number}: {p}")
            if "../shared" in line or "](THEORY.md" in line:
                problems.append(f"{name}:{number}: refers to a path outside the repository (../shared, THEORY.md)")
    for p in problems:
        print(p)
    print(f"check-links: {len(files())} files, {checked} links, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
