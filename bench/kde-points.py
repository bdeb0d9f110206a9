#!/usr/bin/python3
"""Writes N points for the kernel density benchmark: the police.uk crimes of
../shared/data/real (27 months, five North London boroughs) in British
National Grid, repeated with a seeded 0-150 m jitter until there are N.

    /usr/bin/python3 bench/kde-points.py --n 1000000 -o /tmp/ctxprof-bench/kde-1m.gpkg
"""
import argparse
import glob
import math
import os
import random

from osgeo import gdal, ogr, osr

gdal.UseExceptions()

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=1000000)
ap.add_argument("--real", default=os.environ.get("CTXPROF_REAL_DATA", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "real")))
ap.add_argument("-o", "--output", required=True)
a = ap.parse_args()

wgs = osr.SpatialReference()
wgs.ImportFromEPSG(4326)
wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
bng = osr.SpatialReference()
bng.ImportFromEPSG(27700)
ct = osr.CoordinateTransformation(wgs, bng)
base = []
for path in sorted(glob.glob(os.path.join(a.real, "police", "*-metropolitan-street-*.csv"))):
    ds = gdal.OpenEx(path, gdal.OF_VECTOR,
                     open_options=["X_POSSIBLE_NAMES=Longitude", "Y_POSSIBLE_NAMES=Latitude"])
    for f in ds.GetLayer(0):
        g = f.GetGeometryRef()
        if g is not None and not g.IsEmpty():
            base.append(ct.TransformPoint(g.GetX(), g.GetY())[:2])
if not base:
    raise SystemExit(f"no police.uk files under {a.real}/police")
rnd = random.Random(2016)
drv = ogr.GetDriverByName("GPKG")
if os.path.exists(a.output):
    drv.DeleteDataSource(a.output)
os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
ds = drv.CreateDataSource(a.output)
lyr = ds.CreateLayer("crimes", bng, ogr.wkbPoint)
lyr.StartTransaction()
defn = lyr.GetLayerDefn()
for i in range(a.n):
    x, y = base[i % len(base)]
    if i >= len(base):
        r, t = 150 * math.sqrt(rnd.random()), 2 * math.pi * rnd.random()
        x, y = x + r * math.cos(t), y + r * math.sin(t)
    f = ogr.Feature(defn)
    g = ogr.Geometry(ogr.wkbPoint)
    g.AddPoint_2D(x, y)
    f.SetGeometry(g)
    lyr.CreateFeature(f)
lyr.CommitTransaction()
ds = None
print(f"{a.output}: {a.n} points from {len(base)} police.uk crimes")
