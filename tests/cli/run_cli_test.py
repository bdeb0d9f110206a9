#!/usr/bin/python3
"""Runs one CLI test case (tests/cli/cases/NAME.json) against the ctxprof binary.

A case is data: the arguments, the expected exit status, text that stdout and
stderr must (or must not) contain, and named checks on the output GeoPackage.
Placeholders in arguments: {root} (source tree), {tmp} (a fresh temporary
folder), {sample} (gis-data/sample), {data} (tests/data), {real}
(../shared/data/real), {variant} (the profile of "profile_variant": a copy of
a profile with lines appended, in a temporary folder whose other entries link
to the original's, so that its relative paths still hold).

Checks (each a function below, so that a case names what it relies on):
  layers              the output has exactly these layers (and run_metadata)
  row_accounting      every row of every source is an incident, a reject or a
                      linkage record, counted independently with OGR
  run_metadata        version, arguments, inputs with SHA-256, parameters, counts, timings
  no_identity         no name, date of birth or system id from any source appears in
                      any output cell
  truth_positions     incidents placed from coordinates lie where the truth file says
  output_unchanged    a failed run leaves an earlier output untouched and no temp files
"""
import argparse
import configparser
import csv
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from osgeo import gdal, ogr

gdal.UseExceptions()


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def expand(s, env):
    for k, v in env.items():
        if isinstance(v, str):
            s = s.replace("{" + k + "}", v)
    return s


def open_gpkg(path):
    ds = ogr.Open(path)
    if ds is None:
        fail(f"cannot open output {path}")
    return ds


def run_metadata(ds):
    lyr = ds.GetLayerByName("run_metadata")
    if lyr is None:
        fail("no run_metadata table")
    return {f["key"]: f["value"] for f in lyr}


def read_profile(path):
    cp = configparser.ConfigParser(inline_comment_prefixes=(";",), interpolation=None)
    cp.optionxform = str
    cp.read(path, encoding="utf-8")
    return cp


def source_uri(profile_path, value):
    path, _, layer = value.partition("|layername=")
    if not os.path.isabs(path):
        path = os.path.join(os.path.dirname(profile_path), path)
    return path, layer or None


def open_source(profile_path, sec):
    path, layer = source_uri(profile_path, sec["path"])
    oo = [o.strip() for o in sec.get("open_options", "").split(",") if o.strip()]
    ds = gdal.OpenEx(path, gdal.OF_VECTOR, open_options=oo)
    lyr = ds.GetLayerByName(layer) if layer else ds.GetLayer(0)
    return ds, lyr


def count_rows(ds, lyr):
    """Rows as a user counts them: every feature but a DOS Ctrl-Z end-of-file line."""
    n = 0
    for f in lyr:
        vals = [f.GetField(i) for i in range(f.GetFieldCount())]
        if vals and vals[0] == "\x1a" and not any(v not in (None, "") for v in vals[1:]):
            continue
        n += 1
    return n


def check_layers(case, out, env):
    """The GeoPackage's contents: vector layers, tables and rasters."""
    import sqlite3
    con = sqlite3.connect(out)
    names = sorted(r[0] for r in con.execute("SELECT table_name FROM gpkg_contents"))
    con.close()
    want = sorted(case["layers"])
    if names != want:
        fail(f"layers {names}, expected {want}")


def check_row_accounting(case, out, env):
    ds = open_gpkg(out)
    meta = run_metadata(ds)
    profile = expand(case["profile"], env)
    cp = read_profile(profile)
    per_source = {}
    for layer, key in (("incidents", "incidents"), ("load_rejects", "rejects_load"),
                       ("geocode_rejects", "rejects_geocode")):
        for f in ds.GetLayerByName(layer):
            per_source.setdefault(f["source"], {}).setdefault(key, 0)
            per_source[f["source"]][key] += 1
    total = 0
    for sec in cp.sections():
        if not sec.startswith("source."):
            continue
        name = sec[len("source."):]
        sds, lyr = open_source(profile, cp[sec])
        rows = count_rows(sds, lyr)
        total += rows
        got = {k: int(meta.get(f"rows.{name}.{k}", -1)) for k in
               ("rows_read", "incidents", "rejects_load", "rejects_geocode", "linkage")}
        if got["rows_read"] != rows:
            fail(f"source {name}: OGR counts {rows} rows, run_metadata says {got['rows_read']}")
        accounted = got["incidents"] + got["rejects_load"] + got["rejects_geocode"] + got["linkage"]
        if accounted != rows:
            fail(f"source {name}: {rows} rows but {accounted} accounted for ({got})")
        layers = per_source.get(name, {})
        for k in ("incidents", "rejects_load", "rejects_geocode"):
            if layers.get(k, 0) != got[k]:
                fail(f"source {name}: {k} is {got[k]} in run_metadata, {layers.get(k, 0)} in the layers")
        # Every reject names a row of its source and gives a reason.
    for layer in ("load_rejects", "geocode_rejects"):
        for f in ds.GetLayerByName(layer):
            if not f["reason"] or f["source_row"] < 1:
                fail(f"{layer}: a reject without a reason or row: {f['source']} {f['source_row']}")
    if int(meta["rows.total.rows_read"]) != total:
        fail(f"total rows {total}, run_metadata says {meta['rows.total.rows_read']}")
    if total < case.get("min_rows", 1):
        fail(f"only {total} rows read")
    print(f"row accounting: {total} rows across the sources all accounted for")


def check_run_metadata(case, out, env):
    meta = run_metadata(open_gpkg(out))
    for k in ("version", "created_at", "arguments", "profile.path", "profile.sha256",
              "time.load_s", "time.write_s", "rows.total.rows_read", "pseudonym_key"):
        if k not in meta:
            fail(f"run_metadata lacks {k}")
    profile = expand(case["profile"], env)
    if meta["profile.sha256"] != hashlib.sha256(open(profile, "rb").read()).hexdigest():
        fail("run_metadata profile.sha256 does not match the profile file")
    n_inputs = 0
    for k, v in meta.items():
        m = re.fullmatch(r"input\.(.+)\.sha256", k)
        if not m:
            continue
        path, _ = source_uri(profile, meta[f"input.{m.group(1)}.path"]) \
            if not os.path.isabs(meta[f"input.{m.group(1)}.path"]) else \
            (meta[f"input.{m.group(1)}.path"].partition("|layername=")[0], None)
        if hashlib.sha256(open(path, "rb").read()).hexdigest() != v:
            fail(f"run_metadata {k} does not match {path}")
        n_inputs += 1
    if n_inputs < case.get("min_inputs", 1):
        fail(f"run_metadata has SHA-256 for only {n_inputs} inputs")
    if not any(k.startswith("param.") for k in meta):
        fail("run_metadata has no parameters")
    for arg in case.get("metadata_arguments_contain", []):
        if expand(arg, env) not in meta["arguments"]:
            fail(f"run_metadata arguments '{meta['arguments']}' lack '{arg}'")
    print(f"run_metadata: {len(meta)} rows, {n_inputs} inputs with SHA-256")


