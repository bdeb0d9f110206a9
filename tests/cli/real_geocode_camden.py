#!/usr/bin/python3
"""Geocoding real police.uk street names in Camden, measured against the
published points. A gazetteer is built from Code-Point Open (N, NW, WC, EC)
and the OpenStreetMap Camden extract (roads, named points, schools, parks);
the "On or near X" text of every Camden crime of 2018-03 is geocoded with
no coordinates; each placed record is compared with its published police.uk
map point. police.uk's anonymised category places ("On or near Supermarket")
name no particular place and stay unplaced, so the floor is below 100%.

Floors (measured: hit rate 0.762, median 22.6 m): hit rate >= 0.74,
median distance <= 35 m."""
import csv
import os
import statistics
import subprocess
import sys
import tempfile

from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ctxprof, root = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(root, "tests", "lib"))
import grids  # noqa: E402
import real_data  # noqa: E402

real = real_data.require(real=os.path.normpath(os.path.join(root, "..", "shared", "data", "real")))
cp = os.path.join(real, "postcodes", "codepoint_open_2025_4", "Data", "CSV")
osm = os.path.join(real, "osm")
tmp = tempfile.mkdtemp(prefix="ctxprof-camden-")
gaz = os.path.join(tmp, "gaz.gpkg")
run = lambda *a: subprocess.run([ctxprof, *a], check=True, capture_output=True, text=True)
run("gazetteer", "build", "-o", gaz,
    "--postcodes", ",".join(os.path.join(cp, f + ".csv") for f in ("n", "nw", "wc", "ec")),
    "--streets", os.path.join(osm, "derived", "camden_osm_roads.geojson"),
    "--places", ",".join([os.path.join(osm, "camden.osm.pbf") + "|layername=points",
                          os.path.join(osm, "derived", "camden_osm_schools.geojson"),
                          os.path.join(osm, "derived", "camden_osm_parks_open_space.geojson")]))
rows = [r for r in csv.DictReader(open(os.path.join(
    real, "police", "2018-03-metropolitan-street-5boroughs.csv"), encoding="utf-8"))
    if r["borough"] == "Camden"]
text = os.path.join(tmp, "camden.csv")
with open(text, "w", newline="", encoding="utf-8") as fh:
    w = csv.writer(fh)
    w.writerow(["Location"])
    for r in rows:
        w.writerow([r["Location"]])
out = os.path.join(tmp, "geo.gpkg")
run("geocode", text, "-g", gaz, "--location", "Location", "-o", out)
ct = grids.wgs84_to_bng()
ds = ogr.Open(out)
dist = []
for f in ds.GetLayerByName("incidents"):
    r = rows[f["source_row"] - 1]
    x, y, _ = ct.TransformPoint(float(r["Longitude"]), float(r["Latitude"]))
    g = f.GetGeometryRef()
    dist.append(((g.GetX() - x) ** 2 + (g.GetY() - y) ** 2) ** 0.5)
rate, median = len(dist) / len(rows), statistics.median(dist)
print(f"Camden 2018-03: {len(rows)} records, {len(dist)} placed, hit rate {rate:.3f}, "
      f"median distance to the published point {median:.1f} m")
if rate < 0.74 or median > 35:
    sys.exit(f"FAIL: below the floor (hit rate >= 0.74, median <= 35 m)")
