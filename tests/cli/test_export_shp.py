#!/usr/bin/python3
"""ctxprof export shp, round trip: the sample profile and a fixture GeoPackage
(mixed geometry types, colliding long field names, dates and date-times,
text over 254 bytes, awkward reals, 64-bit integers, booleans, null
geometries) are exported, and every file is read back twice -- with GDAL
(osgeo.ogr) and with shapelib's own tools (shpdump, dbfdump) -- and compared
with the GeoPackage: numbers exactly, text exactly (a DBF cannot tell an
empty string from NULL, nor keep leading or trailing spaces), dates,
coordinates exactly. Also: the mapping files, the 254-byte truncation
warning, the size refusal (CTXPROF_SHP_LIMIT_BYTES), owner-only modes (the
profile GeoPackage of `ctxprof run` and every exported file) and errors.

usage: test_export_shp.py --ctxprof BIN --root SRC
"""
import argparse
import csv
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

from osgeo import ogr, osr

ogr.UseExceptions()

FAILURES = []


def check(cond, msg):
    if not cond:
        FAILURES.append(msg)
        print("FAIL: " + msg)
        if len(FAILURES) > 40:
            sys.exit(1)


def run(cmd, env=None, expect=0):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if expect is not None and p.returncode != expect:
        print(p.stdout)
        print(p.stderr)
        sys.exit(f"FAIL: {' '.join(cmd)} exited {p.returncode}, expected {expect}")
    return p


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# ------------------------------------------------------------- geometry

FAMILY = {"POINT": "point", "MULTIPOINT": "multipoint", "LINESTRING": "line",
          "MULTILINESTRING": "line", "POLYGON": "polygon", "MULTIPOLYGON": "polygon"}


def family(g):
    if g is None or g.IsEmpty():
        return None
    name = g.GetGeometryName()
    if name not in FAMILY:
        sys.exit(f"FAIL: the test does not know geometry type {name}")
    return FAMILY[name]


def ring_key(pts):
    """A ring as a tuple, clockwise (shapefile outer rings are clockwise,
    holes counter-clockwise: orientation is the format's, not the data's)."""
    area = sum(pts[i][0] * pts[i + 1][1] - pts[i + 1][0] * pts[i][1] for i in range(len(pts) - 1))
    if area > 0:
        pts = pts[::-1]
    return tuple(pts)


def coords(g, z):
    return [(g.GetX(i), g.GetY(i)) + ((g.GetZ(i),) if z else ()) for i in range(g.GetPointCount())]


def parts_of(g, z):
    """Normalised parts of an OGR geometry: points, lines or rings."""
    fam = family(g)
    if fam is None:
        return ("null", ())
    name = g.GetGeometryName()
    if fam == "point":
        return (fam, tuple(coords(g, z)))
    if fam == "multipoint":
        return (fam, tuple(p for i in range(g.GetGeometryCount()) for p in coords(g.GetGeometryRef(i), z)))
    if fam == "line":
        lines = [g] if name == "LINESTRING" else [g.GetGeometryRef(i) for i in range(g.GetGeometryCount())]
        return (fam, tuple(tuple(coords(l, z)) for l in lines))
    polys = [g] if name == "POLYGON" else [g.GetGeometryRef(i) for i in range(g.GetGeometryCount())]
    rings = [ring_key(coords(p.GetGeometryRef(i), z)) for p in polys for i in range(p.GetGeometryCount())]
    return (fam, tuple(sorted(rings)))


def parse_shpdump(path, z):
    """Shapes from `shpdump -precision 17`: [(type, [parts of vertices])]."""
    out = run(["shpdump", "-precision", "17", path]).stdout
    shapes = []
    vert = re.compile(r"^\s*(\+)?\s*\(([^,]+),([^,]+), ([^,)]+)(?:, [^)]+)?\)\s*(Ring)?")
    for line in out.splitlines():
        m = re.match(r"^Shape:(\d+) \((\w+)\)", line)
        if m:
            shapes.append([m.group(2), []])
            continue
        m = vert.match(line)
        if m and shapes:
            pt = (float(m.group(2)), float(m.group(3))) + ((float(m.group(4)),) if z else ())
            if m.group(5) or not shapes[-1][1]:
                shapes[-1][1].append([])
            shapes[-1][1][-1].append(pt)
    return shapes