def identity_values(profile):
    """Every identity value (names, dates of birth, system ids) in the sources."""
    cp = read_profile(profile)
    names, exact = set(), set()
    for sec in cp.sections():
        if not sec.startswith("source."):
            continue
        s = cp[sec]
        enc = s.get("encoding", "UTF-8")
        cols = {k: s[k] for k in s if k.startswith("field.") and re.search(
            r"(forename|surname|dob|person_id|person2_id)$", k)}
        if not cols:
            continue
        sds, lyr = open_source(profile, s)
        defn = lyr.GetLayerDefn()
        idx = {k: defn.GetFieldIndex(v) for k, v in cols.items()}
        for f in lyr:
            for k, i in idx.items():
                if i < 0 or not f.IsFieldSetAndNotNull(i):
                    continue
                v = f.GetFieldAsString(i)
                if enc.upper() not in ("UTF-8", "UTF8"):
                    v = v.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                v = v.strip()
                if len(v) < 3:
                    continue
                (names if k.endswith("name") else exact).add(v.lower())
    return names, exact


CONTEXT_LAYERS = {"schools", "school_catchments", "parks", "bus_segments", "areas", "hotspots",
                  "corridors", "corridor_routes"}


def check_no_identity(case, out, env):
    names, exact = identity_values(expand(case["profile"], env))
    if not names and not exact:
        fail("the sources carry no identity fields to check against")
    ds = open_gpkg(out)
    hits = []
    for i in range(ds.GetLayerCount()):
        lyr = ds.GetLayer(i)
        defn = lyr.GetLayerDefn()
        cols = [defn.GetFieldDefn(j).GetName() for j in range(defn.GetFieldCount())]
        for f in lyr:
            for j, c in enumerate(cols):
                if not f.IsFieldSetAndNotNull(j):
                    continue
                v = f.GetFieldAsString(j).lower()
                if v in exact or v in names:
                    hits.append((lyr.GetName(), c, "exact"))
                elif c != "location_text" and lyr.GetName() not in CONTEXT_LAYERS:
                    # Free-text locations and the names of schools, parks, stops
                    # and areas may legitimately hold a word that is also
                    # someone's name; everywhere else a name token is a leak.
                    for tok in re.split(r"[^\w'-]+", v):
                        if tok in names and len(tok) >= 4:
                            hits.append((lyr.GetName(), c, "token"))
                            break
    if hits:
        fail(f"identity values found in the output: {hits[:5]} ({len(hits)} in all)")
    print(f"no identity: {len(names)} names and {len(exact)} dates of birth/ids absent from every output cell")


def check_output_unchanged(case, out, env):
    before = env["_before_sha"]
    if before is None:
        fail("no earlier output to compare")
    now = hashlib.sha256(open(out, "rb").read()).hexdigest()
    if now != before:
        fail("a failed run changed the earlier output")
    leftovers = glob.glob(os.path.join(os.path.dirname(out), ".*tmp*"))
    if leftovers:
        fail(f"temporary files left behind: {leftovers}")


