#!/usr/bin/env python3
"""On a clone without ../shared, every test that reads the real data is skipped.

The project is tested on machines that have the real North London data beside
it (../shared/data/real) and on clones that do not. This test builds a copy of
the source tree's top level out of symbolic links in a folder with no
../shared next to it, runs every CLI case that reads the real data (found as
the runner finds them) and the real-data scripts there, and checks that each
exits 77 (CTest's skip) with a message naming the folder it looked for, not a
failure.

usage: no_shared_skips.py CTXPROF ROOT
"""
import json
import os
import subprocess
import sys
import tempfile

ctxprof, root = sys.argv[1], os.path.abspath(sys.argv[2])
sys.path.insert(0, os.path.join(root, "tests", "cli"))
import run_cli_test  # noqa: E402

tmp = tempfile.mkdtemp(prefix="ctxprof-noshared-")
fake = os.path.join(tmp, "clone")
os.makedirs(fake)
for entry in os.listdir(root):
    if entry not in ("build", ".git") and not entry.startswith("build-"):
        os.symlink(os.path.join(root, entry), os.path.join(fake, entry))
missing = os.path.join(tmp, "shared", "data", "real")

cases = sorted(os.path.join(root, "tests", "cli", "cases", c)
               for c in os.listdir(os.path.join(root, "tests", "cli", "cases")) if c.endswith(".json"))
real_cases = [c for c in cases if run_cli_test.needs_real(json.load(open(c, encoding="utf-8")), root)]
runs = [[sys.executable, os.path.join(fake, "tests", "cli", "run_cli_test.py"),
         "--ctxprof", ctxprof, "--root", fake, os.path.join(fake, "tests", "cli", "cases", os.path.basename(c))]
        for c in real_cases]
scripts = [s for s in sorted(os.listdir(os.path.join(root, "tests", "cli")))
           if s.startswith("real_") and s.endswith(".py")]
runs += [[sys.executable, os.path.join(fake, "tests", "cli", s), ctxprof, fake] for s in scripts]
if len(real_cases) < 3 or not scripts:
    sys.exit(f"FAIL: found only {len(real_cases)} real-data cases and {len(scripts)} scripts")
bad = []
for cmd in runs:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    name = os.path.basename(cmd[-1] if cmd[-1].endswith(".json") else cmd[1])
    ok = r.returncode == 77 and missing in r.stdout + r.stderr
    print(f"{'ok  ' if ok else 'FAIL'} {name}: exit {r.returncode}")
    if not ok:
        bad.append(name)
        print((r.stdout + r.stderr)[-1500:])
if bad:
    sys.exit(f"FAIL: {len(bad)} real-data tests do not skip without ../shared: {', '.join(bad)}")
print(f"{len(runs)} real-data tests skip with a message naming {missing}")
