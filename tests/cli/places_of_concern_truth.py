#!/usr/bin/python3
"""Places of concern on the sample against the planted truth (labels cli;snap).

  places_of_concern_truth.py CTXPROF ROOT               the test
  places_of_concern_truth.py --self-test CTXPROF ROOT   tests this test

The test runs `ctxprof run gis-data/sample/sample.ini -o TMP/out.gpkg -q` with
ROOT as the working folder, then checks:

1. sample.ini names the places of concern ([contexts] places_of_concern) and
   the reach ([snap] place_reach_m, 50 m when absent) that the truth was
   recorded for;
2. the reference (gis-data/sample/places_reference.py: plain Python geometry,
   not the engine's) applied to this run's incidents gives exactly
   gis-data/sample/truth/places_of_concern.json. If not, the engine now puts
   incidents elsewhere than when the truth was recorded: that is a geocoding
   change, not a places-of-concern fault; record the truth again with
   `generate.py --ctxprof BIN` (and the output digest);
3. the output layer `places_of_concern` holds every place once (by `id`) with
   its name, place_type and geometry (point or polygon), and n_total, n_cse,
   n_syv, n_hsb, n_tra, n_online, the six flag counts, n_people and rank as
   in the truth (the context indicator counts n_missing... too, when the
   layer has them);
4. every incident's `place_id` is the reference's link (NULL when no place is
   within reach) and its `place_dist_m` the reference's distance (within 1 mm).

--self-test needs no engine support for places of concern: it checks the
reference's link rule on hand-made cases (reach, inside, boundary, hole,
nearest, ties, ranks), then builds from CTXPROF's own output a copy with the
layer and columns the reference gives, which the checks of 3 and 4 must pass,
and five altered copies (a count, a rank, a missing place, an incident's
place_id, a distance) which each must fail; and, with PyQGIS, that
styles/places_of_concern.qml gives every place of that output exactly one
class (and a point one place-type glyph) and draws it.

Exit status 0 when everything holds, 1 otherwise.
"""
import configparser
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

from osgeo import gdal, ogr

gdal.UseExceptions()
ogr.UseExceptions()

REQUIRED = ["n_total", "n_cse", "n_syv", "n_hsb", "n_tra", "n_online", "n_youth", "n_vulnerable", "n_weapon",
            "n_marac", "n_permanent", "n_fixed_term", "n_people", "rank"]
INDICATORS = ["n_missing", "n_exclusion", "n_asb", "n_da", "n_disturbance", "n_transport"]
DIST_TOL_M = 1e-3


def load_reference(root):
    sys.path.insert(0, os.path.join(root, "gis-data", "sample"))
    import places_reference
    return places_reference


def read_profile(root):
    """(places_of_concern value or None, reach, crs EPSG code) from sample.ini."""
    cp = configparser.ConfigParser(interpolation=None, comment_prefixes=(";", "#"), inline_comment_prefixes=None,
                                   delimiters=("=",), strict=False)
    cp.optionxform = str
    cp.read(os.path.join(root, "gis-data", "sample", "sample.ini"), encoding="utf-8")
    uris = cp.get("contexts", "places_of_concern", fallback=None)
    reach = float(cp.get("snap", "place_reach_m", fallback="50"))
    crs = cp.get("profile", "crs", fallback="EPSG:27700")
    return uris, reach, int(crs.split(":")[1])


