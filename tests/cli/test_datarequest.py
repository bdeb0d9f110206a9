#!/usr/bin/python3
"""ctxprof datarequest: for every source kind (from `ctxprof help kinds`), the
sheet names every field of that kind (from `ctxprof help kind KIND`) with a
sharing level, identity fields as identifiable; the retention period; --all
writes one sheet per kind, identical to the single sheets; an unknown kind
fails with exit 1 and lists the valid kinds.

usage: test_datarequest.py --ctxprof BIN
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

IDENTITY = {"person_id", "forename", "surname", "dob", "person2_id", "person2_forename",
            "person2_surname", "person2_dob", "text"}
LEVELS = {"identifiable", "pseudonymised", "aggregate"}
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL: " + msg)


def run(args, expect=0):
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != expect:
        print(p.stdout, p.stderr)
        sys.exit(f"FAIL: {' '.join(args)} exited {p.returncode}, expected {expect}")
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctxprof", required=True)
    a = ap.parse_args()
    exe = a.ctxprof
    kinds = re.findall(r"^\| \[`([a-z0-9_]+)`\]", run([exe, "help", "kinds"]).stdout, re.M)
    check(len(kinds) >= 10, f"only {len(kinds)} kinds in 'ctxprof help kinds'")
    tmp = tempfile.mkdtemp(prefix="ctxprof-datarequest-")
    try:
        for k in kinds:
            fields = re.findall(r"^\| `field\.([a-z0-9_]+)` \|", run([exe, "help", "kind", k]).stdout, re.M)
            check(fields, f"{k}: no fields in 'ctxprof help kind {k}'")
            sheet = run([exe, "datarequest", k]).stdout
            check(sheet.startswith("# Data request: "), f"{k}: no title")
            for s in ("## Why we are asking", "peer-on-peer abuse", "## Fields we ask for",
                      "## Lawful basis", "## How the data will be stored", "HMAC-SHA-256",
                      "0600", "**12 months**"):
                check(s in sheet, f"{k}: sheet lacks {s!r}")
            rows = {m.group(1): m.group(2) for m in
                    re.finditer(r"^\| `field\.([a-z0-9_]+)` \|.*\| ([a-z]+) \| [^|]*\|$", sheet, re.M)}
            for fl in fields:
                check(fl in rows, f"{k}: sheet does not ask for field.{fl}")
                if fl in rows:
                    check(rows[fl] in LEVELS, f"{k}: field.{fl} level {rows[fl]!r}")
                    want = "identifiable" if fl in IDENTITY else "pseudonymised"
                    check(rows[fl] == want, f"{k}: field.{fl} is {rows[fl]}, want {want}")
            check(set(rows) == set(fields), f"{k}: sheet fields {sorted(set(rows) - set(fields))} not in the kind")
        # retention and -o FILE
        out = os.path.join(tmp, "police.md")
        run([exe, "datarequest", "police_referral", "--retention", "6 months", "-o", out])
        with open(out, encoding="utf-8") as f:
            text = f.read()
        check("**6 months**" in text and "12 months" not in text, "--retention not used")
        # --all
        d = os.path.join(tmp, "all")
        run([exe, "datarequest", "--all", "-o", d])
        check(sorted(os.listdir(d)) == sorted(k + ".md" for k in kinds), f"--all wrote {os.listdir(d)}")
        for k in kinds[:3]:
            with open(os.path.join(d, k + ".md"), encoding="utf-8") as f:
                check(f.read() == run([exe, "datarequest", k]).stdout, f"--all {k}.md differs")
        # errors
        p = run([exe, "datarequest", "no_such_kind"], expect=1)
        check("'no_such_kind' is not a source kind" in p.stderr, p.stderr)
        check(all(k in p.stderr for k in kinds), "unknown kind: not every valid kind listed")
        check(p.stdout == "", "unknown kind printed a sheet")
        p = run([exe, "datarequest", "--all"], expect=2)
        check("needs -o DIR" in p.stderr, p.stderr)
        p = run([exe, "datarequest"], expect=2)
        check("expected one source kind or --all" in p.stderr, p.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        sys.exit(f"{len(failures)} failures")
    print(f"ok: {len(kinds)} kinds")


if __name__ == "__main__":
    main()
