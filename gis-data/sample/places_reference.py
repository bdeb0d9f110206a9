"""Places of concern: a reference for the engine's link rule and profile.

Written apart from the engine (plain Python geometry, no GEOS), so that the
truth it gives is an independent check of `ctxprof run`:

- every incident with a position links to the **nearest place within the
  reach** (`[snap] place_reach_m`, 50 m by default): to a point place, the
  distance to the point; to a polygon place, 0 inside or on its boundary,
  else the distance to its boundary; a place exactly at the reach counts;
- **ties** go to the place that comes first: the layers in the order the
  profile lists them, and within a layer in feature (FID) order;
- each place's profile: `n_total` (incidents linked), `n_<category>` and
  `n_<flag>` (incidents carrying each; an incident counts once in each of its
  categories), `n_people` (distinct non-empty `pid`), `rank` (1 = most
  incidents, ties share the best rank: 1, 2, 2, 4).

Used by generate.py (truth/places_of_concern.json) and by
tests/cli/places_of_concern_truth.py. OGR only reads the files.
"""
import math
import os

CATEGORIES = ["cse", "syv", "hsb", "tra", "online", "missing", "exclusion", "asb", "da", "disturbance", "transport"]
ABUSE = CATEGORIES[:5]
FLAGS = ["youth", "vulnerable", "weapon", "marac", "permanent", "fixed_term"]
COUNT_COLUMNS = ["n_total"] + ["n_" + c for c in CATEGORIES] + ["n_" + f for f in FLAGS] + ["n_people"]
DEFAULT_REACH_M = 50.0


# ------------------------------------------------------------------ geometry
def _seg_dist(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    L2 = dx * dx + dy * dy
    t = 0.0 if L2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / L2))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _inside(px, py, rings):
    """Even-odd rule over every ring (outer rings and holes of all parts)."""
    inside = False
    for ring in rings:
        n = len(ring)
        for k in range(n - 1):
            (ax, ay), (bx, by) = ring[k], ring[k + 1]
            if (ay > py) != (by > py):
                xc = ax + (py - ay) * (bx - ax) / (by - ay)
                if px < xc:
                    inside = not inside
    return inside


def place_distance(place, x, y):
    """Metres from (x, y) to the place: 0 inside or on a polygon."""
    if place["kind"] == "point":
        return math.hypot(x - place["x"], y - place["y"])
    d = min(_seg_dist(x, y, ax, ay, bx, by)
            for ring in place["rings"] for (ax, ay), (bx, by) in zip(ring, ring[1:]))
    if d == 0.0 or _inside(x, y, place["rings"]):
        return 0.0
    return d


def link(places, x, y, reach=DEFAULT_REACH_M):
    """(index into places, distance) of the place an incident at (x, y) links to, or None."""
    best = None
    for i, p in enumerate(places):
        d = place_distance(p, x, y)
        if d <= reach and (best is None or d < best[1]):  # strict: a tie keeps the earlier place
            best = (i, d)
    return best


# ------------------------------------------------------------------ profile
def split(v):
    return [s for s in (v or "").split("+") if s]


def competition_rank(values):
    """1 = largest; equal values share the best rank (1, 2, 2, 4)."""
    return [1 + sum(1 for w in values if w > v) for v in values]


def profile(places, incidents, reach=DEFAULT_REACH_M):
    """Links every incident with a position and profiles every place.

    incidents: dicts with x, y (None without a position), categories, flags, pid.
    Returns (rows, links): rows in place order, each with id, name, place_type,
    geometry and COUNT_COLUMNS and rank; links a list parallel to incidents of
    (place id, distance) or None."""
    rows = [dict({"id": p["id"], "name": p["name"], "place_type": p["place_type"], "geometry": p["geometry"]},
                 **{c: 0 for c in COUNT_COLUMNS}) for p in places]
    people = [set() for _ in places]
    links = []
    for inc in incidents:
        hit = None if inc.get("x") is None else link(places, inc["x"], inc["y"], reach)
        links.append(None if hit is None else (places[hit[0]]["id"], hit[1]))
        if hit is None:
            continue
        r = rows[hit[0]]
        r["n_total"] += 1
        for c in split(inc.get("categories")):
            if "n_" + c in r:
                r["n_" + c] += 1
        for f in split(inc.get("flags")):
            if "n_" + f in r:
                r["n_" + f] += 1
        if inc.get("pid"):
            people[hit[0]].add(inc["pid"])
    for r, s in zip(rows, people):
        r["n_people"] = len(s)
    for r, k in zip(rows, competition_rank([r["n_total"] for r in rows])):
        r["rank"] = k
    return rows, links


