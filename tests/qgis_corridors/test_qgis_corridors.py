#!/usr/bin/env python3
"""Corridor route lengths against QGIS (label qgis): Camden schools routed by
`ctxprof corridors` over the OpenStreetMap roads, and QGIS 3.22's
native:shortestpathpointtopoint between the same two network nodes on the
same roads (reprojected to EPSG:27700), must agree within 1%.

Exits 77 (skipped) when qgis_process.bin or the real data are missing.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

from osgeo import ogr

QGIS = "/usr/bin/qgis_process.bin"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctxprof", required=True)
    ap.add_argument("--real", default=os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                                   "shared", "data", "real"))
    ap.add_argument("--pairs", type=int, default=8)
    a = ap.parse_args()
    real = os.path.abspath(a.real)
    roads = os.path.join(real, "osm", "derived", "camden_osm_roads.geojson")
    schools = os.path.join(real, "osm", "derived", "camden_osm_schools.geojson")
    if not os.access(QGIS, os.X_OK) or not os.path.exists(roads):
        print("skipped: no qgis_process.bin or no real data")
        return 77
    tmp = tempfile.mkdtemp(prefix="ctxprof-qgis-corr-")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=tmp)
    # ctxprof needs an incidents layer: one point is enough.
    inc = os.path.join(tmp, "in.gpkg")
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(inc)
    from osgeo import osr
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(27700)
    lyr = ds.CreateLayer("incidents", srs, ogr.wkbPoint)
    lyr.CreateField(ogr.FieldDefn("categories", ogr.OFTString))
    f = ogr.Feature(lyr.GetLayerDefn())
    f.SetGeometry(ogr.CreateGeometryFromWkt("POINT (529000 183000)"))
    lyr.CreateFeature(f)
    ds = None
    ini = os.path.join(tmp, "camden.ini")
    with open(ini, "w") as fp:
        fp.write(f"[profile]\nname = qgis corridors\ncrs = EPSG:27700\n[contexts]\n"
                 f"schools = {schools}\nroads = {roads}\n[corridors]\nphases = all\nk = 0\nmax_dist_m = 4000\n"
                 f"snap_tolerance_m = 0\n")
    out = os.path.join(tmp, "out.gpkg")
    r = subprocess.run([a.ctxprof, "corridors", inc, "--profile", ini, "-o", out, "--quiet"],
                       capture_output=True, text=True)
    if r.returncode:
        print(r.stderr)
        return 1
    # The algorithm asks for a project (for its distance settings): an empty
    # one in EPSG:27700, without an ellipsoid, so costs are planar metres.
    project = os.path.join(tmp, "p.qgs")
    with open(project, "w") as fp:
        fp.write('<!DOCTYPE qgis PUBLIC "http://mrcc.com/qgis.dtd" "SYSTEM">\n'
                 '<qgis version="3.22.0" projectname=""><projectCrs><spatialrefsys>'
                 '<authid>EPSG:27700</authid></spatialrefsys></projectCrs>'
                 '<properties><Measure><Ellipsoid type="QString">NONE</Ellipsoid></Measure>'
                 '</properties></qgis>\n')
    roads27700 = os.path.join(tmp, "roads.gpkg")
    subprocess.run(["ogr2ogr", "-f", "GPKG", "-t_srs", "EPSG:27700", "-nln", "roads", roads27700,
                    roads], check=True)
    ds = ogr.Open(out)
    routes = sorted(ds.GetLayerByName("corridor_routes"), key=lambda f: -f.GetField("network_m"))
    step = max(1, len(routes) // a.pairs)
    worst = 0.0
    n = 0
    for f in routes[::step][:a.pairs]:
        g = f.GetGeometryRef()
        if g.GetPointCount() < 4 or f.GetField("network_m") < 200:
            continue
        (x0, y0), (x1, y1) = g.GetPoint_2D(1), g.GetPoint_2D(g.GetPointCount() - 2)
        qout = os.path.join(tmp, f"q{n}.gpkg")
        r = subprocess.run([QGIS, "run", "native:shortestpathpointtopoint",
                            f"--PROJECT_PATH={project}", "--",
                            f"INPUT={roads27700}|layername=roads", "STRATEGY=0", "TOLERANCE=0",
                            f"START_POINT={x0!r},{y0!r} [EPSG:27700]",
                            f"END_POINT={x1!r},{y1!r} [EPSG:27700]", f"OUTPUT={qout}"],
                           capture_output=True, text=True, env=env, timeout=300)
        if r.returncode:
            print(r.stdout[-2000:], r.stderr[-2000:])
            return 1
        q = ogr.Open(qout)
        qf = next(iter(q.GetLayer(0)))
        cost = qf.GetField("cost")
        ours = f.GetField("network_m")
        rel = abs(ours - cost) / cost
        worst = max(worst, rel)
        print(f"{f.GetField('school_a')}-{f.GetField('school_b')}: ctxprof {ours:.1f} m, "
              f"QGIS {cost:.1f} m, difference {100 * rel:.3f}%")
        n += 1
    print(f"{n} routes; largest difference {100 * worst:.3f}% (limit 1%)")
    if n == 0:
        print("FAIL: no routes compared")
        return 1
    if worst > 0.01:
        print("FAIL: a route differs from QGIS by more than 1%")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
