#!/usr/bin/python3
"""Data protection: every ctxprof command, run on the sample with verbose
logging, writes no name, date of birth or system id of the sample's people
and never the pseudonym key, in its stdout, its stderr or any file it writes.

The commands come from `ctxprof help`, so a new command is covered as soon as
it exists: each must have an entry in INVOCATIONS (the test fails when one
has none, and when an entry names no command of the binary). Identity
values are those of every identity column of the sample's sources
(run_cli_test.identity_values, as the no_identity check uses).

Scanned: stdout and stderr; every text cell of every table of every
GeoPackage (SQLite, so metadata and style tables too); every .dbf through
OGR; every other file as text. Dates of birth are searched in the formats the
sample writes them and the usual others; ids with and without spaces.

  privacy_all_commands.py CTXPROF SOURCE_DIR
"""
import datetime
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_cli_test  # noqa: E402  (identity_values, the no_identity check's source)

from osgeo import ogr  # noqa: E402

# How to run each command on the sample, in order (later ones read earlier
# outputs). {s}: gis-data/sample, {t}: the test's folder. -v is added when the
# command's help lists --verbose.
INVOCATIONS = [
    ("help", [["help"], ["help", "run"], ["help", "profile"], ["help", "kinds"]]),
    ("version", [["version"]]),
    ("run", [["run", "{s}/sample.ini", "-o", "{t}/run.gpkg", "--json"]]),
    ("gazetteer", [["gazetteer", "build", "-o", "{t}/gaz.gpkg", "--profile", "{s}/sample.ini"],
                   ["gazetteer", "info", "{t}/gaz.gpkg"]]),
    # A source with names, dates of birth and system ids in its columns.
    ("geocode", [["geocode", "{s}/incidents/mash_referrals.csv", "-o", "{t}/geocode.gpkg",
                  "--gazetteer", "{t}/gaz.gpkg", "--id", "MASH ID", "--postcode", "Postcode"]]),
    ("snap", [["snap", "{t}/run.gpkg", "--profile", "{s}/sample.ini", "-o", "{t}/snap.gpkg"]]),
    ("corridors", [["corridors", "{t}/run.gpkg", "--profile", "{s}/sample.ini",
                    "-o", "{t}/corridors.gpkg"]]),
    ("people", [["people", "{s}/sample.ini", "-o", "{t}/people.gpkg", "--json"]]),
    ("hotspots", [["hotspots", "{t}/run.gpkg", "-l", "incidents", "-o", "{t}/hotspots.gpkg"]]),
    ("kde", [["kde", "{t}/run.gpkg", "-l", "incidents", "-o", "{t}/kde.tif"]]),
    ("evaluate", [["evaluate", "--train", "{t}/run.gpkg", "--test", "{t}/run.gpkg",
                   "-l", "incidents"]]),
    ("export", [["export", "shp", "{t}/run.gpkg", "-o", "{t}/shp"]]),
    ("share", [["share", "{t}/run.gpkg", "-o", "{t}/share.gpkg"]]),
    ("datarequest", [["datarequest", "police_referral"], ["datarequest", "--all", "-o", "{t}/requests"]]),
    ("overlap", [["overlap", "{s}/sample.ini", "-o", "{t}/overlap.gpkg"]]),
    ("peers", [["peers", "{s}/sample.ini", "-o", "{t}/peers.gpkg"]]),
]

# Layers whose names are of places (schools, parks, stops, areas): a person's
# name may also be a word of a place name there; only exact values count.
PLACE_LAYERS = run_cli_test.CONTEXT_LAYERS | {"gazetteer_places", "gazetteer_streets", "places",
                                              "streets", "postcodes", "gazetteer_sources",
                                              "layer_styles", "peer_group_contexts"}


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def commands(ctxprof):
    out = subprocess.run([ctxprof, "help"], capture_output=True, text=True).stdout
    block = out.split("commands:", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines() if line.strip()]


