#!/usr/bin/python3
"""The sample's whole output, layer by layer and row by row, against a digest.

  output_digest.py write OUT.gpkg DIGEST.json     record a digest
  output_digest.py check OUT.gpkg DIGEST.json     compare (exit 1 naming the
                                                  first layer and row block that differ)
  output_digest.py run CTXPROF ROOT DIGEST.json   run the sample profile, then check

A digest holds, for every table of the GeoPackage, its columns, its row count
and a SHA-256 per block of 100 rows (ordered by fid, every value as SQLite
stores it, geometry blobs byte for byte). A check compares only the columns
and keys the digest holds, so that a new layer, a new column or a new
run_metadata key does not count as a change, while any changed value does.
Timings, the command line, the output path and the profile's own SHA-256 in
run_metadata are left out: they differ from run to run (or with a new key in
the profile), and rows of a context type that is itself a new layer (in
temporal) count as new.
"""
import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

BLOCK = 100
VOLATILE_META = re.compile(r"^(time\.|arguments$|created_at$|profile\.sha256$|output(\.|$)|input\..*\.path$)")
INTERNAL = re.compile(r"^(sqlite_|gpkg_|rtree_|gpkgext_)")


def tables(db):
    rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    return [r[0] for r in rows if not INTERNAL.match(r[0])]


def columns(db, table):
    return [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]


def canon(v):
    if isinstance(v, bytes):
        return "x" + v.hex()
    if isinstance(v, float):
        return "f" + repr(v)
    if v is None:
        return "n"
    return ("i" if isinstance(v, int) else "s") + str(v)


def table_rows(db, table, cols):
    order = "fid" if "fid" in columns(db, table) else "rowid"
    sel = ", ".join(f'"{c}"' for c in cols)
    rows = db.execute(f'SELECT {sel} FROM "{table}" ORDER BY {order}').fetchall()
    if table == "run_metadata" and "key" in cols:
        k = cols.index("key")
        rows = sorted(r for r in rows if not VOLATILE_META.match(str(r[k])))
    elif table == "layer_styles" and "f_table_name" in cols:
        k = cols.index("f_table_name")
        rows = sorted(rows, key=lambda r: str(r[k]))
    return rows


def blocks(rows):
    out = []
    for i in range(0, len(rows), BLOCK):
        h = hashlib.sha256()
        for r in rows[i:i + BLOCK]:
            h.update("\x1f".join(canon(v) for v in r).encode() + b"\x1e")
        out.append(h.hexdigest()[:16])
    return out


def digest(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    out = {}
    for t in tables(db):
        cols = [c for c in columns(db, t) if c != "fid"]
        if t == "layer_styles":  # which layers have a default style; the
            # styles themselves are presentation (tests/qgis renders them)
            cols = [c for c in cols if c in ("f_table_name", "f_geometry_column", "styleName",
                                             "useAsDefault")]
        rows = table_rows(db, t, cols)
        out[t] = {"columns": cols, "rows": len(rows), "blocks": blocks(rows)}
        if t == "run_metadata":
            out[t]["keys"] = sorted(str(r[cols.index("key")]) for r in rows)
    return out


def check(path, expected):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    have = set(tables(db))
    problems = []
    for t, e in sorted(expected.items()):
        if t not in have:
            problems.append(f"layer {t} is missing")
            continue
        missing = [c for c in e["columns"] if c not in columns(db, t)]
        if missing:
            problems.append(f"layer {t} lacks columns {', '.join(missing)}")
            continue
        rows = table_rows(db, t, e["columns"])
        if t == "run_metadata":
            k = e["columns"].index("key")
            keys = {key for key in e["keys"] if not VOLATILE_META.match(key)}
            gone = keys - {str(r[k]) for r in rows}
            if gone:
                problems.append(f"run_metadata lacks keys {', '.join(sorted(gone))}")
            rows = [r for r in rows if str(r[k]) in keys]
        if t == "layer_styles":
            k = e["columns"].index("f_table_name")
            rows = [r for r in rows if str(r[k]) in expected]
        if "context_type" in e["columns"]:  # rows of a new context type are new
            k = e["columns"].index("context_type")
            rows = [r for r in rows if str(r[k]) in expected]
        if len(rows) != e["rows"]:
            problems.append(f"layer {t}: {len(rows)} rows, expected {e['rows']}")
            continue
        got = blocks(rows)
        for i, (a, b) in enumerate(zip(got, e["blocks"])):
            if a != b:
                problems.append(f"layer {t}: rows {i * BLOCK + 1}..{min((i + 1) * BLOCK, len(rows))} differ")
                break
    return problems


def main(argv):
    if len(argv) == 4 and argv[1] == "write":
        with open(argv[3], "w") as f:
            json.dump(digest(argv[2]), f, indent=1, sort_keys=True)
            f.write("\n")
        return 0
    if len(argv) == 4 and argv[1] == "check":
        out = argv[2]
        digest_path = argv[3]
    elif len(argv) == 5 and argv[1] == "run":
        ctxprof, root, digest_path = argv[2], argv[3], argv[4]
        tmp = tempfile.mkdtemp(prefix="ctxprof-digest-")
        out = os.path.join(tmp, "sample.gpkg")
        r = subprocess.run([os.path.abspath(ctxprof), "run", "gis-data/sample/sample.ini",
                            "-o", out, "-q"], cwd=root, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL: ctxprof run exited {r.returncode}: {r.stderr}")
            return 1
    else:
        print(__doc__)
        return 2
    with open(digest_path) as f:
        expected = json.load(f)
    problems = check(out, expected)
    for p in problems:
        print("FAIL: " + p)
    if not problems:
        n = sum(e["rows"] for e in expected.values())
        print(f"ok: {len(expected)} layers, {n} rows as recorded in {os.path.basename(digest_path)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
