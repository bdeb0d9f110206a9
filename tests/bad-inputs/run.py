#!/usr/bin/python3
"""Runs the bad-input corpus (tests/bad-inputs/manifest.json) against ctxprof.

Each case is a folder with a tiny profile (profile.ini) pointing at a bad
file; files too big or too binary to commit (garbage, a 10 MB line, a cut
GeoPackage, a layer without a CRS, an unreadable file) are made here first.
The whole tree is copied to a temporary folder, so nothing is written into
the source tree. A case expects one of:

  row problems   exit 0; per source the exact rows read, incidents and
                 rejects (rows read = incidents + rejects), and every reject
                 reason with its exact count
  file problems  exit 1 and a message on stderr naming the file, and the row
                 and field where they apply; no output file is left

and never a signal (a crash), a hang (every run has a timeout), text that is
not UTF-8 in the output, or an identity value in a message.

  run.py --ctxprof build/src/ctxprof --root SOURCE_DIR [CASE...]
"""
import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile

from osgeo import gdal, ogr, osr

gdal.UseExceptions()
HERE = os.path.dirname(os.path.abspath(__file__))


# --- files made at test time -------------------------------------------------

def gen_garbage(d, g, root):
    rnd = random.Random(g.get("seed", 1))
    with open(os.path.join(d, g["file"]), "wb") as fh:
        fh.write(bytes(rnd.randrange(256) for _ in range(g["bytes"])))


def gen_long_line(d, g, root):
    """A header, a good row, one row of 10 MB (one line), a good row."""
    with open(os.path.join(d, g["file"]), "w", encoding="ascii") as fh:
        fh.write("Ref,Date,Easting,Northing,Code,Notes\n")
        fh.write("R1,14/03/2025,530500,180500,SM,ok\n")
        fh.write("R2,15/03/2025,530600,180600,SM," + "x" * g["bytes"] + "\n")
        fh.write("R3,16/03/2025,530700,180700,PA,ok\n")


def gen_truncated_copy(d, g, root):
    src = os.path.join(root, g["from"])
    data = open(src, "rb").read()
    with open(os.path.join(d, g["file"]), "wb") as fh:
        fh.write(data[:int(len(data) * g["keep"])])


def square(x0, y0, x1, y1):
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)):
        ring.AddPoint_2D(x, y)
    p = ogr.Geometry(ogr.wkbPolygon)
    p.AddGeometry(ring)
    return p


def srs(epsg):
    s = osr.SpatialReference()
    s.ImportFromEPSG(epsg)
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return s


def write_layer(path, driver, epsg, geoms, fields=()):
    """geoms: list of (geometry in EPSG:27700, {field: value})."""
    ds = ogr.GetDriverByName(driver).CreateDataSource(path)
    target = srs(epsg) if epsg else None
    lyr = ds.CreateLayer(os.path.splitext(os.path.basename(path))[0], target, ogr.wkbUnknown)
    for name in fields:
        lyr.CreateField(ogr.FieldDefn(name, ogr.OFTString))
    ct = osr.CoordinateTransformation(srs(27700), target) if epsg and epsg != 27700 else None
    for geom, vals in geoms:
        f = ogr.Feature(lyr.GetLayerDefn())
        for k, v in vals.items():
            f[k] = v
        g = geom.Clone()
        if ct:
            g.Transform(ct)
        f.SetGeometry(g)
        lyr.CreateFeature(f)
    ds = None


def gen_no_crs_shapefile(d, g, root):
    """The study area as a shapefile whose .prj is missing."""
    write_layer(os.path.join(d, g["file"]), "ESRI Shapefile", None,
                [(square(530000, 180000, 531000, 181000), {})])