DATE_FORMS = ("%d/%m/%Y", "%Y-%m-%d", "%Y/%m/%d", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d", "%d%m%Y")


def as_date(value):
    """A date of birth as the sample writes it (day first, ISO, slashes, an
    Excel serial number), or None."""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%Y/%m/%d", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%dT%H:%M:%S",
                "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M"):
        try:
            return datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            pass
    if re.fullmatch(r"\d{5}(\.0+)?", value) and 33000 < float(value) < 47000:
        return datetime.date(1899, 12, 30) + datetime.timedelta(days=int(float(value)))
    return None


def date_forms(d):
    """A date in the forms the sample and agencies write it."""
    return {d.strftime(f) for f in DATE_FORMS} | {f"{d.day}/{d.month}/{d.year}"}


def needles(root):
    profile = os.path.join(root, "gis-data", "sample", "sample.ini")
    names, exact = run_cli_test.identity_values(profile)
    dates, ids = set(), set()
    for v in exact:
        d = as_date(v)
        if d:
            dates |= date_forms(d)
            dates.add(v)
        else:
            ids.add(v)
            if " " in v:
                ids.add(v.replace(" ", ""))
    keys = set()
    for line in open(os.path.join(root, "gis-data", "sample", "demo.key"), encoding="utf-8"):
        line = line.strip()
        if re.fullmatch(r"[0-9a-fA-F]{64}", line):
            keys.add(line.lower())
    if os.environ.get("CTXPROF_TEST_KEY"):
        keys.add(os.environ["CTXPROF_TEST_KEY"].lower())
    if not names or not dates or not ids or not keys:
        fail(f"found {len(names)} names, {len(dates)} date forms, {len(ids)} ids, {len(keys)} keys "
             "in the sample: too few to test with")
    return names, dates, ids, keys


DATE_RE = re.compile(r"(?<![\w/.\-])(\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}|\d{8})(?![\w/.\-])")
ID_SPACED = re.compile(r"(?<!\w)\d{3} \d{3} \d{4}(?!\w)")  # NHS numbers as often written


def program_words(root):
    """Words of ctxprof's own string literals (src/): a surname that is also
    one of them ("Young" in "young people", "Ward" in "LSOA or ward") is the
    program speaking, not a person, when it appears as a word in free text."""
    words = set()
    for dirpath, _, files in os.walk(os.path.join(root, "src")):
        for fn in files:
            if fn.endswith(".c"):
                src = open(os.path.join(dirpath, fn), encoding="utf-8", errors="replace").read()
                for lit in re.findall(r'"((?:[^"\\\n]|\\.)*)"', src):
                    # Sentences only: single-word literals are data (nickname tables).
                    if len(lit.split()) < 3:
                        continue
                    # Lower-case words only: the nickname tables are in capitals.
                    words.update(w for w in re.split(r"[^\w'-]+", lit) if w.islower())
    return words


class Scanner:
    def __init__(self, names, dates, ids, keys, program):
        self.names, self.dates, self.ids, self.keys = names, dates, ids, keys
        self.word_names = names - program
        self.hits = []

    def text(self, where, text, place_text=False):
        low = text.lower()
        for k in self.keys:
            if k in low:
                self.hits.append((where, "pseudonym key"))
        whole = low.strip()
        if whole in self.ids:
            self.hits.append((where, "system id (whole value)"))
        if whole in self.dates:
            self.hits.append((where, "date of birth (whole value)"))
        if whole in self.names:
            self.hits.append((where, "name (whole value)"))
        for tok in re.findall(r"[\w/-]+", low):
            if tok in self.ids or tok.strip("/-") in self.ids:
                self.hits.append((where, "system id"))
                break
        for m in ID_SPACED.finditer(low):
            if m.group(0).replace(" ", "") in self.ids:
                self.hits.append((where, "system id"))
                break
        for m in DATE_RE.finditer(low):
            if m.group(1) in self.dates:
                self.hits.append((where, "date of birth"))
                break
        if not place_text:
            for tok in re.split(r"[^\w'-]+", low):
                if len(tok) >= 4 and tok in self.word_names:
                    self.hits.append((where, "name"))
                    break

    def binary(self, where, data):
        """Key bytes in any file: hex and the raw 32 bytes."""
        low = data.lower()
        for k in self.keys:
            if k.encode() in low or bytes.fromhex(k) in data:
                self.hits.append((where, "pseudonym key"))

    def gpkg(self, path):
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        con.text_factory = lambda b: b.decode("utf-8", "replace")
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        n = 0
        for t in tables:
            cur = con.execute(f'SELECT * FROM "{t}"')
            cols = [c[0] for c in cur.description]
            for row in cur:
                for c, v in zip(cols, row):
                    if isinstance(v, str):
                        n += 1
                        place = t in PLACE_LAYERS or c in ("location_text", "name") or \
                            t.startswith("rtree_") or t.startswith("gpkg_")
                        self.text(f"{os.path.basename(path)}:{t}.{c}", v, place)
        con.close()
        return n

    def dbf(self, path):
        # The exported layer: areas.dbf, or parks_polygon.dbf for a split layer.
        layer = os.path.splitext(os.path.basename(path))[0]
        layer_place = any(layer == t or layer.startswith(t + "_") for t in PLACE_LAYERS)
        ds = ogr.Open(path)
        n = 0
        for lyr in ds:
            defn = lyr.GetLayerDefn()
            for f in lyr:
                for j in range(defn.GetFieldCount()):
                    if f.IsFieldSetAndNotNull(j):
                        n += 1
                        field = defn.GetFieldDefn(j).GetName()
                        place = layer_place or field == "name" or field.startswith("location")
                        self.text(f"{os.path.basename(path)}:{field}", f.GetFieldAsString(j),
                                  place)
        return n