def run_sample(ctxprof, root, tmp):
    out = os.path.join(tmp, "sample.gpkg")
    r = subprocess.run([os.path.abspath(ctxprof), "run", "gis-data/sample/sample.ini", "-o", out, "-q"],
                       cwd=root, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("FAIL: ctxprof run exited %d: %s" % (r.returncode, r.stderr.strip()))
    return out


# ------------------------------------------------------------------ checks
def check_reference_vs_truth(rows, links, incidents, expected):
    """2: the reference on this run gives the recorded truth."""
    problems = []
    for got, want in zip(rows, expected["places"]):
        diff = [k for k in want if got.get(k) != want[k]]
        if diff:
            problems.append("reference on this run: place %s differs from the truth in %s (%s, truth %s)"
                            % (want["id"], ", ".join(diff), [got.get(k) for k in diff], [want[k] for k in diff]))
    if len(rows) != len(expected["places"]):
        problems.append("reference on this run: %d places, truth %d" % (len(rows), len(expected["places"])))
    got_links = sorted([i["source"], i["source_row"], lk[0]] for i, lk in zip(incidents, links) if lk)
    want_links = sorted(lk[:3] for lk in expected["links"])
    if got_links != want_links:
        gone = [lk for lk in want_links if lk not in got_links][:5]
        new = [lk for lk in got_links if lk not in want_links][:5]
        problems.append("reference on this run: %d links, truth %d (truth only: %s; this run only: %s)"
                        % (len(got_links), len(want_links), gone, new))
    if problems:
        problems.append("the engine places incidents differently from when the truth was recorded: a geocoding "
                        "change, not a places-of-concern fault; record it again with "
                        "`gis-data/sample/generate.py --ctxprof BIN` (and the output digest)")
    return problems


def check_layer(gpkg, expected, places):
    """3: the output layer places_of_concern against the truth."""
    ds = gdal.OpenEx(gpkg, gdal.OF_VECTOR)
    lyr = ds.GetLayerByName("places_of_concern")
    if lyr is None:
        return ["output has no layer places_of_concern"]
    defn = lyr.GetLayerDefn()
    names = [defn.GetFieldDefn(k).GetName() for k in range(defn.GetFieldCount())]
    missing = [c for c in ["id", "name", "place_type"] + REQUIRED if c not in names]
    if missing:
        return ["places_of_concern lacks columns %s" % ", ".join(missing)]
    compare = REQUIRED + [c for c in INDICATORS if c in names]
    by_id = {}
    problems = []
    for f in lyr:
        pid = f.GetField("id")
        if pid in by_id:
            problems.append("places_of_concern: id %s appears twice" % pid)
        g = f.GetGeometryRef()
        by_id[pid] = (f, None if g is None else g.Clone())
    src = {p["id"]: p for p in places}
    for want in expected["places"]:
        if want["id"] not in by_id:
            problems.append("places_of_concern: place %s (%s) is missing" % (want["id"], want["name"]))
            continue
        f, g = by_id.pop(want["id"])
        for c in ["name", "place_type"] + compare:
            got = f.GetField(c)
            if got != want[c]:
                problems.append("places_of_concern %s: %s = %r, truth %r" % (want["id"], c, got, want[c]))
        p = src[want["id"]]
        if g is None:
            problems.append("places_of_concern %s: no geometry" % want["id"])
        elif p["kind"] == "point":
            if ogr.GT_Flatten(g.GetGeometryType()) != ogr.wkbPoint or \
                    math.hypot(g.GetX() - p["x"], g.GetY() - p["y"]) > DIST_TOL_M:
                problems.append("places_of_concern %s: geometry %s, source POINT (%.1f %.1f)"
                                % (want["id"], g.ExportToWkt()[:60], p["x"], p["y"]))
        else:
            ring = ogr.Geometry(ogr.wkbLinearRing)
            for x, y in p["rings"][0]:
                ring.AddPoint_2D(x, y)
            poly = ogr.Geometry(ogr.wkbPolygon)
            poly.AddGeometry(ring)
            if ogr.GT_Flatten(g.GetGeometryType()) not in (ogr.wkbPolygon, ogr.wkbMultiPolygon) or \
                    abs(g.GetArea() - poly.GetArea()) > 0.01:
                problems.append("places_of_concern %s: geometry %s, source a polygon of %.1f m2"
                                % (want["id"], g.ExportToWkt()[:60], poly.GetArea()))
    for pid in sorted(by_id):
        problems.append("places_of_concern: place %s is not in the truth" % pid)
    return problems


def check_incident_links(incidents, links):
    """4: every incident's place_id and place_dist_m against the reference link."""
    if not incidents or "place_id" not in incidents[0] or "place_dist_m" not in incidents[0]:
        return ["incidents lack the columns place_id and place_dist_m"]
    problems = []
    for inc, lk in zip(incidents, links):
        want_id, want_d = lk if lk else (None, None)
        got_id, got_d = inc["place_id"], inc["place_dist_m"]
        if got_id != want_id:
            problems.append("incident %s: place_id %r, reference %r" % (inc["incident_uid"], got_id, want_id))
        elif want_id is None and got_d is not None:
            problems.append("incident %s: place_dist_m %r without a place" % (inc["incident_uid"], got_d))
        elif want_id is not None and (got_d is None or abs(got_d - want_d) > DIST_TOL_M):
            problems.append("incident %s: place_dist_m %r, reference %.6f" % (inc["incident_uid"], got_d, want_d))
    if len(problems) > 10:
        problems = problems[:10] + ["... and %d more incidents" % (len(problems) - 10)]
    return problems


def check_output(ref, gpkg, expected, places, reach):
    """Checks 3 and 4 of one output, with the reference applied to its own incidents."""
    incidents = ref.read_incidents(gpkg)
    rows, links = ref.profile(places, incidents, reach)
    return check_layer(gpkg, expected, places) + check_incident_links(incidents, links)


# ------------------------------------------------------------------ the test
def test(ctxprof, root):
    ref = load_reference(root)
    with open(os.path.join(root, "gis-data", "sample", "truth", "places_of_concern.json"), encoding="utf-8") as f:
        truth = json.load(f)
    if "expected" not in truth:
        print("FAIL: truth/places_of_concern.json has no expected figures: run gis-data/sample/generate.py --ctxprof BIN")
        return 1
    expected = truth["expected"]
    uris, reach, crs = read_profile(root)
    problems = []
    if uris is None:
        problems.append("sample.ini has no [contexts] places_of_concern (it stays commented out until the engine "
                        "knows the key)")
        uris = ",".join(truth["layers"])
    elif [u.strip() for u in uris.split(",")] != truth["layers"]:
        problems.append("sample.ini places_of_concern = %s, the truth was recorded for %s" % (uris, truth["layers"]))
    if reach != truth["reach_m"]:
        problems.append("sample.ini [snap] place_reach_m = %g, the truth was recorded for %g" % (reach, truth["reach_m"]))
    places = ref.read_places(os.path.join(root, "gis-data", "sample"), uris, crs)
    tmp = tempfile.mkdtemp(prefix="ctxprof-places-")
    try:
        out = run_sample(ctxprof, root, tmp)
        incidents = ref.read_incidents(out)
        rows, links = ref.profile(places, incidents, reach)
        problems += check_reference_vs_truth(rows, links, incidents, expected)
        problems += check_layer(out, expected, places)
        problems += check_incident_links(incidents, links)
    finally:
        shutil.rmtree(tmp, True)
    for p in problems:
        print("FAIL: " + p)
    if problems:
        return 1
    print("ok: %d places of concern and %d linked incidents as in truth/places_of_concern.json; "
          "every incident's place_id is the reference's" % (len(expected["places"]), len(expected["links"])))
    return 0


# ------------------------------------------------------------------ the self-test
def unit_cases(ref):
    """The link rule and the profile on hand-made places: (description, ok)."""
    sq = [(0, 0), (100, 0), (100, 100), (0, 100), (0, 0)]
    hole = [(40, 40), (60, 40), (60, 60), (40, 60), (40, 40)]
    A = {"id": "A", "name": "a", "place_type": "takeaway", "geometry": "Point", "kind": "point", "x": 200.0, "y": 50.0}
    B = {"id": "B", "name": "b", "place_type": "disused_garages", "geometry": "Polygon", "kind": "polygon",
         "rings": [sq, hole]}
    C = {"id": "C", "name": "c", "place_type": "stairwell", "geometry": "Point", "kind": "point", "x": 200.0, "y": 90.0}
    D = {"id": "D", "name": "d", "place_type": "youth_club", "geometry": "Point", "kind": "point", "x": 400.0, "y": 50.0}
    E = {"id": "E", "name": "e", "place_type": "youth_club", "geometry": "Point", "kind": "point", "x": 400.0, "y": 50.0}
    places = [A, C, D, E, B]  # points first, as the sample's layers

    def at(x, y):
        hit = ref.link(places, x, y, 50)
        return None if hit is None else (places[hit[0]]["id"], round(hit[1], 9))
    cases = [
        ("a point place exactly at the reach links", at(250, 50) == ("A", 50.0)),
        ("a point place just beyond the reach does not", at(250.001, 50) is None),
        ("inside a polygon is 0 m", at(10, 10) == ("B", 0.0)),
        ("on a polygon's edge is 0 m", at(100, 10) == ("B", 0.0)),
        ("on a polygon's vertex is 0 m", at(0, 0) == ("B", 0.0)),
        ("in a hole is the distance to the hole's edge", at(50, 50) == ("B", 10.0)),
        ("outside a polygon is the distance to its edge", at(-30, 50) == ("B", 30.0)),
        ("the nearest place wins (polygon 10 m, point 90 m)", at(110, 50) == ("B", 10.0)),
        ("the nearest place wins (point 20 m, polygon 80 m)", at(180, 50) == ("A", 20.0)),
        ("a tie between a point and a polygon goes to the point layer, listed first", at(150, 50) == ("A", 50.0)),
        ("a tie between two points goes to the first in layer order (A before C)", at(200, 70) == ("A", 20.0)),
        ("a tie between two points at one position goes to the first (D before E)", at(410, 50) == ("D", 10.0)),
        ("a tie reversed in order goes the other way",
         ref.link([C, A], 200, 70, 50) is not None and ref.link([C, A], 200, 70, 50)[0] == 0),
        ("ranks: ties share the best rank", ref.competition_rank([5, 3, 3, 0, 0, 7]) == [2, 3, 3, 5, 5, 1]),
    ]
    incs = [{"x": 200, "y": 55, "categories": "cse+syv", "flags": "weapon", "pid": "p1"},
            {"x": 201, "y": 50, "categories": "cse", "flags": "", "pid": "p1"},
            {"x": 199, "y": 50, "categories": "asb+transport", "flags": "youth+vulnerable", "pid": None},
            {"x": 50, "y": 10, "categories": "", "flags": None, "pid": "p2"},
            {"x": 1000, "y": 1000, "categories": "cse", "flags": "", "pid": "p3"},
            {"x": None, "y": None, "categories": "cse", "flags": "", "pid": "p4"}]
    rows, links = ref.profile(places, incs, 50)
    a, b, d = rows[0], rows[4], rows[2]
    cases += [
        ("profile: n_total, categories (one incident counts in each of its categories), flags",
         (a["n_total"], a["n_cse"], a["n_syv"], a["n_asb"], a["n_transport"], a["n_weapon"], a["n_youth"]) ==
         (3, 2, 1, 1, 1, 1, 1)),
        ("profile: n_people counts distinct non-empty pids", (a["n_people"], b["n_people"]) == (1, 1)),
        ("profile: incidents far away or without a position link to nothing",
         links[4] is None and links[5] is None and sum(r["n_total"] for r in rows) == 4),
        ("profile: rank 1 for the most, ties (0, 0, 0) share the best rank",
         (a["rank"], b["rank"], d["rank"], rows[1]["rank"]) == (1, 2, 3, 3)),
    ]
    return cases


def write_fake(src, dst, places, rows, incidents, links, alter=None):
    """A copy of an engine output with the places_of_concern layer and the
    incident columns as the reference gives them; alter(kind, obj) may change
    a row or a link before it is written."""
    shutil.copy(src, dst)
    ds = gdal.OpenEx(dst, gdal.OF_VECTOR | gdal.OF_UPDATE)
    for k in range(ds.GetLayerCount()):
        if ds.GetLayer(k).GetName() == "places_of_concern":
            ds.DeleteLayer(k)
            break
    lyr = ds.CreateLayer("places_of_concern", ds.GetLayerByName("incidents").GetSpatialRef(), ogr.wkbUnknown,
                         options=["FID=fid"])
    for c in ("id", "name", "place_type"):
        lyr.CreateField(ogr.FieldDefn(c, ogr.OFTString))
    for c in REQUIRED[:-1] + INDICATORS + ["rank"]:
        lyr.CreateField(ogr.FieldDefn(c, ogr.OFTInteger64))
    ds.StartTransaction()
    for p, r in zip(places, rows):
        r = dict(r)
        if alter and alter("row", r) is False:
            continue
        f = ogr.Feature(lyr.GetLayerDefn())
        for c in ["id", "name", "place_type"] + REQUIRED + INDICATORS:
            f.SetField(c, r[c])
        if p["kind"] == "point":
            g = ogr.CreateGeometryFromWkt("POINT (%r %r)" % (p["x"], p["y"]))
        else:
            g = ogr.CreateGeometryFromWkt("POLYGON (" + ",".join(
                "(" + ",".join("%r %r" % xy for xy in ring) + ")" for ring in p["rings"]) + ")")
        f.SetGeometry(g)
        lyr.CreateFeature(f)
    ds.CommitTransaction()
    inc = ds.GetLayerByName("incidents")
    defn = inc.GetLayerDefn()
    have = {defn.GetFieldDefn(k).GetName() for k in range(defn.GetFieldCount())}
    if "place_id" not in have:
        inc.CreateField(ogr.FieldDefn("place_id", ogr.OFTString))
    if "place_dist_m" not in have:
        inc.CreateField(ogr.FieldDefn("place_dist_m", ogr.OFTReal))
    ds.StartTransaction()
    for i, lk in zip(incidents, links):
        lk = list(lk) if lk else [None, None]
        if alter:
            alter("link", (i, lk))
        f = inc.GetFeature(i["fid"])
        if lk[0] is None:
            f.SetFieldNull("place_id")
            f.SetFieldNull("place_dist_m")
        else:
            f.SetField("place_id", lk[0])
            f.SetField("place_dist_m", lk[1])
        inc.SetFeature(f)
    ds.CommitTransaction()
    ds = None


def style_cases(root, gpkg):
    """styles/places_of_concern.qml on an output with the layer, as QGIS reads
    it (one layer of points and polygons): every feature matches exactly one
    class rule (a point also one place-type rule) and draws something at its
    place. (description, ok) pairs; none when PyQGIS is not installed."""
    home = tempfile.mkdtemp(prefix="ctxprof-places-qgis-")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["HOME"] = home
    try:
        from qgis.core import (QgsApplication, QgsExpression, QgsExpressionContext, QgsExpressionContextUtils,
                               QgsMapRendererParallelJob, QgsMapSettings, QgsRectangle, QgsVectorLayer, QgsWkbTypes)
        from qgis.PyQt.QtCore import QSize
        from qgis.PyQt.QtGui import QColor
    except ImportError:
        shutil.rmtree(home, True)
        return [("style: PyQGIS is not installed, the style is not checked", True)]
    app = QgsApplication([], False)
    app.initQgis()
    cases = []
    try:
        layer = QgsVectorLayer(gpkg + "|layername=places_of_concern", "places_of_concern", "ogr")
        _, ok = layer.loadNamedStyle(os.path.join(root, "styles", "places_of_concern.qml"))
        cases.append(("style: the .qml loads", ok and layer.renderer().type() == "RuleRenderer"))

        def leaves(rule, ctx):
            # QGIS's rule evaluation: a child whose filter holds draws its symbol and its
            # children's; an ELSE child draws when no other child at its level matched.
            out, matched = [], False
            for child in [c for c in rule.children() if not c.isElse()] + [c for c in rule.children() if c.isElse()]:
                if not child.active() or (child.isElse() and matched):
                    continue
                if not child.isElse() and not QgsExpression(child.filterExpression()).evaluate(ctx):
                    continue
                got = ([child.label()] if child.symbol() else []) + leaves(child, ctx)
                if got and not child.isElse():
                    matched = True
                out += got
            return out
        classes = {"25 or more incidents", "10 - 24", "5 - 9", "1 - 4", "None linked"}
        settings = QgsMapSettings()
        settings.setLayers([layer])
        settings.setDestinationCrs(layer.crs())
        background = QColor("#00ff00")  # a colour the style does not use (its glyphs are white)
        settings.setBackgroundColor(background)
        settings.setOutputSize(QSize(101, 101))
        for f in layer.getFeatures():
            ctx = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
            ctx.setFeature(f)
            got = leaves(layer.renderer().rootRule(), ctx)
            point = QgsWkbTypes.geometryType(f.geometry().wkbType()) == QgsWkbTypes.PointGeometry
            n_class = sum(1 for g in got if g in classes)
            n_type = len(got) - n_class
            cases.append(("style: %s (n_total %s, %s) matches one class%s (%s)"
                          % (f["id"], f["n_total"], f["place_type"], " and one type" if point else "", ", ".join(got)),
                          n_class == 1 and n_type == (1 if point else 0)))
            at = f.geometry().pointOnSurface().asPoint()
            settings.setExtent(QgsRectangle(at.x() - 5, at.y() - 5, at.x() + 5, at.y() + 5))
            job = QgsMapRendererParallelJob(settings)
            job.start()
            job.waitForFinished()
            pixel = QColor(job.renderedImage().pixel(50, 50))
            cases.append(("style: %s draws at its place (pixel %s)" % (f["id"], pixel.name()),
                          pixel.name() != background.name()))
        # A value above every class and a NULL are drawn too (the last class is open, ELSE takes the rest).
        for value in (10 ** 6, None):
            f = next(layer.getFeatures())
            f.setAttribute("n_total", value)
            ctx = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
            ctx.setFeature(f)
            got = leaves(layer.renderer().rootRule(), ctx)
            cases.append(("style: n_total %s matches one class (%s)" % (value, ", ".join(got)),
                          sum(1 for g in got if g in classes) == 1))
        del layer
    finally:
        app.exitQgis()
        shutil.rmtree(home, True)
    return cases


def self_test(ctxprof, root):
    ref = load_reference(root)
    failures = 0
    for what, ok in unit_cases(ref):
        print(("ok: " if ok else "FAIL: ") + what)
        failures += not ok
    with open(os.path.join(root, "gis-data", "sample", "truth", "places_of_concern.json"), encoding="utf-8") as f:
        truth = json.load(f)
    uris, reach, crs = read_profile(root)
    uris = uris or ",".join(truth["layers"])
    places = ref.read_places(os.path.join(root, "gis-data", "sample"), uris, crs)
    tmp = tempfile.mkdtemp(prefix="ctxprof-places-self-")
    try:
        out = run_sample(ctxprof, root, tmp)
        incidents = ref.read_incidents(out)
        rows, links = ref.profile(places, incidents, reach)
        expected = {"places": rows, "links": [[i["source"], i["source_row"], lk[0], lk[1]]
                                              for i, lk in zip(incidents, links) if lk]}
        vs_truth = check_reference_vs_truth(rows, links, incidents, truth.get("expected", {"places": [], "links": []}))
        print(("ok: " if not vs_truth else "FAIL: ") + "the reference on this run's incidents gives the recorded truth")
        for p in vs_truth:
            print("  " + p)
        failures += bool(vs_truth)
        fake = os.path.join(tmp, "fake.gpkg")
        write_fake(out, fake, places, rows, incidents, links)
        problems = check_output(ref, fake, expected, places, reach)
        print(("ok: " if not problems else "FAIL: ") + "an output made by the reference passes the checks")
        for p in problems[:5]:
            print("  " + p)
        failures += bool(problems)
        top = rows[0]["id"]
        linked = next(i["incident_uid"] for i, lk in zip(incidents, links) if lk)
        other = next(p["id"] for p in places if p["id"] != top)

        def count(kind, obj):
            if kind == "row" and obj["id"] == top:
                obj["n_cse"] += 1

        def rank(kind, obj):
            if kind == "row" and obj["id"] == top:
                obj["rank"] = 2

        def drop(kind, obj):
            return not (kind == "row" and obj["id"] == top)

        def place_id(kind, obj):
            if kind == "link" and obj[0]["incident_uid"] == linked:
                obj[1][0] = other if obj[1][0] != other else top

        def distance(kind, obj):
            if kind == "link" and obj[0]["incident_uid"] == linked:
                obj[1][1] += 0.01
        for name, alter in (("an n_cse one too many", count), ("a wrong rank", rank), ("a missing place", drop),
                            ("an incident linked to the wrong place", place_id), ("a distance 1 cm off", distance)):
            bad = os.path.join(tmp, "bad.gpkg")
            write_fake(out, bad, places, rows, incidents, links, alter)
            problems = check_output(ref, bad, expected, places, reach)
            print(("ok: " if problems else "FAIL: ") + "an output with %s fails the checks (%s)"
                  % (name, problems[0] if problems else "it passed"))
            failures += not problems
        # Last: QGIS's exit unloads GDAL's drivers.
        for what, ok in style_cases(root, fake):
            print(("ok: " if ok else "FAIL: ") + what)
            failures += not ok
    finally:
        shutil.rmtree(tmp, True)
    print("self-test: %s" % ("ok" if not failures else "%d failures" % failures))
    return 1 if failures else 0


def main(argv):
    if len(argv) == 4 and argv[1] == "--self-test":
        return self_test(argv[2], os.path.abspath(argv[3]))
    if len(argv) == 3:
        return test(argv[1], os.path.abspath(argv[2]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