def gen_mixed_crs(d, g, root):
    """The mini square study area in WGS84, parks in Web Mercator, incidents
    in BNG, in lon/lat and in Web Mercator; planted in BNG so that the
    expected counts are exact."""
    write_layer(os.path.join(d, "study_area_wgs84.geojson"), "GeoJSON", 4326,
                [(square(530000, 180000, 531000, 181000), {})])
    write_layer(os.path.join(d, "parks_3857.geojson"), "GeoJSON", 3857,
                [(square(530100, 180100, 530300, 180300), {"id": "P1", "name": "Park One"}),
                 (square(530700, 180700, 530900, 180900), {"id": "P2", "name": "Park Two"})],
                ("id", "name"))
    # Two rows in park P1, one in P2, one outside the study area, per source.
    pts = [("R1", 530200, 180200), ("R2", 530150, 180250), ("R3", 530800, 180800),
           ("R4", 532500, 182500)]
    with open(os.path.join(d, "bng.csv"), "w") as fh:
        fh.write("Ref,Date,Easting,Northing\n")
        for ref, x, y in pts:
            fh.write(f"{ref},14/03/2025,{x},{y}\n")
    ct = osr.CoordinateTransformation(srs(27700), srs(4326))
    with open(os.path.join(d, "lonlat.csv"), "w") as fh:
        fh.write("Ref,Date,Lon,Lat\n")
        for ref, x, y in pts:
            lon, lat, _ = ct.TransformPoint(x, y)
            fh.write(f"{ref},14/03/2025,{lon:.7f},{lat:.7f}\n")
    geoms = []
    for ref, x, y in pts:
        p = ogr.Geometry(ogr.wkbPoint)
        p.AddPoint_2D(x, y)
        geoms.append((p, {"Ref": ref, "Date": "14/03/2025"}))
    write_layer(os.path.join(d, "mercator.geojson"), "GeoJSON", 3857, geoms, ("Ref", "Date"))


GENERATORS = {"garbage": gen_garbage, "long_line": gen_long_line,
              "truncated_copy": gen_truncated_copy, "no_crs_shapefile": gen_no_crs_shapefile,
              "mixed_crs": gen_mixed_crs}


# --- checks ------------------------------------------------------------------

class Fail(Exception):
    pass


def text_cells(path):
    """Every text cell of every table in a GeoPackage, as bytes."""
    con = sqlite3.connect(path)
    con.text_factory = bytes
    tables = [r[0].decode() for r in con.execute(
        "SELECT table_name FROM gpkg_contents WHERE data_type != '2d-gridded-coverage'")]
    for t in tables:
        cur = con.execute(f'SELECT * FROM "{t}"')
        cols = [c[0] for c in cur.description]
        for row in cur:
            for c, v in zip(cols, row):
                if isinstance(v, bytes) and c not in ("geom", "geometry"):
                    yield t, c, v
    con.close()


def reasons(path):
    got = {}
    ds = ogr.Open(path)
    for name in ("load_rejects", "geocode_rejects"):
        lyr = ds.GetLayerByName(name)
        for f in lyr or []:
            key = f["reason"]
            got[key] = got.get(key, 0) + 1
    return got