def shpdump_parts(shape, fam):
    typ, parts = shape
    if typ == "NullShape" or not parts:
        return ("null", ())
    if fam in ("point", "multipoint"):
        return (fam, tuple(p for part in parts for p in part))
    if fam == "line":
        return (fam, tuple(tuple(p) for p in parts))
    return (fam, tuple(sorted(ring_key(list(p)) for p in parts)))


# ---------------------------------------------------------------- values

def gpkg_value(f, i, defn, part):
    """The value expected in the DBF for field i of GeoPackage feature f."""
    fd = defn.GetFieldDefn(i)
    t = fd.GetType()
    if not f.IsFieldSetAndNotNull(i):
        return None
    if t == ogr.OFTString:
        s = f.GetFieldAsString(i).encode("utf-8")
        if len(s) > 254:
            n = 254
            while n and (s[n] & 0xC0) == 0x80:  # not inside a character
                n -= 1
            s = s[:n]
        s = s.decode("utf-8").strip(" ")
        return s or None
    if t == ogr.OFTInteger and fd.GetSubType() == ogr.OFSTBoolean:
        return bool(f.GetFieldAsInteger(i))
    if t in (ogr.OFTInteger, ogr.OFTInteger64):
        return f.GetFieldAsInteger64(i)
    if t == ogr.OFTReal:
        return f.GetFieldAsDouble(i)
    if t in (ogr.OFTDate, ogr.OFTDateTime):
        y, mo, d, h, mi, s, tz = f.GetFieldAsDateTime(i)
        if part:
            t = "%02d:%02d:%02d" % (h, mi, int(s))
            if tz == 100:
                t += "Z"
            elif tz > 1:
                off = (tz - 100) * 15
                t += "%s%02d:%02d" % ("-" if off < 0 else "+", abs(off) // 60, abs(off) % 60)
            return t
        return "%04d-%02d-%02d" % (y, mo, d)
    sys.exit(f"FAIL: the test does not know field type {fd.GetTypeName()}")


def shp_value_gdal(f, name, typ):
    i = f.GetFieldIndex(name)
    if i < 0 or not f.IsFieldSetAndNotNull(i):
        return None
    fd = f.GetDefnRef().GetFieldDefn(i)
    if typ == "L":  # GDAL 3.6 reads a DBF logical as its letter
        v = f.GetFieldAsString(i).strip()
        return None if v in ("", "?") else v in ("T", "t", "Y", "y")
    if typ == "D":
        y, mo, d, *_ = f.GetFieldAsDateTime(i)
        return "%04d-%02d-%02d" % (y, mo, d)
    if typ.startswith("N"):
        if fd.GetType() == ogr.OFTReal:
            return f.GetFieldAsDouble(i)
        return f.GetFieldAsInteger64(i)
    return f.GetFieldAsString(i)


def shp_value_raw(raw, typ, gpkg_type):
    """A value as dbfdump -r prints it."""
    s = raw.strip(" ")
    if typ == "L":
        return None if s in ("", "?") else s in ("T", "t", "Y", "y")
    if typ == "D":
        return None if s in ("", "00000000") else f"{s[0:4]}-{s[4:6]}-{s[6:8]}"
    if typ.startswith("N"):
        if s == "" or set(s) == {"*"}:
            return None
        return float(s) if gpkg_type == ogr.OFTReal else int(s)
    return s or None


def parse_dbfdump(path, names):
    """Records from `dbfdump -r -m`, one dict per record (raw strings)."""
    out = subprocess.run(["dbfdump", "-r", "-m", path], capture_output=True).stdout.decode("utf-8")
    recs = []
    cur = None
    expect = 0
    for line in out.split("\n"):
        if re.match(r"^Record: \d+$", line):
            cur = {}
            recs.append(cur)
            expect = 0
            continue
        if cur is None:
            continue
        if expect < len(names) and line.startswith(names[expect] + ": "):
            cur[names[expect]] = line[len(names[expect]) + 2:]
            expect += 1
        elif expect and line:  # a value with a newline in it
            cur[names[expect - 1]] += "\n" + line
    return recs


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and float(a) == float(b) and type(a) == type(b)
    return a == b


# ------------------------------------------------------------- one layer

def read_mapping(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def compare_layer(gpkg, lyr_name, outdir, stats):
    ds = ogr.Open(gpkg)
    lyr = ds.GetLayerByName(lyr_name)
    defn = lyr.GetLayerDefn()
    base = lyr_name
    mapping = read_mapping(os.path.join(outdir, base + ".fields.csv"))
    # mapping rows in column order; a date-time gives a second, time-of-day row
    cols = []
    for row in mapping:
        src = row["gpkg_name"]
        part = 0
        if src.endswith(" (time of day)"):
            src, part = src[: -len(" (time of day)")], 1
        i = defn.GetFieldIndex(src)
        check(i >= 0, f"{lyr_name}: mapping names unknown column {src}")
        check(len(row["shp_name"]) <= 10, f"{lyr_name}: {row['shp_name']} longer than 10")
        cols.append((i, part, row["shp_name"], row["type"], defn.GetFieldDefn(i).GetType()))
    check(len({c[2].lower() for c in cols}) == len(cols), f"{lyr_name}: shp names not unique")
    check(len(cols) == defn.GetFieldCount() + sum(
        1 for i in range(defn.GetFieldCount()) if defn.GetFieldDefn(i).GetType() == ogr.OFTDateTime),
        f"{lyr_name}: mapping does not list every column")

    spatial = lyr.GetGeomType() != ogr.wkbNone
    feats = []  # (family or None, parts, values)
    is3d = False
    for f in lyr:
        g = f.GetGeometryRef() if spatial else None
        if g is not None and g.Is3D():
            is3d = True
        feats.append((family(g), g.Clone() if g is not None else None,
                      [gpkg_value(f, i, defn, part) for i, part, *_ in cols]))
    groups = {}
    first = None
    for fam, g, vals in feats:
        if spatial and fam is not None and first is None:
            first = fam
    for fam, g, vals in feats:
        key = (fam or first or "table") if spatial else "table"
        groups.setdefault(key, []).append((fam, g, vals))
    split = spatial and len(groups) > 1
    for key, rows in groups.items():
        fbase = base + ("_" + key if split else "")
        ext = ".shp" if spatial else ".dbf"
        path = os.path.join(outdir, fbase + ext)
        check(os.path.exists(path), f"{lyr_name}: {fbase}{ext} missing")
        if not os.path.exists(path):
            continue
        z = any(g is not None and g.Is3D() for _, g, _ in rows)
        # GDAL
        sds = ogr.Open(path)
        sl = sds.GetLayer(0)
        check(sl.GetFeatureCount() == len(rows),
              f"{fbase}: {sl.GetFeatureCount()} records for {len(rows)} features")
        for n, (sf, (fam, g, vals)) in enumerate(zip(sl, rows)):
            for (i, part, name, typ, gtype), want in zip(cols, vals):
                got = shp_value_gdal(sf, name, typ)
                check(same(got, want), f"GDAL {fbase} record {n} field {name}: {got!r} != {want!r}")
                stats["values"] += 1
            if spatial:
                gg = sf.GetGeometryRef()
                want_g = parts_of(g, z) if fam else ("null", ())
                got_g = parts_of(gg, z) if gg is not None and not gg.IsEmpty() else ("null", ())
                check(got_g[1] == want_g[1],
                      f"GDAL {fbase} record {n}: geometry differs {str(got_g)[:200]} != {str(want_g)[:200]}")
                stats["geometries"] += 1
        sds = None
        # shapelib's tools
        dbf = os.path.join(outdir, fbase + ".dbf")
        recs = parse_dbfdump(dbf, [c[2] for c in cols])
        check(len(recs) == len(rows), f"dbfdump {fbase}: {len(recs)} records for {len(rows)}")
        for n, (rec, (fam, g, vals)) in enumerate(zip(recs, rows)):
            for (i, part, name, typ, gtype), want in zip(cols, vals):
                got = shp_value_raw(rec.get(name, ""), typ, gtype)
                check(same(got, want), f"dbfdump {fbase} record {n} field {name}: {got!r} != {want!r}")
                stats["values"] += 1
        if spatial:
            shapes = parse_shpdump(path, z)
            check(len(shapes) == len(rows), f"shpdump {fbase}: {len(shapes)} shapes for {len(rows)}")
            for n, (shape, (fam, g, vals)) in enumerate(zip(shapes, rows)):
                want_g = parts_of(g, z) if fam else ("null", ())
                got_g = shpdump_parts(shape, fam or key)
                check(got_g[1] == want_g[1],
                      f"shpdump {fbase} record {n}: geometry differs {str(got_g)[:200]} != {str(want_g)[:200]}")
                stats["geometries"] += 1
            for ext2 in (".shx", ".prj", ".cpg"):
                check(os.path.exists(os.path.join(outdir, fbase + ext2)), f"{fbase}{ext2} missing")
            with open(os.path.join(outdir, fbase + ".prj")) as f:
                prj = f.read()
            srs = osr.SpatialReference()
            check(prj.startswith("PROJCS[") or prj.startswith("GEOGCS["), f"{fbase}.prj is not ESRI WKT1")
            check(srs.ImportFromWkt(prj) == 0, f"{fbase}.prj does not parse")
            src_srs = lyr.GetSpatialRef()
            if src_srs is not None:
                check(srs.IsSame(src_srs, ["IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES",
                                           "CRITERION=EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS"]) == 1,
                      f"{fbase}.prj is not the layer's CRS")
        with open(os.path.join(outdir, fbase + ".cpg")) as f:
            check(f.read().strip() == "UTF-8", f"{fbase}.cpg is not UTF-8")
    return split, sorted(groups)


# --------------------------------------------------------------- fixture

LONG_TEXT = "a" + "€" * 100  # 301 bytes: byte 254 falls inside a '€', so 253 are kept


def make_fixture(path):
    drv = ogr.GetDriverByName("GPKG")
    ds = drv.CreateDataSource(path)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(27700)
    lyr = ds.CreateLayer("mixed", srs, ogr.wkbUnknown)
    fields = [("id", ogr.OFTString), ("category_name_a", ogr.OFTString),
              ("category_name_b", ogr.OFTInteger64), ("category_name_c", ogr.OFTReal),
              ("category_n", ogr.OFTString), ("seen_on", ogr.OFTDate),
              ("occurred_at", ogr.OFTDateTime), ("notes", ogr.OFTString),
              ("flagged", ogr.OFTInteger), ("weird name-é", ogr.OFTInteger)]
    for name, t in fields:
        fd = ogr.FieldDefn(name, t)
        if name == "flagged":
            fd.SetSubType(ogr.OFSTBoolean)
        lyr.CreateField(fd)
    rows = [
        ("POLYGON ((0 0,0 10,10 10,10 0,0 0),(2 2,4 2,4 4,2 4,2 2))", "r1", "a", 9007199254740993, 0.1,
         "x", (2024, 2, 29), (2024, 3, 1, 15, 20, 5), LONG_TEXT, 1, 7),
        ("POINT (530000.123456789 180000.987654321)", "r2", "b", -42, 1e-30, None, None,
         (1999, 12, 31, 23, 59, 59), "short", 0, -3),
        (None, "r3", None, None, None, None, None, None, None, None, None),
        ("LINESTRING Z (0 0 1,1 1 2,2 0.5 3.25)", "r4", "c", 0, -123456.789, "", (2000, 1, 1), None, "",
         None, 0),
        ("MULTIPOLYGON (((20 20,20 30,30 30,20 20)),((40 40,40 50,50 50,40 40)))", "r5", "d", 5,
         1.0 / 3, "q", (1970, 1, 1), (2020, 6, 30, 0, 0, 0), "x" * 300, 1, 1),
        ("MULTIPOINT (1 2,3 4)", "r6", "e", 1, 2.5e15, "  padded  ", None, None, "ok", 0, 2),
        ("POINT (5 6)", "r7", "f", 2, 12345678.9, "é", (2024, 12, 31), None, None, 1, 3),
    ]
    for r in rows:
        f = ogr.Feature(lyr.GetLayerDefn())
        if r[0]:
            f.SetGeometry(ogr.CreateGeometryFromWkt(r[0]))
        for (name, t), v in zip(fields, r[1:]):
            if v is None:
                continue
            if t == ogr.OFTDate:
                f.SetField(name, v[0], v[1], v[2], 0, 0, 0, 0)
            elif t == ogr.OFTDateTime:
                f.SetField(name, *v, 0)
            elif t == ogr.OFTInteger64:
                f.SetFieldInteger64(f.GetFieldIndex(name), v)
            else:
                f.SetField(name, v)
        lyr.CreateFeature(f)
    t = ds.CreateLayer("plain_table", None, ogr.wkbNone)
    t.CreateField(ogr.FieldDefn("a_rather_long_name", ogr.OFTString))
    f = ogr.Feature(t.GetLayerDefn())
    f["a_rather_long_name"] = "v"
    t.CreateFeature(f)
    ds = None


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctxprof", required=True)
    ap.add_argument("--root", required=True)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="ctxprof-export-")
    env = dict(os.environ)
    try:
        os.umask(0o022)
        stats = {"values": 0, "geometries": 0}
        # 1. The sample profile, owner-only.
        gpkg = os.path.join(tmp, "profile.gpkg")
        run([a.ctxprof, "run", os.path.join(a.root, "gis-data/sample/sample.ini"), "-o", gpkg])
        check(mode(gpkg) == 0o600, f"profile GeoPackage mode {oct(mode(gpkg))}, want 0600")
        out = os.path.join(tmp, "shp")
        p = run([a.ctxprof, "export", "shp", gpkg, "-o", out, "--json"])
        summary = json.loads(p.stdout)
        for fsum in summary["files"]:
            ext = ".shp" if fsum["shape"] != "table" else ".dbf"
            check(os.path.exists(os.path.join(out, fsum["file"] + ext)), f"--json names {fsum['file']}")
            check(fsum["dbf_bytes"] == os.path.getsize(os.path.join(out, fsum["file"] + ".dbf")),
                  f"--json dbf_bytes of {fsum['file']}")
        check(not [n for n in os.listdir(out) if n.startswith(".")], "temporary folder left")
        for n in os.listdir(out):
            check(mode(os.path.join(out, n)) == 0o600, f"{n} mode {oct(mode(os.path.join(out, n)))}")
        ds = ogr.Open(gpkg)
        layers = [ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())]
        ds = None
        check("run_metadata" in layers, "sample has no run_metadata")
        for table in ("run_metadata", "layer_styles"):
            check(not os.path.exists(os.path.join(out, table + ".dbf")), table + " exported")
        layers = [name for name in layers if name not in ("run_metadata", "layer_styles")]
        for name in layers:
            split, groups = compare_layer(gpkg, name, out, stats)
            # places of concern come from point and polygon layers at once
            want = ["point", "polygon"] if name == "places_of_concern" else None
            check((groups == want) if want else not split,
                  f"sample layer {name} split into {groups}")
        print(f"sample: {len(layers)} layers, {stats['values']} values and "
              f"{stats['geometries']} geometries compared")
        # incidents.fields.csv: known names
        m = {r["gpkg_name"]: (r["shp_name"], r["type"]) for r in
             read_mapping(os.path.join(out, "incidents.fields.csv"))}
        check(m["incident_uid"][0] == "incident_u", f"incident_uid -> {m['incident_uid']}")
        check(m["pid"] == ("pid", m["pid"][1]) and m["pid"][1].startswith("C("), f"pid -> {m['pid']}")
        check(m["geocode_score"][1].startswith("N("), f"geocode_score type {m['geocode_score']}")

        # 2. The fixture: mixed types, names, truncation, dates.
        fx = os.path.join(tmp, "fixture.gpkg")
        make_fixture(fx)
        out2 = os.path.join(tmp, "fx")
        p = run([a.ctxprof, "export", "shp", fx, "-o", out2])
        split, groups = compare_layer(fx, "mixed", out2, stats)
        check(split and groups == ["line", "multipoint", "point", "polygon"],
              f"mixed layer split into {groups}")
        compare_layer(fx, "plain_table", out2, stats)
        check(os.path.exists(os.path.join(out2, "plain_table.dbf")) and
              not os.path.exists(os.path.join(out2, "plain_table.shp")), "table not .dbf only")
        m = [(r["gpkg_name"], r["shp_name"], r["type"]) for r in
             read_mapping(os.path.join(out2, "mixed.fields.csv"))]
        want = [("id", "id"), ("category_name_a", "category_1"),
                ("category_name_b", "category_2"), ("category_name_c", "category_3"),
                ("category_n", "category_n"), ("seen_on", "seen_on"),
                ("occurred_at", "occurred_a"), ("occurred_at (time of day)", "occurred_1"),
                ("notes", "notes"), ("flagged", "flagged"), ("weird name-é", "weird_name")]
        check([(x[0], x[1]) for x in m] == want, f"mixed mapping {m}")
        types = {x[0]: x[2] for x in m}
        check(types["seen_on"] == "D" and types["occurred_at"] == "D", f"dates not D: {types}")
        check(types["flagged"] == "L", f"boolean not L: {types}")
        check(types["notes"] == "C(254)", f"notes not C(254): {types}")
        # the warning names layer, fid and field, and never the text
        warn = [l for l in p.stderr.splitlines() if "cut to" in l]
        check(len(warn) == 2, f"expected 2 truncation warnings: {p.stderr}")
        check(any("layer mixed fid 1 field notes" in l for l in warn), f"warning: {warn}")
        check(any("layer mixed fid 5 field notes" in l for l in warn), f"warning: {warn}")
        check(all("xxx" not in l and "€" not in l for l in warn), "warning shows the text")
        check("truncated" in p.stdout or "were cut" in p.stdout, "summary says nothing of cuts")
        d = ogr.Open(os.path.join(out2, "mixed_polygon.shp"))
        f = d.GetLayer(0).GetNextFeature()
        got = f["notes"].encode("utf-8")
        check(len(got) == 253 and LONG_TEXT.encode("utf-8").startswith(got),
              f"truncated text is {len(got)} bytes")
        check(f["category_1"] == "a" and f["category_2"] == 9007199254740993,
              "polygon record values")
        d = None
        print(f"fixture: {stats['values']} values and {stats['geometries']} geometries compared in all")

        # 3. The size refusal: nothing written.
        out3 = os.path.join(tmp, "big")
        e = dict(env, CTXPROF_SHP_LIMIT_BYTES="100000")
        p = run([a.ctxprof, "export", "shp", gpkg, "-o", out3], env=e, expect=1)
        check("over the shapefile format's limit of 100000 bytes" in p.stderr, p.stderr)
        check("incidents.dbf would be" in p.stderr or "incidents.shp would be" in p.stderr, p.stderr)
        check(not os.path.exists(out3) or not os.listdir(out3), "files written despite the limit")
        # The estimate is exact: the largest file's size passes, one byte less does not.
        for lname in ("incidents", "hotspot_gistar", "bus_segments"):
            for ext in (".shp", ".dbf"):
                size = os.path.getsize(os.path.join(out, lname + ext))
                others = max(os.path.getsize(os.path.join(out, lname + x)) for x in (".shp", ".dbf"))
                if size < others:
                    continue
                o4 = os.path.join(tmp, "exact-" + lname)
                e = dict(env, CTXPROF_SHP_LIMIT_BYTES=str(size))
                run([a.ctxprof, "export", "shp", gpkg, "-o", o4, "--layers", lname], env=e)
                shutil.rmtree(o4)
                e = dict(env, CTXPROF_SHP_LIMIT_BYTES=str(size - 1))
                p = run([a.ctxprof, "export", "shp", gpkg, "-o", o4, "--layers", lname], env=e, expect=1)
                check(f"{lname}{ext} would be {size} bytes" in p.stderr, p.stderr)
                check(not os.path.exists(o4), f"{o4} created despite the limit")
        e = dict(env, CTXPROF_SHP_LIMIT_BYTES="100000000")
        run([a.ctxprof, "export", "shp", gpkg, "-o", out3, "--layers", "hotspots"], env=e)
        check(sorted(os.listdir(out3)) == sorted(
            ["hotspots" + x for x in (".shp", ".shx", ".dbf", ".prj", ".cpg", ".fields.csv")]),
            f"--layers hotspots wrote {os.listdir(out3)}")

        # 4. Errors.
        p = run([a.ctxprof, "export", "shp", gpkg, "-o", out3, "--layers", "nope"], expect=1)
        check("has no layer 'nope'" in p.stderr and "incidents" in p.stderr, p.stderr)
        p = run([a.ctxprof, "export", "csv", gpkg, "-o", out3], expect=2)
        check("expected a format, 'shp'" in p.stderr, p.stderr)
        p = run([a.ctxprof, "export", "shp", gpkg], expect=2)
        check("give -o DIR" in p.stderr, p.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} failures")
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
