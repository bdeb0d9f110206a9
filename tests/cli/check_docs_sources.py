#!/usr/bin/python3
"""docs/sources/ holds, verbatim, what `ctxprof help kinds` and `ctxprof help
kind KIND` print: one page per built-in source kind and the index."""
import os
import re
import subprocess
import sys

ctxprof, root = sys.argv[1], sys.argv[2]
docs = os.path.join(root, "docs", "sources")
run = lambda *a: subprocess.run([ctxprof, "help", *a], check=True, capture_output=True,
                                text=True).stdout
index = run("kinds")
kinds = re.findall(r"^\| \[`([a-z0-9_]+)`\]", index, re.M)
if len(kinds) < 17:
    sys.exit(f"FAIL: only {len(kinds)} kinds listed")
stale = []
if index not in open(os.path.join(docs, "README.md"), encoding="utf-8").read():
    stale.append("README.md")
for k in kinds:
    path = os.path.join(docs, k + ".md")
    if not os.path.exists(path) or open(path, encoding="utf-8").read() != run("kind", k):
        stale.append(k + ".md")
extra = sorted(set(f[:-3] for f in os.listdir(docs) if f.endswith(".md")) - set(kinds) - {"README"})
if stale or extra:
    sys.exit(f"FAIL: docs/sources is out of date: {stale} stale, {extra} without a kind; "
             "regenerate with ctxprof help kind KIND")
print(f"docs/sources: {len(kinds)} kind pages and the index match the engine")