def run_case(case, a, work):
    d = os.path.join(work, case["name"])
    for g in case.get("generate", []):
        GENERATORS[g["kind"]](d, g, a.root)
    cmd = [a.ctxprof, "run", os.path.join(d, "profile.ini"), "-o", os.path.join(d, "out.gpkg"),
           "--json"]
    if "chmod" in case:
        target = os.path.join(d, case["chmod"]["file"])
        os.chmod(target, case["chmod"]["mode"])
        if os.geteuid() == 0:
            # root reads a mode-000 file: run this case as nobody instead.
            setpriv = shutil.which("setpriv")
            if not setpriv:
                return "skipped: running as root and no setpriv to drop to nobody"
            for root_dir, dirs, files in os.walk(work):
                os.chmod(root_dir, 0o777)
                for fn in files:
                    p = os.path.join(root_dir, fn)
                    if p != target:
                        os.chmod(p, 0o644)
            os.chmod(os.path.dirname(work), 0o755)
            cmd = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + cmd
            probe = subprocess.run(cmd[:4] + [a.ctxprof, "--version"], capture_output=True)
            if probe.returncode != 0:
                return "skipped: nobody cannot run the ctxprof binary here " \
                       f"({probe.stderr.decode(errors='replace').strip()[:120]})"
    try:
        r = subprocess.run(cmd, capture_output=True, timeout=case.get("timeout", 120),
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise Fail(f"no answer within {case.get('timeout', 120)} s (a hang)")
    if r.returncode < 0:
        raise Fail(f"killed by signal {signal.Signals(-r.returncode).name} (a crash)\n"
                   + r.stderr.decode(errors="replace")[-2000:])
    stderr = r.stderr.decode("utf-8", errors="replace")
    if "ERROR: AddressSanitizer" in stderr or "runtime error:" in stderr:
        raise Fail("sanitizer report:\n" + stderr[-3000:])
    exp = case["expect"]
    if r.returncode != exp["exit"]:
        raise Fail(f"exit status {r.returncode}, expected {exp['exit']}\n{stderr[-2000:]}")
    out = os.path.join(d, "out.gpkg")
    if exp["exit"] != 0:
        msg = [l for l in stderr.splitlines() if l.startswith("ctxprof: ") and
               not l.startswith("ctxprof: warning:")]
        if not msg:
            raise Fail(f"no error message on stderr:\n{stderr}")
        for want in exp["message"]:
            if want not in msg[-1]:
                raise Fail(f"message '{msg[-1]}' lacks '{want}'")
        if os.path.exists(out):
            raise Fail("a failed run left an output file")
        leftovers = [f for f in os.listdir(d) if "tmp" in f and "out" in f]
        if leftovers:
            raise Fail(f"a failed run left temporary files: {leftovers}")
        return f"exit 1: {msg[-1][len('ctxprof: '):]}"
    summary = json.loads(r.stdout)
    for src, want in exp["counts"].items():
        got = summary["sources"][src]
        for k, v in want.items():
            if got[k] != v:
                raise Fail(f"source {src}: {k} is {got[k]}, expected {v}")
        accounted = got["incidents"] + got["rejects_load"] + got["rejects_geocode"] + got["linkage"]
        if accounted != got["rows_read"]:
            raise Fail(f"source {src}: {got['rows_read']} rows read but {accounted} accounted for")
    got = reasons(out)
    if got != exp.get("reasons", {}):
        raise Fail(f"reject reasons {json.dumps(got, indent=1)}\nexpected "
                   f"{json.dumps(exp.get('reasons', {}), indent=1)}")
    for t, c, v in text_cells(out):
        try:
            v.decode("utf-8")
        except UnicodeDecodeError:
            raise Fail(f"{t}.{c} holds text that is not UTF-8: {v[:60]!r}")
    for layer, where, n in exp.get("layer_counts", []):
        lyr = ogr.Open(out).ExecuteSQL(f"SELECT COUNT(*) AS n FROM {layer} WHERE {where}")
        got_n = lyr.GetNextFeature()["n"]
        if got_n != n:
            raise Fail(f"{layer} WHERE {where}: {got_n} rows, expected {n}")
    for w in exp.get("warnings", []):
        if w not in stderr:
            raise Fail(f"stderr lacks the warning '{w}'")
    total = sum(s["rows_read"] for s in summary["sources"].values())
    return f"exit 0: {total} rows, {sum(got.values())} rejects with reasons, counts exact"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctxprof", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("cases", nargs="*")
    a = ap.parse_args()
    a.ctxprof = os.path.abspath(a.ctxprof)
    manifest = json.load(open(os.path.join(HERE, "manifest.json"), encoding="utf-8"))
    cases = [c for c in manifest["cases"] if not a.cases or c["name"] in a.cases]
    names = {c["name"] for c in manifest["cases"]}
    dirs = {n for n in os.listdir(HERE) if os.path.isdir(os.path.join(HERE, n)) and n != "common"}
    if dirs - names:
        print(f"FAIL: case folders without a manifest entry: {sorted(dirs - names)}")
        return 1
    tmp = tempfile.mkdtemp(prefix="ctxprof-bad-")
    work = os.path.join(tmp, "bad-inputs")
    shutil.copytree(HERE, work)
    failed = 0
    try:
        for case in cases:
            try:
                print(f"{case['name']:24s} {run_case(case, a, work)}")
            except Fail as e:
                failed += 1
                print(f"{case['name']:24s} FAIL: {e}")
    finally:
        if not os.environ.get("KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print("kept", tmp)
    print(f"{len(cases) - failed} of {len(cases)} bad-input cases as expected")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
