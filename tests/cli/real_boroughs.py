#!/usr/bin/env python3
"""Real data, first time right (issue 18): profiles of Camden (with OSM roads)
and Haringey (without) built from the raw files in ../shared/data/real by
tests/data/real/{camden,haringey}.ini alone, checked against the raw files
read here independently with the csv module and OSR:

- every row of the 27 police.uk months is accounted for: the where filter
  leaves out exactly the other boroughs' rows, and the duplicates rejected
  are the rows repeating a Crime ID with the same month, point, location and
  crime type;
- no police.uk incident carries a youth silo (cse, syv, hsb, tra, online):
  its violence is violence_all_ages, row for row;
- every incident sits on its published point (source_file and source_row
  name the raw row, whose Longitude/Latitude transform to it within 1 mm);
  a point outside the study area carries its distance in outside_m;
- schools are named after themselves (SCHOOL_NAM of their URN, never the
  ward, LSOA or borough), once per URN;
- context layers are clipped to the study area plus 500 m and no bus
  segment is on a rail-replacement route (UL*);
- run_metadata records each of several postcode files.

  real_boroughs.py CTXPROF ROOT
"""
import csv
import glob
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import grids  # noqa: E402
import real_data  # noqa: E402

from osgeo import ogr  # noqa: E402

ogr.UseExceptions()
YOUTH = {"cse", "syv", "hsb", "tra", "online"}
BOROUGHS = {"camden": ("Camden", True), "haringey": ("Haringey", False)}
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def police_rows(real):
    """{(file, row): record} over the 27 months, rows numbered from 1."""
    rows = {}
    for path in sorted(glob.glob(os.path.join(real, "police", "20*-metropolitan-street-5boroughs.csv"))):
        name = os.path.basename(path)
        with open(path, encoding="utf-8-sig", newline="") as f:
            for i, r in enumerate(csv.DictReader(f), 1):
                rows[(name, i)] = r
    return rows


def expected(rows, borough):
    """(rows in the borough, duplicates, violence incidents) read here."""
    seen, dups, violence, n = set(), 0, 0, 0
    for key in sorted(rows, key=lambda k: (k[0], k[1])):
        r = rows[key]
        if r["borough"] != borough:
            continue
        n += 1
        k = tuple(r[c] for c in ("Crime ID", "Month", "Longitude", "Latitude", "Location", "Crime type"))
        if r["Crime ID"] and k in seen:
            dups += 1
            continue
        seen.add(k)
        violence += r["Crime type"] == "Violence and sexual offences"
    return n, dups, violence


def study_zone(real, borough, margin):
    ds = ogr.Open(os.path.join(real, "boundaries", "london-2021-lad22-gen20.shp"))
    lyr = ds.GetLayer(0)
    lyr.SetAttributeFilter(f"LAD22NM = '{borough}'")
    g = None
    for f in lyr:
        g = f.GetGeometryRef().Clone() if g is None else g.Union(f.GetGeometryRef())
    return g, g.Buffer(margin)


