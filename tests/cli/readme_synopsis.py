#!/usr/bin/env python3
"""The README's command synopsis shows the real syntax: every command it
names exists, its operands are those the command's usage starts with, and every --option
and -o it shows for a command is one that 'ctxprof COMMAND --help' lists.

  readme_synopsis.py CTXPROF ROOT
"""
import re
import subprocess
import sys

ctxprof, root = sys.argv[1], sys.argv[2]
readme = open(f"{root}/README.md", encoding="utf-8").read()


def operands(text):
    """The words a synopsis starts with, before its first option or bracket."""
    words = []
    for w in text.split("  ")[0].split():
        if w.startswith(("-", "[", "|")):
            break
        words.append(w)
    return words


bad, n, fenced = [], 0, False
for line in readme.splitlines():
    if line.startswith("```"):
        fenced = not fenced
        continue
    m = fenced and re.match(r"ctxprof ([a-z]+)\b(.*)", line)
    if not m or m.group(1) in ("help",):
        continue
    cmd, rest = m.group(1), m.group(2)
    r = subprocess.run([ctxprof, cmd, "--help"], capture_output=True, text=True)
    if r.returncode != 0:
        bad.append(f"README shows 'ctxprof {cmd}', which is not a command")
        continue
    n += 1
    usage = re.search(r"usage: ctxprof [a-z]+ ?(.*)", r.stdout).group(1)
    if operands(rest) != operands(usage):
        bad.append(f"README: 'ctxprof {cmd}' starts with operands {operands(rest)}, its usage "
                   f"with {operands(usage)}")
    shown = set(re.findall(r"(--[a-z][a-z-]*|-[a-z])\b", rest))
    known = set(re.findall(r"(--[a-z][a-z-]*|-[a-z])\b", r.stdout))
    for opt in sorted(shown - known):
        bad.append(f"README: 'ctxprof {cmd}' shows {opt}, which 'ctxprof {cmd} --help' does not list")
for b in bad:
    print("FAIL:", b)
print(f"{n} README command lines checked against --help")
sys.exit(1 if bad or n < 10 else 0)