def check_truth_positions(case, out, env):
    """Coordinate records: every clean one is an incident, at the published
    coordinates the truth file gives (expected_x/y), within the tolerance."""
    truth = {}
    with open(os.path.join(env["sample"], "truth", "incidents_truth.csv"), newline="",
              encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            truth[(r["source_name"], int(r["source_row"]))] = r
    ds = open_gpkg(out)
    placed = {(f["source"], f["source_row"]): f for f in ds.GetLayerByName("incidents")}
    tol = case.get("truth_tolerance_m", 1.0)
    n, far, missing = 0, [], []
    for key, r in truth.items():
        if r["expected_method"] not in ("xy", "lonlat", "geometry"):
            continue
        f = placed.get(key)
        if f is None:
            if not r["is_fault"]:
                missing.append(key)
            continue
        x = float(r["expected_x"] or r["true_x"])
        y = float(r["expected_y"] or r["true_y"])
        g = f.GetGeometryRef()
        d = ((g.GetX() - x) ** 2 + (g.GetY() - y) ** 2) ** 0.5
        n += 1
        if d > tol:
            far.append((key, round(d, 1)))
    if missing:
        fail(f"{len(missing)} clean coordinate records are not incidents: {missing[:5]}")
    if far:
        fail(f"{len(far)} incidents lie more than {tol} m from their published coordinates: {far[:5]}")
    if n < case.get("min_truth_matches", 1):
        fail(f"only {n} incidents matched the truth file")
    print(f"truth positions: {n} coordinate incidents within {tol} m of the truth")


def check_truth_categories(case, out, env):
    """Every incident's categories and flags are the truth's, plus the
    categories its source kind always carries (case["kind_categories"])."""
    truth = {}
    with open(os.path.join(env["sample"], "truth", "incidents_truth.csv"), newline="",
              encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            truth[(r["source_name"], int(r["source_row"]))] = r
    split = lambda v: set(filter(None, (v or "").split("+")))
    n, wrong = 0, []
    ds = open_gpkg(out)  # keep the dataset alive while its features are read
    for f in ds.GetLayerByName("incidents"):
        t = truth[(f["source"], f["source_row"])]
        want = split(t["categories"]) | split(case["kind_categories"].get(f["kind"], ""))
        if split(f["categories"]) != want or split(f["flags"]) != split(t["flags"]):
            wrong.append((f["incident_uid"], f["categories"], sorted(want), f["flags"], t["flags"]))
        n += 1
    if wrong:
        fail(f"{len(wrong)} of {n} incidents have categories or flags other than the truth's: {wrong[:5]}")
    print(f"truth categories: all {n} incidents carry the truth's categories and flags")


def check_truth_duplicates(case, out, env):
    """Exact duplicates rejected are exactly the truth's duplicate_exact rows
    of incident sources; identical police.uk rows without a reference stay."""
    truth = {}
    with open(os.path.join(env["sample"], "truth", "incidents_truth.csv"), newline="",
              encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            truth[(r["source_name"], int(r["source_row"]))] = r
    ds = open_gpkg(out)
    ours = {(f["source"], f["source_row"]) for f in ds.GetLayerByName("load_rejects")
            if f["reason"].startswith("duplicate of row ")}
    linkage = set(case.get("linkage_sources", []))
    want = {k for k, r in truth.items() if "duplicate_exact" in r["is_fault"] and k[0] not in linkage}
    if ours != want:
        fail(f"duplicates: {sorted(ours - want)[:5]} rejected but not duplicates; "
             f"{sorted(want - ours)[:5]} duplicates not rejected")
    kept = [k for k, r in truth.items() if "identical_not_duplicate" in r["is_fault"]]
    placed = {(f["source"], f["source_row"]) for f in ds.GetLayerByName("incidents")}
    lost = [k for k in kept if k not in placed]
    if lost:
        fail(f"identical rows that are not duplicates were lost: {lost[:5]}")
    print(f"truth duplicates: {len(ours)} duplicates rejected, {len(kept)} identical police.uk rows kept")


def check_truth_load_rejects(case, out, env):
    """Rows with impossible, malformed or future dates and exact duplicates are
    load rejects, and nothing else is (a time written '2:37pm' is read)."""
    must = {"date_impossible", "date_future", "date_malformed", "duplicate_exact"}
    may = must | {"time_malformed"}
    truth = {}
    with open(os.path.join(env["sample"], "truth", "incidents_truth.csv"), newline="",
              encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            truth[(r["source_name"], int(r["source_row"]))] = r
    linkage = set(case.get("linkage_sources", []))
    faults = lambda k: set(truth[k]["is_fault"].split("+")) if k in truth else set()
    ds = open_gpkg(out)
    ours = {(f["source"], f["source_row"]) for f in ds.GetLayerByName("load_rejects")}
    wrong = [k for k in ours if not faults(k) & may]
    missed = [k for k in truth if k[0] not in linkage and faults(k) & must and k not in ours]
    if wrong or missed:
        fail(f"load rejects: {wrong[:5]} rejected without a date fault; {missed[:5]} not rejected")
    print(f"truth load rejects: {len(ours)} rows rejected, each with a date fault or as a duplicate")


def check_truth_geocoding(case, out, env):
    """Hit rate over records that carry any location, median distance to the
    true position, and no incident outside the study area."""
    import statistics
    truth = {}
    with open(os.path.join(env["sample"], "truth", "incidents_truth.csv"), newline="",
              encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            truth[(r["source_name"], int(r["source_row"]))] = r
    ds = open_gpkg(out)
    load_rejected = {(f["source"], f["source_row"]) for f in ds.GetLayerByName("load_rejects")}
    placed = {}
    for f in ds.GetLayerByName("incidents"):
        g = f.GetGeometryRef()
        placed[(f["source"], f["source_row"])] = (g.GetX(), g.GetY())
    linkage = set(case.get("linkage_sources", []))
    n, hits, errors = 0, 0, []
    for k, r in truth.items():
        if k[0] in linkage or k in load_rejected or r["expected_method"] == "reject":
            continue
        n += 1
        if k in placed:
            hits += 1
            x, y = placed[k]
            errors.append(((x - float(r["true_x"])) ** 2 + (y - float(r["true_y"])) ** 2) ** 0.5)
    rate, median = hits / n, statistics.median(errors)
    if rate < case["min_hit_rate"]:
        fail(f"geocoding hit rate {rate:.4f} < {case['min_hit_rate']}")
    if median > case["max_median_error_m"]:
        fail(f"median geocoding error {median:.1f} m > {case['max_median_error_m']} m")
    sample_ds = ogr.Open(os.path.join(env["sample"], "northbrook.gpkg"))
    feature = sample_ds.GetLayerByName("study_area").GetNextFeature()
    area = feature.GetGeometryRef().Clone()
    outside = [k for k, (x, y) in placed.items()
               if not area.Intersects(ogr.CreateGeometryFromWkt(f"POINT ({x} {y})"))]
    if outside:
        fail(f"{len(outside)} incidents lie outside the study area: {outside[:5]}")
    print(f"truth geocoding: hit rate {rate:.4f} ({hits}/{n}), median error {median:.1f} m, none outside")


def check_data_quality(case, out, env):
    ds = open_gpkg(out)
    rows = {f["source"]: f for f in ds.GetLayerByName("data_quality")}
    for source, want in case["data_quality"].items():
        f = rows.get(source)
        if f is None:
            fail(f"data_quality has no row for {source}")
        for k, v in want.items():
            got = f[k]
            if isinstance(v, float) and got is not None and abs(got - v) < 1e-9:
                continue
            if got != v:
                fail(f"data_quality {source}.{k} = {got!r}, expected {v!r}")


def check_incidents(case, out, env):
    """Exact values of chosen incidents, by incident_uid."""
    ds = open_gpkg(out)
    by_uid = {f["incident_uid"]: f for f in ds.GetLayerByName("incidents")}
    for uid, want in case["incidents"].items():
        f = by_uid.get(uid)
        if f is None:
            fail(f"no incident {uid}")
        for k, v in want.items():
            if f[k] != v:
                fail(f"incident {uid} {k} = {f[k]!r}, expected {v!r}")
    for a, b in case.get("same_pid", []):
        if not by_uid[a]["pid"] or by_uid[a]["pid"] != by_uid[b]["pid"]:
            fail(f"{a} and {b} should share a pid")


def check_rejects(case, out, env):
    """Exact reasons of chosen rejects, by SOURCE:ROW."""
    ds = open_gpkg(out)
    reasons = {}
    for layer in ("load_rejects", "geocode_rejects"):
        for f in ds.GetLayerByName(layer):
            reasons[f"{f['source']}:{f['source_row']}"] = f["reason"]
    for key, want in case["rejects"].items():
        if reasons.get(key) != want:
            fail(f"reject {key}: {reasons.get(key)!r}, expected {want!r}")


SNAP_LAYERS = {"school_catchments": "catchment_id", "schools": "school_id", "parks": "park_id",
               "bus_segments": "bus_segment_id", "areas": "area_code"}


def check_snap_counts(case, out, env):
    """Snap: every context layer's n_total is the number of incidents linked
    to it, per feature; n_people <= n_total; n_<category> <= n_total; the
    temporal table adds up to the linked incidents with a known weekday; and
    with "snap_all_linked", every incident has those links."""
    ds = open_gpkg(out)
    lyr = ds.GetLayerByName("incidents")
    defn = lyr.GetLayerDefn()
    idx = {c: defn.GetFieldIndex(c) for c in SNAP_LAYERS.values()}
    wd = defn.GetFieldIndex("weekday")
    incs = [(f.GetField(wd), {c: f.GetField(i) for c, i in idx.items()}) for f in lyr]
    temporal = {}
    if ds.GetLayerByName("temporal") is not None:
        for f in ds.GetLayerByName("temporal"):
            key = (f["context_type"], f["context_id"])
            temporal[key] = temporal.get(key, 0) + f["n"]
    checked = 0
    for layer, col in SNAP_LAYERS.items():
        lyr = ds.GetLayerByName(layer)
        if lyr is None:
            continue
        linked, dated = {}, {}
        for wd, links in incs:
            if links[col] is not None:
                linked[links[col]] = linked.get(links[col], 0) + 1
                if wd is not None:
                    dated[links[col]] = dated.get(links[col], 0) + 1
        ids = set()
        for f in lyr:
            ids.add(f["id"])
            n = linked.get(f["id"], 0)
            if f["n_total"] != n:
                fail(f"{layer} {f['id']}: n_total {f['n_total']}, but {n} incidents link to it")
            if f["n_people"] > f["n_total"]:
                fail(f"{layer} {f['id']}: n_people {f['n_people']} > n_total {f['n_total']}")
            for k in ("n_cse", "n_syv", "n_hsb", "n_tra", "n_online", "n_youth"):
                if f[k] > f["n_total"]:
                    fail(f"{layer} {f['id']}: {k} {f[k]} > n_total {f['n_total']}")
            if temporal.get((layer, f["id"]), 0) != dated.get(f["id"], 0):
                fail(f"{layer} {f['id']}: temporal holds {temporal.get((layer, f['id']), 0)}, "
                     f"{dated.get(f['id'], 0)} linked incidents have a weekday")
        unknown = set(linked) - ids
        if unknown:
            fail(f"incidents.{col} holds ids not in {layer}: {sorted(unknown)[:5]}")
        if layer in case.get("snap_all_linked", []) and sum(linked.values()) != len(incs):
            fail(f"{len(incs) - sum(linked.values())} incidents have no {col}")
        checked += 1
    if checked < case.get("snap_min_layers", 1):
        fail(f"only {checked} context layers in the output")
    print(f"snap counts: {checked} context layers add up over {len(incs)} incidents")


def check_snap_truth(case, out, env):
    """Snap on the sample: the planted truth is recovered. Hotspot H1
    (Northbrook Park) incidents link to Northbrook Park, which ranks first
    among parks; W8 is the route whose segments hold the most corridor
    incidents; every police.uk incident's area_code is the LSOA code the
    file gives, except within 1 m of an area boundary (its coordinates are
    rounded to 6 decimals of a degree); the bow-tie park is repaired."""
    truth = {}
    with open(os.path.join(env["sample"], "truth", "incidents_truth.csv"), newline="",
              encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            truth[(r["source_name"], int(r["source_row"]))] = r
    ds = open_gpkg(out)
    parks = {f["id"]: (f["name"], f["rank"], f.GetGeometryRef().Clone())
             for f in ds.GetLayerByName("parks")}
    segs = {f["id"]: f["routes"].split(",") for f in ds.GetLayerByName("bus_segments")}
    areas = {f["id"]: f.GetGeometryRef().Clone() for f in ds.GetLayerByName("areas")}
    bow = [v for v in parks.values() if v[0] == "Elm Gardens Playground"]
    if not bow or not bow[0][2].IsValid():
        fail("the bow-tie park is missing or still invalid")
    h1 = {"park": 0, "other": 0, "none": 0}
    routes = {}
    police_uk = []
    for f in ds.GetLayerByName("incidents"):
        t = truth[(f["source"], f["source_row"])]
        if t["tag"] == "hotspot:H1":
            name = parks[f["park_id"]][0] if f["park_id"] else None
            h1["park" if name == "Northbrook Park" else ("other" if name else "none")] += 1
        if t["tag"] == "corridor" and f["bus_segment_id"]:
            for r in segs[f["bus_segment_id"]]:
                routes[r] = routes.get(r, 0) + 1
        if f["kind"] == "police_uk":
            police_uk.append((f["source_row"], f["area_code"], f.GetGeometryRef().Clone()))
    n_h1 = sum(h1.values())
    if h1["park"] < 0.8 * n_h1 or h1["other"]:
        fail(f"hotspot H1: {h1} (expected at least 80% in Northbrook Park, none in another park)")
    top = [v for v in parks.values() if v[1] == 1]
    if [v[0] for v in top] != ["Northbrook Park"]:
        fail(f"parks ranked first: {[v[0] for v in top]}, expected Northbrook Park")
    best = max(routes, key=lambda r: routes[r]) if routes else None
    if best != "W8":
        fail(f"corridor incidents per route {routes}: W8 should hold the most")
    # police.uk rows carry the LSOA code of their map point.
    cp = read_profile(expand(case["profile"], env))
    sec = [s for s in cp.sections() if s.startswith("source.") and cp[s]["kind"] == "police_uk"][0]
    sds, lyr = open_source(expand(case["profile"], env), cp[sec])
    lsoa = {i + 1: f["LSOA code"] for i, f in enumerate(lyr)}
    same = near = 0
    for row, code, g in police_uk:
        if code == lsoa[row]:
            same += 1
            continue
        d = min(a.Boundary().Distance(g) for a in areas.values())
        if d > 1.0:
            fail(f"police_uk row {row}: area_code {code}, the file says {lsoa[row]} "
                 f"({d:.2f} m from a boundary)")
        near += 1
    print(f"snap truth: H1 {h1}; corridor incidents per route {routes}; police.uk LSOA codes "
          f"{same} equal, {near} differ within 1 m of a boundary")


def check_snap_spatialite(case, out, env):
    """Snap against SpatiaLite on real data: every incident's area_code is the
    LSOA that SpatiaLite's ST_Within finds (on a boundary, where ST_Within
    finds none, the first LSOA in file order that ST_Intersects the point),
    and its park_id the park at the smallest ST_Distance <= the buffer (ties:
    first in file order), with the same distance."""
    import sqlite3
    buffer_m = case.get("park_buffer_m", 25.0)
    profile = expand(case["profile"], env)
    cp = read_profile(profile)
    lsoa_path, _ = source_uri(profile, cp["contexts"]["areas"])
    parks_path, _ = source_uri(profile, cp["contexts"]["parks"])
    db = sqlite3.connect(":memory:")
    db.enable_load_extension(True)
    db.load_extension("mod_spatialite")
    db.execute("SELECT InitSpatialMetadata(1)")
    db.execute("ATTACH DATABASE ? AS o", (out,))
    db.execute("CREATE TABLE pts (fid INTEGER PRIMARY KEY, area_code TEXT, park_id TEXT, "
               "park_dist REAL, x REAL, y REAL)")
    db.execute("SELECT AddGeometryColumn('pts', 'g', 27700, 'POINT', 'XY')")
    db.execute("INSERT INTO pts SELECT fid, area_code, park_id, park_dist_m, "
               "ST_X(GeomFromGPB(geom)), ST_Y(GeomFromGPB(geom)), "
               "SetSRID(GeomFromGPB(geom), 27700) FROM o.incidents")
    db.execute("CREATE VIRTUAL TABLE lsoa USING VirtualShape(?, 'UTF-8', 27700)"
               .replace("?", "'" + lsoa_path[:-4].replace("'", "''") + "'"))
    db.execute("CREATE TABLE parks (fid INTEGER PRIMARY KEY, id TEXT)")
    db.execute("SELECT AddGeometryColumn('parks', 'g', 27700, 'MULTIPOLYGON', 'XY')")
    pds = ogr.Open(parks_path)
    for i, f in enumerate(pds.GetLayer(0)):
        g = ogr.ForceToMultiPolygon(f.GetGeometryRef().Clone())
        db.execute("INSERT INTO parks VALUES (?, ?, CastToMultiPolygon(GeomFromWKB(?, 27700)))",
                   (i + 1, str(f["ListEntry"]), bytes(g.ExportToWkb())))
    # R-trees of the bounding boxes (SQLite's rtree module, as SpatiaLite's
    # own spatial index is), joined on the point.
    db.execute("CREATE VIRTUAL TABLE parks_rt USING rtree(id, x0, x1, y0, y1)")
    db.execute("INSERT INTO parks_rt SELECT fid, MbrMinX(g), MbrMaxX(g), MbrMinY(g), MbrMaxY(g) "
               "FROM parks")
    db.execute("CREATE TABLE lsoa_g AS SELECT PKUID AS id, LSOA11CD AS code, "
               "CastToMultiPolygon(Geometry) AS g FROM lsoa")
    db.execute("CREATE INDEX lsoa_g_id ON lsoa_g(id)")
    db.execute("CREATE VIRTUAL TABLE lsoa_rt USING rtree(id, x0, x1, y0, y1)")
    db.execute("INSERT INTO lsoa_rt SELECT id, MbrMinX(g), MbrMaxX(g), MbrMinY(g), MbrMaxY(g) "
               "FROM lsoa_g")
    ours = {fid: (a, k, d) for fid, a, k, d in
            db.execute("SELECT fid, area_code, park_id, park_dist FROM pts")}
    within, inter = {}, {}
    for fid, lid, code, w in db.execute("""
        SELECT p.fid, l.id, l.code, ST_Within(p.g, l.g)
        FROM pts p CROSS JOIN lsoa_rt r CROSS JOIN lsoa_g l
        WHERE r.x0 <= p.x AND r.x1 >= p.x AND r.y0 <= p.y AND r.y1 >= p.y AND l.id = r.id
          AND ST_Intersects(p.g, l.g) = 1"""):
        inter.setdefault(fid, []).append((lid, code))
        if w == 1:
            within.setdefault(fid, []).append((lid, code))
    near = {}
    for fid, kid, pid, d in db.execute("""
        SELECT p.fid, k.fid, k.id, ST_Distance(p.g, k.g)
        FROM pts p CROSS JOIN parks_rt r CROSS JOIN parks k
        WHERE r.x0 <= p.x + ?1 AND r.x1 >= p.x - ?1 AND r.y0 <= p.y + ?1 AND r.y1 >= p.y - ?1
          AND k.fid = r.id AND ST_Distance(p.g, k.g) <= ?1""", (buffer_m,)):
        near.setdefault(fid, []).append((d, kid, pid))
    rows = []
    for fid, (area, park, pdist) in sorted(ours.items()):
        w = sorted(within.get(fid, []))
        it = sorted(inter.get(fid, []))
        k = sorted(near.get(fid, []))
        rows.append((fid, area, w[0][1] if w else None, it[0][1] if it else None, park, pdist,
                     f"{k[0][2]}|{k[0][0]}" if k else None))
    bad_area, bad_park, boundary, in_park = [], [], 0, 0
    for fid, ours, within, inter, park, pdist, sl in rows:
        want = within if within is not None else inter
        if within is None and inter is not None:
            boundary += 1
        if ours != want:
            bad_area.append((fid, ours, want))
        sl_id, sl_d = (sl.split("|")[0], float(sl.split("|")[1])) if sl else (None, None)
        if park != sl_id or (park is not None and abs(pdist - sl_d) > 1e-6):
            bad_park.append((fid, park, pdist, sl_id, sl_d))
        in_park += sl_id is not None
    n = len(rows)
    if n < case.get("min_incidents", 1):
        fail(f"only {n} incidents to compare")
    if bad_area:
        fail(f"area_code differs from SpatiaLite for {len(bad_area)} of {n} incidents: {bad_area[:5]}")
    if bad_park:
        fail(f"park_id differs from SpatiaLite for {len(bad_park)} of {n} incidents: {bad_park[:5]}")
    if in_park < case.get("min_park_links", 1):
        fail(f"only {in_park} incidents near a park: the park comparison proves little")
    print(f"snap vs SpatiaLite: {n} of {n} incidents agree on area_code ({boundary} on a "
          f"boundary, first LSOA by file order) and on park_id ({in_park} within {buffer_m} m)")


def check_raster(case, out, env):
    """The raster case["raster"] describes: Float32, NoData, grid, CRS, and
    optionally its integral (sum * cell area) or a raw quartic's integral
    (pi r^2 / 3 per unit weight)."""
    import math
    spec = case["raster"]
    path = expand(spec["path"], env)
    ds = gdal.Open(path)
    if ds is None:
        fail(f"cannot open raster {path}")
    b = ds.GetRasterBand(1)
    if b.DataType != gdal.GDT_Float32:
        fail(f"{path}: type {gdal.GetDataTypeName(b.DataType)}, expected Float32")
    if b.GetNoDataValue() != spec.get("nodata", -9999):
        fail(f"{path}: NoData {b.GetNoDataValue()}")
    gt = ds.GetGeoTransform()
    if "size" in spec and [ds.RasterXSize, ds.RasterYSize] != spec["size"]:
        fail(f"{path}: size {ds.RasterXSize}x{ds.RasterYSize}, expected {spec['size']}")
    if "origin" in spec and [gt[0], gt[3]] != spec["origin"]:
        fail(f"{path}: origin {gt[0]},{gt[3]}, expected {spec['origin']}")
    if "pixel" in spec and (gt[1], gt[5]) != (spec["pixel"], -spec["pixel"]):
        fail(f"{path}: pixel {gt[1]},{gt[5]}")
    if "srs_contains" in spec and spec["srs_contains"] not in ds.GetProjection():
        fail(f"{path}: CRS lacks {spec['srs_contains']}")
    data = b.ReadRaster(0, 0, ds.RasterXSize, ds.RasterYSize, buf_type=gdal.GDT_Float32)
    import struct
    vals = struct.unpack(f"{ds.RasterXSize * ds.RasterYSize}f", data)
    total = sum(v for v in vals if v != -9999) * gt[1] * gt[1]
    if "integral" in spec and abs(total - spec["integral"]) > 1e-2 * spec["integral"]:
        fail(f"{path}: integral {total}, expected {spec['integral']}")
    if "integral_raw_quartic" in spec:
        q = spec["integral_raw_quartic"]
        want = q["weight_sum"] * math.pi * q["radius"] ** 2 / 3
        if abs(total - want) > 2e-2 * want:
            fail(f"{path}: integral {total}, expected {want} (pi r^2/3 per unit weight)")
    print(f"raster: {ds.RasterXSize}x{ds.RasterYSize} Float32, integral {total:.6g}")


def check_hotspots_truth(case, out, env):
    """Every planted hotspot of the sample's truth has its centre inside one
    of the top-ranked hotspot polygons, with a PAI of at least min_pai."""
    spec = case["hotspot_truth"]
    truth = json.load(open(os.path.join(env["sample"], "truth", "truth.json"), encoding="utf-8"))
    ds = open_gpkg(out)
    polys = [(f["rank"], f["pai"], f.GetGeometryRef().Clone()) for f in ds.GetLayerByName("hotspots")]
    if not polys:
        fail("no hotspots")
    for h in truth["hotspots"]:
        pt = ogr.Geometry(ogr.wkbPoint)
        pt.AddPoint_2D(h["x"], h["y"])
        hit = [(r, p) for r, p, g in polys if g.Contains(pt)]
        if not hit:
            fail(f"planted hotspot {h['id']} at {h['x']},{h['y']} is in no hotspot polygon")
        rank, pai = hit[0]
        if rank > spec["top_ranks"] or pai < spec["min_pai"]:
            fail(f"planted hotspot {h['id']} is in hotspot rank {rank} with PAI {pai:.2f}")
        print(f"truth hotspot {h['id']}: inside hotspot rank {rank}, PAI {pai:.2f}")


def check_snap_metadata_once(case, out, env):
    """run_metadata holds each snap.* key once, with the last run's values,
    and no temporary file is left beside the output."""
    ds = open_gpkg(out)
    keys = [f["key"] for f in ds.GetLayerByName("run_metadata")]
    snap = [k for k in keys if k.startswith("snap.")]
    dups = sorted({k for k in snap if snap.count(k) > 1})
    if not snap or dups:
        fail(f"run_metadata snap keys: {len(snap)}, repeated: {dups[:5]}")
    meta = run_metadata(ds)
    if "park_buffer_m" in case.get("json", {}) and \
            float(meta["snap.park_buffer_m"]) != case["json"]["park_buffer_m"]:
        fail(f"snap.park_buffer_m is {meta['snap.park_buffer_m']}")
    leftovers = glob.glob(os.path.join(os.path.dirname(out), ".*tmp*"))
    if leftovers:
        fail(f"temporary files left behind: {leftovers}")
    print(f"snap metadata: {len(snap)} snap.* keys, each once")


def check_corridors_truth(case, out, env):
    """Corridors on the sample: the planted corridor (truth.json `corridor`)
    ranks first, its network part is the planted route (length and every
    vertex), routes and polygons pair up, and the earlier layers are kept."""
    truth = json.load(open(os.path.join(env["sample"], "truth", "truth.json"), encoding="utf-8"))
    t = truth["corridor"]
    ds = open_gpkg(out)
    routes, polys = ds.GetLayerByName("corridor_routes"), ds.GetLayerByName("corridors")
    if routes is None or polys is None:
        fail("no corridor_routes or corridors layer")
    if routes.GetFeatureCount() != polys.GetFeatureCount() or routes.GetFeatureCount() == 0:
        fail(f"{routes.GetFeatureCount()} routes but {polys.GetFeatureCount()} corridors")
    want = {t["school_a"]["school_id"], t["school_b"]["school_id"]}
    for lyr in (routes, polys):
        firsts = [f for f in lyr if f.GetField("rank") == 1]
        if len(firsts) != 1 or {firsts[0].GetField("school_a"), firsts[0].GetField("school_b")} != want:
            fail(f"{lyr.GetName()}: rank 1 is " + ", ".join(
                f"{f.GetField('school_a')}-{f.GetField('school_b')}" for f in firsts) + f", expected {want}")
        f = firsts[0]
        if abs(f.GetField("network_m") - t["route_length_m"]) > 0.5:
            fail(f"planted corridor network_m {f.GetField('network_m')}, truth {t['route_length_m']}")
        total = f.GetField("network_m") + f.GetField("connector_a_m") + f.GetField("connector_b_m")
        if abs(f.GetField("length_m") - total) > 0.15:
            fail(f"length_m {f.GetField('length_m')} is not network + connectors ({total:.1f})")
        if f.GetField("n_school_travel") < t["n_planted_weekday_school_travel"] * 0.9:
            fail(f"planted corridor n_school_travel {f.GetField('n_school_travel')}, "
                 f"{t['n_planted_weekday_school_travel']} planted")
        if lyr is routes:
            g = f.GetGeometryRef()
            tr = ogr.CreateGeometryFromWkt(t["route_wkt"])
            for i in range(tr.GetPointCount()):
                p = ogr.Geometry(ogr.wkbPoint)
                p.AddPoint_2D(tr.GetX(i), tr.GetY(i))
                if p.Distance(g) > 0.5:
                    fail(f"planted route vertex {i} is {p.Distance(g):.1f} m from the route")
        lyr.ResetReading()
    for name in ("incidents", "schools", "bus_segments"):
        if ds.GetLayerByName(name) is None:
            fail(f"layer {name} was not kept")
    meta = run_metadata(ds)
    for k in ("corridors.corridors", "corridors.network_nodes", "time.corridors_s"):
        if k not in meta:
            fail(f"run_metadata lacks {k}")


def people_truth_maps(out, env):
    """pid -> true person (P-index) through the incidents layer, and the truth."""
    truth = {}
    with open(os.path.join(env["sample"], "truth", "incidents_truth.csv"), newline="",
              encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            truth[(r["source_name"], int(r["source_row"]))] = r
    ds = open_gpkg(out)
    pid_person = {}
    for f in ds.GetLayerByName("incidents"):
        if f["pid"]:
            pid_person.setdefault(f["pid"], set()).add(truth[(f["source"], f["source_row"])]["persons"])
    tj = json.load(open(os.path.join(env["sample"], "truth", "truth.json"), encoding="utf-8"))
    return ds, pid_person, tj


def check_people_overlap_truth(case, out, env):
    """The overlap table agrees with the JSON summary, no pid holds two true
    people, and the planted overlap (truth.json) is recovered exactly once
    the reported possible matches are taken as the same person: every
    difference between the raw table and the truth is a reported pair."""
    ds, pid_person, tj = people_truth_maps(out, env)
    t = tj["overlap"]
    merged = [k for k, v in pid_person.items() if len(v) > 1]
    if merged:
        fail(f"{len(merged)} pids hold more than one true person")
    table = {}
    for f in ds.GetLayerByName("overlap"):
        table[(f["type"], f["combination"])] = f["n_people"]
    meta = run_metadata(ds)
    if table[("total", "any")] != int(meta["people.distinct_people"]):
        fail("overlap table and run_metadata disagree")
    if sum(v for (kind, _), v in table.items() if kind == "exclusive") != table[("total", "any")]:
        fail("the exclusive combinations do not add up to the distinct people")
    # Recompute from incidents, merging reported possible matches (union-find).
    parent = {}

    def find(x):
        while parent.get(x, x) != x:
            x = parent[x]
        return x
    n_matches = 0
    for f in ds.GetLayerByName("possible_matches"):
        parent[find(f["pid_a"])] = find(f["pid_b"])
        n_matches += 1
    silos = ["cse", "syv", "hsb", "tra", "online"]
    raw, linked = {}, {}
    for f in ds.GetLayerByName("incidents"):
        if not f["pid"]:
            continue
        cats = set((f["categories"] or "").split("+")) & set(silos)
        raw.setdefault(f["pid"], set()).update(cats)
        linked.setdefault(find(f["pid"]), set()).update(cats)
    # The raw table is the raw recomputation.
    for c in silos:
        n = sum(1 for v in raw.values() if c in v)
        if table[("category", c)] != n:
            fail(f"category {c}: table {table[('category', c)]}, incidents give {n}")
    got = {"people_with_any": sum(1 for v in linked.values() if v),
           "by_category": {c: sum(1 for v in linked.values() if c in v) for c in silos},
           "pairwise": {}, "upset_exclusive": {}}
    for i, a in enumerate(silos):
        for b in silos[i + 1:]:
            got["pairwise"][f"{a}+{b}"] = sum(1 for v in linked.values() if a in v and b in v)
    for v in linked.values():
        if v:
            k = "+".join(c for c in silos if c in v)
            got["upset_exclusive"][k] = got["upset_exclusive"].get(k, 0) + 1
    for key in ("people_with_any", "by_category", "pairwise", "upset_exclusive"):
        if got[key] != t[key]:
            fail(f"overlap {key} after possible matches: {got[key]}, truth {t[key]}")
    diff = abs(table[("total", "any")] - t["people_with_any"])
    if diff > n_matches:
        fail(f"raw overlap differs from the truth by {diff} people, more than the {n_matches} "
             "possible matches reported")
    print(f"overlap: raw {table[('total', 'any')]} people (truth {t['people_with_any']}); "
          f"exact after {n_matches} reported possible matches")


def check_people_groups_truth(case, out, env):
    """Every planted peer group (truth.json peer_groups) is recovered: all its
    members are in one group, alone, with the planted categories; members
    carry no identity columns."""
    ds, pid_person, tj = people_truth_maps(out, env)
    person_group = {}
    lyr = ds.GetLayerByName("peer_group_members")
    defn = lyr.GetLayerDefn()
    cols = {defn.GetFieldDefn(j).GetName() for j in range(defn.GetFieldCount())}
    if cols != {"pid", "group_id", "degree", "betweenness"}:
        fail(f"peer_group_members columns {sorted(cols)}")
    for f in lyr:
        for p in pid_person.get(f["pid"], {"?" + f["pid"]}):
            person_group[p] = f["group_id"]
    groups = {f["group_id"]: f for f in ds.GetLayerByName("peer_groups")}
    planted = tj["peer_groups"]
    for g in planted:
        ids = {person_group.get(m) for m in g["members"]}
        if len(ids) != 1 or None in ids:
            fail(f"planted group {g['group_id']} is spread over groups {ids}")
        gid = ids.pop()
        if groups[gid]["n_members"] != g["n_members"]:
            fail(f"planted group {g['group_id']} ({g['n_members']}) is group {gid} with "
                 f"{groups[gid]['n_members']} members")
        if set(groups[gid]["categories"].split("+")) != set(g["categories"]):
            fail(f"group {gid} categories {groups[gid]['categories']}, planted {g['categories']}")
        if groups[gid].GetGeometryRef() is None or groups[gid]["n_schools"] < 1:
            fail(f"group {gid} has no centroid or no school")
    if len(groups) != len(planted):
        fail(f"{len(groups)} peer groups, {len(planted)} planted")
    lines = ds.GetLayerByName("peer_group_contexts")
    if lines is None or lines.GetFeatureCount() == 0:
        fail("no peer_group_contexts")
    for f in lines:
        if f["group_id"] not in groups or f.GetGeometryRef().GetPointCount() != 2:
            fail("a peer_group_contexts line does not join a group to a context")
    print(f"peer groups: all {len(planted)} planted groups recovered exactly")


def check_people_schools_truth(case, out, env):
    """peer_group_contexts ties each recovered planted group to the schools its
    members attend, exactly the planted schools (truth.json), with as many
    members per school as the sources' attendance records give (recomputed
    here from the exclusion, missing-in-school-day and travel-card files);
    members no record places at a school are 'nearest', and only they."""
    ds, pid_person, tj = people_truth_maps(out, env)
    profile = expand(case["profile"], env)
    cp = read_profile(profile)
    truth = {}
    with open(os.path.join(env["sample"], "truth", "incidents_truth.csv"), newline="",
              encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            truth[(r["source_name"], int(r["source_row"]))] = r["persons"]
    sds, slyr = open_source(profile, {"path": cp["contexts"]["schools"]})
    by_name = {f["name"].upper(): f["school_id"] for f in slyr}
    attends = {}  # true person -> {school id: records}
    columns = {"school_exclusion": "School URN", "missing_school_day": "School URN",
               "travel_card_withdrawn": "School"}
    for sec in cp.sections():
        if not sec.startswith("source.") or cp[sec]["kind"] not in columns:
            continue
        col = columns[cp[sec]["kind"]]
        src, lyr = open_source(profile, cp[sec])
        for n, f in enumerate(lyr, 1):
            v = (f.GetFieldAsString(col) if f.IsFieldSetAndNotNull(col) else "").strip()
            person = truth.get((sec[len("source."):], n))
            if not v or not person:
                continue
            school = by_name.get(v.upper(), v)
            attends.setdefault(person, {}).setdefault(school, 0)
            attends[person][school] += 1
    person_group = {}
    for f in ds.GetLayerByName("peer_group_members"):
        for p in pid_person.get(f["pid"], {"?"}):
            person_group[p] = f["group_id"]
    rows = {}
    for f in ds.GetLayerByName("peer_group_contexts"):
        if f["context_type"] == "schools":
            rows.setdefault(f["group_id"], {})[(f["context_id"], f["basis"])] = f["n_members"]
        elif f["basis"] != "incidents":
            fail(f"peer_group_contexts {f['context_type']} row with basis {f['basis']}")
    groups = {f["group_id"]: f for f in ds.GetLayerByName("peer_groups")}
    n_nearest = 0
    for g in tj["peer_groups"]:
        gid = person_group[g["members"][0]]
        got = rows.get(gid, {})
        att = {s: n for (s, b), n in got.items() if b == "attends"}
        if set(att) != set(g["schools"]):
            fail(f"planted group {g['group_id']}: attends {sorted(att)}, planted {sorted(g['schools'])}")
        want = {}
        unknown = 0
        for m in g["members"]:
            if m in attends:
                best = max(attends[m].items(), key=lambda kv: kv[1])[0]
                want[best] = want.get(best, 0) + 1
            else:
                unknown += 1
        if att != want:
            fail(f"planted group {g['group_id']}: members per school {att}, records give {want}")
        nearest = sum(n for (s, b), n in got.items() if b == "nearest")
        if nearest != unknown or groups[gid]["n_members_nearest"] != unknown:
            fail(f"planted group {g['group_id']}: {nearest} members at their nearest school, "
                 f"{unknown} without an attendance record")
        if groups[gid]["n_schools_attended"] != len(g["schools"]):
            fail(f"group {gid}: n_schools_attended {groups[gid]['n_schools_attended']}")
        n_nearest += unknown
    print(f"peer group schools: every planted group tied to exactly its planted schools; "
          f"{n_nearest} members without a school record placed at their nearest school")


CHECKS = {
    "truth_geocoding": check_truth_geocoding,
    "truth_load_rejects": check_truth_load_rejects,
    "truth_duplicates": check_truth_duplicates,
    "truth_categories": check_truth_categories,
    "data_quality": check_data_quality,
    "incidents": check_incidents,
    "rejects": check_rejects,
    "layers": check_layers,
    "row_accounting": check_row_accounting,
    "run_metadata": check_run_metadata,
    "no_identity": check_no_identity,
    "output_unchanged": check_output_unchanged,
    "truth_positions": check_truth_positions,
    "snap_counts": check_snap_counts,
    "snap_truth": check_snap_truth,
    "snap_spatialite": check_snap_spatialite,
    "snap_metadata_once": check_snap_metadata_once,
    "raster": check_raster,
    "hotspots_truth": check_hotspots_truth,
    "corridors_truth": check_corridors_truth,
    "people_overlap_truth": check_people_overlap_truth,
    "people_groups_truth": check_people_groups_truth,
    "people_schools_truth": check_people_schools_truth,
}


# Every key a case may hold: a misspelt key is an error, never a check
# silently skipped. "_about" is a comment.
CASE_KEYS = {
    "_about", "args", "before", "checks", "data_quality", "exit", "hotspot_truth", "incidents",
    "json", "kind_categories", "layers", "linkage_sources", "max_median_error_m",
    "metadata_arguments_contain", "min_hit_rate", "min_incidents", "min_inputs",
    "min_park_links", "min_rows", "min_truth_matches", "output", "park_buffer_m", "profile",
    "profile_variant", "raster", "rejects", "same_pid", "snap_all_linked", "snap_min_layers",
    "stdout_in_file", "stdout_skip_lines", "timeout", "truth_tolerance_m",
} | {f"{s}_{w}" for s in ("stdout", "stderr") for w in ("contains", "matches", "lacks")}


def needs_real(case, root):
    """Whether the case reads ../shared/data/real: by {real}, or through a profile that does."""
    text = json.dumps(case)
    if "{real}" in text:
        return True
    for ini in re.findall(r"\{data\}/[^\"]+?\.ini", text):
        path = os.path.join(root, "tests", "data", ini[len("{data}/"):])
        if os.path.isfile(path) and "shared/data/real" in open(path, encoding="utf-8").read():
            return True
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctxprof", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("case")
    a = ap.parse_args()
    case = json.load(open(a.case, encoding="utf-8"))
    unknown = sorted(set(case) - CASE_KEYS)
    if unknown:
        fail(f"{os.path.basename(a.case)}: unknown case keys {', '.join(unknown)} "
             f"(known: {', '.join(sorted(CASE_KEYS))})")
    real = os.path.normpath(os.path.join(a.root, "..", "shared", "data", "real"))
    if needs_real(case, a.root):
        sys.path.insert(0, os.path.join(a.root, "tests", "lib"))
        import real_data
        real_data.require(real=real)
    tmp = tempfile.mkdtemp(prefix="ctxprof-cli-")
    env = {"root": a.root, "tmp": tmp, "sample": os.path.join(a.root, "gis-data", "sample"),
           "data": os.path.join(a.root, "tests", "data"),
           "real": real}
    env["_before_sha"] = None
    try:
        if case.get("profile_variant"):
            pv = case["profile_variant"]
            src = expand(pv["from"], env)
            vdir = os.path.join(tmp, "variant")
            os.makedirs(vdir)
            for entry in os.listdir(os.path.dirname(src)):
                if entry != os.path.basename(src):
                    os.symlink(os.path.join(os.path.dirname(src), entry), os.path.join(vdir, entry))
            env["variant"] = os.path.join(vdir, os.path.basename(src))
            with open(src, encoding="utf-8") as fh, open(env["variant"], "w", encoding="utf-8") as fo:
                fo.write(fh.read() + "\n" + pv["append"])
        # A case may first run a command whose output a later failing run must not touch.
        for pre in case.get("before", []):
            r = subprocess.run([a.ctxprof] + [expand(x, env) for x in pre],
                               capture_output=True, text=True)
            if r.returncode != 0:
                fail(f"setup command failed: {r.stderr}")
        out = expand(case.get("output", "{tmp}/out.gpkg"), env)
        if os.path.exists(out):
            env["_before_sha"] = hashlib.sha256(open(out, "rb").read()).hexdigest()
        args = [a.ctxprof] + [expand(x, env) for x in case["args"]]
        r = subprocess.run(args, capture_output=True, text=True, timeout=case.get("timeout", 600),
                           stdin=subprocess.DEVNULL)
        print("$ " + " ".join(args))
        print(r.stdout[-3000:])
        print(r.stderr[-3000:], file=sys.stderr)
        if r.returncode != case.get("exit", 0):
            fail(f"exit status {r.returncode}, expected {case.get('exit', 0)}")
        for stream, text in (("stdout", r.stdout), ("stderr", r.stderr)):
            for want in case.get(stream + "_contains", []):
                if expand(want, env) not in text:
                    fail(f"{stream} lacks '{expand(want, env)}'")
            for pat in case.get(stream + "_matches", []):
                if not re.search(expand(pat, env), text, re.M):
                    fail(f"{stream} does not match /{pat}/")
            for bad in case.get(stream + "_lacks", []):
                if expand(bad, env) in text:
                    fail(f"{stream} contains '{expand(bad, env)}'")
        if case.get("stdout_in_file"):
            # A document that embeds generated text must hold it verbatim.
            doc = open(expand(case["stdout_in_file"], env), encoding="utf-8").read()
            body = r.stdout.split("\n", case.get("stdout_skip_lines", 0))[-1]
            if body not in doc:
                fail(f"{case['stdout_in_file']} does not hold the current output; regenerate it")
        if case.get("json"):
            summary = json.loads(r.stdout)
            for path, want in case["json"].items():
                v = summary
                for part in path.split("."):
                    v = v[part]
                if want == "positive":
                    if not v > 0:
                        fail(f"json {path} = {v}, expected > 0")
                elif v != want:
                    fail(f"json {path} = {v}, expected {want}")
        for check in case.get("checks", []):
            CHECKS[check](case, out, env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