def check_borough(ctxprof, root, real, rows, key):
    borough, has_roads = BOROUGHS[key]
    ini = os.path.join(root, "tests", "data", "real", key + ".ini")
    out = os.path.join(tempfile.mkdtemp(prefix="ctxprof-real-"), key + ".gpkg")
    r = subprocess.run([ctxprof, "run", ini, "-o", out, "--json", "-q"], capture_output=True,
                       text=True)
    if r.returncode != 0:
        fail(f"{key}: ctxprof run exited {r.returncode}: {r.stderr.strip()}")
        return
    total = json.loads(r.stdout)["total"]
    n_in, n_dups, n_violence = expected(rows, borough)
    if total["rows_read"] != len(rows):
        fail(f"{key}: rows_read {total['rows_read']}, the files hold {len(rows)}")
    if total["filtered"] != len(rows) - n_in:
        fail(f"{key}: {total['filtered']} rows filtered, {len(rows) - n_in} are not {borough}'s")
    if total["rejects_load"] != n_dups:
        fail(f"{key}: {total['rejects_load']} load rejects, {n_dups} duplicates in the files")
    if total["incidents"] + total["rejects_load"] + total["rejects_geocode"] != n_in:
        fail(f"{key}: incidents and rejects do not add up to {borough}'s {n_in} rows")

    ds = ogr.Open(out)
    area, zone = study_zone(real, borough, 500)
    ct = grids.wgs84_to_bng()
    youth = violence = moved = wrong_row = outside_unmarked = marked = 0
    for f in ds.GetLayerByName("incidents"):
        cats = set((f["categories"] or "").split("+"))
        youth += bool(cats & YOUTH)
        violence += "violence_all_ages" in cats
        raw = rows.get((f["source_file"], f["source_row"]))
        if raw is None or raw["borough"] != borough:
            wrong_row += 1
            continue
        x, y, _ = ct.TransformPoint(float(raw["Longitude"]), float(raw["Latitude"]))
        g = f.GetGeometryRef()
        if abs(g.GetX() - x) > 1e-3 or abs(g.GetY() - y) > 1e-3:
            moved += 1
        if f["outside_m"] is not None:
            marked += 1
        elif not area.Intersects(g):
            outside_unmarked += 1
    for what, n in (("carry a youth silo", youth), ("are not on their raw row", wrong_row),
                    ("moved from their published point", moved),
                    ("lie outside the study area without outside_m", outside_unmarked)):
        if n:
            fail(f"{key}: {n} incidents {what}")
    if violence != n_violence:
        fail(f"{key}: {violence} violence_all_ages incidents, the files hold {n_violence}")
    dq = next(iter(ds.GetLayerByName("data_quality")))
    if dq["outside_kept"] != marked or marked == 0:
        fail(f"{key}: data_quality outside_kept {dq['outside_kept']}, {marked} incidents marked")

    names = {}
    with open(os.path.join(real, "schools", "all_schools_xy_2016.csv"), encoding="latin-1",
              newline="") as fh:
        for s in csv.DictReader(fh):
            if s["LA_NAME"] == borough:
                names[s["URN"]] = s
    schools = list(ds.GetLayerByName("schools"))
    if len(schools) != len(names):
        fail(f"{key}: {len(schools)} schools, the file lists {len(names)} URNs")
    for s in schools:
        raw = names.get(s["id"])
        if raw is None or s["name"] != raw["SCHOOL_NAM"]:
            fail(f"{key}: school {s['id']} is named {s['name']!r}")
        elif s["name"] in (raw["WARD_NAME"], raw["LSOA_NAME"], raw["LA_NAME"]):
            fail(f"{key}: school {s['id']} is named after its area")

    for layer in ("bus_segments", "parks"):
        far = sum(not zone.Intersects(f.GetGeometryRef()) for f in ds.GetLayerByName(layer))
        if far:
            fail(f"{key}: {far} {layer} lie further than 500 m from {borough}")
    ul = sum(any(x.strip().startswith("UL") for x in (f["routes"] or "").split(","))
             for f in ds.GetLayerByName("bus_segments"))
    if ul:
        fail(f"{key}: {ul} bus segments are on UL* routes")
    meta = {f["key"]: f["value"] for f in ds.GetLayerByName("run_metadata")}
    if has_roads:
        if ds.GetLayerByName("corridors").GetFeatureCount() == 0:
            fail(f"{key}: no corridors from the OSM roads")
        pcs = [k for k in meta if k.startswith("input.postcodes.") and k.endswith(".sha256")]
        if len(pcs) != 3:
            fail(f"{key}: run_metadata records {len(pcs)} postcode files, the profile names 3")
    print(f"{key}: {total['rows_read']} rows = {total['incidents']} incidents + "
          f"{total['rejects_load']} duplicates + {total['rejects_geocode']} location rejects + "
          f"{total['filtered']} other boroughs; {violence} violence_all_ages, {marked} kept "
          f"outside (outside_m), {dq['text_disagrees']} with text elsewhere; {len(schools)} "
          f"schools, {ds.GetLayerByName('bus_segments').GetFeatureCount()} bus segments, "
          f"{ds.GetLayerByName('parks').GetFeatureCount()} parks")


def main():
    ctxprof, root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    real = real_data.require()
    os.environ.setdefault("CTXPROF_TEST_KEY", "5" * 64)
    rows = police_rows(real)
    for key in BOROUGHS:
        check_borough(ctxprof, root, real, rows, key)
    if failures:
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