def margins(places, incidents, reach=DEFAULT_REACH_M):
    """How far the links are from flipping: the smallest gap between the
    nearest and the second-nearest place within reach, and the smallest
    |distance - reach| over all incident-place pairs. Truth recorded from
    floating-point distances is only safe when both are well above rounding."""
    gap, edge = math.inf, math.inf
    for inc in incidents:
        if inc.get("x") is None:
            continue
        ds = sorted(place_distance(p, inc["x"], inc["y"]) for p in places)
        edge = min(edge, min(abs(d - reach) for d in ds))
        within = [d for d in ds if d <= reach]
        if len(within) >= 2:
            gap = min(gap, within[1] - within[0])
    return gap, edge


# ------------------------------------------------------------------ reading (OGR)
def _rings_of(g):
    from osgeo import ogr
    gt = ogr.GT_Flatten(g.GetGeometryType())
    polys = [g] if gt == ogr.wkbPolygon else [g.GetGeometryRef(k) for k in range(g.GetGeometryCount())]
    rings = []
    for pg in polys:
        for k in range(pg.GetGeometryCount()):
            r = pg.GetGeometryRef(k)
            pts = [(r.GetX(q), r.GetY(q)) for q in range(r.GetPointCount())]
            if pts and pts[0] != pts[-1]:
                pts.append(pts[0])
            rings.append(pts)
    return rings


def read_places(base_dir, uris, crs_epsg=27700):
    """The places of concern of a profile value (comma-separated `file|layername=x`),
    in link order, transformed to the profile CRS."""
    from osgeo import gdal, ogr, osr
    gdal.UseExceptions()
    target = osr.SpatialReference()
    target.ImportFromEPSG(crs_epsg)
    target.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    places = []
    for uri in [u.strip() for u in uris.split(",") if u.strip()]:
        path, _, lname = uri.partition("|layername=")
        ds = gdal.OpenEx(os.path.join(base_dir, path), gdal.OF_VECTOR)
        lyr = ds.GetLayerByName(lname) if lname else ds.GetLayer(0)
        src = lyr.GetSpatialRef()
        tr = None
        if src is not None and not src.IsSame(target):
            src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
            tr = osr.CoordinateTransformation(src, target)
        lyr.ResetReading()
        feats = sorted(lyr, key=lambda f: f.GetFID())
        for f in feats:
            g = f.GetGeometryRef()
            if g is None:
                continue
            g = g.Clone()
            if tr is not None:
                g.Transform(tr)
            p = {"id": f.GetField("place_id"), "name": f.GetField("name"), "place_type": f.GetField("place_type"),
                 "layer": uri, "fid": f.GetFID()}
            gt = ogr.GT_Flatten(g.GetGeometryType())
            if gt == ogr.wkbPoint:
                p.update(kind="point", geometry="Point", x=g.GetX(), y=g.GetY())
            elif gt in (ogr.wkbPolygon, ogr.wkbMultiPolygon):
                p.update(kind="polygon", geometry="Polygon", rings=_rings_of(g))
            else:
                raise ValueError("%s: feature %d is a %s; places of concern are points or polygons"
                                 % (uri, f.GetFID(), g.GetGeometryName()))
            places.append(p)
        ds = None
    return places


def read_incidents(gpkg):
    """The engine's incidents layer: position as placed, categories, flags, pid,
    and the place link columns when the engine wrote them."""
    from osgeo import gdal
    gdal.UseExceptions()
    ds = gdal.OpenEx(gpkg, gdal.OF_VECTOR)
    lyr = ds.GetLayerByName("incidents")
    defn = lyr.GetLayerDefn()
    names = {defn.GetFieldDefn(k).GetName() for k in range(defn.GetFieldCount())}
    out = []
    for f in sorted(lyr, key=lambda f: f.GetFID()):
        g = f.GetGeometryRef()
        empty = g is None or g.IsEmpty()
        r = {"fid": f.GetFID(), "incident_uid": f.GetField("incident_uid"), "source": f.GetField("source"),
             "source_row": f.GetField("source_row"), "x": None if empty else g.GetX(),
             "y": None if empty else g.GetY(), "categories": f.GetField("categories"),
             "flags": f.GetField("flags"), "pid": f.GetField("pid")}
        if "place_id" in names:
            r["place_id"] = f.GetField("place_id")
        if "place_dist_m" in names:
            r["place_dist_m"] = f.GetField("place_dist_m")
        out.append(r)
    ds = None
    return out
