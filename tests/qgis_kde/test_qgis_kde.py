#!/usr/bin/python3
"""ctxprof kde --qgis-compat against QGIS 3.22's own Heatmap, cell by cell.

    /usr/bin/python3 tests/qgis_kde/test_qgis_kde.py --ctxprof build/src/ctxprof [-v]

Runs /usr/bin/qgis_process.bin (headless: offscreen, private HOME and
XDG_RUNTIME_DIR) with qgis:heatmapkerneldensityestimation and ctxprof kde
--qgis-compat on the same GeoPackage, for all five kernels, raw and scaled,
triangular decay (positive and negative), a weight field, and small inputs
chosen to hit QGIS's rules (stamp half-width rounding, cells exactly at the
radius, many coincident points summed in Float32, the mirrored y offset).
Each pair must have the same grid, the same NoData mask and values within
1e-6 relative. Inputs: a police.uk month from ../shared/data/real (when
present) and generated points. Exit 77 (skipped) when QGIS, GDAL's Python
bindings or numpy are not installed.
"""
import argparse
import concurrent.futures
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77
QGIS_PROCESS = "/usr/bin/qgis_process.bin"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
REAL_MONTH = os.path.normpath(os.path.join(
    ROOT, "..", "shared", "data", "real", "police", "2016-01-metropolitan-street-5boroughs.csv"))
TOLERANCE = 1e-6

if not os.access(QGIS_PROCESS, os.X_OK):
    print(f"SKIP: {QGIS_PROCESS} is not installed (Debian package qgis)")
    sys.exit(SKIP)
try:
    import numpy as np
    from osgeo import gdal, ogr, osr
except ImportError as e:
    print(f"SKIP: {e} (Debian packages python3-gdal, python3-numpy)")
    sys.exit(SKIP)
gdal.UseExceptions()


def write_points(path, pts, weights=None):
    """A GeoPackage point layer in EPSG:27700, features in the given order."""
    drv = ogr.GetDriverByName("GPKG")
    if os.path.exists(path):
        drv.DeleteDataSource(path)
    ds = drv.CreateDataSource(path)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(27700)
    lyr = ds.CreateLayer("points", srs, ogr.wkbPoint)
    lyr.CreateField(ogr.FieldDefn("w", ogr.OFTReal))
    lyr.StartTransaction()
    for i, (x, y) in enumerate(pts):
        f = ogr.Feature(lyr.GetLayerDefn())
        if weights is not None and weights[i] is not None:
            f["w"] = weights[i]
        g = ogr.Geometry(ogr.wkbPoint)
        g.AddPoint_2D(x, y)
        f.SetGeometry(g)
        lyr.CreateFeature(f)
    lyr.CommitTransaction()
    ds = None


def real_points():
    """A police.uk month (WGS84) as British National Grid points."""
    src = ogr.GetDriverByName("CSV").Open(REAL_MONTH) if False else gdal.OpenEx(
        REAL_MONTH, gdal.OF_VECTOR,
        open_options=["X_POSSIBLE_NAMES=Longitude", "Y_POSSIBLE_NAMES=Latitude"])
    wgs = osr.SpatialReference()
    wgs.ImportFromEPSG(4326)
    wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    bng = osr.SpatialReference()
    bng.ImportFromEPSG(27700)
    ct = osr.CoordinateTransformation(wgs, bng)
    pts = []
    for f in src.GetLayer(0):
        g = f.GetGeometryRef()
        if g is None or g.IsEmpty():
            continue
        x, y, _ = ct.TransformPoint(g.GetX(), g.GetY())
        pts.append((x, y))
    return pts


