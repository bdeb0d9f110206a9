#!/usr/bin/env python3
"""Habits every command shares (issue 18 pt 9), for every command the
engine lists:

- a stray operand is a usage error (exit 2) naming it, before any file is
  read;
- an option with a value given twice is a usage error naming it;

  usage_errors.py CTXPROF ROOT
"""
import os
import subprocess
import sys
import tempfile

ctxprof, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
sample = os.path.join(root, "gis-data", "sample")
tmp = tempfile.mkdtemp(prefix="ctxprof-usage-")
# Each command with operands it accepts (files need not exist: usage is
# checked first), the stray one last.
STRAY = "STRAY-OPERAND"
CASES = {
    "corridors": ["in.gpkg", STRAY, "--profile", "p.ini"],
    "datarequest": ["police_uk", STRAY],
    "evaluate": ["--train", "a.csv", "--test", "b.csv", STRAY],
    "export": ["shp", "in.gpkg", STRAY, "-o", "dir"],
    "gazetteer": ["info", "g.gpkg", STRAY],
    "geocode": ["in.csv", STRAY, "-o", "o.gpkg", "--gazetteer", "g.gpkg"],
    "help": ["run", STRAY],
    "hotspots": ["in.gpkg", STRAY, "-o", "o.gpkg"],
    "kde": ["in.gpkg", STRAY, "-o", "o.tif"],
    "overlap": ["p.ini", STRAY],
    "peers": ["p.ini", STRAY],
    "people": ["p.ini", STRAY],
    "run": ["p.ini", STRAY],
    "share": ["in.gpkg", STRAY, "-o", "o.gpkg"],
    "snap": ["in.gpkg", STRAY, "--profile", "p.ini"],
    "version": [STRAY],
}
failures = []


def run(args):
    return subprocess.run([ctxprof] + args, capture_output=True, text=True, cwd=tmp,
                          stdin=subprocess.DEVNULL)


listed = run(["help"]).stdout
commands = sorted({w for line in listed.splitlines() for w in line.split()[:1]
                   if w in CASES or (line.startswith("  ") and w.isalpha() and w.islower())})
for c in commands:
    if c not in CASES:
        failures.append(f"{c}: no stray-operand case in this test")
for c, args in sorted(CASES.items()):
    r = run([c] + args)
    if r.returncode != 2 or STRAY not in r.stderr and "usage" not in r.stderr:
        failures.append(f"{c} {' '.join(args)}: exit {r.returncode}, {r.stderr.strip()!r}")

# An option with a value given twice.
for args, opt in ((["run", "p.ini", "-o", "a.gpkg", "-o", "b.gpkg"], "--output"),
                  (["kde", "in.gpkg", "-o", "a.tif", "--radius", "50", "--radius", "60"], "--radius")):
    r = run(args)
    if r.returncode != 2 or f"option {opt} is given twice" not in r.stderr:
        failures.append(f"{' '.join(args)}: exit {r.returncode}, {r.stderr.strip()!r}")

for f in failures:
    print("FAIL:", f)
print(f"{len(CASES)} commands refuse a stray operand; repeated options refused")
sys.exit(1 if failures else 0)