def main():
    ctxprof, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    names, dates, ids, keys = needles(root)
    print(f"looking for {len(names)} names, {len(dates)} date-of-birth forms, {len(ids)} system ids "
          f"and {len(keys)} pseudonym keys")
    have = commands(ctxprof)
    table = dict(INVOCATIONS)
    missing = [c for c in have if c not in table]
    if missing:
        fail(f"commands with no entry in INVOCATIONS: {missing}")
    program = program_words(root)
    sc = Scanner(names, dates, ids, keys, program)
    print(f"({len(names & program)} of the names are also words of ctxprof's own messages: "
          "those count only as whole values)")
    tmp = tempfile.mkdtemp(prefix="ctxprof-privacy-")
    env = dict(os.environ)
    try:
        for cmd, runs in INVOCATIONS:
            if cmd not in have:
                fail(f"INVOCATIONS names '{cmd}', which is not a command of this ctxprof")
            helptext = subprocess.run([ctxprof, "help", cmd], capture_output=True, text=True).stdout
            verbose = ["-v"] if "--verbose" in helptext else []
            for args in runs:
                argv = [ctxprof] + [a.replace("{s}", os.path.join(root, "gis-data", "sample"))
                                    .replace("{t}", tmp) for a in args] + verbose
                r = subprocess.run(argv, capture_output=True, timeout=600, env=env,
                                   stdin=subprocess.DEVNULL)
                label = " ".join(args[:2])
                if r.returncode != 0:
                    fail(f"'{' '.join(argv)}' exit status {r.returncode}:\n"
                         + r.stderr.decode(errors="replace")[-2000:])
                sc.text(f"{label} stdout", r.stdout.decode("utf-8", "replace"))
                sc.text(f"{label} stderr", r.stderr.decode("utf-8", "replace"))
                print(f"{cmd:12s} {' '.join(args[1:])[:60]:60s} {len(r.stdout) + len(r.stderr)} "
                      "bytes of output")
        n_files = n_cells = 0
        for dirpath, _, files in os.walk(tmp):
            for fn in sorted(files):
                p = os.path.join(dirpath, fn)
                data = open(p, "rb").read()
                n_files += 1
                sc.binary(fn, data)
                if data.startswith(b"SQLite format 3"):
                    n_cells += sc.gpkg(p)
                elif fn.lower().endswith(".dbf"):
                    n_cells += sc.dbf(p)
                elif not fn.lower().endswith((".tif", ".shp", ".shx")):
                    sc.text(fn, data.decode("utf-8", "replace"))
        print(f"scanned {n_files} files ({n_cells} text cells) and every command's stdout/stderr")
        if sc.hits:
            fail(f"identity values or the key found: {sc.hits[:10]} ({len(sc.hits)} in all)")
        print("no name, date of birth, system id or pseudonym key anywhere")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