def small_inputs():
    rnd = random.Random(6)
    cases = {}
    # One point: the stamp alone, NoData all around.
    cases["single"] = [(530012.3, 180007.9)]
    # Points on whole metres with r a multiple of the cell: many cells sit
    # exactly at the radius (QGIS keeps d == r).
    cases["on_grid"] = [(530000 + 10 * i, 180000 + 10 * ((i * 7) % 5)) for i in range(12)]
    # 2,000 points at one place and a few elsewhere: Float32 sums in input order.
    cases["coincident"] = [(531000.25, 181000.75)] * 2000 + \
        [(531000.25 + rnd.uniform(-300, 300), 181000.75 + rnd.uniform(-200, 200)) for _ in range(300)]
    # An asymmetric cluster: the mirrored y offset shows as a flipped stamp.
    cases["asymmetric"] = [(532000 + rnd.gauss(0, 40) + 30 * (i % 3), 182000 + rnd.gauss(0, 15) + i)
                           for i in range(200)]
    return cases


def qgis_env(work):
    home = os.path.join(work, "qgis-home")
    run = os.path.join(work, "qgis-runtime")
    os.makedirs(home, exist_ok=True)
    os.makedirs(run, mode=0o700, exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "offscreen",
           "HOME": home, "XDG_RUNTIME_DIR": run, "QGIS_AUTH_DB_DIR_PATH": home}
    return env


KERNELS = ["quartic", "triangular", "uniform", "triweight", "epanechnikov"]


def run_pair(ctxprof, env, work, name, gpkg, radius, pixel, kernel, scaled, decay=0.0,
             weight=False):
    tag = (f"{name}-r{radius}-p{pixel}-{kernel}-{'scaled' if scaled else 'raw'}-d{decay}"
           f"{'-w' if weight else ''}")
    q_out = os.path.join(work, tag + "-qgis.tif")
    o_out = os.path.join(work, tag + "-ours.tif")
    qargs = [QGIS_PROCESS, "run", "qgis:heatmapkerneldensityestimation", "--",
             f"INPUT={gpkg}", f"RADIUS={radius}", f"PIXEL_SIZE={pixel}",
             f"KERNEL={KERNELS.index(kernel)}", f"DECAY={decay}",
             f"OUTPUT_VALUE={1 if scaled else 0}", f"OUTPUT={q_out}"]
    if weight:
        qargs.append("WEIGHT_FIELD=w")
    q = subprocess.run(qargs, env=env, capture_output=True, text=True, timeout=120)
    if q.returncode != 0 or not os.path.exists(q_out):
        return tag, f"qgis_process failed: {q.stdout[-800:]} {q.stderr[-800:]}", None
    oargs = [ctxprof, "kde", gpkg, "-o", o_out, "--radius", str(radius), "--pixel", str(pixel),
             "--kernel", kernel, "--decay", str(decay), "--qgis-compat", "-q"]
    if scaled:
        oargs.append("--scaled")
    if weight:
        oargs += ["--weight", "w"]
    o = subprocess.run(oargs, capture_output=True, text=True, timeout=120)
    if o.returncode != 0:
        return tag, f"ctxprof kde failed: {o.stderr[-800:]}", None
    return tag, None, compare(o_out, q_out)


def compare(ours, qgis):
    a, b = gdal.Open(ours), gdal.Open(qgis)
    problems = []
    if (a.RasterXSize, a.RasterYSize) != (b.RasterXSize, b.RasterYSize):
        return {"problems": [f"size {a.RasterXSize}x{a.RasterYSize}, QGIS "
                             f"{b.RasterXSize}x{b.RasterYSize}"], "max_rel": math.inf,
                "cells": 0, "identical": 0, "nodata": 0}
    ga, gb = a.GetGeoTransform(), b.GetGeoTransform()
    if any(abs(p - q) > 1e-9 * max(1.0, abs(q)) for p, q in zip(ga, gb)):
        problems.append(f"geotransform {ga}, QGIS {gb}")
    if a.GetRasterBand(1).DataType != gdal.GDT_Float32:
        problems.append("not Float32")
    if a.GetRasterBand(1).GetNoDataValue() != b.GetRasterBand(1).GetNoDataValue():
        problems.append("NoData value differs")
    A = a.ReadAsArray().astype(np.float64)
    B = b.ReadAsArray().astype(np.float64)
    ma, mb = A == -9999, B == -9999
    nmask = int((ma != mb).sum())
    if nmask:
        problems.append(f"NoData mask differs in {nmask} cells")
    m = ~ma & ~mb
    d = np.abs(A[m] - B[m])
    scale = np.abs(B[m])
    rel = np.where(scale > 0, d / np.where(scale > 0, scale, 1), np.where(d > 0, np.inf, 0))
    max_rel = float(rel.max()) if rel.size else 0.0
    if max_rel > TOLERANCE:
        problems.append(f"max relative difference {max_rel:.3g} > {TOLERANCE}")
    return {"problems": problems, "max_rel": max_rel, "cells": int(m.sum()),
            "identical": int((A[m] == B[m]).sum()), "nodata": int(mb.sum())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctxprof", required=True)
    ap.add_argument("-v", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    ctxprof = os.path.abspath(a.ctxprof)
    work = tempfile.mkdtemp(prefix="ctxprof-qgis-kde-")
    t0 = time.time()
    try:
        env = qgis_env(work)
        jobs = []
        if os.path.exists(REAL_MONTH):
            pts = real_points()
            rnd = random.Random(1)
            weights = [None if i % 97 == 0 else round(rnd.uniform(0, 5), 2) for i in range(len(pts))]
            real = os.path.join(work, "police-2016-01.gpkg")
            write_points(real, pts, weights)
            print(f"real: {len(pts)} police.uk crimes (2016-01, five boroughs) in EPSG:27700")
            for k in KERNELS:
                for scaled in (False, True):
                    jobs.append(("real", real, 300, 25, k, scaled, 0.0, False))
            jobs.append(("real", real, 300, 25, "triangular", False, 0.5, False))
            jobs.append(("real", real, 300, 25, "triangular", True, 0.5, False))
            jobs.append(("real", real, 300, 25, "triangular", True, -0.3, False))
            jobs.append(("real", real, 250, 20, "quartic", True, 0.0, True))
        else:
            print(f"note: {REAL_MONTH} is not there; generated inputs only")
        for name, pts in small_inputs().items():
            path = os.path.join(work, name + ".gpkg")
            write_points(path, pts)
            if name == "single":
                # b = 11 and a 23-cell stamp on a 22-cell grid: QGIS drops the point.
                jobs.append((name, path, 104.6, 10, "quartic", True, 0.0, False))
                jobs.append((name, path, 106, 10, "quartic", True, 0.0, False))  # b = 11, fits
                jobs.append((name, path, 100.4, 10, "uniform", False, 0.0, False))  # b = 10
            elif name == "on_grid":
                jobs.append((name, path, 100, 10, "uniform", False, 0.0, False))
                jobs.append((name, path, 100, 10, "triangular", False, -1.0, False))
            elif name == "coincident":
                jobs.append((name, path, 150, 5, "triweight", True, 0.0, False))
            else:
                jobs.append((name, path, 90, 7, "epanechnikov", False, 0.0, False))
        failures = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
            futs = [ex.submit(run_pair, ctxprof, env, work, *j) for j in jobs]
            for fut in futs:
                tag, err, res = fut.result()
                if err:
                    failures.append(f"{tag}: {err}")
                    print(f"FAIL {tag}: {err}")
                    continue
                status = "ok" if not res["problems"] else "FAIL"
                print(f"{status:4} {tag:48} max rel diff {res['max_rel']:.3g}; "
                      f"{res['identical']}/{res['cells']} cells bit-identical; "
                      f"{res['nodata']} NoData")
                if res["problems"]:
                    failures.append(f"{tag}: {'; '.join(res['problems'])}")
        print(f"{len(jobs)} comparisons in {time.time() - t0:.1f} s")
        if failures:
            print("FAILED:\n  " + "\n  ".join(failures))
            return 1
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
