#!/usr/bin/python3
"""Generate the synthetic Northbrook sample area for ctxprof.

Everything here is fictional: the borough, its streets, postcodes, schools,
people and incidents. Run with Debian's python3 and python3-gdal:

    /usr/bin/python3 gis-data/sample/generate.py [--ctxprof BIN]

It rewrites every output in gis-data/sample/ (text outputs and places.gpkg
byte-identically; northbrook.gpkg and the XLSX carry timestamps) and then
checks sample.ini against the files it names. With --ctxprof it also runs
BIN on the sample to record the expected places of concern
(truth/places_of_concern.json). Standard library + osgeo only.
"""
import csv
import configparser
import contextlib
import datetime as dt
import hashlib
import heapq
import io
import json
import math
import os
import random
import re
import shutil
import sys
import unicodedata

from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()
osr.UseExceptions()

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261128
rng = random.Random(SEED)

PERIOD_START = dt.date(2024, 9, 1)
PERIOD_END = dt.date(2025, 8, 31)
EXTRACT_DATE = dt.date(2025, 9, 15)

# ---------------------------------------------------------------- helpers


def out(*parts):
    return os.path.join(HERE, *parts)


def r1(v):
    return round(v, 1)


def dist(a, b):
    return math.hypot(a[0] - b[0], a[1] - b[1])


def poly_len(cs):
    return sum(dist(cs[k], cs[k + 1]) for k in range(len(cs) - 1))


def point_along(cs, d):
    """Point and unit direction at distance d along polyline cs."""
    for k in range(len(cs) - 1):
        a, b = cs[k], cs[k + 1]
        L = dist(a, b)
        if d <= L or k == len(cs) - 2:
            t = 0.0 if L == 0 else max(0.0, min(1.0, d / L))
            ux, uy = ((b[0] - a[0]) / L, (b[1] - a[1]) / L) if L else (1.0, 0.0)
            return (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])), (ux, uy)
        d -= L
    return cs[-1], (1.0, 0.0)


def nearest_on_poly(cs, p):
    """(distance, point, distance-along) of the point on polyline cs nearest to p."""
    best = None
    acc = 0.0
    for k in range(len(cs) - 1):
        ax, ay = cs[k]
        bx, by = cs[k + 1]
        dx, dy = bx - ax, by - ay
        L2 = dx * dx + dy * dy
        t = 0.0 if L2 == 0 else max(0.0, min(1.0, ((p[0] - ax) * dx + (p[1] - ay) * dy) / L2))
        q = (ax + t * dx, ay + t * dy)
        dd = dist(p, q)
        if best is None or dd < best[0]:
            best = (dd, q, acc + t * math.sqrt(L2))
        acc += math.sqrt(L2)
    return best


def bearing(ux, uy):
    return int(round(math.degrees(math.atan2(ux, uy)))) % 360


class GridIndex:
    """Buckets of keys by cell, for nearest-neighbour look-ups without numpy."""

    def __init__(self, cell=250.0):
        self.cell = cell
        self.cells = {}

    def add_bbox(self, key, minx, miny, maxx, maxy):
        c = self.cell
        for i in range(int(minx // c), int(maxx // c) + 1):
            for j in range(int(miny // c), int(maxy // c) + 1):
                self.cells.setdefault((i, j), []).append(key)

    def add(self, key, x, y):
        self.add_bbox(key, x, y, x, y)

    def near(self, x, y, r):
        c = self.cell
        seen = set()
        res = []
        for i in range(int((x - r) // c), int((x + r) // c) + 1):
            for j in range(int((y - r) // c), int((y + r) // c) + 1):
                for k in self.cells.get((i, j), ()):
                    if k not in seen:
                        seen.add(k)
                        res.append(k)
        return res


def ring_wkt(cs):
    return "(" + ",".join("%.2f %.2f" % (x, y) for x, y in cs) + ")"


def polygon(cs):
    if cs[0] != cs[-1]:
        cs = list(cs) + [cs[0]]
    return ogr.CreateGeometryFromWkt("POLYGON(" + ring_wkt(cs) + ")")


def round_geom(g, nd=2):
    """Rebuild a (multi)polygon with coordinates rounded to nd decimals."""
    def rring(r):
        pts = []
        for k in range(r.GetPointCount()):
            p = (round(r.GetX(k), nd), round(r.GetY(k), nd))
            if not pts or pts[-1] != p:
                pts.append(p)
        return pts

    def rpoly(pg):
        rings = [rring(pg.GetGeometryRef(k)) for k in range(pg.GetGeometryCount())]
        return "(" + ",".join("(" + ",".join("%.*f %.*f" % (nd, x, nd, y) for x, y in r) + ")" for r in rings if len(r) >= 4) + ")"

    gt = ogr.GT_Flatten(g.GetGeometryType())
    if gt == ogr.wkbPolygon:
        return ogr.CreateGeometryFromWkt("POLYGON" + rpoly(g))
    if gt == ogr.wkbMultiPolygon:
        return ogr.CreateGeometryFromWkt("MULTIPOLYGON(" + ",".join(rpoly(g.GetGeometryRef(k)) for k in range(g.GetGeometryCount())) + ")")
    raise ValueError("unexpected geometry " + g.GetGeometryName())


def parts(g):
    gt = ogr.GT_Flatten(g.GetGeometryType())
    if gt == ogr.wkbPolygon:
        return [g.Clone()]
    res = []
    for k in range(g.GetGeometryCount()):
        sub = g.GetGeometryRef(k)
        if ogr.GT_Flatten(sub.GetGeometryType()) == ogr.wkbPolygon:
            res.append(sub.Clone())
    return res


def snap_all(geoms, tol=0.05, nd=2):
    """Snap the vertices of all (multi)polygons together: vertices closer than
    tol become one vertex (the first seen, rounded to nd decimals), so that
    neighbours computed separately share their vertices exactly."""
    canon = {}

    def snap(x, y):
        ci, cj = int(math.floor(x / tol)), int(math.floor(y / tol))
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                for q in canon.get((ci + di, cj + dj), ()):
                    if abs(q[0] - x) <= tol and abs(q[1] - y) <= tol:
                        return q
        q = (round(x, nd), round(y, nd))
        canon.setdefault((ci, cj), []).append(q)
        return q

    def rring(r):
        pts = []
        for k in range(r.GetPointCount()):
            p = snap(r.GetX(k), r.GetY(k))
            if not pts or pts[-1] != p:
                pts.append(p)
        return pts

    def rpoly(pg):
        rings = [rring(pg.GetGeometryRef(k)) for k in range(pg.GetGeometryCount())]
        return "(" + ",".join("(" + ",".join("%.*f %.*f" % (nd, x, nd, y) for x, y in r) + ")" for r in rings if len(r) >= 4) + ")"

    res = []
    for g in geoms:
        gt = ogr.GT_Flatten(g.GetGeometryType())
        if gt == ogr.wkbPolygon:
            res.append(ogr.CreateGeometryFromWkt("POLYGON" + rpoly(g)))
        else:
            ps = [rpoly(g.GetGeometryRef(k)) for k in range(g.GetGeometryCount())
                  if ogr.GT_Flatten(g.GetGeometryRef(k).GetGeometryType()) == ogr.wkbPolygon]
            res.append(ogr.CreateGeometryFromWkt("MULTIPOLYGON(" + ",".join(ps) + ")"))
    return res


def voronoi_cells(seeds, clip):
    """Voronoi cells of seeds clipped to clip, as Polygons that tile clip.

    Half-plane intersection on a box; vertices snapped together so that
    neighbours share them exactly, then clipped and snapped again. Parts cut
    off by a concave clip boundary go to the neighbour they share most
    boundary with, so that every cell is one Polygon."""
    minx, maxx, miny, maxy = clip.GetEnvelope()
    box = polygon([(minx - 500, miny - 500), (maxx + 500, miny - 500), (maxx + 500, maxy + 500), (minx - 500, maxy + 500)])
    L = 1e5
    cells = []
    for i, si in enumerate(seeds):
        cell = box.Clone()
        for j, sj in enumerate(seeds):
            if i == j:
                continue
            mx, my = (si[0] + sj[0]) / 2, (si[1] + sj[1]) / 2
            nx, ny = sj[0] - si[0], sj[1] - si[1]
            d = math.hypot(nx, ny)
            nx, ny = nx / d, ny / d
            tx, ty = -ny, nx
            hp = polygon([(mx + tx * L, my + ty * L), (mx - tx * L, my - ty * L),
                          (mx - tx * L - nx * L, my - ty * L - ny * L), (mx + tx * L - nx * L, my + ty * L - ny * L)])
            cell = cell.Intersection(hp)
        cells.append(cell)
    cells = snap_all(cells)
    clipped = snap_all([c.Intersection(clip) for c in cells])
    pieces = [parts(c) for c in clipped]
    main = []
    orphans = []
    for i, ps in enumerate(pieces):
        ps.sort(key=lambda p: -p.GetArea())
        main.append(ps[0] if ps else None)
        orphans.extend(ps[1:])
    for o in orphans:
        best, bl = None, -1
        for i, m in enumerate(main):
            if m is None:
                continue
            inter = o.Boundary().Intersection(m.Boundary())
            ln = inter.Length() if inter is not None else 0
            if ln > bl:
                best, bl = i, ln
        main[best] = main[best].Union(o)
    return snap_all(main)


# ------------------------------------------------------------ study area
STUDY_VERTS = [(540200, 200000), (541800, 200150), (543300, 199900), (545000, 200300), (546000, 200100),
               (546100, 201700), (545800, 203200), (546200, 204600), (545900, 206000), (544300, 205800),
               (542800, 206100), (541200, 205700), (540000, 206000), (539900, 204400), (540300, 202900),
               (539800, 201400)]
STUDY0 = polygon(STUDY_VERTS)

# ------------------------------------------------------------ street grid
SP = 250.0
X0, Y0 = 539750.0, 199850.0
NI, NJ = 27, 26
MAIN_COLS = {13: ("High Road", "primary"), 6: ("Park Lane", "secondary"), 20: ("Green Lanes", "secondary")}
MAIN_ROWS = {12: ("Station Road", "primary"), 5: ("Brook Road", "secondary"), 19: ("Victoria Avenue", "secondary")}

STEMS = """Elm Oak Ash Beech Cedar Maple Willow Hazel Rowan Holly Laurel Linden Poplar Alder Birch Chestnut
Sycamore Hawthorn Juniper Myrtle Albert Alexandra Albion Arundel Balmoral Belmont Berkeley Beresford Bowes
Cambridge Canning Carlton Cavendish Chester Clarence Claremont Clifton Cornwall Coronation Cranbrook Cromwell
Denmark Derby Devonshire Dorset Durham Eaton Egerton Ellesmere Essex Fairfield Falmouth Ferndale Fernhill Gordon
Grafton Granville Grange Grosvenor Hamilton Harcourt Harrow Hartington Hastings Herbert Highfield Hillside
Holmesdale Kenilworth Kimberley Kingsley Lancaster Lansdowne Lawrence Leopold Lincoln Lyndhurst Malvern Manor
Marlborough Melbourne Milton Montague Mornington Napier Nelson Newlands Norfolk Northcote Norton Oxford
Palmerston Pembroke Percy Portland Raleigh Ravensworth Redbourne Richmond Ripon Rosebery Russell Rutland
Salisbury Sandringham Seymour Shaftesbury Sheldon Somerset Spencer Stanley Stratford Suffolk Sussex Sutherland
Talbot Tennyson Thornhill Trinity Tudor Vernon Walpole Warwick Waverley Wellington Westbury Westfield Wilton
Windsor Winchester York Aberdeen Ashford Bedford Blenheim Bramley Brunswick Buckingham Burghley Chatsworth
Cholmeley Colville Dunbar Fortis Glenloch Hornsey Inverness Kingswood Lordship Mayfield Netherwood Oakfield
Priory Quernmore Rathcoole Seaford Southwood Tottenhall Umfreville Wightman Woodside""".split()
SUFFIXES = ["Road", "Road", "Road", "Street", "Avenue", "Gardens", "Grove", "Close", "Way", "Place", "Terrace",
            "Drive", "Walk", "Rise"]
CURVE_SUFFIX = ["Crescent", "Way", "Drive"]


def build_streets():
    nodes = {}
    for i in range(NI):
        for j in range(NJ):
            jx = rng.uniform(-45, 45)
            jy = rng.uniform(-45, 45)
            if i in MAIN_COLS:
                jx *= 0.25
            if j in MAIN_ROWS:
                jy *= 0.25
            x = X0 + SP * i + jx
            y = Y0 + SP * j + jy
            if i == 13:  # the High Road bends gently
                x += 90 * math.sin(j / 3.5)
            if j == 12:
                y += 60 * math.sin(i / 4.0)
            nodes[(i, j)] = [x, y]
    inside = {k for k, (x, y) in nodes.items()
              if STUDY0.Contains(ogr.CreateGeometryFromWkt("POINT(%f %f)" % (x, y)))}
    edges = {}  # (a, b) -> dict
    for i in range(NI):
        for j in range(NJ):
            for di, dj in ((1, 0), (0, 1)):
                a, b = (i, j), (i + di, j + dj)
                if a not in inside or b not in inside:
                    continue
                main = (dj == 1 and i in MAIN_COLS) or (di == 1 and j in MAIN_ROWS)
                if not main and rng.random() < 0.07:
                    continue
                edges[(a, b)] = {"a": a, "b": b, "name": None, "highway": "residential", "curve": 0.0}
    # name runs of edges along rows and columns
    pool = []
    for s in STEMS:
        pool.append(s)
    rng.shuffle(pool)
    used_names = set(["High Road", "Park Lane", "Green Lanes", "Station Road", "Brook Road", "Victoria Avenue",
                      "Church Road", "Church Street", "Elm Gardens"])  # the last three are given out by force() later
    pi = [0]

    def next_name(curved=False):
        while True:
            stem = pool[pi[0] % len(pool)]
            pi[0] += 1
            suf = rng.choice(CURVE_SUFFIX if curved else SUFFIXES)
            nm = stem + " " + suf
            if nm not in used_names:
                used_names.add(nm)
                return nm

    runs = []
    for axis in ("row", "col"):
        outer = range(NJ) if axis == "row" else range(NI)
        for o in outer:
            seq = []
            inner_n = NI if axis == "row" else NJ
            for k in range(inner_n - 1):
                key = (((k, o), (k + 1, o)) if axis == "row" else ((o, k), (o, k + 1)))
                seq.append(key if key in edges else None)
            mains = MAIN_ROWS if axis == "row" else MAIN_COLS
            # split into maximal present stretches
            stretches = []
            cur = []
            for key in seq:
                if key is None:
                    if cur:
                        stretches.append(cur)
                    cur = []
                else:
                    cur.append(key)
            if cur:
                stretches.append(cur)
            for st in stretches:
                if o in mains:
                    nm, hw = mains[o]
                    runs.append({"name": nm, "highway": hw, "edges": st, "main": True})
                    continue
                k = 0
                while k < len(st):
                    n = rng.randint(3, 7)
                    part = st[k:k + n]
                    if len(st) - (k + n) in (1, 2):
                        part = st[k:]
                    runs.append({"name": None, "highway": "residential", "edges": part, "main": False})
                    k += len(part)
    # a few curving roads (crescents) on residential runs of 3-5 edges
    cands = [r for r in runs if not r["main"] and 3 <= len(r["edges"]) <= 5]
    rng.shuffle(cands)
    moved = set()
    ncurve = 0
    for r in cands:
        if ncurve >= 12:
            break
        ns = [r["edges"][0][0]] + [e[1] for e in r["edges"]]
        if any(n in moved for n in ns):
            continue
        horiz = r["edges"][0][0][1] == r["edges"][0][1][1]
        sag = rng.choice([-1, 1]) * rng.uniform(50, 80)
        m = len(ns) - 1
        for q, n in enumerate(ns[1:-1], 1):
            off = sag * math.sin(math.pi * q / m)
            if horiz:
                nodes[n][1] += off
            else:
                nodes[n][0] += off
            moved.add(n)
        for n in (ns[0], ns[-1]):
            moved.add(n)
        r["curved"] = True
        for e in r["edges"]:
            edges[e]["curve"] = rng.choice([-1, 1]) * rng.uniform(8, 18)
        ncurve += 1
    for r in runs:
        if r["name"] is None:
            r["name"] = next_name(r.get("curved", False))
        for e in r["edges"]:
            edges[e]["name"] = r["name"]
            edges[e]["highway"] = r["highway"]
    for k in nodes:
        nodes[k] = (r1(nodes[k][0]), r1(nodes[k][1]))
    return nodes, edges, runs


def edge_coords(nodes, e):
    a, b = nodes[e["a"]], nodes[e["b"]]
    if not e["curve"]:
        return [a, b]
    dx, dy = b[0] - a[0], b[1] - a[1]
    L = math.hypot(dx, dy)
    px, py = -dy / L, dx / L
    cs = [a]
    for t in (0.25, 0.5, 0.75):
        off = e["curve"] * math.sin(math.pi * t)
        cs.append((r1(a[0] + dx * t + px * off), r1(a[1] + dy * t + py * off)))
    cs.append(b)
    return cs


# ------------------------------------------------------------ parks
BIG_PARKS = [  # name, kind, lower-left block, size in blocks
    ("Northbrook Park", "park", (9, 14), (3, 2)),
    ("Brook Green", "common", (16, 7), (2, 2)),
    ("Victoria Recreation Ground", "recreation_ground", (3, 17), (2, 1)),
]
SMALL_PARKS = [
    ("Park Lane Gardens", "park", 0.85), ("Elm Gardens Playground", "playground", 0.2),
    ("Church Street Playground", "playground", 0.18), ("St Mary's Churchyard", "park", 0.45),
    ("Hale Common", "common", 0.9), ("Elmwood Recreation Ground", "recreation_ground", 0.85),
    ("Brookside Playground", "playground", 0.2), ("Coronation Gardens", "park", 0.6),
    ("Tudor Green", "common", 0.7), ("Station Gardens", "park", 0.4),
    ("Albion Playground", "playground", 0.16), ("Cedar Park", "park", 0.8),
    ("Highfield Recreation Ground", "recreation_ground", 0.9), ("Manor Fields", "recreation_ground", 0.85),
    ("Willow Pocket Park", "park", 0.3), ("Fernhill Common", "common", 0.75), ("Brook Meadow", "common", 0.8),
]
INVALID_PARK = "Elm Gardens Playground"


def block_quad(nodes, i, j):
    ks = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)]
    if any(k not in nodes for k in ks):
        return None
    return [nodes[k] for k in ks]


def build_parks(nodes, edges):
    parks = []
    used = set()
    for name, kind, (bi, bj), (w, h) in BIG_PARKS:
        g = None
        for i in range(bi, bi + w):
            for j in range(bj, bj + h):
                q = polygon(block_quad(nodes, i, j))
                g = q if g is None else g.Union(q)
                used.add((i, j))
        g = round_geom(g.Buffer(-12, 2), 1)
        parks.append({"name": name, "kind": kind, "geom": g, "blocks": [(i, j) for i in range(bi, bi + w) for j in range(bj, bj + h)]})
    # Park Lane Gardens sits on Park Lane (column 6), the rest anywhere in the interior
    fixed = {"Park Lane Gardens": (6, 9), "Station Gardens": (13, 11), "Church Street Playground": (12, 16)}
    for name, kind, scale in SMALL_PARKS:
        if name in fixed:
            bi, bj = fixed[name]
        else:
            for _ in range(500):
                bi, bj = rng.randint(3, 22), rng.randint(3, 21)
                if any(abs(bi - a) <= 1 and abs(bj - b) <= 1 for a, b in used):
                    continue
                if block_quad(nodes, bi, bj) is None:
                    continue
                break
        used.add((bi, bj))
        q = block_quad(nodes, bi, bj)
        cx = sum(p[0] for p in q) / 4
        cy = sum(p[1] for p in q) / 4
        if kind == "playground":
            # a small rectangle near the block centre
            w, h = rng.uniform(35, 60), rng.uniform(30, 50)
            cs = [(cx - w / 2, cy - h / 2), (cx + w / 2, cy - h / 2), (cx + w / 2, cy + h / 2), (cx - w / 2, cy + h / 2)]
        else:
            cs = [(cx + (p[0] - cx) * scale, cy + (p[1] - cy) * scale) for p in q]
            if kind == "common":  # cut a corner so that it is not a plain quad
                a, b = cs[0], cs[1]
                cs = [((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)] + cs[1:] + [((a[0] + cs[3][0]) / 2, (a[1] + cs[3][1]) / 2)]
        cs = [(r1(x), r1(y)) for x, y in cs]
        if name == INVALID_PARK:
            # deliberately self-intersecting (a bow-tie): vertices 2 and 3 swapped
            cs = [cs[0], cs[1], cs[3], cs[2]]
        parks.append({"name": name, "kind": kind, "geom": polygon(cs), "blocks": [(bi, bj)]})
    # streets do not run through the big parks
    big = [p["geom"] for p in parks[:len(BIG_PARKS)]]
    for k in list(edges):
        e = edges[k]
        a, b = nodes[e["a"]], nodes[e["b"]]
        mid = ogr.CreateGeometryFromWkt("POINT(%f %f)" % ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2))
        if any(g.Contains(mid) for g in big):
            del edges[k]
    for n, p in enumerate(parks, 1):
        p["park_id"] = "PK%02d" % n
        gdal.PushErrorHandler("CPLQuietErrorHandler")
        p["vgeom"] = p["geom"] if p["geom"].IsValid() else p["geom"].MakeValid()
        gdal.PopErrorHandler()
        g = p["vgeom"]
        c = g.Centroid() if g.Contains(g.Centroid()) else g.PointOnSurface()
        p["cx"], p["cy"] = r1(c.GetX()), r1(c.GetY())
    return parks


def largest_component(nodes, edges):
    adj = {}
    for k, e in edges.items():
        adj.setdefault(e["a"], []).append(e["b"])
        adj.setdefault(e["b"], []).append(e["a"])
    seen = {}
    comps = []
    for n in sorted(adj):
        if n in seen:
            continue
        comp = [n]
        seen[n] = len(comps)
        stack = [n]
        while stack:
            u = stack.pop()
            for v in adj[u]:
                if v not in seen:
                    seen[v] = len(comps)
                    comp.append(v)
                    stack.append(v)
        comps.append(comp)
    big = max(range(len(comps)), key=lambda c: len(comps[c]))
    for k in list(edges):
        if seen[edges[k]["a"]] != big:
            del edges[k]


# ------------------------------------------------------------ districts
DISTRICT_SEEDS = [("NB1", (543000, 203200)), ("NB2", (541000, 205000)), ("NB3", (545000, 205000)),
                  ("NB4", (545200, 201500)), ("NB5", (541000, 201200)), ("NB6", (543200, 200700))]
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def district_of(x, y):
    return min(DISTRICT_SEEDS, key=lambda s: (s[1][0] - x) ** 2 + (s[1][1] - y) ** 2)[0]


def build_sectors():
    seeds = []
    per = {d: [] for d, _ in DISTRICT_SEEDS}
    while any(len(v) < 5 for v in per.values()):
        x, y = rng.uniform(539800, 546200), rng.uniform(199900, 206100)
        d = district_of(x, y)
        if len(per[d]) < 5:
            per[d].append((x, y))
    for d, _ in DISTRICT_SEEDS:
        digits = rng.sample(range(10), 5)
        if d in ("NB1", "NB3", "NB5") and 0 not in digits:
            digits[0] = 0  # sector 0 exists in some districts, for O/0 confusion
        for (x, y), dg in zip(per[d], digits):
            seeds.append((d, dg, x, y))
    return seeds


def sector_of(sectors, x, y):
    d = district_of(x, y)
    s = min((s for s in sectors if s[0] == d), key=lambda s: (s[2] - x) ** 2 + (s[3] - y) ** 2)
    return d, s[1]


# ------------------------------------------------------------ names for areas, schools and places
WARD_NAMES = ["Northbrook Central", "Brook Green", "Park", "Victoria", "Elmwood", "Hale", "Church End", "Station"]
SECONDARY = ["Northbrook Academy", "Brook Green School", "Park View Academy", "St Thomas More Catholic School",
             "Elmwood High School", "Victoria Park School", "Hale Community School", "Northbrook Girls' School"]
ALLTHROUGH = ["Oakfield School"]
SPECIAL = ["Riverside School"]
PRIMARY = ["St Mary's CofE Primary School", "Northbrook Primary School", "Park Lane Primary School",
           "Hale Primary School", "Church End Primary School", "Oakwood Primary School", "Willow Primary School",
           "Holy Trinity CofE Primary School", "St Joseph's Catholic Primary School", "Cedar Primary School",
           "Brookside Primary School", "Fernhill Primary School", "Highfield Primary School",
           "Coronation Primary School", "Albion Primary School", "Manor Primary School", "Greenfields Primary School",
           "Lyndhurst Primary School", "Tudor Primary School", "Our Lady of Lourdes RC Primary School"]
STATIONS = [("Northbrook station", (13, 12), (55, 40)), ("Brook Green station", (16, 9), (40, 45)),
            ("Northbrook Hale station", (20, 19), (45, -40)), ("Elmwood station", (6, 5), (-45, 40))]
SHOPS = [  # name, kind, node, offset
    ("Tesco", "shop", (13, 11), (30, 20)), ("Tesco Express", "shop", (18, 12), (20, 30)),
    ("Co-op", "shop", (12, 16), (25, -30)), ("Co-op", "shop", (9, 19), (-25, 30)),
    ("Sainsbury's Local", "shop", (20, 18), (30, 25)), ("Lidl", "shop", (13, 7), (-35, 25)),
    ("Chicken Cottage", "takeaway", (13, 12), (-30, -35)), ("Dixy Chicken", "takeaway", (13, 13), (25, -20)),
    ("Morley's", "takeaway", (16, 9), (-30, -25)), ("Sam's Chicken", "takeaway", (20, 19), (-25, 25)),
    ("McDonald's", "takeaway", (13, 11), (-30, -60)), ("KFC", "takeaway", (6, 5), (30, -30)),
    ("Greggs", "shop", (13, 12), (30, -60)), ("Costa", "shop", (13, 13), (-30, 25)),
    ("Boots", "shop", (13, 12), (-30, 70)), ("Poundland", "shop", (14, 12), (10, 30)),
    ("Ladbrokes", "shop", (13, 14), (25, -30)), ("Subway", "takeaway", (20, 18), (-30, -25)),
]
LANDMARKS = [
    ("Northbrook Library", (12, 12), (-40, 35)), ("Northbrook Leisure Centre", (15, 15), (40, 40)),
    ("Clock Tower", (13, 12), (12, 12)), ("Northbrook Town Hall", (14, 13), (35, 30)),
    ("St Mary's Church", (11, 17), (30, 35)), ("Brook Green Community Centre", (17, 6), (40, 35)),
    ("Northbrook Youth Club", (9, 10), (35, -35)), ("Brookfield Shopping Centre", (19, 8), (50, 50)),
    ("Northbrook Health Centre", (14, 10), (35, 40)), ("Northbrook Police Station", (12, 11), (-35, -35)),
    ("Northbrook Bus Garage", (22, 4), (50, 40)),
]

# Places of concern: where peer-on-peer abuse happens (contextual
# safeguarding's disused houses and garages, stairwells, high streets,
# take-aways, youth clubs). A point is a gazetteer place ("place:NAME"), a
# street-grid node with an offset in metres, or a house number at a unit
# postcode ("unit:PC:NUMBER", 4 m behind the unit, away from its street). A
# polygon is a node with the offsets of its corners. Points go to the layer
# places_of_concern and polygons to places_of_concern_sites of places.gpkg;
# the profile lists them in that order, which is the order that breaks ties.
POC_POINTS = [  # place_id, name, place_type, where
    ("POC01", "KFC, Brook Road", "takeaway", "place:KFC"),
    ("POC02", "Falcon House stairwell, Hale Estate", "stairwell", ((8, 7), (76, 115))),
    ("POC03", "Northbrook Youth Club", "youth_club", "place:Northbrook Youth Club"),
    ("POC04", "High Road parade, by Lidl", "high_street", ((13, 7), (-10, 20))),
    ("POC05", "Disused house, 63 Blenheim Terrace", "disused_house", "unit:NB5 3LW:63"),
]
POC_SITES = [  # place_id, name, place_type, node, corner offsets
    ("POC06", "Falcon House garages, Hale Estate", "disused_garages", (8, 7), [(129, 65), (167, 65), (167, 85), (129, 85)]),
    ("POC07", "Brook Road lock-up garages", "disused_garages", (11, 5), [(30, 28), (75, 28), (75, 46), (30, 46)]),
]
POC_LAYERS = ["places.gpkg|layername=places_of_concern", "places.gpkg|layername=places_of_concern_sites"]
POC_REACH_M = 50.0  # the engine's default [snap] place_reach_m
# sample.ini names the places of concern only once the engine knows the key
# (an engine that does not stops at it); until then the line is a comment.
POC_IN_PROFILE = True
# Planted concentrations: police referrals (exact British National Grid
# coordinates) at a place; per category the number of rows and of distinct
# young people, within radius_m of a point place or inside a polygon. They are
# drawn from their own random stream, after every other row, so that no other
# row of the sample changes.
POC_PLANTS = [  # place_id, [(category, rows, people)], radius_m, how the text names the place
    ("POC01", [("cse", 22, 6), ("syv", 18, 5)], 20, "KFC"),
    ("POC02", [("syv", 20, 5), ("cse", 12, 4)], 20, "the flats"),
    ("POC03", [("hsb", 4, 3), ("online", 2, 2)], 15, "the youth club"),
    ("POC06", [("cse", 6, 3)], None, "the garages"),
]
POC_SEED = SEED + 1


# ------------------------------------------------------------ the world
class World:
    pass


W = World()


def pt_in(g, x, y):
    return g.Contains(ogr.CreateGeometryFromWkt("POINT(%f %f)" % (x, y)))


def build_geography():
    nodes, edges, runs = build_streets()
    parks = build_parks(nodes, edges)
    largest_component(nodes, edges)
    W.nodes = nodes
    W.parks = parks
    sectors = build_sectors()
    W.sectors = sectors
    # forced names: "Church Road" in NB2 and NB5, "Church Street" and "Elm Gardens" in the middle
    runs = [dict(r, edges=[e for e in r["edges"] if e in edges]) for r in runs]
    runs = [r for r in runs if r["edges"]]

    def run_mid(r):
        e = r["edges"][len(r["edges"]) // 2]
        a = nodes[e[0]]
        return a

    def force(name, want_district, near):
        best = None
        for r in runs:
            if r["main"] or r.get("forced") or r.get("curved"):
                continue
            x, y = run_mid(r)
            if want_district and district_of(x, y) != want_district:
                continue
            d = (x - near[0]) ** 2 + (y - near[1]) ** 2
            if best is None or d < best[0]:
                best = (d, r)
        r = best[1]
        r["name"] = name
        r["forced"] = True
        for e in r["edges"]:
            edges[e]["name"] = name
    force("Church Road", "NB2", (541200, 205100))
    force("Church Road", "NB5", (541000, 201000))
    force("Church Street", None, nodes[(12, 16)])
    elm = [p for p in parks if p["name"] == INVALID_PARK][0]
    force("Elm Gardens", None, (elm["cx"], elm["cy"]))
    # street segments: ordered edges with coordinates, run and distance along the run
    W.edges = {}
    W.runs = []
    for rid, r in enumerate(runs):
        acc = 0.0
        run_edges = []
        for k in r["edges"]:
            e = edges[k]
            cs = edge_coords(nodes, e)
            L = poly_len(cs)
            d = district_of((cs[0][0] + cs[-1][0]) / 2, (cs[0][1] + cs[-1][1]) / 2)
            W.edges[k] = {"key": k, "a": e["a"], "b": e["b"], "cs": cs, "len": L, "name": e["name"],
                          "highway": e["highway"], "run": rid, "run_off": acc, "district": d}
            acc += L
            run_edges.append(k)
        W.runs.append({"rid": rid, "name": r["name"], "highway": r["highway"], "edges": run_edges, "len": acc})
    W.edge_keys = sorted(W.edges)
    for n, k in enumerate(W.edge_keys, 1):
        W.edges[k]["seg_id"] = n
    W.sidx = GridIndex(250)
    for k in W.edge_keys:
        cs = W.edges[k]["cs"]
        W.sidx.add_bbox(k, min(p[0] for p in cs), min(p[1] for p in cs), max(p[0] for p in cs), max(p[1] for p in cs))
    W.adj = {}
    for k in W.edge_keys:
        e = W.edges[k]
        W.adj.setdefault(e["a"], []).append((e["b"], k))
        W.adj.setdefault(e["b"], []).append((e["a"], k))
    W.graph_nodes = sorted(W.adj)
    build_areas()
    build_postcodes()
    build_schools()
    build_places()
    build_bus()


def nearest_edge(x, y, r=300, highway=None, exclude_names=()):
    for rad in (r, r * 3, r * 10):
        best = None
        for k in W.sidx.near(x, y, rad):
            e = W.edges[k]
            if highway and e["highway"] not in highway:
                continue
            if e["name"] in exclude_names:
                continue
            d, q, al = nearest_on_poly(e["cs"], (x, y))
            if best is None or d < best[0]:
                best = (d, k, q, al)
        if best is not None:
            return best
    raise RuntimeError("no street near %f %f" % (x, y))


def nearest_node(x, y):
    best = None
    for n in W.graph_nodes:
        p = W.nodes[n]
        d = (p[0] - x) ** 2 + (p[1] - y) ** 2
        if best is None or d < best[0]:
            best = (d, n)
    return best[1]


def build_areas():
    seeds = []
    for i in range(6):
        for j in range(5):
            x = 539900 + (i + 0.5) * 1060 + rng.uniform(-280, 280)
            y = 200000 + (j + 0.5) * 1240 + rng.uniform(-300, 300)
            if pt_in(STUDY0, x, y):
                seeds.append((x, y))
    cells = voronoi_cells(seeds, STUDY0)
    # the study area is exactly the union of the areas (after rounding)
    u = None
    for c in cells:
        u = c.Clone() if u is None else u.Union(c)
    W.study = u
    order = sorted(range(len(cells)), key=lambda k: (-round(cells[k].Centroid().GetY(), -2), cells[k].Centroid().GetX()))
    ward_seeds = []
    while len(ward_seeds) < len(WARD_NAMES):
        x, y = rng.uniform(540200, 545800), rng.uniform(200300, 205700)
        if all(dist((x, y), s) > 1400 for s in ward_seeds):
            ward_seeds.append((x, y))
    W.areas = []
    for n, k in enumerate(order):
        c = cells[k]
        cx, cy = c.Centroid().GetX(), c.Centroid().GetY()
        w = min(range(len(ward_seeds)), key=lambda q: dist((cx, cy), ward_seeds[q]))
        W.areas.append({"area_code": "E01%06d" % (900001 + n), "area_name": "Northbrook %03d%s" % (n // 4 + 1, "ABCD"[n % 4]),
                        "ward_idx": w, "geom": c})
    used = sorted(set(a["ward_idx"] for a in W.areas))
    W.wards = []
    for q, w in enumerate(used):
        W.wards.append({"ward": WARD_NAMES[w], "ward_code": "E05%06d" % (900001 + q)})
        for a in W.areas:
            if a["ward_idx"] == w:
                a["ward"] = WARD_NAMES[w]
                a["ward_code"] = "E05%06d" % (900001 + q)
    W.aidx = GridIndex(500)
    for n, a in enumerate(W.areas):
        minx, maxx, miny, maxy = a["geom"].GetEnvelope()
        W.aidx.add_bbox(n, minx, miny, maxx, maxy)


def area_of(x, y):
    p = ogr.CreateGeometryFromWkt("POINT(%f %f)" % (x, y))
    for n in W.aidx.near(x, y, 1):
        if W.areas[n]["geom"].Intersects(p):
            return W.areas[n]
    return None


def in_study(x, y):
    return area_of(x, y) is not None


def in_park(x, y, margin=0):
    p = ogr.CreateGeometryFromWkt("POINT(%f %f)" % (x, y))
    for pk in W.parks:
        if pk["vgeom"].Distance(p) <= margin:
            return pk
    return None


def new_unit_code(district, sector):
    used = W.pc_used.setdefault((district, sector), set())
    while True:
        u = rng.choice(UNIT_LETTERS) + rng.choice(UNIT_LETTERS)
        if u not in used:
            used.add(u)
            return "%s %d%s" % (district, sector, u)


def house_number(run_off, side):
    n = max(1, int(run_off / 7.0))
    if side == "L" and n % 2 == 0:
        n += 1
    if side == "R" and n % 2 == 1:
        n += 1
    return n


def build_postcodes():
    W.pc_used = {}
    W.units = []
    for k in W.edge_keys:
        e = W.edges[k]
        n = max(1, int(round(e["len"] / 190.0 * rng.uniform(0.8, 1.25))))
        for q in range(n):
            d = (q + rng.uniform(0.3, 0.7)) / n * e["len"]
            (px, py), (ux, uy) = point_along(e["cs"], d)
            side = "L" if (q + e["seg_id"]) % 2 == 0 else "R"
            s = 1 if side == "L" else -1
            x, y = px - uy * 14 * s, py + ux * 14 * s
            if not in_study(x, y) or in_park(x, y):
                continue
            dist_c, sct = sector_of(W.sectors, x, y)
            run_off = e["run_off"] + d
            mid = house_number(run_off, side)
            W.units.append({"pc": new_unit_code(dist_c, sct), "x": int(round(x)), "y": int(round(y)), "edge": k,
                            "street": e["name"], "district": dist_c, "sector": sct, "side": side,
                            "num_lo": max(1 if side == "L" else 2, mid - 8), "num_hi": mid + 8, "kind": "res",
                            "pq": rng.choice([10] * 30 + [20, 30, 40, 50, 60])})
    for u in W.units:
        u["ward_code"] = area_of(u["x"], u["y"])["ward_code"] if area_of(u["x"], u["y"]) else ""
    # units with no coordinates (PQ 90), as in Code-Point Open
    W.pq90 = []
    for q in range(8):
        d = DISTRICT_SEEDS[q % 6][0]
        W.pq90.append({"pc": "%s 9%s" % (d, ["ZA", "ZB", "ZD", "ZE", "ZF", "ZG", "ZH", "ZJ"][q]), "x": 0, "y": 0,
                       "kind": "pq90", "pq": 90, "district": d, "sector": 9, "street": None})
    W.uidx = GridIndex(200)
    W.res_units = [u for u in W.units if u["kind"] == "res"]
    for n, u in enumerate(W.units):
        W.uidx.add(n, u["x"], u["y"])


def nearest_unit(x, y, kinds=("res", "school")):
    for r in (200, 600, 2000, 8000):
        best = None
        for n in W.uidx.near(x, y, r):
            u = W.units[n]
            if u["kind"] not in kinds:
                continue
            d = (u["x"] - x) ** 2 + (u["y"] - y) ** 2
            if best is None or d < best[0]:
                best = (d, u)
        if best:
            return best[1]


def add_unit_at(x, y, kind):
    d, k, q, al = nearest_edge(x, y)
    e = W.edges[k]
    dist_c, sct = sector_of(W.sectors, x, y)
    num = house_number(e["run_off"] + al, "L" if rng.random() < 0.5 else "R")
    a = area_of(x, y)
    u = {"pc": new_unit_code(dist_c, sct), "x": int(round(x)), "y": int(round(y)), "edge": k, "street": e["name"],
         "district": dist_c, "sector": sct, "side": "L", "num_lo": num, "num_hi": num, "kind": kind, "pq": 10,
         "ward_code": a["ward_code"] if a else ""}
    W.units.append(u)
    W.uidx.add(len(W.units) - 1, u["x"], u["y"])
    return u


def offset_point(node, off):
    x, y = W.nodes[node]
    return (r1(x + off[0]), r1(y + off[1]))


def node_or_near(ij):
    if ij in W.adj:
        return ij
    x, y = X0 + SP * ij[0], Y0 + SP * ij[1]
    return nearest_node(x, y)


def build_schools():
    W.schools = []
    specs = [(n, "Secondary") for n in SECONDARY] + [(n, "All-through") for n in ALLTHROUGH] + \
        [(n, "Special") for n in SPECIAL] + [(n, "Primary") for n in PRIMARY]
    placed = []
    urns = set()
    for name, phase in specs:
        mind = {"Secondary": 1250, "All-through": 1000, "Special": 500, "Primary": 650}[phase]
        for tries in range(2000):
            n = rng.choice(W.graph_nodes)
            off = (rng.choice([-1, 1]) * rng.uniform(45, 70), rng.choice([-1, 1]) * rng.uniform(45, 70))
            x, y = offset_point(n, off)
            if not in_study(x, y) or in_park(x, y, 30):
                continue
            if W.study.Boundary().Distance(ogr.CreateGeometryFromWkt("POINT(%f %f)" % (x, y))) < 300:
                continue
            same = [p for p in placed if (p[2] in ("Secondary", "All-through")) == (phase in ("Secondary", "All-through"))]
            if any(dist((x, y), (p[0], p[1])) < mind * (1 - tries / 4000) for p in same):
                continue
            if any(dist((x, y), (p[0], p[1])) < 160 for p in placed):
                continue
            break
        placed.append((x, y, phase))
        while True:
            urn = rng.randint(100000, 149999)
            if urn not in urns:
                urns.add(urn)
                break
        pupils = {"Secondary": rng.randint(850, 1600), "All-through": rng.randint(1400, 1800),
                  "Special": rng.randint(90, 160), "Primary": rng.randint(200, 650)}[phase]
        u = add_unit_at(x, y, "school")
        W.schools.append({"school_id": str(urn), "name": name, "phase": phase, "pupils": pupils, "x": x, "y": y,
                          "postcode": u["pc"], "address": "%d %s, Northbrook" % (u["num_lo"], u["street"]),
                          "unit": u, "node": nearest_node(x, y)})
    for s in rng.sample([s for s in W.schools if s["phase"] == "Primary"], 2):
        s["pupils"] = None
    cells = voronoi_cells([(s["x"], s["y"]) for s in W.schools], W.study)
    for n, (s, c) in enumerate(zip(W.schools, cells), 1):
        s["catchment"] = c
        s["catchment_id"] = "CAT%02d" % n


def build_places():
    W.places = []

    def add(name, kind, x, y, code=None):
        d, k, q, al = nearest_edge(x, y)
        W.places.append({"place_id": "PL%04d" % (len(W.places) + 1), "name": name, "kind": kind, "x": r1(x), "y": r1(y),
                         "street": W.edges[k]["name"], "stop_code": code})
    for name, ij, off in STATIONS:
        x, y = offset_point(node_or_near(ij), off)
        add(name, "station", x, y)
    for name, kind, ij, off in SHOPS:
        x, y = offset_point(node_or_near(ij), off)
        add(name, kind, x, y)
    for name, ij, off in LANDMARKS:
        x, y = offset_point(node_or_near(ij), off)
        add(name, "landmark", x, y)


# ------------------------------------------------------------ routing and buses
HW_COST = {"primary": 0.6, "secondary": 0.75, "residential": 1.4}


def shortest_path(src, dst, weighted=False):
    """Dijkstra over the street graph; returns (nodes, edge keys, length in m)."""
    distm = {src: 0.0}
    prev = {}
    heap = [(0.0, src)]
    done = set()
    while heap:
        d, u = heapq.heappop(heap)
        if u in done:
            continue
        done.add(u)
        if u == dst:
            break
        for v, k in W.adj[u]:
            e = W.edges[k]
            w = e["len"] * (HW_COST[e["highway"]] if weighted else 1.0)
            nd = d + w
            if nd < distm.get(v, 1e18) - 1e-9:
                distm[v] = nd
                prev[v] = (u, k)
                heapq.heappush(heap, (nd, v))
    path = [dst]
    ks = []
    while path[-1] != src:
        u, k = prev[path[-1]]
        ks.append(k)
        path.append(u)
    path.reverse()
    ks.reverse()
    return path, ks, sum(W.edges[k]["len"] for k in ks)


def directed_coords(k, frm):
    cs = W.edges[k]["cs"]
    return cs if W.edges[k]["a"] == frm else list(reversed(cs))


def path_coords(path, ks):
    cs = []
    for u, k in zip(path, ks):
        c = directed_coords(k, u)
        cs.extend(c if not cs else c[1:])
    return cs


ROUTES = [("34", [(1, 5), (13, 12), (25, 19)]), ("102", [(13, 1), (13, 24)]), ("121", [(1, 12), (25, 12)]),
          ("123", [(6, 1), (13, 12), (20, 24)]), ("144", [(1, 19), (13, 19), (20, 5)]), ("191", [(20, 1), (20, 24)]),
          ("217", [(6, 24), (6, 1)]), ("231", [(1, 15), (13, 12), (24, 8)]), ("279", [(3, 22), (13, 19), (22, 2)]),
          ("307", [(10, 1), (16, 9), (23, 22)]), ("313", [(1, 8), (13, 5), (25, 15)])]


def pick_corridor():
    secs = [s for s in W.schools if s["phase"] == "Secondary"]
    best = None
    for a in range(len(secs)):
        for b in range(a + 1, len(secs)):
            p, ks, L = shortest_path(secs[a]["node"], secs[b]["node"])
            score = abs(L - 2600)
            if best is None or score < best[0]:
                best = (score, secs[a], secs[b], p, ks, L)
    _, sa, sb, p, ks, L = best
    W.corridor = {"a": sa, "b": sb, "path": p, "keys": ks, "len": L, "cs": path_coords(p, ks)}


def stop_name_for(x, y, k, node):
    for pl in W.places:
        if pl["kind"] in ("station", "landmark") and dist((x, y), (pl["x"], pl["y"])) < 110:
            return pl["name"].upper() + (" <>" if pl["kind"] == "station" else "")
    for s in W.schools:
        if s["phase"] != "Primary" and dist((x, y), (s["x"], s["y"])) < 110:
            return s["name"].upper()
    here = W.edges[k]["name"]
    others = sorted(set(W.edges[k2]["name"] for _, k2 in W.adj[node]) - {here})
    if others:
        return others[0].upper()
    return here.upper()


def build_bus():
    pick_corridor()
    W.stops = {}        # (from, to, frac) -> stop
    W.stop_list = []
    W.routes = []
    lbsl = rng.sample(range(10000, 39999), 900)
    bsc = rng.sample(range(47000, 99999), 900)
    nap = rng.sample(range(1000, 999999), 900)
    names_at = {}

    def get_stop(key, k, frm):
        if key in W.stops:
            return W.stops[key]
        cs = directed_coords(k, frm)
        L = W.edges[k]["len"]
        (px, py), (ux, uy) = point_along(cs, key[2] * L)
        x, y = r1(px - uy * 8), r1(py + ux * 8)  # buses stop on the left
        node = frm if key[2] < 0.5 else (W.edges[k]["b"] if W.edges[k]["a"] == frm else W.edges[k]["a"])
        nm = stop_name_for(x, y, k, node)
        clash = [p for p in names_at.get(nm, []) if dist(p, (x, y)) > 150]
        if clash:
            nm2 = nm + " / " + W.edges[k]["name"].upper()
            if nm2.startswith(W.edges[k]["name"].upper()):
                nm2 = nm
            clash2 = [p for p in names_at.get(nm2, []) if dist(p, (x, y)) > 150]
            nm = nm2 if not clash2 else nm2 + " " + "NSEW"[len(clash2) % 4]
        names_at.setdefault(nm, []).append((x, y))
        n = len(W.stop_list)
        hd = bearing(ux, uy)
        letter = "NESW"[((hd + 45) % 360) // 90]
        st = {"sid": n, "x": x, "y": y, "name": nm, "heading": hd, "lbsl": str(lbsl[n]), "code": str(bsc[n]),
              "naptan": "490%06d%s" % (nap[n], letter), "edge": k, "routes": []}
        W.stops[key] = st
        W.stop_list.append(st)
        return st

    def run_stops(path, ks):
        seq = []
        since = 1e9
        pos_prev = 0.0
        for u, k in zip(path, ks):
            L = W.edges[k]["len"]
            v = W.edges[k]["b"] if W.edges[k]["a"] == u else W.edges[k]["a"]
            for frac in (0.25, 0.75):
                since += frac * L - pos_prev
                pos_prev = frac * L
                key = (u, v, frac)
                if (key in W.stops and since >= 200) or since >= 330:
                    seq.append(get_stop(key, k, u))
                    since = 0.0
            since += L - pos_prev
            pos_prev = 0.0
        if since > 150:
            u, k = path[-2], ks[-1]
            v = path[-1]
            seq.append(get_stop((u, v, 0.75), k, u))
        return seq

    specs = []
    for name, wps in ROUTES:
        specs.append((name, [node_or_near(w) for w in wps], None))
    ca, cb = W.corridor["a"]["node"], W.corridor["b"]["node"]
    # W8 runs along the corridor between the two schools, and on to the edge of the borough
    ends = sorted(W.graph_nodes, key=lambda n: dist(W.nodes[n], W.nodes[ca]) - dist(W.nodes[n], W.nodes[cb]))
    specs.append(("W8", [ends[-1], ca, cb, ends[0]], "corridor"))
    for name, wps, special in specs:
        path, ks = [wps[0]], []
        for a, b in zip(wps, wps[1:]):
            if special and (a, b) == (ca, cb):
                p, k2 = W.corridor["path"], W.corridor["keys"]
            else:
                p, k2, _ = shortest_path(a, b, weighted=True)
            path.extend(p[1:])
            ks.extend(k2)
        # drop immediate back-tracking (a waypoint reached and left by the same edge)
        changed = True
        while changed:
            changed = False
            for q in range(len(ks) - 1):
                if ks[q] == ks[q + 1]:
                    del ks[q:q + 2]
                    del path[q + 1:q + 3]
                    changed = True
                    break
        runs = []
        for run in (1, 2):
            p = path if run == 1 else list(reversed(path))
            kk = ks if run == 1 else list(reversed(ks))
            seq = run_stops(p, kk)
            for st in seq:
                st["routes"].append((name, run))
            runs.append({"run": run, "stops": seq, "path": p, "keys": kk})
        W.routes.append({"route": name, "runs": runs})
    for st in W.stop_list:
        W.places.append({"place_id": "PL%04d" % (len(W.places) + 1), "name": st["name"].replace(" <>", "").title().replace("'S", "'s"),
                         "kind": "bus_stop", "x": st["x"], "y": st["y"], "street": W.edges[st["edge"]]["name"],
                         "stop_code": st["naptan"]})


# ------------------------------------------------------------ people
FORENAMES_F = """Amelia Olivia Isla Ava Mia Ivy Lily Isabella Rosie Sophia Grace Freya Willow Florence Emily Ella Poppy
Evie Elsie Charlotte Evelyn Sienna Daisy Phoebe Sophie Alice Harper Matilda Ruby Emilia Maya Isabelle Millie Eva
Layla Aisha Fatima Maryam Zainab Amira Hana Nadia Priya Anika Simran Chloé Zoë Renée Anaïs Inès Noémie Léa Maëlle
Aoife Siobhán Niamh Saoirse Kayla Shanice Tiana Jada Precious Blessing Chidinma Adaeze Ayesha Sofia Lucía María
Ana Gabriela Natalia Julia Zuzanna Maja Oliwia Hanna Elif Zeynep Defne Eleni Katerina Bethany Keira Jasmine Leah
Tia Kelsey Demi Courtney Shannon Jade Abigail Hollie Megan Chantelle Nevaeh""".split()
FORENAMES_M = """Noah Oliver George Arthur Muhammad Leo Harry Oscar Archie Henry Theodore Freddie Jack Charlie Theo Alfie
Jacob Thomas Finley Arlo William Lucas Roman Tommy Isaac Teddy Alexander Luca Edward James Joshua Albie Elijah Max
Mohammed Hugo Ezra Reuben Adam Ibrahim Yusuf Omar Ali Hamza Zain Ayaan Rohan Arjun Dev Kai Tyrese Jayden Kyle Dwayne
Marcus Malik Kwame Kofi Chidi Emeka Tobi Femi José Joël Raphaël Mateo Santiago Andrés Jesús Kacper Jakub Szymon
Mehmet Emre Yiğit Burak Nikos Dimitri Connor Callum Liam Kieran Ciarán Seán Darragh Reece Bradley Jordan Lewis
Ryan Tyler Kane Jamal Rhys Ethan Dylan Mason Logan Riley""".split()
SURNAMES = """Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson Wright Walker
White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin Cooper Hill Ward Morris Moore
Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths
Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan Marshall Anderson
Simpson Ellis Adams Singh Begum Hussain Ahmed Ali Rahman Uddin Islam Chowdhury Miah Akhtar Kaur Sharma Shah Mistry
Okafor Adeyemi Mensah Owusu Boateng Asante Okonkwo Adebayo Oyelaran Nwosu Campbell Francis Gordon Henry Grant
Brown-Campbell Smith-Jones Lloyd-Williams Fraser-Hughes Ahmed-Khan O'Brien O'Connor O'Sullivan D'Souza McCarthy
MacDonald García Rodríguez López Pérez Sánchez Gómez Fernández Martínez Nowak Kowalski Wiśniewska Yılmaz Kaya
Demir Öztürk Çelik Papadopoulos Georgiou Nikolaou Müller Schäfer Dubois Lefèvre Moreau Nguyen Tran Chen Wang Li
Osei Danso Achterberg Ferreira Gonçalves""".split()
DOUBLE_SURNAMES = ["García López", "Da Silva", "De Souza", "Van der Berg", "Dos Santos", "Martínez Ruiz", "Al Hassan",
                   "El Amrani", "Le Roux", "Ní Bhriain"]


def cp1252_ok(s):
    try:
        s.encode("cp1252")
        return True
    except UnicodeEncodeError:
        return False


FORENAMES_F = [n for n in FORENAMES_F if cp1252_ok(n)]
FORENAMES_M = [n for n in FORENAMES_M if cp1252_ok(n)]
SURNAMES = [n for n in SURNAMES if cp1252_ok(n)]
DOUBLE_SURNAMES = [n for n in DOUBLE_SURNAMES if cp1252_ok(n)]

ABUSE = ["cse", "syv", "hsb", "tra", "online"]
CONTEXT = ["missing", "exclusion", "asb", "da", "disturbance", "transport"]
# police.uk crime carries no age: all-ages indicators, never youth silos.
ALL_AGES = ["violence_all_ages", "robbery_all_ages", "weapons_all_ages", "public_order_all_ages", "drugs_all_ages"]
CAT_ORDER = ABUSE + CONTEXT + ALL_AGES
FLAG_ORDER = ["youth", "vulnerable", "weapon", "marac", "permanent", "fixed_term"]

# people with each combination of categories, outside the peer groups
COMBOS = [("cse", 26), ("syv", 50), ("hsb", 22), ("tra", 18), ("online", 18), ("cse+syv", 9), ("cse+online", 8),
          ("cse+tra", 6), ("hsb+online", 6), ("syv+tra", 4), ("hsb+syv", 3), ("cse+syv+online", 2),
          ("cse+hsb+online", 2), ("tra+online", 3)]


def ascii_fold(s):
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def nhs_number():
    while True:
        d = [9, 9, 9] + [rng.randint(0, 9) for _ in range(6)]
        tot = sum(v * (10 - k) for k, v in enumerate(d))
        chk = 11 - tot % 11
        if chk == 11:
            chk = 0
        if chk == 10:
            continue
        s = "".join(map(str, d)) + str(chk)
        if s not in W.used_ids:
            W.used_ids.add(s)
            return s


def unique_id(fn):
    while True:
        s = fn()
        if s not in W.used_ids:
            W.used_ids.add(s)
            return s


def sys_id(p, system):
    """The person's id in a system, made on first use (registers hold only people they have met)."""
    if system not in p["ids"]:
        if system == "SC":
            p["ids"][system] = unique_id(lambda: "SC%06d" % rng.randint(100000, 999999))
        elif system == "police":
            p["ids"][system] = unique_id(lambda: "%02d/%06d%s" % (rng.randint(18, 25), rng.randint(0, 999999), rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ")))
        elif system == "SH":
            p["ids"][system] = unique_id(lambda: "NBC%06d" % rng.randint(0, 999999))
        elif system == "zip":
            p["ids"][system] = unique_id(lambda: "0%011d" % rng.randint(0, 10 ** 11 - 1))
        else:
            raise KeyError(system)
    return p["ids"][system]


def pick_school(phase_ok, x, y):
    cands = [s for s in W.schools if s["phase"] in phase_ok]
    ws = [1.0 / (dist((x, y), (s["x"], s["y"])) + 400) ** 2 for s in cands]
    return rng.choices(cands, ws)[0]


def build_people(n=1500):
    W.used_ids = set()
    W.people = []
    for i in range(n):
        sex = rng.choice("FM")
        fn = rng.choice(FORENAMES_F if sex == "F" else FORENAMES_M)
        r = rng.random()
        sn = rng.choice(DOUBLE_SURNAMES) if r < 0.04 else rng.choice(SURNAMES)
        dob = dt.date(2006, 9, 1) + dt.timedelta(days=rng.randint(0, (dt.date(2014, 8, 31) - dt.date(2006, 9, 1)).days))
        ay = dob.year if dob.month >= 9 else dob.year - 1
        ncy = 2019 - ay
        home = rng.choice(W.res_units)
        if rng.random() < 0.015:
            school = rng.choice([s for s in W.schools if s["phase"] == "Special"])
        elif ncy <= 6:
            school = pick_school(("Primary", "All-through"), home["x"], home["y"])
        elif ncy <= 11 or rng.random() < 0.7:
            school = pick_school(("Secondary", "All-through"), home["x"], home["y"])
        else:
            school = None  # at college outside the borough
        upn = unique_id(lambda: "%s999%09d" % (rng.choice("ABCDEFGHJKLMNPQRTUVWXYZ"), rng.randint(0, 10 ** 9 - 1)))
        W.people.append({"idx": i, "pid": "P%04d" % (i + 1), "forename": fn, "surname": sn, "sex": sex, "dob": dob,
                         "ncy": ncy, "home": home, "school": school, "cats": set(), "group": None,
                         "ids": {"UPN": upn, "NHS": nhs_number()}})
    assign_groups_and_categories()


GROUPS = [  # id, categories (every member has the first; others for some), size, number of schools, base
    ("G1", ["syv", "cse"], 10, 3, "H2"),
    ("G2", ["cse", "online"], 7, 2, "H1"),
    ("G3", ["hsb", "online"], 6, 2, "school"),
    ("G4", ["syv", "tra"], 12, 3, "H3"),
    ("G5", ["tra", "online"], 5, 2, "Park Lane Gardens"),
]


def assign_groups_and_categories():
    secs = [s for s in W.schools if s["phase"] in ("Secondary", "All-through")]
    taken = set()
    W.groups = []
    for gid, cats, size, nsch, base in GROUPS:
        if gid == "G3":
            schools = [s for s in secs if s["phase"] == "All-through"] + rng.sample([s for s in secs if s["phase"] == "Secondary"], nsch - 1)
        else:
            schools = rng.sample(secs, nsch)
        members = []
        pool = [p for p in W.people if p["school"] in schools and p["ncy"] >= 8 and p["idx"] not in taken]
        rng.shuffle(pool)
        # every school gets at least one member
        for s in schools:
            for p in pool:
                if p["school"] is s and p not in members:
                    members.append(p)
                    break
        for p in pool:
            if len(members) >= size:
                break
            if p not in members:
                members.append(p)
        if gid == "G1":  # one member no longer in school
            out_of = [p for p in W.people if p["school"] is None and p["idx"] not in taken]
            members[-1] = out_of[0]
        for k, p in enumerate(members):
            taken.add(p["idx"])
            p["group"] = gid
            p["cats"].add(cats[0])
            if k % 2 == 1 or (gid in ("G3", "G5") and k < 3):
                p["cats"].add(cats[1])
        W.groups.append({"group_id": gid, "members": members, "schools": schools, "categories": cats, "base": base})
    free = [p for p in W.people if p["idx"] not in taken]
    rng.shuffle(free)
    q = 0
    for combo, n in COMBOS:
        cs = combo.split("+")
        for _ in range(n):
            # exploitation and relationship abuse: older children
            while ("cse" in cs or "tra" in cs) and free[q]["ncy"] < 8:
                q += 1
            p = free.pop(q)
            q = 0
            p["cats"].update(cs)


# ------------------------------------------------------------ time
TERMS = [(dt.date(2024, 9, 4), dt.date(2024, 10, 25)), (dt.date(2024, 11, 4), dt.date(2024, 12, 20)),
         (dt.date(2025, 1, 6), dt.date(2025, 2, 14)), (dt.date(2025, 2, 24), dt.date(2025, 4, 4)),
         (dt.date(2025, 4, 22), dt.date(2025, 5, 23)), (dt.date(2025, 6, 2), dt.date(2025, 7, 22))]
BANK_HOLIDAYS = {dt.date(2024, 12, 25), dt.date(2024, 12, 26), dt.date(2025, 1, 1), dt.date(2025, 4, 18),
                 dt.date(2025, 4, 21), dt.date(2025, 5, 5), dt.date(2025, 5, 26), dt.date(2025, 8, 25)}
ALL_DAYS = [PERIOD_START + dt.timedelta(days=k) for k in range((PERIOD_END - PERIOD_START).days + 1)]


def is_school_day(d):
    return d.weekday() < 5 and d not in BANK_HOLIDAYS and any(a <= d <= b for a, b in TERMS)


SCHOOL_DAYS = [d for d in ALL_DAYS if is_school_day(d)]
WORK_DAYS = [d for d in ALL_DAYS if d.weekday() < 5 and d not in BANK_HOLIDAYS]

# relative weight of each hour of the day
HOURS = {
    "youth": [1, .5, .3, .2, .1, .1, .2, .5, 1.2, .8, .6, .6, .8, .8, 1.2, 3.2, 3.6, 3.4, 2.8, 2.0, 1.6, 1.2, .8, .5],
    "evening": [1.4, 1, .7, .4, .2, .2, .3, .5, .8, .8, .8, .9, 1, 1, 1.2, 1.8, 2.2, 2.4, 2.4, 2.4, 2.2, 2.0, 1.8, 1.6],
    "night": [2.2, 1.8, 1.2, .6, .3, .2, .2, .3, .4, .4, .5, .5, .6, .6, .6, .7, .9, 1.1, 1.5, 1.9, 2.4, 2.8, 3.0, 2.8],
    "office": [0, 0, 0, 0, 0, 0, 0, .1, .8, 1.6, 1.8, 1.6, 1.2, 1.5, 1.7, 1.6, 1.3, .8, .2, 0, 0, 0, 0, 0],
    "school_hours": [0] * 9 + [1.2, 1.4, 1.6, 1.3, 2.4, 1.8, .6] + [0] * 8,
}


def draw_dt(profile):
    """A date-time in the period that follows the source's weekly and daily rhythm."""
    if profile == "commute":
        d = rng.choice(SCHOOL_DAYS) if rng.random() < 0.9 else rng.choice(ALL_DAYS)
        r = rng.random()
        if r < 0.35:
            m = rng.randint(7 * 60, 9 * 60 + 30)
        elif r < 0.92:
            m = rng.randint(15 * 60, 18 * 60 + 30)
        else:
            m = rng.randint(10 * 60, 22 * 60)
        return dt.datetime(d.year, d.month, d.day, m // 60, m % 60)
    if profile in ("school_hours", "schoolday"):
        d = rng.choice(SCHOOL_DAYS)
    elif profile == "office":
        d = rng.choice(WORK_DAYS)
    else:
        while True:
            d = rng.choice(ALL_DAYS)
            w = {"youth": 1.0 if d.weekday() < 5 else 0.8, "evening": 1.0 if d.weekday() < 4 else 1.35,
                 "night": 1.0 if d.weekday() < 4 else 1.6}[profile]
            # after-school evenings are busier in term time
            if profile == "youth" and is_school_day(d):
                w *= 1.2
            if rng.random() < w / 1.6:
                break
    hw = HOURS["school_hours" if profile == "schoolday" else profile]
    h = rng.choices(range(24), hw)[0]
    return dt.datetime(d.year, d.month, d.day, h, rng.randint(0, 59))


def excel_serial(d):
    if isinstance(d, dt.datetime):
        d = d.date()
    return (d - dt.date(1899, 12, 30)).days


# ------------------------------------------------------------ events
TARGET = {"police_referral": 1200, "mash_referral": 900, "police_uk": 1800, "school_exclusion": 600,
          "missing_education": 150, "missing_school_day": 700, "ae_youth_worker": 250, "sexual_health": 300,
          "camhs": 350, "asb": 1300, "disturbance": 700, "domestic_abuse": 400, "bus_driver_incident": 700,
          "bus_asb_form": 300, "travel_card_withdrawn": 200}
INCIDENT_KINDS = list(TARGET)
PERSON_KINDS = {"police_referral", "mash_referral", "school_exclusion", "missing_education", "missing_school_day",
                "ae_youth_worker", "sexual_health", "camhs", "asb", "domestic_abuse", "travel_card_withdrawn"}
SUPPORTS = {"police_referral": ABUSE, "mash_referral": ABUSE, "school_exclusion": ["syv", "hsb", "online"],
            "missing_education": ["cse", "syv"], "missing_school_day": ["cse", "syv"],
            "ae_youth_worker": ["syv", "tra", "hsb", "cse"], "sexual_health": ["cse", "hsb", "tra", "online"],
            "camhs": ABUSE, "asb": ["syv"], "domestic_abuse": ["tra"], "travel_card_withdrawn": ["syv"],
            "police_uk": ["syv"], "bus_driver_incident": ["syv", "hsb"], "bus_asb_form": ["syv", "hsb", "online"],
            "disturbance": []}
PROFILE = {"police_referral": "youth", "mash_referral": "office", "police_uk": "evening", "school_exclusion": "schoolday",
           "missing_education": "office", "missing_school_day": "school_hours", "ae_youth_worker": "evening",
           "sexual_health": "office", "camhs": "office", "asb": "youth", "disturbance": "night",
           "domestic_abuse": "night", "bus_driver_incident": "youth", "bus_asb_form": "youth",
           "travel_card_withdrawn": "office", "association": "youth"}
HOME_KINDS = {"sexual_health", "camhs", "domestic_abuse", "missing_education"}
# where each category's incidents about a person are recorded, with weights
CAT_SOURCES = {
    "cse": [("mash_referral", 4), ("police_referral", 3), ("sexual_health", 2), ("camhs", 1), ("missing_school_day", 2), ("missing_education", 1)],
    "syv": [("police_referral", 5), ("mash_referral", 2), ("ae_youth_worker", 2), ("school_exclusion", 1), ("travel_card_withdrawn", 1), ("asb", 2)],
    "hsb": [("school_exclusion", 3), ("police_referral", 2), ("mash_referral", 2), ("camhs", 1), ("sexual_health", 1)],
    "tra": [("domestic_abuse", 4), ("sexual_health", 1), ("ae_youth_worker", 1), ("police_referral", 1), ("mash_referral", 2)],
    "online": [("mash_referral", 3), ("camhs", 2), ("school_exclusion", 2), ("police_referral", 2), ("sexual_health", 1)],
}


def disc(x, y, r):
    for _ in range(200):
        a = rng.uniform(0, 2 * math.pi)
        d = r * math.sqrt(rng.random())
        px, py = x + d * math.cos(a), y + d * math.sin(a)
        if in_study(px, py):
            return r1(px), r1(py)
    return r1(x), r1(y)


def ev(kind, x, y, when, person=None, cat=None, tag="background", **extra):
    e = {"kind": kind, "x": x, "y": y, "dt": when, "person": person, "cat": cat, "tag": tag}
    e.update(extra)
    W.events.append(e)
    return e


def hotspot_by_id(h):
    return [s for s in W.hotspots if s["id"] == h][0]


def base_xy(g):
    if g["base"].startswith("H"):
        h = hotspot_by_id(g["base"])
        return h["x"], h["y"], h["r"] * 0.8, g["base"]
    if g["base"] == "school":
        s = g["schools"][0]
        return s["x"], s["y"], 150, None
    pk = [p for p in W.parks if p["name"] == g["base"]][0]
    return pk["cx"], pk["cy"], 120, None


def person_location(p, kind):
    """True location of an incident about person p in source kind, and a hotspot id if planted in one."""
    if kind in HOME_KINDS or (kind == "mash_referral" and rng.random() < 0.6):
        return p["home"]["x"], p["home"]["y"], None
    if kind == "school_exclusion":
        s = p["school"]
        return s["x"], s["y"], None
    if p["group"] and rng.random() < 0.55:
        g = [g for g in W.groups if g["group_id"] == p["group"]][0]
        bx, by, br, hid = base_xy(g)
        x, y = disc(bx, by, br)
        return x, y, hid
    if p["school"] and rng.random() < 0.4:
        x, y = disc(p["school"]["x"], p["school"]["y"], 350)
    else:
        x, y = disc(p["home"]["x"], p["home"]["y"], 500)
    return x, y, None


def kind_ok_for(p, kind):
    if kind in ("school_exclusion", "missing_school_day"):
        return p["school"] is not None
    return True


def person_events():
    for p in W.people:
        if not p["cats"]:
            continue
        cats = sorted(p["cats"], key=CAT_ORDER.index)
        wanted = list(cats) + [rng.choice(cats) for _ in range(min(6, int(rng.expovariate(1 / 1.6))))]
        for c in wanted:
            srcs = [(k, w) for k, w in CAT_SOURCES[c] if kind_ok_for(p, k)]
            kind = rng.choices([k for k, _ in srcs], [w for _, w in srcs])[0]
            x, y, hid = person_location(p, kind)
            when = draw_dt(PROFILE[kind])
            ev(kind, x, y, when, person=p["idx"], cat=c, tag=("hotspot:" + hid) if hid else "person")


HOTSPOTS = [  # id, anchor, radius, categories, n, sources
    ("H1", "park:Northbrook Park", 300, ["cse", "hsb"], 300,
     [("police_referral", 3), ("mash_referral", 2), ("missing_school_day", 3), ("asb", 3), ("police_uk", 3), ("sexual_health", 0)]),
    ("H2", "place:Northbrook station", 250, ["syv", "cse"], 340,
     [("police_referral", 4), ("police_uk", 4), ("asb", 2), ("ae_youth_worker", 2), ("bus_driver_incident", 2), ("bus_asb_form", 1), ("mash_referral", 1)]),
    ("H3", "place:Brookfield Shopping Centre", 250, ["asb", "syv"], 260,
     [("asb", 5), ("police_uk", 4), ("police_referral", 2), ("travel_card_withdrawn", 1), ("bus_asb_form", 1)]),
]


def setup_hotspots():
    W.hotspots = []
    for hid, anchor, r, cats, n, srcs in HOTSPOTS:
        typ, name = anchor.split(":", 1)
        if typ == "park":
            pk = [p for p in W.parks if p["name"] == name][0]
            x, y = pk["cx"], pk["cy"]
        else:
            pl = [p for p in W.places if p["name"] == name][0]
            x, y = pl["x"], pl["y"]
        W.hotspots.append({"id": hid, "anchor": name, "x": x, "y": y, "r": r, "cats": cats, "n": n, "sources": srcs})


def people_with(cat, prefer_group=None):
    ps = [p for p in W.people if cat in p["cats"]]
    if prefer_group:
        g = [p for p in ps if p["group"] == prefer_group]
        if g and rng.random() < 0.6:
            return rng.choice(g)
    return rng.choice(ps)


def hotspot_events():
    for h in W.hotspots:
        group = [g["group_id"] for g in W.groups if g["base"] == h["id"]]
        have = sum(1 for e in W.events if e["tag"] == "hotspot:" + h["id"])
        ks = [k for k, w in h["sources"] if w > 0]
        ws = [w for k, w in h["sources"] if w > 0]
        for _ in range(max(0, h["n"] - have)):
            kind = rng.choices(ks, ws)[0]
            cats = [c for c in h["cats"] if c in SUPPORTS[kind] or c in CONTEXT]
            cat = rng.choice(cats) if cats else None
            x, y = disc(h["x"], h["y"], h["r"])
            person = None
            if kind in PERSON_KINDS and not (kind == "asb" and rng.random() < 0.5):
                c = cat if cat in ABUSE else "syv"
                if kind == "missing_school_day":
                    for _ in range(50):
                        p = people_with(c, group[0] if group else None)
                        if p["school"]:
                            break
                else:
                    p = people_with(c, group[0] if group else None)
                person = p["idx"]
                if cat not in ABUSE:
                    cat = c if c in SUPPORTS[kind] else None
            extra = {}
            if kind in ("bus_driver_incident", "bus_asb_form"):
                st = nearest_stop(x, y)
                x, y = st[1]["x"], st[1]["y"]
                extra = {"route": st[0], "stop": st[1]}
            ev(kind, x, y, draw_dt(PROFILE[kind]), person=person, cat=cat, tag="hotspot:" + h["id"], **extra)


def nearest_stop(x, y, route=None):
    best = None
    for r in W.routes:
        if route and r["route"] != route:
            continue
        for run in r["runs"]:
            for st in run["stops"]:
                d = dist((x, y), (st["x"], st["y"]))
                if best is None or d < best[0]:
                    best = (d, r["route"], st)
    return best[1], best[2]


CORRIDOR_N = 150
CORRIDOR_SOURCES = [("bus_driver_incident", 5), ("bus_asb_form", 2), ("police_referral", 2), ("asb", 2),
                    ("travel_card_withdrawn", 2), ("police_uk", 1)]


def corridor_events():
    c = W.corridor
    L = poly_len(c["cs"])
    pupils = [p for p in W.people if p["school"] in (c["a"], c["b"]) and p["ncy"] >= 7]
    for _ in range(CORRIDOR_N):
        kind = rng.choices([k for k, _ in CORRIDOR_SOURCES], [w for _, w in CORRIDOR_SOURCES])[0]
        (px, py), (ux, uy) = point_along(c["cs"], rng.uniform(0.03, 0.97) * L)
        off = rng.uniform(-15, 15)
        x, y = r1(px - uy * off), r1(py + ux * off)
        extra = {}
        if kind in ("bus_driver_incident", "bus_asb_form"):
            route, st = nearest_stop(x, y, "W8")
            x, y = st["x"], st["y"]
            extra = {"route": route, "stop": st}
        person = None
        cat = rng.choice(["syv", None, None]) if kind != "bus_asb_form" else rng.choice(["syv", None])
        if kind in PERSON_KINDS and not (kind == "asb" and rng.random() < 0.5):
            p = rng.choice(pupils)
            person = p["idx"]
            if cat and cat not in p["cats"]:
                cat = None
        ev(kind, x, y, draw_dt("commute"), person=person, cat=cat, tag="corridor", **extra)


def background_events():
    counts = {}
    for e in W.events:
        counts[e["kind"]] = counts.get(e["kind"], 0) + 1
    uncat = [p for p in W.people if not p["cats"]]
    for kind in INCIDENT_KINDS:
        for _ in range(TARGET[kind] - counts.get(kind, 0)):
            person = None
            cat = None
            if kind in PERSON_KINDS and not (kind == "asb" and rng.random() < 0.55):
                if rng.random() < 0.3:
                    p = rng.choice([q for q in W.people if q["cats"]])
                    cs = [c for c in sorted(p["cats"], key=CAT_ORDER.index) if c in SUPPORTS[kind]]
                    cat = rng.choice(cs) if cs and rng.random() < 0.7 else None
                else:
                    p = rng.choice(uncat)
                while kind in ("school_exclusion", "missing_school_day") and p["school"] is None:
                    p = rng.choice(uncat)
                    cat = None
                person = p["idx"]
                x, y, hid = person_location(p, kind)
                if hid:
                    hid = None  # background: not counted as planted
            else:
                extra = {}
                if kind in ("bus_driver_incident", "bus_asb_form"):
                    r = rng.choice(W.routes)
                    run = rng.choice(r["runs"])
                    st = rng.choice(run["stops"])
                    x, y = st["x"], st["y"]
                    ev(kind, x, y, draw_dt(PROFILE[kind]), cat=(rng.choice(SUPPORTS[kind]) if rng.random() < 0.25 else None),
                       route=r["route"], stop=st)
                    continue
                if kind == "police_uk" and rng.random() < 0.2:
                    pl = rng.choice([q for q in W.places if q["kind"] in ("shop", "takeaway", "station")])
                    x, y = disc(pl["x"], pl["y"], 120)
                else:
                    u = rng.choice(W.res_units)
                    x, y = disc(u["x"], u["y"], 100)
                if kind in SUPPORTS and SUPPORTS[kind] and rng.random() < 0.2:
                    cat = rng.choice(SUPPORTS[kind])
            ev(kind, x, y, draw_dt(PROFILE[kind]), person=person, cat=cat)


def association_events():
    """Pairs of young people seen together: dense within peer groups, sparse pairs elsewhere."""
    W.assoc = []
    for g in W.groups:
        m = g["members"]
        pairs = set()
        for k in range(1, len(m)):  # a spanning tree keeps each group connected
            pairs.add((m[rng.randrange(k)]["idx"], m[k]["idx"]))
        extra = len(m)
        while extra > 0:
            a, b = rng.sample(m, 2)
            if (a["idx"], b["idx"]) not in pairs and (b["idx"], a["idx"]) not in pairs:
                pairs.add((a["idx"], b["idx"]))
                extra -= 1
        bx, by, br, hid = base_xy(g)
        for a, b in sorted(pairs):
            for _ in range(rng.randint(2, 5)):
                x, y = disc(bx, by, br * 1.2) if rng.random() < 0.7 else disc(W.people[a]["home"]["x"], W.people[a]["home"]["y"], 300)
                W.assoc.append({"a": a, "b": b, "x": x, "y": y, "dt": draw_dt("youth"), "group": g["group_id"],
                                "cat": rng.choice(g["categories"])})
    # isolated pairs and triples of other young people (components smaller than any group)
    others = [p for p in W.people if p["group"] is None]
    rng.shuffle(others)
    k = 0
    for comp in range(45):
        size = 2 if comp % 3 else 3
        mem = others[k:k + size]
        k += size
        for q in range(1, size):
            a, b = mem[q - 1], mem[q]
            for _ in range(rng.randint(1, 2)):
                x, y = disc(a["home"]["x"], a["home"]["y"], 400)
                cs = sorted((a["cats"] | b["cats"]) & {"cse", "syv", "online"}, key=CAT_ORDER.index)
                W.assoc.append({"a": a["idx"], "b": b["idx"], "x": x, "y": y, "dt": draw_dt("youth"), "group": None,
                                "cat": rng.choice(cs) if cs else None})


def build_events():
    W.events = []
    setup_hotspots()
    person_events()
    hotspot_events()
    corridor_events()
    background_events()
    association_events()


# ------------------------------------------------------------ code maps
KW = [("exploitation", "cse", ""), ("older boyfriend", "cse", ""), ("county lines", "syv", ""),
      ("knife", "syv", "weapon"), ("gang", "syv", ""), ("sexting", "online", ""), ("nude images", "online", ""),
      ("groomed online", "online", ""), ("sexual touching", "hsb", ""), ("harmful sexual behaviour", "hsb", ""),
      ("controlling", "tra", ""), ("relationship abuse", "tra", "")]

CODEMAPS = {
    "police_referral": [("CSE", "cse", ""), ("CCE", "syv", ""), ("HSB", "hsb", ""), ("DA-TEEN", "tra+da", ""),
                        ("ONL", "online", ""), ("ROB", "syv", ""), ("GBH", "syv", ""), ("ABH", "syv", ""),
                        ("WPN", "syv", "weapon"), ("PWITS", "syv", ""), ("MISPER", "missing", ""), ("ASB", "asb", ""),
                        ("flag:Weapon Flag", "", "weapon")],
    "mash_referral": [("CSE", "cse", "vulnerable"), ("CCE", "syv", "vulnerable"), ("GANG", "syv", ""), ("HSB", "hsb", ""),
                      ("TRA", "tra", ""), ("ONLINE", "online", ""), ("MISS", "missing", ""), ("DV", "da", "")],
    # police.uk street crime carries no age: its crime is in the all-ages
    # indicators, never in the youth silos.
    "police_uk": [("Anti-social behaviour", "asb", ""), ("Robbery", "robbery_all_ages", ""),
                  ("Possession of weapons", "weapons_all_ages", "weapon"),
                  ("Violence and sexual offences", "violence_all_ages", ""), ("Public order", "public_order_all_ages", "")],
    "school_exclusion": [("PP", "exclusion", ""), ("PA", "exclusion", ""), ("VP", "exclusion", ""), ("VA", "exclusion", ""),
                         ("BU", "exclusion", ""), ("RA", "exclusion", ""), ("LG", "exclusion", ""), ("SM", "hsb+exclusion", ""),
                         ("DA", "exclusion", ""), ("DM", "exclusion", ""), ("TH", "exclusion", ""), ("PD", "exclusion", ""),
                         ("MT", "online+exclusion", ""), ("WP", "syv+exclusion", "weapon"),
                         ("FIXD", "exclusion", "fixed_term"), ("SUSP", "exclusion", "fixed_term"), ("PERM", "exclusion", "permanent")],
    "missing_education": [("CME-NS", "missing", ""), ("CME-LEFT", "missing", ""), ("CME-EXC", "missing+exclusion", ""),
                          ("CME-EHE", "missing", ""), ("CME-ABS", "missing", ""), ("CME-RISK", "missing", "vulnerable")],
    "missing_school_day": [("LEFT-SITE", "missing", ""), ("NO-REG", "missing", ""), ("ABSCOND", "missing", "")],
    "ae_youth_worker": [("STAB", "syv", "weapon"), ("ASSLT-PEER", "syv", ""), ("ASSLT-PARTNER", "tra", ""),
                        ("SEX-ASSLT-PEER", "hsb", ""), ("SEX-EXPL", "cse", ""), ("flag:safeguarding_concern", "", "vulnerable")],
    "sexual_health": [("CSE-RISK", "cse", "vulnerable"), ("REL-ABUSE", "tra", ""), ("PEER-ON-PEER", "hsb", ""),
                      ("ONLINE-IMG", "online", ""), ("flag:Under16", "", "youth")],
    "camhs": [("EXPLOIT", "cse", ""), ("TRAUMA-PEER", "hsb", ""), ("REL-ABUSE", "tra", ""), ("ONLINE-HARM", "online", ""),
              ("VIOLENCE-EXP", "syv", "")],
    "asb": [("ASB-YOUTH", "asb", ""), ("ASB-GANG", "asb+syv", ""), ("ASB-DRUGS", "asb", ""), ("ASB-NOISE", "asb", ""),
            ("ASB-VEH", "asb", ""), ("ASB-INTIM", "asb", ""), ("flag:YouthsInvolved", "", "youth")],
    "disturbance": [("NOISE-PARTY", "disturbance", ""), ("NOISE-MUSIC", "disturbance", ""), ("DIST-DOM", "disturbance+da", ""),
                    ("DIST-YOUTH", "disturbance+asb", ""), ("DIST-NEIGH", "disturbance", ""), ("flag:Youths Present", "", "youth")],
    "domestic_abuse": [("IPV-TEEN", "da+tra", ""), ("CPV", "da", ""), ("FAM", "da", ""), ("WITNESS", "da", ""),
                       ("flag:MARAC", "", "marac")],
    "bus_driver_incident": [("ASB-YTH", "transport+asb", "youth"), ("ASLT", "transport+syv", ""), ("MISS", "transport+asb", ""),
                            ("DMG", "transport+asb", ""), ("ROB", "transport+syv", ""), ("SEXOFF", "transport+hsb", ""),
                            ("FARE", "transport", ""), ("flag:Youth Involved", "", "youth"),
                            ("flag:Vulnerable Person", "", "vulnerable")],
    "bus_asb_form": [("ASB1", "transport+asb", ""), ("ASB2", "transport+asb", "youth")],
    "travel_card_withdrawn": [("BEH-ASB", "transport+asb", "youth"), ("BEH-VIOL", "transport+syv", "youth"),
                              ("BEH-DMG", "transport+asb", "youth"), ("BEH-THREAT", "transport+asb", "youth"),
                              ("FRAUD", "transport", "youth")],
    "association": [("CO-ACC", "syv", ""), ("STOP-TOG", "asb", ""), ("MISS-TOG", "missing", ""), ("SOC-MEDIA", "online", ""),
                    ("INTEL-CSE", "cse", ""), ("INTEL-GANG", "syv", ""), ("SCH-PEER", "hsb", ""), ("REL", "tra", "")],
}
TEXT_KINDS = {"police_referral", "mash_referral", "missing_education", "missing_school_day", "camhs", "asb",
              "disturbance", "bus_asb_form"}
for _k in TEXT_KINDS:
    CODEMAPS[_k] = CODEMAPS[_k] + [("kw:" + w, c, f) for w, c, f in KW]

# raw codes to draw, by intended category (None: no abuse category)
DRAW = {
    "police_referral": {"cse": ["CSE"], "syv": ["CCE", "ROB", "GBH", "ABH", "ABH", "WPN", "PWITS"], "hsb": ["HSB"],
                        "tra": ["DA-TEEN"], "online": ["ONL"], "asb": ["ASB"],
                        None: ["MISPER"] * 5 + ["MISC"] * 2 + ["ASB"] * 2},
    "mash_referral": {"cse": ["CSE"], "syv": ["CCE", "GANG"], "hsb": ["HSB"], "tra": ["TRA"], "online": ["ONLINE"],
                      None: ["NEG"] * 3 + ["EMO"] * 2 + ["MISS"] * 2 + ["DV"] * 2},
    "police_uk": {"syv": ["Violence and sexual offences"] * 4 + ["Robbery", "Possession of weapons"],
                  "asb": ["Anti-social behaviour"], "disturbance": ["Public order"], "cse": ["Violence and sexual offences"],
                  None: ["Anti-social behaviour"] * 36 + ["Violence and sexual offences"] * 27 + ["Other theft"] * 16 +
                  ["Vehicle crime"] * 13 + ["Burglary"] * 9 + ["Theft from the person"] * 8 + ["Criminal damage and arson"] * 8 +
                  ["Public order"] * 7 + ["Shoplifting"] * 6 + ["Drugs"] * 5 + ["Robbery"] * 4 + ["Bicycle theft"] * 4 +
                  ["Other crime"] * 1 + ["Possession of weapons"] * 1},
    "school_exclusion": {"hsb": ["SM"], "syv": ["WP"], "online": ["MT"],
                         None: ["PD"] * 8 + ["VA"] * 3 + ["VP"] * 3 + ["PP"] * 4 + ["PA"] * 2 + ["DA"] * 2 + ["DM"] * 1 +
                         ["BU"] * 2 + ["RA"] + ["LG"] + ["TH"] + ["OT"] * 2},
    "missing_education": {"cse": ["CME-RISK"], "syv": ["CME-RISK"],
                          None: ["CME-NS", "CME-LEFT", "CME-LEFT", "CME-EXC", "CME-EHE", "CME-ABS", "CME-ABS"]},
    "missing_school_day": {"cse": ["LEFT-SITE", "ABSCOND"], "syv": ["LEFT-SITE", "ABSCOND"],
                           None: ["LEFT-SITE"] * 3 + ["NO-REG"] * 3 + ["ABSCOND"]},
    "ae_youth_worker": {"syv": ["STAB", "ASSLT-PEER", "ASSLT-PEER"], "tra": ["ASSLT-PARTNER"], "hsb": ["SEX-ASSLT-PEER"],
                        "cse": ["SEX-EXPL"], None: ["OD", "SELF-HARM", "SELF-HARM", "INTOX", "INTOX", "RTC", "ASSLT-OTHER"]},
    "sexual_health": {"cse": ["CSE-RISK"], "tra": ["REL-ABUSE"], "hsb": ["PEER-ON-PEER"], "online": ["ONLINE-IMG"],
                      None: [""] * 6 + ["NONE"] * 2},
    "camhs": {"cse": ["EXPLOIT"], "hsb": ["TRAUMA-PEER"], "tra": ["REL-ABUSE"], "online": ["ONLINE-HARM"], "syv": ["VIOLENCE-EXP"],
              None: ["SELF-HARM", "ANX", "ANX", "LOW-MOOD", "ED", "ADHD-ASSESS"]},
    "asb": {"syv": ["ASB-GANG"], "asb": ["ASB-YOUTH", "ASB-INTIM"],
            None: ["ASB-YOUTH"] * 4 + ["ASB-NOISE"] * 2 + ["ASB-DRUGS"] * 2 + ["ASB-VEH", "LITTER", "ASB-INTIM"]},
    "disturbance": {None: ["NOISE-PARTY"] * 3 + ["NOISE-MUSIC"] * 3 + ["DIST-DOM"] * 2 + ["DIST-YOUTH"] * 2 + ["DIST-NEIGH"] * 2},
    "domestic_abuse": {"tra": ["IPV-TEEN"], None: ["CPV"] * 2 + ["FAM"] * 3 + ["WITNESS"] * 3},
    "bus_driver_incident": {"syv": ["ASLT", "ROB"], "hsb": ["SEXOFF"], "asb": ["ASB-YTH", "MISS", "DMG"],
                            None: ["ASB-YTH"] * 3 + ["FARE"] * 3 + ["DMG", "MISS", "TRESP"]},
    "bus_asb_form": {None: ["ASB1", "ASB1", "ASB2"]},
    "travel_card_withdrawn": {"syv": ["BEH-VIOL"], None: ["BEH-ASB"] * 3 + ["BEH-DMG", "BEH-THREAT", "FRAUD"]},
    "association": {"cse": ["INTEL-CSE", "MISS-TOG"], "syv": ["INTEL-GANG", "CO-ACC", "STOP-TOG"], "online": ["SOC-MEDIA"],
                    "hsb": ["SCH-PEER"], "tra": ["REL"], None: ["STOP-TOG", "MISS-TOG"]},
}

TEXTS = {
    "cse": ["Concerns of sexual exploitation, seen getting into cars with older males.",
            "Has an older boyfriend (about 22) and is staying out overnight.",
            "Came home with a new phone and clothes; possible exploitation.",
            "Older boyfriend collecting her from school, parent worried.",
            "Found at an address with adult males, exploitation concerns."],
    "syv": ["Believed involved in county lines, found with £{amt} cash and two phones.",
            "Threatened with a knife near {place}.", "Stab wound to the leg, will not say who did it.",
            "Fight between rival groups, gang related.", "Robbed of phone and jacket by a group of youths.",
            "Travelling out of area, county lines concerns; £{amt} found in his room."],
    "hsb": ["Allegation of sexual touching by a peer at school.",
            "Harmful sexual behaviour towards younger pupils reported by staff.",
            "Sexual touching on the bus reported by other pupils."],
    "tra": ["Controlling behaviour by boyfriend, checks her phone constantly.",
            "Relationship abuse disclosed, partner is the same age.", "Boyfriend is controlling and has pushed her."],
    "online": ["Sexting incident, images shared in a group chat.", "Nude images shared on social media without consent.",
               "Groomed online by an unknown adult who asked for photos.", "Sexting with an older male met through gaming."],
    None: ["Parent concerned about behaviour and late nights.", "Poor attendance, family not engaging.",
           "Frequent missing episodes, returned the same night.", "Argument with parent, no injuries.",
           "Young person refusing to go home.", "Shouting in the street, dispersed on arrival.",
           "Group of youths causing a nuisance, moved on.", "Referral for early help, no immediate risk."],
}
BUS_TEXTS = {
    "syv": ["Fight on the top deck between pupils from two schools, gang related.",
            "Pupil threatened another with a knife on the bus.", "Youth robbed of phone at the bus stop."],
    "hsb": ["Girl reported sexual touching by boys on the top deck."],
    "online": ["Nude images being shown round on a phone on the top deck."],
    "asb": ["Group of school pupils shouting and swearing at passengers.", "Youths throwing objects at the bus.",
            "Youths kicking the doors and pressing the bell repeatedly."],
    None: ["Youths refusing to pay and verbally abusing the driver.", "Loud music and feet on seats, ignored requests.",
           "Group blocking the doors at the stop, bus delayed.", "Eggs thrown at the bus from the pavement."],
}


def kw_hits(text):
    cats, flags = set(), set()
    for w, c, f in KW:
        if re.search(r"\b" + re.escape(w) + r"\b", text, re.I):
            cats.update(x for x in c.split("+") if x)
            flags.update(x for x in f.split("+") if x)
    return cats, flags


def truthy(v):
    return str(v).strip().lower() in ("y", "yes", "1", "true", "t")


def classify(kind, fields, row):
    """Categories and flags that the code map gives for a rendered row, and codes it does not map."""
    cmap = {c: (cs, fs) for c, cs, fs in CODEMAPS[kind]}
    cats, flags, unmapped = set(), set(), []
    for col in fields.get("code", "").split(","):
        if not col:
            continue
        v = "" if row.get(col) is None else str(row.get(col)).strip()
        if not v:
            continue
        if v in cmap:
            cats.update(x for x in cmap[v][0].split("+") if x)
            flags.update(x for x in cmap[v][1].split("+") if x)
        else:
            unmapped.append(v)
    for col in fields.get("text", "").split(","):
        if col and row.get(col):
            c, f = kw_hits(str(row[col]))
            cats |= c
            flags |= f
    for col in fields.get("flags", "").split(","):
        if col and truthy(row.get(col, "")) and "flag:" + col in cmap:
            flags.update(x for x in cmap["flag:" + col][1].split("+") if x)
    return ("+".join(c for c in CAT_ORDER if c in cats), "+".join(f for f in FLAG_ORDER if f in flags), unmapped)


def text_for(cat, place="the shops"):
    t = rng.choice(TEXTS[cat if cat in TEXTS else None])
    return t.replace("{amt}", str(rng.choice([150, 240, 300, 400, 650, 1200]))).replace("{place}", place)


def code_for(kind, cat):
    d = DRAW[kind]
    return rng.choice(d[cat] if cat in d else d[None])


# ------------------------------------------------------------ location styles
ABBR = [("Road", "Rd"), ("Street", "St"), ("Avenue", "Ave"), ("Gardens", "Gdns"), ("Lane", "Ln"), ("Crescent", "Cres"),
        ("Close", "Cl"), ("Drive", "Dr"), ("Grove", "Gr"), ("Terrace", "Terr"), ("Place", "Pl")]


def abbrev(street):
    for a, b in ABBR:
        if street.endswith(" " + a):
            return street[: -len(a)] + b
    return street


def typo(s):
    """One keyboard slip inside the first word of a street name."""
    w = s.split(" ")
    t = w[0]
    if len(t) < 4:
        return s
    k = rng.randint(1, len(t) - 2)
    r = rng.random()
    if r < 0.35:
        t = t[:k] + t[k + 1] + t[k] + t[k + 2:]
    elif r < 0.7:
        t = t[:k] + t[k + 1:]
    else:
        t = t[:k] + t[k] + t[k:]
    return " ".join([t] + w[1:])


def pc_fault(pc, fault):
    if fault == "postcode_lowercase":
        return pc.lower()
    if fault == "postcode_nospace":
        return pc.replace(" ", "")
    if fault == "postcode_O0":
        out_, in_ = pc.split(" ")
        return out_ + " " + in_.replace("0", "O", 1)
    return pc


def postcode_loc(x, y, meta, rates):
    """A postcode for a true location; returns the string and sets the expected location on meta."""
    u = nearest_unit(x, y)
    r = rng.random()
    if r < rates.get("pq90", 0):
        u = rng.choice(W.pq90)
        meta["faults"].append("postcode_pq90")
        meta.update(ex="", ey="", method="reject")
        return u["pc"]
    if r < rates.get("pq90", 0) + rates.get("missing", 0):
        meta["faults"].append("postcode_missing")
        meta.update(ex="", ey="", method="reject")
        return ""
    meta.update(ex=u["x"], ey=u["y"], method="postcode")
    pc = u["pc"]
    f = None
    rr = rng.random()
    if pc.split(" ")[1].startswith("0") and rr < rates.get("O0", 0) * 8:
        f = "postcode_O0"
    elif rr < rates.get("lower", 0):
        f = "postcode_lowercase"
    elif rr < rates.get("lower", 0) + rates.get("nospace", 0):
        f = "postcode_nospace"
    if f:
        meta["faults"].append(f)
        pc = pc_fault(pc, f)
    return pc


def address_loc(x, y, meta, typo_rate=0.04, nopc_rate=0.1, pc_rates=None):
    u = nearest_unit(x, y, kinds=("res",))
    lo, hi = u["num_lo"], u["num_hi"]
    num = rng.randrange(lo, hi + 1, 2)
    street = u["street"]
    if rng.random() < 0.35:
        street = abbrev(street)
    if rng.random() < typo_rate:
        street = typo(street)
        meta["faults"].append("street_typo")
    pc = u["pc"]
    if pc_rates and rng.random() < pc_rates:
        f = rng.choice(["postcode_lowercase", "postcode_nospace"])
        pc = pc_fault(pc, f)
        meta["faults"].append(f)
    form = rng.random()
    if rng.random() < nopc_rate:
        meta["faults"].append("address_no_postcode")
        s = "%d %s, Northbrook" % (num, street)
    elif form < 0.5:
        s = "%d %s, Northbrook, %s" % (num, street, pc)
    elif form < 0.75:
        s = "%d %s, Northbrook %s" % (num, street, pc)
    elif form < 0.9:
        s = "Flat %d, %d %s, %s" % (rng.randint(1, 12), num, street, pc)
    else:
        s = "%d %s %s" % (num, street, pc)
    meta.update(ex=u["x"], ey=u["y"], method="address")
    return s


def freetext_loc(x, y, meta, bus_route=None):
    cands = []
    p = ogr.CreateGeometryFromWkt("POINT(%f %f)" % (x, y))
    for pk in W.parks:
        d = pk["vgeom"].Distance(p)
        if d < 40:
            cands.append((d, "park", pk))
    for pl in W.places:
        if pl["kind"] in ("station", "shop", "takeaway", "landmark"):
            d = dist((x, y), (pl["x"], pl["y"]))
            if d < 130:
                cands.append((d, pl["kind"], pl))
    for s in W.schools:
        d = dist((x, y), (s["x"], s["y"]))
        if d < 120:
            cands.append((d, "school", s))
    cands.sort(key=lambda c: c[0])
    if cands and rng.random() < 0.9:
        d, typ, o = cands[0]
        if typ == "park":
            t = rng.choice(["{n}", "in {n}", "{n}, by the playground", "{n} near the gates", "{n} (benches)"])
            meta.update(ex=o["cx"], ey=o["cy"], method="place")
            return t.replace("{n}", o["name"])
        if typ == "station":
            t = rng.choice(["outside {n}", "{n}", "near {n}", "outside {n}, {s}"])
            meta.update(ex=o["x"], ey=o["y"], method="place")
            return t.replace("{n}", o["name"]).replace("{s}", abbrev(o["street"]))
        if typ in ("shop", "takeaway"):
            t = rng.choice(["bus stop outside {n}, {s}", "outside {n}, {s}", "{n} {s}", "in {n}, {s}", "{n}, {S}"])
            meta.update(ex=o["x"], ey=o["y"], method="place")
            return t.replace("{n}", o["name"]).replace("{s}", abbrev(o["street"])).replace("{S}", o["street"])
        if typ == "landmark":
            t = rng.choice(["outside {n}", "{n}", "near {n}"])
            meta.update(ex=o["x"], ey=o["y"], method="place")
            return t.replace("{n}", o["name"] if o["name"] != "Clock Tower" else "the Clock Tower")
        if typ == "school":
            t = rng.choice(["outside {n}", "near {n} gates", "{n}"])
            meta.update(ex=r1(o["x"]), ey=r1(o["y"]), method="place")
            return t.replace("{n}", o["name"])
    d, k, q, al = nearest_edge(x, y)
    nm = W.edges[k]["name"]
    t = rng.choice(["on or near {s}", "{s}", "on or near {s}", "{a}", "corner of {s}"])
    meta.update(ex=r1(q[0]), ey=r1(q[1]), method="street")
    return t.replace("{s}", nm).replace("{a}", abbrev(nm))


POLICE_UK_SPECIAL = [("Supermarket", ["Tesco", "Tesco Express", "Lidl", "Co-op", "Sainsbury's Local"]),
                     ("Shopping Area", ["Brookfield Shopping Centre"]), ("Sports/Recreation Area", ["Northbrook Leisure Centre"]),
                     ("Fast Food Outlet", ["Chicken Cottage", "Dixy Chicken", "McDonald's", "KFC", "Morley's", "Sam's Chicken"]),
                     ("Police Station", ["Northbrook Police Station"]), ("Further/Higher Educational Building", [])]


def police_uk_snap(x, y):
    """police.uk's anonymised map point: a street's snap point, or a named kind of place."""
    if rng.random() < 0.6:
        for pk in W.parks:
            if pk["vgeom"].Distance(ogr.CreateGeometryFromWkt("POINT(%f %f)" % (x, y))) < 20:
                return "Park/Open Space", pk["cx"], pk["cy"]
        for label, names in POLICE_UK_SPECIAL:
            for pl in W.places:
                if pl["name"] in names and dist((x, y), (pl["x"], pl["y"])) < 100:
                    return label, pl["x"], pl["y"]
    d, k, q, al = nearest_edge(x, y)
    e = W.edges[k]
    # one snap point per street segment: its middle
    (px, py), _ = point_along(e["cs"], e["len"] / 2)
    return e["name"], r1(px), r1(py)


def flag_value(v, style="YN", rate=0.08):
    """Y/N with the inconsistencies seen in real extracts: yes/no, 1/0, blanks."""
    r = rng.random()
    if r < rate * 0.4:
        return "yes" if v else "no"
    if r < rate * 0.7:
        return "1" if v else "0"
    if r < rate:
        return "" if not v or rng.random() < 0.5 else "Y"
    if style == "YN":
        return "Y" if v else "N"
    if style == "YesNo":
        return "Yes" if v else "No"
    return "1" if v else "0"


def fmt_dmy(d, time=False):
    return d.strftime("%d/%m/%Y %H:%M") if time else d.strftime("%d/%m/%Y")


def fmt_ymd(d, time=None):
    if time == "T":
        return d.strftime("%Y-%m-%dT%H:%M:%S")
    if time == " ":
        return d.strftime("%Y-%m-%d %H:%M")
    return d.strftime("%Y-%m-%d")


def date_fault(when, style, meta, rates, time=False):
    """The written date, with impossible, future, missing or malformed values at the given rates."""
    r = rng.random()
    acc = 0
    for f in ("date_impossible", "date_future", "date_missing", "date_malformed"):
        acc += rates.get(f, 0)
        if r < acc:
            meta["faults"].append(f)
            if f == "date_missing":
                return ""
            if f == "date_future":
                w = when.replace(year=2026)
                meta["future"] = True
                return fmt_dmy(w, time) if style == "dmy" else fmt_ymd(w, time) if style == "ymd" else excel_serial(w)
            if f == "date_impossible":
                bad = rng.choice([(31, 2), (30, 2), (31, 4), (31, 6), (31, 9), (31, 11), (29, 2)])
                if style == "dmy":
                    return "%02d/%02d/2025" % bad + (when.strftime(" %H:%M") if time else "")
                return "2025-%02d-%02d" % (bad[1], bad[0]) + ((time or "") + when.strftime("%H:%M") if time else "")
            if f == "date_malformed":
                if style == "excel":
                    return "TBC"
                return rng.choice([when.strftime("%d.%m.%y"), when.strftime("%d-%b-%Y"), "unknown"])
    if style == "dmy":
        return fmt_dmy(when, time)
    if style == "ymd":
        return fmt_ymd(when, time)
    return excel_serial(when)


def name_of(p, style="asis", meta=None, variant_rate=0.015):
    fn, sn = p["forename"], p["surname"]
    if meta is not None and rng.random() < variant_rate:
        meta["faults"].append("name_variant")
        if "-" in sn:
            sn = sn.replace("-", " ")
        elif " " in sn:
            sn = sn.replace(" ", "-")
        elif ascii_fold(fn) != fn:
            fn = ascii_fold(fn)
        else:
            fn = fn.lower() if rng.random() < 0.5 else fn.upper()
    if style == "police":
        sn = sn.upper()
    elif style == "ascii":
        fn, sn = ascii_fold(fn), ascii_fold(sn)
    return fn, sn


# ------------------------------------------------------------ sources (also the profile's [source.*] sections)
SOURCES = [
    ("police_referrals", {"kind": "police_referral", "path": "incidents/police_referrals.csv", "date_format": "dmy",
                          "field": [("id", "Referral Ref"), ("date", "Date/Time Reported"), ("x", "Easting"), ("y", "Northing"),
                                    ("srs", "EPSG:27700"), ("code", "Offence Code"), ("text", "Summary"), ("flags", "Weapon Flag"),
                                    ("person_id", "Subject PNC ID"), ("person_system", "police")]}),
    ("mash_referrals", {"kind": "mash_referral", "path": "incidents/mash_referrals.csv", "encoding": "CP1252", "date_format": "dmy",
                        "field": [("id", "MASH ID"), ("date", "Contact Date"), ("postcode", "Postcode"),
                                  ("code", "Primary Category,Secondary Category"), ("text", "Concerns"), ("person_id", "SC Number"),
                                  ("forename", "First Name"), ("surname", "Last Name"), ("dob", "DOB"), ("person_system", "SC")]}),
    ("police_uk", {"kind": "police_uk", "path": "incidents/police_uk_street.csv", "date_format": "month",
                   "field": [("id", "Crime ID"), ("date", "Month"), ("lon", "Longitude"), ("lat", "Latitude"),
                             ("location", "Location"), ("code", "Crime type")]}),
    ("school_exclusions", {"kind": "school_exclusion", "path": "incidents/school_exclusions.xlsx|layername=Exclusions",
                           "open_options": "HEADERS=FORCE", "date_format": "excel",
                           "field": [("id", "Exclusion ID"), ("date", "Start Date"), ("postcode", "School Postcode"),
                                     ("code", "Reason,Category"), ("person_id", "UPN"), ("forename", "Forename"),
                                     ("surname", "Surname"), ("dob", "DOB"), ("person_system", "UPN")]}),
    ("missing_education", {"kind": "missing_education", "path": "incidents/children_missing_education.csv",
                           "date_format": "dmy",
                           "field": [("id", "cme_ref"), ("date", "date_notified"), ("address", "last_known_address"),
                                     ("code", "reason"), ("text", "notes"), ("forename", "forename"), ("surname", "surname"),
                                     ("dob", "dob")]}),
    ("missing_school_day", {"kind": "missing_school_day", "path": "incidents/missing_school_day.csv", "date_format": "dmy",
                            "field": [("id", "Ref"), ("date", "Date"), ("time", "Time Missing"), ("location", "Last Seen"),
                                      ("code", "Reason"), ("text", "Notes"), ("person_id", "UPN"), ("person_system", "UPN")]}),
    ("ae_youth_worker", {"kind": "ae_youth_worker", "path": "incidents/ae_youth_worker.geojson", "date_format": "ymd",
                         "field": [("id", "attendance_id"), ("date", "arrival"), ("code", "presenting_complaint"),
                                   ("flags", "safeguarding_concern"), ("person_id", "nhs_number"), ("forename", "first_name"),
                                   ("surname", "last_name"), ("dob", "date_of_birth"), ("person_system", "NHS")]}),
    ("sexual_health", {"kind": "sexual_health", "path": "incidents/sexual_health.csv", "date_format": "ymd",
                       "field": [("id", "EpisodeID"), ("date", "AttendanceDate"), ("postcode", "PatientPostcode"),
                                 ("code", "SafeguardingCode"), ("flags", "Under16"), ("person_id", "ClinicNumber"),
                                 ("person_system", "SH")]}),
    ("camhs", {"kind": "camhs", "path": "incidents/camhs_referrals.csv", "date_format": "excel",
               "field": [("id", "ReferralID"), ("date", "ReferralDate"), ("postcode", "Postcode"), ("code", "PresentingProblem"),
                         ("text", "ReferralReason"), ("person_id", "NHSNumber"), ("person_system", "NHS")]}),
    ("asb", {"kind": "asb", "path": "incidents/asb_cases.csv", "date_format": "ymd",
             "field": [("id", "CaseRef"), ("date", "ReportedAt"), ("lon", "Long"), ("lat", "Lat"), ("code", "Category"),
                       ("text", "Description"), ("flags", "YouthsInvolved"), ("forename", "PersonForename"),
                       ("surname", "PersonSurname"), ("dob", "PersonDOB")]}),
    ("household_disturbances", {"kind": "disturbance", "path": "incidents/household_disturbances.csv", "date_format": "dmy",
                                "field": [("id", "Incident No"), ("date", "Date/Time"), ("address", "Address"), ("code", "Type"),
                                          ("text", "Notes"), ("flags", "Youths Present")]}),
    ("domestic_abuse", {"kind": "domestic_abuse", "path": "incidents/domestic_abuse.csv", "date_format": "ymd",
                        "field": [("id", "DA_Ref"), ("date", "IncidentDate"), ("postcode", "Postcode"),
                                  ("code", "RelationshipType"), ("flags", "MARAC"), ("forename", "YP_Forename"),
                                  ("surname", "YP_Surname"), ("dob", "YP_DOB")]}),
    ("bus_driver_incidents", {"kind": "bus_driver_incident", "path": "incidents/bus_driver_incidents.csv", "date_format": "dmy",
                              "field": [("id", "Incident No"), ("date", "Incident Date"), ("time", "Incident Time"),
                                        ("route", "Route"), ("stop", "Stop Name"), ("code", "Cause Code"),
                                        ("flags", "Youth Involved,Vulnerable Person")]}),
    ("bus_asb_forms", {"kind": "bus_asb_form", "path": "incidents/bus_asb_forms.csv", "date_format": "ymd",
                       "field": [("id", "Form Ref"), ("date", "Incident Date"), ("time", "Approx Time"), ("route", "Route"),
                                 ("location", "Where"), ("code", "Form Type"), ("text", "What happened")]}),
    ("zip_withdrawals", {"kind": "travel_card_withdrawn", "path": "incidents/zip_card_withdrawals.csv", "date_format": "dmy",
                         "field": [("id", "Case"), ("date", "Withdrawn On"), ("route", "Route"), ("location", "Incident Location"),
                                   ("code", "Reason"), ("person_id", "Zip Card Number"), ("forename", "First Name"),
                                   ("surname", "Surname"), ("dob", "Date of Birth"), ("person_system", "zip")]}),
    ("associations", {"kind": "association", "path": "incidents/associations.csv", "date_format": "dmy",
                      "field": [("id", "Assoc Ref"), ("date", "Date Seen"), ("location", "Location"), ("code", "Reason"),
                                ("forename", "A Forename"), ("surname", "A Surname"), ("dob", "A DOB"),
                                ("person2_forename", "B Forename"), ("person2_surname", "B Surname"), ("person2_dob", "B DOB")]}),
]
KIND_SOURCE = {spec["kind"]: name for name, spec in SOURCES}


def fields_of(kind):
    return dict(dict(SOURCES)[KIND_SOURCE[kind]]["field"])


def new_meta(e):
    return {"ev": e, "faults": [], "persons": [e["person"]] if e and e.get("person") is not None else [],
            "ex": "", "ey": "", "method": "", "dup_of": None}


def with_dups(items, exact=0.01, near=0.0, near_fn=None):
    ins = []
    for i, (r, m) in enumerate(items):
        u = rng.random()
        if u < exact:
            ins.append((i, dict(r), dict(m, faults=m["faults"] + ["duplicate_exact"], dup_of=m)))
        elif u < exact + near and near_fn:
            ins.append((i, near_fn(dict(r)), dict(m, faults=m["faults"] + ["duplicate_near"], dup_of=m)))
    for i, r, m in sorted(ins, key=lambda t: -t[0]):
        items.insert(i + 1 + rng.randint(0, 4), (r, m))
    return items


def events_of(kind):
    return sorted([e for e in W.events if e["kind"] == kind], key=lambda e: e["dt"])


def person(e):
    return W.people[e["person"]] if e.get("person") is not None else None


def shift_time(s, minutes, fmt):
    try:
        t = dt.datetime.strptime(s, fmt)
    except ValueError:
        return s
    return (t + dt.timedelta(minutes=minutes)).strftime(fmt)


def render_police_referral():
    items = []
    for n, e in enumerate(events_of("police_referral"), 1):
        m = new_meta(e)
        p = person(e)
        code = code_for("police_referral", e["cat"])
        x, y = int(round(e["x"])), int(round(e["y"]))
        m.update(ex=x, ey=y, method="xy")
        r = rng.random()
        if r < 0.02:
            x, y = y, x
            m["faults"].append("swapped_xy")
        elif r < 0.03:
            x, y = 0, 0
            m["faults"].append("zero_xy")
            m.update(ex="", ey="", method="reject")
        elif r < 0.04:
            x, y = "", ""
            m["faults"].append("missing_xy")
            m.update(ex="", ey="", method="reject")
        weapon = code == "WPN" or (code in ("GBH", "ROB") and rng.random() < 0.3)
        pid = sys_id(p, "police")
        if rng.random() < 0.01:
            pid = ""
            m["faults"].append("person_id_missing")
        row = {"Referral Ref": "NB%02d/%06d" % (e["dt"].year % 100, 10000 + n * 7),
               "Date/Time Reported": date_fault(e["dt"], "dmy", m, {"date_impossible": 0.004, "date_future": 0.004, "date_missing": 0.003}, time=True),
               "Easting": x, "Northing": y, "Offence Code": code,
               "Weapon Flag": flag_value(weapon, "YN", 0.12), "Subject PNC ID": pid,
               "Summary": text_for(e["cat"] if code not in ("MISPER", "MISC", "ASB") else None),
               "Officer Collar": "%s%d" % (rng.choice(["PC", "DC", "PS"]), rng.randint(100, 999))}
        items.append((row, m))
    cols = list(items[0][0])
    return cols, with_dups(items, 0.01, 0.01, lambda r: dict(r, **{"Date/Time Reported": shift_time(r["Date/Time Reported"], 12, "%d/%m/%Y %H:%M")}))


def render_mash_referral():
    items = []
    for n, e in enumerate(events_of("mash_referral"), 1):
        m = new_meta(e)
        p = person(e)
        code = code_for("mash_referral", e["cat"])
        fn, sn = name_of(p, "asis", m)
        dob = fmt_dmy(p["dob"])
        if rng.random() < 0.01:
            dob = ""
            m["faults"].append("dob_missing")
        sec = ""
        if rng.random() < 0.3:
            others = [c for c in sorted(p["cats"], key=CAT_ORDER.index) if c != e["cat"]]
            sec = code_for("mash_referral", rng.choice(others)) if others and rng.random() < 0.5 else code_for("mash_referral", None)
            if sec == code:
                sec = ""
        pc = postcode_loc(e["x"], e["y"], m, {"pq90": 0.006, "missing": 0.01, "lower": 0.02, "nospace": 0.02, "O0": 0.01})
        row = {"MASH ID": "MASH-%s-%05d" % ("24" if e["dt"].year == 2024 else "25", n), 
               "Contact Date": date_fault(e["dt"], "dmy", m, {"date_impossible": 0.003, "date_future": 0.002}),
               "SC Number": sys_id(p, "SC"), "First Name": fn, "Last Name": sn, "DOB": dob, "Postcode": pc,
               "Primary Category": code, "Secondary Category": sec,
               "Concerns": text_for(e["cat"] if code not in ("NEG", "EMO", "MISS", "DV") else None),
               "Outcome": rng.choice(["NFA", "Early Help", "Strategy Discussion", "S47", "S17 Assessment", "Information Only"])}
        items.append((row, m))
    return list(items[0][0]), with_dups(items, 0.01, 0.005, lambda r: dict(r, **{"MASH ID": r["MASH ID"] + "A"}))


def render_police_uk():
    tr = osr.CoordinateTransformation(W.bng, W.wgs)
    items = []
    evs = sorted(events_of("police_uk"), key=lambda e: (e["dt"].strftime("%Y-%m"), rng.random()))
    outcomes = ["Investigation complete; no suspect identified"] * 6 + ["Status update unavailable"] * 4 + \
        ["Unable to prosecute suspect"] * 3 + ["Under investigation"] * 2 + ["Offender given a caution", "Local resolution",
                                                                             "Awaiting court outcome", "Court result unavailable"]
    for n, e in enumerate(evs, 1):
        m = new_meta(e)
        ct = code_for("police_uk", e["cat"])
        label, sx, sy = police_uk_snap(e["x"], e["y"])
        a = area_of(sx, sy) or area_of(e["x"], e["y"])
        lon, lat, _ = tr.TransformPoint(sx, sy)
        row = {"Crime ID": "" if ct == "Anti-social behaviour" else hashlib.sha256(("%d-%d" % (SEED, n)).encode()).hexdigest(),
               "Month": e["dt"].strftime("%Y-%m"), "Reported by": "Metropolitan Police Service",
               "Falls within": "Metropolitan Police Service", "Longitude": "%.6f" % lon, "Latitude": "%.6f" % lat,
               "Location": "On or near " + label, "LSOA code": a["area_code"], "LSOA name": a["area_name"],
               "Crime type": ct, "Last outcome category": "" if ct == "Anti-social behaviour" else rng.choice(outcomes),
               "Context": ""}
        m.update(ex=sx, ey=sy, method="lonlat")
        if rng.random() < 0.01:
            row.update({"Longitude": "", "Latitude": "", "Location": "No Location", "LSOA code": "", "LSOA name": ""})
            m["faults"].append("no_location")
            m.update(ex="", ey="", method="reject")
        items.append((row, m))
    seen = {}
    for r, m in items:
        key = tuple(r.values())
        if key in seen:
            m["faults"].append("identical_not_duplicate")
        seen[key] = True
    return list(items[0][0]), items


def render_school_exclusion():
    items = []
    for n, e in enumerate(events_of("school_exclusion"), 1):
        m = new_meta(e)
        p = person(e)
        s = p["school"]
        code = code_for("school_exclusion", e["cat"])
        r = rng.random()
        if code in ("SM", "WP") and r < 0.3 or r < 0.04:
            cat = "PERM"
        elif rng.random() < 0.1:
            cat = "SUSP"
        else:
            cat = "FIXD"
        fn, sn = name_of(p, "asis", m)
        start = date_fault(e["dt"], "excel", m, {"date_future": 0.005, "date_missing": 0.005})
        upn = p["ids"]["UPN"]
        if rng.random() < 0.01:
            upn = None
            m["faults"].append("person_id_missing")
        m.update(ex=s["unit"]["x"], ey=s["unit"]["y"], method="postcode")
        row = {"Exclusion ID": "EX%05d" % (n * 3 + 10000), "UPN": upn, "Forename": fn, "Surname": sn,
               "DOB": excel_serial(p["dob"]), "NCY": p["ncy"], "School URN": int(s["school_id"]), "School Name": s["name"],
               "School Postcode": s["postcode"], "Start Date": start if start != "" else None,
               "Sessions": rng.randint(1, 10) if cat != "PERM" else None, "Category": cat, "Reason": code,
               "Comments": rng.choice(["", "", "Parent informed", "Reintegration meeting booked", "Managed move considered",
                                       "Governors review requested", "See incident log"])}
        items.append((row, m))
    return list(items[0][0]), with_dups(items, 0.01)


CME_NOTES = ["Family moved, destination unknown.", "Not on roll at any school since half term.",
             "Elective home education, no contact with family.", "Left after exclusion, no new place agreed.",
             "Did not start at allocated school.", "Attendance below 10% this term."]


def render_missing_education():
    items = []
    for n, e in enumerate(events_of("missing_education"), 1):
        m = new_meta(e)
        p = person(e)
        fn, sn = name_of(p, "asis", m)
        code = code_for("missing_education", e["cat"])
        row = {"cme_ref": "CME%04d" % (n + 200), "forename": fn, "surname": sn, "dob": fmt_dmy(p["dob"]),
               "last_known_address": address_loc(e["x"], e["y"], m, 0.05, 0.1, 0.03),
               "date_notified": date_fault(e["dt"], "dmy", m, {"date_impossible": 0.01, "date_malformed": 0.005}),
               "reason": code, "notes": text_for(e["cat"]) if e["cat"] else rng.choice(CME_NOTES),
               "allocated_officer": rng.choice(["J. Okoro", "S. Byrne", "A. Patel", "unallocated"])}
        items.append((row, m))
    return list(items[0][0]), with_dups(items, 0.01)


MSD_NOTES = {"cse": ["Seen with older boyfriend near {place}.", "Believed picked up by car, concerns of exploitation."],
             "syv": ["Possibly meeting older boys, county lines concern.", "Left after threats on social media, gang related."],
             None: ["Left site at lunchtime with friends.", "Did not return after PE.", "Walked out after detention.",
                    "Seen at the shops by a member of staff.", "Returned by parent later that afternoon.", ""]}


def render_missing_school_day():
    items = []
    for n, e in enumerate(events_of("missing_school_day"), 1):
        m = new_meta(e)
        p = person(e)
        code = code_for("missing_school_day", e["cat"])
        loc = freetext_loc(e["x"], e["y"], m)
        if rng.random() < 0.03:
            loc = rng.choice(["not known", "unknown", ""])
            m["faults"].append("location_unknown")
            m.update(ex="", ey="", method="reject")
        tm = e["dt"].strftime("%H:%M")
        if rng.random() < 0.015:
            tm = rng.choice([e["dt"].strftime("%H.%M"), e["dt"].strftime("%I:%M%p").lower().lstrip("0"), "lunch", "pm"])
            m["faults"].append("time_malformed")
        note = rng.choice(MSD_NOTES[e["cat"] if e["cat"] in MSD_NOTES else None]).replace("{place}", "the station")
        row = {"Ref": "MSD-%04d" % n, "UPN": p["ids"]["UPN"], "School URN": p["school"]["school_id"] if p["school"] else "",
               "Date": date_fault(e["dt"], "dmy", m, {"date_impossible": 0.005}), "Time Missing": tm, "Last Seen": loc,
               "Reason": code, "Returned": flag_value(rng.random() < 0.85, "YN", 0.1),
               "Police Informed": flag_value(rng.random() < 0.2, "YN", 0.1), "Notes": note}
        items.append((row, m))
    return list(items[0][0]), with_dups(items, 0.01)


def render_ae_youth_worker():
    tr = osr.CoordinateTransformation(W.bng, W.wgs)
    items = []
    for n, e in enumerate(events_of("ae_youth_worker"), 1):
        m = new_meta(e)
        p = person(e)
        code = code_for("ae_youth_worker", e["cat"])
        fn, sn = name_of(p, "asis", m)
        lon, lat, _ = tr.TransformPoint(e["x"], e["y"])
        m.update(ex=r1(e["x"]), ey=r1(e["y"]), method="geometry")
        r = rng.random()
        if r < 0.02:
            geom = (round(lat, 6), round(lon, 6))
            m["faults"].append("swapped_lonlat")
        elif r < 0.035:
            geom = None
            m["faults"].append("no_geometry")
            m.update(ex="", ey="", method="reject")
        else:
            geom = (round(lon, 6), round(lat, 6))
        m["geom"] = geom
        row = {"attendance_id": "AE%07d" % (3400000 + n * 13), "arrival": date_fault(e["dt"], "ymd", m, {"date_future": 0.004}, time="T"),
               "nhs_number": p["ids"]["NHS"], "first_name": fn, "last_name": sn, "date_of_birth": fmt_ymd(p["dob"]),
               "presenting_complaint": code,
               "safeguarding_concern": flag_value(e["cat"] is not None and rng.random() < 0.8, "YesNo", 0.1),
               "youth_worker_seen": rng.choice(["yes", "yes", "no"]),
               "location_note": rng.choice(["", "", "reported by patient", "from ambulance record", "approximate"])}
        items.append((row, m))
    return list(items[0][0]), with_dups(items, 0.01)


def age_on(p, d):
    b = p["dob"]
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))


def render_sexual_health():
    items = []
    for n, e in enumerate(events_of("sexual_health"), 1):
        m = new_meta(e)
        p = person(e)
        code = code_for("sexual_health", e["cat"])
        row = {"EpisodeID": "SHE%06d" % (500000 + n * 11), "ClinicNumber": sys_id(p, "SH"),
               "AttendanceDate": date_fault(e["dt"], "ymd", m, {"date_malformed": 0.005, "date_impossible": 0.003}),
               "PatientPostcode": postcode_loc(e["x"], e["y"], m, {"pq90": 0.01, "lower": 0.02, "nospace": 0.03}),
               "Under16": flag_value(age_on(p, e["dt"].date()) < 16, "YN", 0.08), "SafeguardingCode": code,
               "CSE Proforma Completed": flag_value(code == "CSE-RISK" or rng.random() < 0.2, "YN", 0.05)}
        items.append((row, m))
    return list(items[0][0]), with_dups(items, 0.01)


CAMHS_TEXT = ["Low mood and withdrawal at home.", "Anxiety affecting school attendance.", "Self-harm disclosed to school nurse.",
              "Sleep problems and panic attacks.", "Eating difficulties, GP referral.", "Assessment requested by school SENCO."]


def render_camhs():
    items = []
    for n, e in enumerate(events_of("camhs"), 1):
        m = new_meta(e)
        p = person(e)
        code = code_for("camhs", e["cat"])
        row = {"ReferralID": "CAMHS-%05d" % (n * 2 + 30000), "NHSNumber": p["ids"]["NHS"],
               "ReferralDate": date_fault(e["dt"], "excel", m, {"date_malformed": 0.005, "date_missing": 0.005}),
               "Postcode": postcode_loc(e["x"], e["y"], m, {"lower": 0.01, "nospace": 0.02}),
               "ReferrerType": rng.choice(["GP", "School", "Social Care", "A&E", "Self/Parent"]),
               "PresentingProblem": code, "ReferralReason": text_for(e["cat"]) if e["cat"] else rng.choice(CAMHS_TEXT),
               "Priority": rng.choice(["Routine", "Routine", "Urgent"])}
        items.append((row, m))
    return list(items[0][0]), with_dups(items, 0.01)


ASB_TEXT = ["Group of youths gathering and shouting.", "Youths riding e-bikes on the pavement.",
            "Smell of cannabis in the stairwell.", "Music playing loudly from a car.", "Fly-tipping behind the shops.",
            "Young people climbing on garage roofs.", "Abusive to residents who asked them to move."]


def render_asb():
    tr = osr.CoordinateTransformation(W.bng, W.wgs)
    items = []
    for n, e in enumerate(events_of("asb"), 1):
        m = new_meta(e)
        p = person(e)
        code = code_for("asb", e["cat"])
        lon, lat, _ = tr.TransformPoint(e["x"], e["y"])
        slat, slon = "%.6f" % lat, "%.6f" % lon
        m.update(ex=r1(e["x"]), ey=r1(e["y"]), method="lonlat")
        r = rng.random()
        if r < 0.02:
            slat, slon = slon, slat
            m["faults"].append("swapped_lonlat")
        elif r < 0.03:
            slat, slon = "0", "0"
            m["faults"].append("zero_lonlat")
            m.update(ex="", ey="", method="reject")
        elif r < 0.045:
            slat, slon = "", ""
            m["faults"].append("missing_lonlat")
            m.update(ex="", ey="", method="reject")
        fn = sn = dob = ""
        if p:
            fn, sn = name_of(p, "ascii", m)
            dob = fmt_ymd(p["dob"])
        txt = text_for(e["cat"]) if e["cat"] in ("syv",) else rng.choice(ASB_TEXT)
        row = {"CaseRef": "ASB/%d/%04d" % (e["dt"].year, n), 
               "ReportedAt": date_fault(e["dt"], "ymd", m, {"date_future": 0.003, "date_missing": 0.003}, time=" "),
               "Lat": slat, "Long": slon, "Category": code,
               "YouthsInvolved": flag_value(rng.random() < 0.8, "YN", 0.1),
               "PersonForename": fn, "PersonSurname": sn, "PersonDOB": dob, "Description": txt,
               "Officer": rng.choice(["ASB Team", "SNT North", "SNT South", "Housing"])}
        items.append((row, m))
    return list(items[0][0]), with_dups(items, 0.01, 0.015, lambda r: dict(r, CaseRef=r["CaseRef"] + "-2",
                                                                           ReportedAt=shift_time(r["ReportedAt"], 7, "%Y-%m-%d %H:%M")))


DIST_NOTES = ["Caller reports loud music and shouting.", "Neighbours arguing in the street.", "House party, approx 40 people.",
              "Shouting and banging heard from flat.", "Youths in the garden of an empty house.", "Dog barking for hours."]
# some call handlers type a line break inside the notes field
DIST_NOTES_MULTI = ["Caller reports loud music.\nOfficers attended, advice given.",
                    "Shouting heard.\nNo answer at the door on arrival.", "Party, large group outside.\nDispersed, no arrests."]


def render_disturbance():
    items = []
    for n, e in enumerate(events_of("disturbance"), 1):
        m = new_meta(e)
        code = code_for("disturbance", None)
        row = {"Incident No": "CAD %d/%02d%02d" % (1000 + n, e["dt"].month, e["dt"].day % 100),
               "Date/Time": date_fault(e["dt"], "dmy", m, {"date_impossible": 0.005}, time=True),
               "Address": address_loc(e["x"], e["y"], m, 0.05, 0.15),
               "Type": code, "Youths Present": flag_value(code == "DIST-YOUTH" or rng.random() < 0.15, "YN", 0.1),
               "Notes": rng.choice(DIST_NOTES_MULTI if rng.random() < 0.08 else DIST_NOTES)}
        items.append((row, m))
    return list(items[0][0]), with_dups(items, 0.005, 0.02, lambda r: dict(r, **{"Incident No": r["Incident No"] + "B",
                                                                               "Date/Time": shift_time(r["Date/Time"], 9, "%d/%m/%Y %H:%M")}))


def render_domestic_abuse():
    items = []
    for n, e in enumerate(events_of("domestic_abuse"), 1):
        m = new_meta(e)
        p = person(e)
        code = code_for("domestic_abuse", e["cat"])
        fn, sn = name_of(p, "asis", m)
        dob = fmt_ymd(p["dob"])
        if rng.random() < 0.01:
            dob = ""
            m["faults"].append("dob_missing")
        risk = rng.choice(["Standard", "Standard", "Medium", "Medium", "High"])
        row = {"DA_Ref": "DA%05d" % (n * 5 + 700), "IncidentDate": date_fault(e["dt"], "ymd", m, {"date_impossible": 0.003}),
               "YP_Forename": fn, "YP_Surname": sn, "YP_DOB": dob,
               "Postcode": postcode_loc(e["x"], e["y"], m, {"lower": 0.02, "nospace": 0.02, "O0": 0.02, "missing": 0.01}),
               "RelationshipType": code, "MARAC": flag_value(risk == "High" and rng.random() < 0.8, "YN", 0.15),
               "DASH_Risk": risk}
        items.append((row, m))
    return list(items[0][0]), with_dups(items, 0.01)


def stop_variant(name, m):
    r = rng.random()
    if r < 0.7:
        return name
    if r < 0.82:
        return name.replace(" <>", "").title().replace("'S", "'s")
    if r < 0.95:
        s = name.replace(" <>", "")
        for a, b in (("ROAD", "RD"), ("STREET", "ST"), ("AVENUE", "AVE"), ("STATION", "STN"), ("GARDENS", "GDNS"),
                     ("LANE", "LN"), ("CRESCENT", "CRES")):
            s = re.sub(r"\b%s\b" % a, b, s)
        return s
    m["faults"].append("stop_typo")
    return typo(name.title())


def run_of(st, route):
    for rt, run in st["routes"]:
        if rt == route:
            return run
    return 1


def render_bus_driver_incident():
    items = []
    for n, e in enumerate(events_of("bus_driver_incident"), 1):
        m = new_meta(e)
        code = code_for("bus_driver_incident", e["cat"])
        st = e["stop"]
        route = e["route"]
        m.update(ex=st["x"], ey=st["y"], method="stop")
        stop = stop_variant(st["name"], m)
        r = rng.random()
        if r < 0.01:
            route = ""
            m["faults"].append("route_missing")
        elif r < 0.02:
            stop = rng.choice(["NOT KNOWN", "", "between stops"])
            m["faults"].append("stop_unknown")
            m.update(ex="", ey="", method="reject")
        youth = code in ("ASB-YTH", "MISS") or e["cat"] is not None or rng.random() < 0.4
        tm = e["dt"].strftime("%H:%M")
        row = {"Incident No": "BDI%06d" % (200000 + n * 3),
               "Incident Date": date_fault(e["dt"], "dmy", m, {"date_impossible": 0.003}), "Incident Time": tm,
               "Garage": rng.choice(["NB", "NB", "BG", "HL"]), "Route": route,
               "Direction": {1: "Outbound", 2: "Inbound"}[run_of(st, e["route"])], "Stop Name": stop, "Cause Code": code,
               "Youth Involved": flag_value(youth, "YN", 0.1), "Vulnerable Person": flag_value(rng.random() < 0.08, "YN", 0.1),
               "Police Called": flag_value(code in ("ASLT", "ROB", "SEXOFF"), "YN", 0.05)}
        items.append((row, m))
    return list(items[0][0]), with_dups(items, 0.015)


def render_bus_asb_form():
    items = []
    for n, e in enumerate(events_of("bus_asb_form"), 1):
        m = new_meta(e)
        code = code_for("bus_asb_form", None)
        st = e["stop"]
        r = rng.random()
        if r < 0.45:
            t = rng.choice(["on the {r} near {s}", "{s} bus stop", "at the stop by {s}", "upstairs on the {r}, {s}"])
            where = t.replace("{r}", e["route"]).replace("{s}", st["name"].replace(" <>", "").title().replace("'S", "'s"))
            m.update(ex=st["x"], ey=st["y"], method="stop")
        else:
            where = freetext_loc(e["x"], e["y"], m)
        if rng.random() < 0.03:
            where = rng.choice(["", "on the bus", "n/k"])
            m["faults"].append("location_unknown")
            m.update(ex="", ey="", method="reject")
        tm = e["dt"].strftime("%H:%M")
        if rng.random() < 0.03:
            tm = rng.choice(["about %dpm" % (e["dt"].hour - 12 if e["dt"].hour > 12 else e["dt"].hour), "after school", ""])
            m["faults"].append("time_malformed")
        sub = e["dt"] + dt.timedelta(hours=rng.randint(1, 72))
        cat = e["cat"] if e["cat"] in BUS_TEXTS else None
        row = {"Form Ref": "F%05d" % (n + 4000), "Submitted": fmt_ymd(sub, "T"), "Incident Date": fmt_ymd(e["dt"]),
               "Approx Time": tm, "Route": e["route"], "Where": where, "Form Type": code,
               "What happened": rng.choice(BUS_TEXTS[cat])}
        items.append((row, m))
    return list(items[0][0]), with_dups(items, 0.01)


def render_travel_card_withdrawn():
    items = []
    for n, e in enumerate(events_of("travel_card_withdrawn"), 1):
        m = new_meta(e)
        p = person(e)
        code = code_for("travel_card_withdrawn", e["cat"])
        fn, sn = name_of(p, "asis", m)
        route, st = nearest_stop(e["x"], e["y"])
        row = {"Case": "ZIP-%05d" % (n * 7 + 100), "Zip Card Number": sys_id(p, "zip"), "First Name": fn, "Surname": sn,
               "Date of Birth": fmt_dmy(p["dob"]), "School": p["school"]["name"] if p["school"] else "",
               "Withdrawn On": date_fault(e["dt"], "dmy", m, {"date_impossible": 0.005}), "Reason": code,
               "Route": route, "Incident Location": freetext_loc(e["x"], e["y"], m)}
        items.append((row, m))
    return list(items[0][0]), with_dups(items, 0.01)


def render_association():
    items = []
    for n, a in enumerate(sorted(W.assoc, key=lambda a: a["dt"]), 1):
        pa, pb = W.people[a["a"]], W.people[a["b"]]
        if rng.random() < 0.5:
            pa, pb = pb, pa
        e = {"kind": "association", "x": a["x"], "y": a["y"], "dt": a["dt"], "person": None, "cat": a["cat"],
             "tag": "group:" + a["group"] if a["group"] else "pair"}
        m = new_meta(e)
        m["persons"] = [pa["idx"], pb["idx"]]
        fa, sa = name_of(pa, "asis", m)
        fb, sb = name_of(pb, "asis", m)
        row = {"Assoc Ref": "AS%05d" % (n + 100), "Date Seen": date_fault(a["dt"], "dmy", m, {"date_impossible": 0.004}),
               "Source": rng.choice(["Police stop", "MASH strategy meeting", "School report", "Youth worker",
                                     "Missing return interview"]),
               "Reason": code_for("association", a["cat"]), "A Forename": fa, "A Surname": sa, "A DOB": fmt_dmy(pa["dob"]),
               "B Forename": fb, "B Surname": sb, "B DOB": fmt_dmy(pb["dob"]), "Location": freetext_loc(a["x"], a["y"], m)}
        items.append((row, m))
    return list(items[0][0]), with_dups(items, 0.02)


RENDER = {"police_referral": render_police_referral, "mash_referral": render_mash_referral, "police_uk": render_police_uk,
          "school_exclusion": render_school_exclusion, "missing_education": render_missing_education,
          "missing_school_day": render_missing_school_day, "ae_youth_worker": render_ae_youth_worker,
          "sexual_health": render_sexual_health, "camhs": render_camhs, "asb": render_asb, "disturbance": render_disturbance,
          "domestic_abuse": render_domestic_abuse, "bus_driver_incident": render_bus_driver_incident,
          "bus_asb_form": render_bus_asb_form, "travel_card_withdrawn": render_travel_card_withdrawn,
          "association": render_association}


# ------------------------------------------------------------ places of concern
@contextlib.contextmanager
def random_stream(r):
    """Runs the helpers (disc, draw_dt, text_for, ...) on the random stream r:
    what they draw inside leaves the main stream, and every row drawn from it,
    as it was."""
    global rng
    saved, rng = rng, r
    try:
        yield
    finally:
        rng = saved


def reference():
    """places_reference.py, beside this file: the places of concern's link rule and profile."""
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    import places_reference
    return places_reference


def build_places_of_concern():
    """W.poc: the places of concern in layer order (points, then sites). Draws nothing at random."""
    W.poc = []
    units = {u["pc"]: u for u in W.units}
    gaz = {p["name"]: p for p in W.places}
    for pid, name, ptype, where in POC_POINTS:
        if isinstance(where, str) and where.startswith("place:"):
            p = gaz[where[6:]]
            x, y = p["x"], p["y"]
        elif isinstance(where, str) and where.startswith("unit:"):
            _, pc, num = where.split(":")
            u = units[pc]
            if not u["num_lo"] <= int(num) <= u["num_hi"]:
                raise RuntimeError("%s: %s is not a number of unit %s" % (pid, num, pc))
            d, k, q, al = nearest_edge(u["x"], u["y"])
            x, y = r1(u["x"] + (u["x"] - q[0]) / d * 4), r1(u["y"] + (u["y"] - q[1]) / d * 4)
        else:
            x, y = offset_point(node_or_near(where[0]), where[1])
        W.poc.append({"place_id": pid, "name": name, "place_type": ptype, "kind": "point", "x": x, "y": y,
                      "geometry": "Point"})
    for pid, name, ptype, node, corners in POC_SITES:
        cs = [offset_point(node_or_near(node), off) for off in corners]
        W.poc.append({"place_id": pid, "name": name, "place_type": ptype, "kind": "polygon", "cs": cs,
                      "rings": [cs + [cs[0]]], "geometry": "Polygon"})
    W.poc_by_id = {p["place_id"]: p for p in W.poc}


def render_place_rows(n_before, refs):
    """The planted police referrals at the places of concern (POC_PLANTS), as
    (row, meta) items to append to the police referrals. Their own random
    stream; only people who already have a police id and the planted category
    (so the crosswalk and the overlap truth stay as they are), outside the
    peer groups (so the groups' contexts do too)."""
    ref = reference()
    prng = random.Random(POC_SEED)
    events = []
    with random_stream(prng):
        known = [p for p in W.people if "police" in p["ids"] and p["group"] is None]
        for pid, plants, radius, where_text in POC_PLANTS:
            pl = W.poc_by_id[pid]
            for cat, n, n_people in plants:
                pool = rng.sample([p for p in known if cat in p["cats"]], n_people)
                for k in range(n):
                    p = pool[k] if k < n_people else rng.choice(pool)  # each of the pool at least once
                    while True:
                        if pl["kind"] == "point":
                            x, y = disc(pl["x"], pl["y"], radius)
                        else:
                            xs, ys = [c[0] for c in pl["cs"]], [c[1] for c in pl["cs"]]
                            x, y = rng.uniform(min(xs), max(xs)), rng.uniform(min(ys), max(ys))
                        x, y = int(round(x)), int(round(y))  # as the referral records them
                        hit = ref.link(W.poc, x, y, POC_REACH_M)
                        if hit and W.poc[hit[0]]["place_id"] == pid and (pl["kind"] == "point" or hit[1] == 0):
                            break
                    events.append({"kind": "police_referral", "x": x, "y": y, "dt": draw_dt("youth"), "person": p["idx"],
                                   "cat": cat, "tag": "place:" + pid, "where_text": where_text})
        events.sort(key=lambda e: (e["dt"], e["tag"]))
        items = []
        for n, e in enumerate(events, n_before + 1):
            m = new_meta(e)
            p = person(e)
            code = code_for("police_referral", e["cat"])
            m.update(ex=e["x"], ey=e["y"], method="xy")
            weapon = code == "WPN" or (code in ("GBH", "ROB") and rng.random() < 0.3)
            row = {"Referral Ref": "NB%02d/%06d" % (e["dt"].year % 100, 10000 + n * 7),
                   "Date/Time Reported": fmt_dmy(e["dt"], time=True), "Easting": e["x"], "Northing": e["y"],
                   "Offence Code": code, "Weapon Flag": flag_value(weapon, "YN", 0.12),
                   "Subject PNC ID": p["ids"]["police"], "Summary": text_for(e["cat"], e["where_text"]),
                   "Officer Collar": "%s%d" % (rng.choice(["PC", "DC", "PS"]), rng.randint(100, 999))}
            if row["Referral Ref"] in refs:
                raise RuntimeError("planted referral %s repeats a reference" % row["Referral Ref"])
            cats, _, _ = classify("police_referral", fields_of("police_referral"), row)
            if cats != e["cat"]:
                raise RuntimeError("planted referral %s gives %r, not %r" % (row["Referral Ref"], cats, e["cat"]))
            items.append((row, m))
    return items


def write_places_gpkg():
    """places.gpkg: the point and the polygon layer of places of concern.
    OGR_CURRENT_DATE fixes the GeoPackage's last_change stamps, so that the
    file comes out byte for byte the same on every run."""
    path = out("places.gpkg")
    for f in (path, path + "-wal", path + "-shm"):
        if os.path.exists(f):
            os.remove(f)
    gdal.SetConfigOption("OGR_CURRENT_DATE", EXTRACT_DATE.isoformat() + "T00:00:00.000Z")
    try:
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
        for lname, kind in (("places_of_concern", "point"), ("places_of_concern_sites", "polygon")):
            lyr = ds.CreateLayer(lname, W.bng, ogr.wkbPoint if kind == "point" else ogr.wkbPolygon, options=["FID=fid"])
            for fname in ("place_id", "name", "place_type"):
                lyr.CreateField(ogr.FieldDefn(fname, ogr.OFTString))
            ds.StartTransaction()
            for p in W.poc:
                if p["kind"] != kind:
                    continue
                f = ogr.Feature(lyr.GetLayerDefn())
                for fname in ("place_id", "name", "place_type"):
                    f.SetField(fname, p[fname])
                wkt = "POINT(%.1f %.1f)" % (p["x"], p["y"]) if kind == "point" else "POLYGON(" + ring_wkt(p["rings"][0]) + ")"
                f.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
                lyr.CreateFeature(f)
            ds.CommitTransaction()
        ds = None
    finally:
        gdal.SetConfigOption("OGR_CURRENT_DATE", None)


def sample_fingerprint():
    """SHA-256 over the text inputs whose content decides where the engine puts
    each incident, and over the places of concern: the expected figures in
    truth/places_of_concern.json hold for exactly this sample."""
    h = hashlib.sha256()
    files = ["bus-sequences.csv", os.path.join("postcodes", "nb.csv")]
    for d in ("incidents", "codes"):
        files += [os.path.join(d, n) for n in sorted(os.listdir(out(d))) if not n.endswith(".xlsx")]
    for rel in files:
        h.update(rel.encode() + b"\0")
        with open(out(rel), "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    h.update(json.dumps([[p["place_id"], p["name"], p["place_type"], p.get("x"), p.get("y"), p.get("cs")] for p in W.poc]).encode())
    return h.hexdigest()


def engine_place_figures(ctxprof):
    """Runs ctxprof on the sample (any version: the places_of_concern key is not
    needed, only where the engine puts each incident) and applies the reference
    link rule to its incidents layer."""
    import subprocess
    import tempfile
    ref = reference()
    root = os.path.normpath(os.path.join(HERE, "..", ".."))
    tmp = tempfile.mkdtemp(prefix="ctxprof-places-truth-")
    try:
        outp = os.path.join(tmp, "sample.gpkg")
        r = subprocess.run([os.path.abspath(ctxprof), "run", os.path.relpath(out("sample.ini"), root), "-o", outp, "-q"],
                           cwd=root, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit("generate.py: %s run failed (%d): %s" % (ctxprof, r.returncode, r.stderr.strip()))
        version = subprocess.run([os.path.abspath(ctxprof), "--version"], capture_output=True, text=True).stdout
        incidents = ref.read_incidents(outp)
    finally:
        shutil.rmtree(tmp, True)
    places = ref.read_places(HERE, ",".join(POC_LAYERS))
    rows, links = ref.profile(places, incidents, POC_REACH_M)
    gap, edge = ref.margins(places, incidents, POC_REACH_M)
    if gap < 0.01 or edge < 0.01:
        raise SystemExit("generate.py: a place link is within 1 cm of a tie (%.6f m) or of the reach (%.6f m): "
                         "move a place of concern" % (gap, edge))
    linked = [[i["source"], i["source_row"], lk[0], round(lk[1], 6)] for i, lk in zip(incidents, links) if lk]
    return {"engine": version.splitlines()[0].strip() if version else ctxprof,
            "incidents": len(incidents), "incidents_placed": sum(1 for i in incidents if i["x"] is not None),
            "incidents_linked": len(linked), "smallest_tie_gap_m": round(gap, 3), "smallest_reach_margin_m": round(edge, 3),
            "places": rows, "links": linked}


def write_places_truth(truth_rows, ctxprof=None, kept=None):
    """truth/places_of_concern.json: the planted rows per place (from the
    generator) and the expected engine output per place (every incident within
    reach, planted or not, as the engine places it: computed from a ctxprof run
    with --ctxprof, else kept from the last such run while the sample is the same)."""
    planted = []
    for p in W.poc:
        rows = [t for t in truth_rows if t["tag"] == "place:" + p["place_id"]]
        bycat = {}
        for t in rows:
            for c in t["categories"].split("+"):
                if c:
                    bycat[c] = bycat.get(c, 0) + 1
        planted.append({"id": p["place_id"], "rows": len(rows), "by_category": dict(sorted(bycat.items())),
                        "people": len(set(t["persons"] for t in rows)),
                        "sources": sorted(set(t["source_name"] for t in rows))})
    fp = sample_fingerprint()
    doc = {
        "description": "Places of concern of the synthetic Northbrook sample (generate.py, seed %d): the planted rows per "
                       "place, and the places_of_concern layer that ctxprof run should write, computed by "
                       "places_reference.py from the incidents as the engine places them." % SEED,
        "layers": POC_LAYERS, "reach_m": POC_REACH_M,
        "link_rule": "nearest place within reach_m (a point: distance <= reach; a polygon: 0 inside or on its boundary, "
                     "else the distance to it); ties go to the first place in layer order (the layers as listed, then FID)",
        "rank_rule": "1 = most incidents (n_total); ties share the best rank (1, 2, 2, 4)",
        "planted": planted, "sample_sha256": fp,
    }
    if ctxprof:
        doc["expected"] = engine_place_figures(ctxprof)
    elif kept and kept.get("sample_sha256") == fp and "expected" in kept:
        doc["expected"] = kept["expected"]
    else:
        sys.stderr.write("generate.py: warning: truth/places_of_concern.json has no expected figures for this sample; "
                         "run generate.py --ctxprof BIN to record them\n")
    with open(out("truth", "places_of_concern.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    return doc


# ------------------------------------------------------------ writers
def srs(epsg):
    s = osr.SpatialReference()
    s.ImportFromEPSG(epsg)
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return s


def write_gpkg():
    path = out("northbrook.gpkg")
    for f in (path, path + "-wal", path + "-shm"):
        if os.path.exists(f):
            os.remove(f)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)

    def layer(name, gtype, fields):
        lyr = ds.CreateLayer(name, W.bng, gtype, options=["FID=fid"])
        for fname, ftype in fields:
            lyr.CreateField(ogr.FieldDefn(fname, ftype))
        return lyr

    def add(lyr, geom, vals):
        f = ogr.Feature(lyr.GetLayerDefn())
        for k, v in vals.items():
            if v is not None:
                f.SetField(k, v)
        f.SetGeometry(geom)
        lyr.CreateFeature(f)

    S, I = ogr.OFTString, ogr.OFTInteger
    ds.StartTransaction()
    lyr = layer("study_area", ogr.wkbPolygon, [("name", S)])
    add(lyr, W.study, {"name": "Northbrook"})
    lyr = layer("areas", ogr.wkbPolygon, [("area_code", S), ("area_name", S), ("ward", S), ("ward_code", S)])
    for a in W.areas:
        add(lyr, a["geom"], {"area_code": a["area_code"], "area_name": a["area_name"], "ward": a["ward"], "ward_code": a["ward_code"]})
    lyr = layer("schools", ogr.wkbPoint, [("school_id", S), ("name", S), ("phase", S), ("pupils", I), ("postcode", S), ("address", S)])
    for s in W.schools:
        add(lyr, ogr.CreateGeometryFromWkt("POINT(%.1f %.1f)" % (s["x"], s["y"])),
            {"school_id": s["school_id"], "name": s["name"], "phase": s["phase"], "pupils": s["pupils"],
             "postcode": s["postcode"], "address": s["address"] + ", " + s["postcode"]})
    lyr = layer("school_catchments", ogr.wkbPolygon, [("catchment_id", S), ("school_id", S), ("name", S)])
    for s in W.schools:
        add(lyr, s["catchment"], {"catchment_id": s["catchment_id"], "school_id": s["school_id"], "name": s["name"]})
    lyr = layer("parks", ogr.wkbPolygon, [("park_id", S), ("name", S), ("kind", S)])
    for pk in W.parks:
        add(lyr, pk["geom"], {"park_id": pk["park_id"], "name": pk["name"], "kind": pk["kind"]})
    lyr = layer("streets", ogr.wkbLineString, [("name", S), ("highway", S), ("street_id", I), ("district", S)])
    for k in W.edge_keys:
        e = W.edges[k]
        add(lyr, ogr.CreateGeometryFromWkt("LINESTRING(" + ",".join("%.1f %.1f" % p for p in e["cs"]) + ")"),
            {"name": e["name"], "highway": e["highway"], "street_id": e["run"] + 1, "district": e["district"]})
    lyr = layer("places", ogr.wkbPoint, [("place_id", S), ("name", S), ("kind", S), ("street", S), ("stop_code", S)])
    for pl in W.places:
        add(lyr, ogr.CreateGeometryFromWkt("POINT(%.1f %.1f)" % (pl["x"], pl["y"])),
            {"place_id": pl["place_id"], "name": pl["name"], "kind": pl["kind"], "street": pl["street"], "stop_code": pl["stop_code"]})
    ds.CommitTransaction()
    ds = None


def write_csv(path, cols, rows, encoding="utf-8", delimiter=",", crlf=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
        w.writerow(cols)
        for r in rows:
            w.writerow(["" if r.get(c) is None else r.get(c) for c in cols])


def write_geojson(path, cols, items):
    if os.path.exists(path):
        os.remove(path)
    ds = ogr.GetDriverByName("GeoJSON").CreateDataSource(path)
    lyr = ds.CreateLayer("ae_youth_worker", W.wgs, ogr.wkbPoint, options=["RFC7946=NO", "COORDINATE_PRECISION=6", "WRITE_BBOX=NO"])
    for c in cols:
        lyr.CreateField(ogr.FieldDefn(c, ogr.OFTString))
    for r, m in items:
        f = ogr.Feature(lyr.GetLayerDefn())
        for c in cols:
            if r.get(c) not in (None, ""):
                f.SetField(c, str(r[c]))
        if m.get("geom"):
            f.SetGeometry(ogr.CreateGeometryFromWkt("POINT(%.6f %.6f)" % m["geom"]))
        lyr.CreateFeature(f)
    ds = None


def write_xlsx(path, layer, cols, items):
    if os.path.exists(path):
        os.remove(path)
    ds = ogr.GetDriverByName("XLSX").CreateDataSource(path)
    lyr = ds.CreateLayer(layer, None, ogr.wkbNone)
    types = {}
    for c in cols:
        vals = [r[c] for r, _ in items if r.get(c) is not None]
        t = ogr.OFTInteger if vals and all(isinstance(v, int) for v in vals) else ogr.OFTString
        types[c] = t
        lyr.CreateField(ogr.FieldDefn(c, t))
    for r, m in items:
        f = ogr.Feature(lyr.GetLayerDefn())
        for c in cols:
            v = r.get(c)
            if v is not None and v != "":
                f.SetField(c, v)
        lyr.CreateFeature(f)
    ds = None


def write_postcodes():
    rows = []
    for u in sorted(W.units + W.pq90, key=lambda u: (u["district"], u["pc"].split(" ")[1])):
        if u["kind"] == "pq90":
            rows.append('"%s",90,0,0,"E92000001","","","","",""' % u["pc"])
        else:
            rows.append('"%s",%d,%d,%d,"E92000001","E19000003","E18000007","","E09000099","%s"' % (
                u["pc"], u["pq"], u["x"], u["y"], u["ward_code"]))
    os.makedirs(out("postcodes"), exist_ok=True)
    with open(out("postcodes", "nb.csv"), "w", encoding="ascii", newline="") as f:
        f.write("\n".join(rows) + "\n")


BUS_HEADER = ["Route", "Run", "Sequence", "Stop_Code_LBSL", "Bus_Stop_Code", "Naptan_Atco", "Stop_Name", "Location_Easting",
              "Location_Northing", "Heading", "Virtual_Bus_Stop"]


def write_bus():
    def nat(r):
        m = re.match(r"([A-Z]*)(\d+)", r)
        return (m.group(1), int(m.group(2)))
    lines = [",".join(BUS_HEADER)]
    for r in sorted(W.routes, key=lambda r: nat(r["route"])):
        for run in r["runs"]:
            for q, st in enumerate(run["stops"], 1):
                lines.append(",".join(str(v) for v in [r["route"], run["run"], q, st["lbsl"], st["code"], st["naptan"], st["name"],
                                                        int(round(st["x"])), int(round(st["y"])), st["heading"], 0]))
    # TfL's file: UTF-8 with a byte order mark, CRLF line ends, no quoting
    with open(out("bus-sequences.csv"), "w", encoding="utf-8-sig", newline="") as f:
        f.write("\r\n".join(lines) + "\r\n")


def write_codes():
    os.makedirs(out("codes"), exist_ok=True)
    for kind in INCIDENT_KINDS + ["association"]:
        with open(out("codes", kind + ".csv"), "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["code", "categories", "flags"])
            for row in CODEMAPS[kind]:
                w.writerow(row)


def write_crosswalk():
    rows = []
    for p in W.people:
        for system in ("police", "UPN", "SH", "NHS"):
            if system in p["ids"]:
                fn, sn = name_of(p, "police" if system == "police" else "asis")
                rows.append({"system": system, "system_id": p["ids"][system], "forename": fn, "surname": sn,
                             "dob": fmt_ymd(p["dob"])})
    rows.sort(key=lambda r: (r["system"], r["system_id"]))
    write_csv(out("incidents", "person_crosswalk.csv"), ["system", "system_id", "forename", "surname", "dob"], rows)
    return len(rows)


def write_key():
    key = hashlib.sha256(b"ctxprof northbrook demo key %d" % SEED).hexdigest()
    with open(out("demo.key"), "w", encoding="ascii", newline="\n") as f:
        f.write("# DEMO KEY - sample area only, never use for real data\n" + key + "\n")


def write_ini():
    L = ["; ctxprof profile for the synthetic Northbrook sample area (generated by generate.py).",
         "; Paths are relative to this file's folder.", "",
         "[profile]", "name = Northbrook sample", "crs = EPSG:27700",
         "study_area = northbrook.gpkg|layername=study_area", "output = ../../out/sample-profile.gpkg",
         "key_file = demo.key", "period_start = %s" % PERIOD_START.isoformat(), "period_end = %s" % PERIOD_END.isoformat(), "",
         "[gazetteer]", "postcodes = postcodes/nb.csv", "streets = northbrook.gpkg|layername=streets",
         "places = northbrook.gpkg|layername=places, northbrook.gpkg|layername=parks, northbrook.gpkg|layername=schools",
         "postcodes_licence = Synthetic: generated by gis-data/sample/generate.py, part of ctxprof (GPL-2.0-or-later)",
         "streets_licence = Synthetic: generated by gis-data/sample/generate.py, part of ctxprof (GPL-2.0-or-later)",
         "places_licence = Synthetic: generated by gis-data/sample/generate.py, part of ctxprof (GPL-2.0-or-later)", "",
         "[contexts]", "areas = northbrook.gpkg|layername=areas", "schools = northbrook.gpkg|layername=schools",
         "catchments = northbrook.gpkg|layername=school_catchments", "parks = northbrook.gpkg|layername=parks",
         "bus_sequences = bus-sequences.csv", "roads = northbrook.gpkg|layername=streets",
         ] + (["places_of_concern = " + ",".join(POC_LAYERS)] if POC_IN_PROFILE else
              ["; places_of_concern (enabled when the engine knows the key)",
               "; places_of_concern = " + ",".join(POC_LAYERS)]) + [""]
    for name, spec in SOURCES:
        L.append("[source.%s]" % name)
        L.append("path = %s" % spec["path"])
        L.append("kind = %s" % spec["kind"])
        for k in ("encoding", "open_options"):
            if k in spec:
                L.append("%s = %s" % (k, spec[k]))
        L.append("date_format = %s" % spec["date_format"])
        L.append("code_map = codes/%s.csv" % spec["kind"])
        for k, v in spec["field"]:
            L.append("field.%s = %s" % (k, v))
        L.append("")
    L += ["; people known to id-only systems (police, UPN, SH, NHS); here field.person_system names the column",
          "; that holds the system, as the file holds several", "[source.person_crosswalk]",
          "path = incidents/person_crosswalk.csv", "kind = crosswalk", "date_format = ymd", "field.person_system = system",
          "field.person_id = system_id", "field.forename = forename", "field.surname = surname", "field.dob = dob", ""]
    with open(out("sample.ini"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(L))


# ------------------------------------------------------------ truth
def fmt_num(v):
    return "" if v == "" or v is None else ("%.1f" % v if isinstance(v, float) else str(v))


def write_sources_and_truth():
    truth_rows = []
    per_source = {}
    W.rendered = {}
    for name, spec in SOURCES:
        kind = spec["kind"]
        cols, items = RENDER[kind]()
        if kind == "police_referral":  # the places of concern's planted rows come last
            items += render_place_rows(len(events_of(kind)), {r["Referral Ref"] for r, _ in items})
        for n, (r, m) in enumerate(items, 1):
            m["row"] = n
        W.rendered[kind] = (cols, items)
        path = out(spec["path"].split("|")[0])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        rows = [r for r, _ in items]
        if kind == "mash_referral":
            write_csv(path, cols, rows, encoding="cp1252")
        elif kind == "missing_education":
            write_csv(path, cols, rows, delimiter=";")
        elif kind == "disturbance":
            write_csv(path, cols, rows, crlf=True)
        elif kind == "sexual_health":
            write_csv(path, cols, rows, encoding="utf-8-sig")
        elif kind == "ae_youth_worker":
            write_geojson(path, cols, items)
        elif kind == "school_exclusion":
            write_xlsx(path, "Exclusions", cols, items)
        else:
            write_csv(path, cols, rows)
        fields = dict(spec["field"])
        faults = {}
        unm = set()
        for r, m in items:
            cats, flags, unmapped = classify(kind, fields, r)
            m["cats"], m["flags"] = cats, flags
            unm.update(unmapped)
            if unmapped:
                m["faults"].append("unmapped_code")
            for f in m["faults"]:
                faults.setdefault(f, []).append(m["row"])
            e = m["ev"]
            truth_rows.append({"source": kind, "source_name": name, "source_row": m["row"],
                               "record_id": "" if r.get(fields["id"]) is None else r.get(fields["id"]), "true_x": fmt_num(r1(e["x"])),
                               "true_y": fmt_num(r1(e["y"])), "expected_x": fmt_num(m["ex"]), "expected_y": fmt_num(m["ey"]),
                               "expected_method": m["method"] or "reject", "occurred_at": e["dt"].strftime("%Y-%m-%dT%H:%M"),
                               "persons": ";".join(W.people[i]["pid"] for i in m["persons"]), "categories": cats,
                               "flags": flags, "tag": e["tag"], "is_fault": "+".join(m["faults"]),
                               "dup_of_row": m["dup_of"]["row"] if m["dup_of"] else "", "unmapped_codes": ";".join(unmapped)})
        per_source[kind] = {"source": name, "file": spec["path"], "rows": len(items),
                            "faults": {k: v for k, v in sorted(faults.items())}, "unmapped_codes": sorted(unm)}
    cols = ["source", "source_name", "source_row", "record_id", "true_x", "true_y", "expected_x", "expected_y", "expected_method",
            "occurred_at", "persons", "categories", "flags", "tag", "is_fault", "dup_of_row", "unmapped_codes"]
    write_csv(out("truth", "incidents_truth.csv"), cols, truth_rows)
    return per_source, truth_rows


def overlap_truth():
    sets = {}
    for kind in INCIDENT_KINDS:
        for r, m in W.rendered[kind][1]:
            for i in m["persons"]:
                cs = [c for c in m["cats"].split("+") if c in ABUSE]
                if cs:
                    sets.setdefault(i, set()).update(cs)
    by_cat = {c: sum(1 for s in sets.values() if c in s) for c in ABUSE}
    pair = {}
    for a in range(len(ABUSE)):
        for b in range(a + 1, len(ABUSE)):
            pair[ABUSE[a] + "+" + ABUSE[b]] = sum(1 for s in sets.values() if ABUSE[a] in s and ABUSE[b] in s)
    upset = {}
    for s in sets.values():
        k = "+".join(c for c in ABUSE if c in s)
        upset[k] = upset.get(k, 0) + 1
    upset = dict(sorted(upset.items(), key=lambda kv: (-kv[1], kv[0])))
    designed = sum(1 for p in W.people if p["cats"])
    match = sum(1 for p in W.people if p["cats"] and sets.get(p["idx"], set()) == p["cats"])
    return {"people_with_any": len(sets), "by_category": by_cat, "pairwise": pair, "upset_exclusive": upset,
            "sum_of_category_lists": sum(by_cat.values()),
            "note": "computed from incident rows (not associations) with a true person, using the categories the code maps "
                    "give; faults in person fields (missing ids, name variants) are not taken out",
            "people_designed_with_categories": designed, "people_whose_rows_match_design": match}


def write_truth_json(per_source, truth_rows):
    hs = []
    for h in W.hotspots:
        planted = [t for t in truth_rows if t["tag"] == "hotspot:" + h["id"]]
        within = [t for t in truth_rows if t["source"] != "association" and t["true_x"] and
                  dist((float(t["true_x"]), float(t["true_y"])), (h["x"], h["y"])) <= h["r"]]
        bycat = {}
        for t in planted:
            for c in t["categories"].split("+"):
                if c:
                    bycat[c] = bycat.get(c, 0) + 1
        bysrc = {}
        for t in planted:
            bysrc[t["source"]] = bysrc.get(t["source"], 0) + 1
        hs.append({"id": h["id"], "anchor": h["anchor"], "x": h["x"], "y": h["y"], "radius_m": h["r"], "categories": h["cats"],
                   "n_planted_rows": len(planted), "n_planted_events": len([t for t in planted if "duplicate" not in t["is_fault"]]),
                   "planted_by_category": dict(sorted(bycat.items())), "planted_by_source": dict(sorted(bysrc.items())),
                   "n_rows_within_radius_all": len(within)})
    c = W.corridor
    crow = [t for t in truth_rows if t["tag"] == "corridor"]

    def in_window(t):
        d = dt.datetime.strptime(t["occurred_at"], "%Y-%m-%dT%H:%M")
        m = d.hour * 60 + d.minute
        return d.weekday() < 5 and (420 <= m <= 570 or 900 <= m <= 1110)
    corridor = {"school_a": {"school_id": c["a"]["school_id"], "name": c["a"]["name"]},
                "school_b": {"school_id": c["b"]["school_id"], "name": c["b"]["name"]},
                "route_length_m": round(c["len"], 1), "route_street_segments": len(c["keys"]),
                "route_streets": list(dict.fromkeys(W.edges[k]["name"] for k in c["keys"])),
                "route_wkt": "LINESTRING(" + ",".join("%.1f %.1f" % p for p in c["cs"]) + ")",
                "route_from_node": list(W.nodes[c["path"][0]]), "route_to_node": list(W.nodes[c["path"][-1]]),
                "bus_route_along_corridor": "W8",
                "n_planted_rows": len(crow), "n_planted_events": len([t for t in crow if "duplicate" not in t["is_fault"]]),
                "n_planted_weekday_school_travel": sum(1 for t in crow if in_window(t)),
                "school_travel_windows": "Mon-Fri 07:00-09:30 and 15:00-18:30",
                "planted_by_source": dict(sorted({s: sum(1 for t in crow if t["source"] == s) for s in set(t["source"] for t in crow)}.items())),
                "max_offset_from_route_m": 15,
                "note": "events within 15 m of the route centre line; bus-source rows are placed at the nearest W8 stop (8 m off the centre line)"}
    groups = []
    for g in W.groups:
        pairs = sorted(set((min(a["a"], a["b"]), max(a["a"], a["b"])) for a in W.assoc if a["group"] == g["group_id"]))
        groups.append({"group_id": g["group_id"], "members": [p["pid"] for p in g["members"]], "n_members": len(g["members"]),
                       "schools": [s["school_id"] for s in g["schools"]],
                       "member_schools": sorted(set(p["school"]["school_id"] if p["school"] else "none" for p in g["members"])),
                       "categories": g["categories"], "base": g["base"],
                       "association_pairs": [[W.people[a]["pid"], W.people[b]["pid"]] for a, b in pairs]})
    small = sorted(set((min(a["a"], a["b"]), max(a["a"], a["b"])) for a in W.assoc if a["group"] is None))
    truth = {
        "description": "Planted ground truth of the synthetic Northbrook sample (generate.py, seed %d). People are P0001.. indices only." % SEED,
        "period": [PERIOD_START.isoformat(), PERIOD_END.isoformat()],
        "population": len(W.people),
        "hotspots": hs, "corridor": corridor, "overlap": overlap_truth(),
        "peer_groups": groups,
        "other_association_pairs": {"n_pairs": len(small), "note": "pairs and chains of 3 outside the groups; no component has more than 3 people"},
        "rows_per_source": {k: v["rows"] for k, v in per_source.items()},
        "incident_rows_total": sum(v["rows"] for k, v in per_source.items() if k != "association"),
        "sources": per_source,
    }
    with open(out("truth", "truth.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(truth, f, indent=1, ensure_ascii=False)
        f.write("\n")
    return truth


# ------------------------------------------------------------ checks
PROFILE_KEYS = {"name", "crs", "study_area", "output", "key_file", "period_start", "period_end"}
SOURCE_KEYS = {"path", "kind", "encoding", "open_options", "date_format", "code_map"}
FIELD_KEYS = {"id", "date", "time", "x", "y", "srs", "lon", "lat", "postcode", "address", "location", "code", "text", "flags",
              "person_id", "forename", "surname", "dob", "person_system", "person2_id", "person2_forename",
              "person2_surname", "person2_dob", "route", "stop"}
VALUE_KEYS = {"srs", "person_system"}  # values, not column names
GAZETTEER_KEYS = {"postcodes", "streets", "places", "postcodes_licence", "streets_licence", "places_licence", "gazetteer"}
CONTEXT_KEYS = {"areas", "schools", "catchments", "parks", "bus_sequences", "bus_segments", "roads", "id_fields",
                "places_of_concern"}
TEXT_KEYS = {"postcodes_licence", "streets_licence", "places_licence", "id_fields"}  # not paths
KINDS = set(INCIDENT_KINDS) | {"association", "crosswalk"}


def open_layer(base, spec, open_options=None):
    path, _, lname = spec.partition("|layername=")
    full = os.path.normpath(os.path.join(base, path))
    if not os.path.exists(full):
        raise RuntimeError("%s does not exist" % full)
    ds = gdal.OpenEx(full, gdal.OF_VECTOR, open_options=open_options or [])
    if ds is None:
        raise RuntimeError("GDAL cannot open %s" % full)
    lyr = ds.GetLayerByName(lname) if lname else ds.GetLayer(0)
    if lyr is None:
        raise RuntimeError("%s has no layer %s" % (full, lname))
    return ds, lyr


def check_profile(ini_path, expected_rows=None):
    """Every path in the profile exists and opens; every field.* column exists; counts match the truth."""
    errors = []
    base = os.path.dirname(os.path.abspath(ini_path))
    cp = configparser.ConfigParser(interpolation=None, comment_prefixes=(";", "#"), inline_comment_prefixes=None,
                                   delimiters=("=",))
    cp.optionxform = str
    cp.read(ini_path, encoding="utf-8")
    for sec in cp.sections():
        keys = set(cp[sec])
        if sec == "profile":
            bad = keys - PROFILE_KEYS
        elif sec in ("gazetteer",):
            bad = keys - GAZETTEER_KEYS
        elif sec == "contexts":
            bad = keys - CONTEXT_KEYS
        elif sec.startswith("source."):
            bad = {k for k in keys if k not in SOURCE_KEYS and not (k.startswith("field.") and k[6:] in FIELD_KEYS)}
        else:
            bad = {"(section)"}
        if bad:
            errors.append("[%s]: unknown keys %s" % (sec, sorted(bad)))
    for k in ("study_area",):
        try:
            open_layer(base, cp["profile"][k])
        except Exception as ex:
            errors.append("[profile] %s: %s" % (k, ex))
    kf = os.path.join(base, cp["profile"]["key_file"])
    if not os.path.exists(kf) or not any(re.fullmatch(r"[0-9a-f]{64}", ln.strip()) for ln in open(kf) if not ln.startswith("#")):
        errors.append("key_file %s missing or without a 64-hex-digit key" % kf)
    for sec in ("gazetteer", "contexts"):
        for k, v in cp[sec].items():
            if k in TEXT_KEYS:
                continue
            for item in [i.strip() for i in v.split(",") if i.strip()]:  # path lists are comma-separated
                try:
                    if k in ("postcodes", "bus_sequences"):
                        if not os.path.exists(os.path.join(base, item)):
                            raise RuntimeError("missing " + item)
                    else:
                        open_layer(base, item)
                except Exception as ex:
                    errors.append("[%s] %s: %s" % (sec, k, ex))
    for sec in cp.sections():
        if not sec.startswith("source."):
            continue
        s = cp[sec]
        if s.get("kind") not in KINDS:
            errors.append("[%s] kind %r unknown" % (sec, s.get("kind")))
        if s.get("date_format") not in ("dmy", "ymd", "excel", "month"):
            errors.append("[%s] date_format %r" % (sec, s.get("date_format")))
        oo = [o.strip() for o in s.get("open_options", "").split(",") if o.strip()]
        try:
            ds, lyr = open_layer(base, s["path"], oo)
        except Exception as ex:
            errors.append("[%s] %s" % (sec, ex))
            continue
        defn = lyr.GetLayerDefn()
        names = [defn.GetFieldDefn(q).GetName() for q in range(defn.GetFieldCount())]
        for k, v in s.items():
            if not k.startswith("field."):
                continue
            f = k[6:]
            if f in VALUE_KEYS and not (s["kind"] == "crosswalk" and f == "person_system"):
                continue
            for col in v.split(","):
                if col.strip() not in names:
                    errors.append("[%s] %s: column %r not in %s (has %s)" % (sec, k, col, s["path"], names))
        if "code_map" in s:
            cm = os.path.join(base, s["code_map"])
            if not os.path.exists(cm):
                errors.append("[%s] code_map %s missing" % (sec, cm))
            elif open(cm, encoding="utf-8").readline().strip() != "code,categories,flags":
                errors.append("[%s] code_map %s: bad header" % (sec, cm))
        elif s["kind"] != "crosswalk":
            errors.append("[%s] no code_map" % sec)
        if expected_rows and s["kind"] in expected_rows:
            n = lyr.GetFeatureCount()
            if n != expected_rows[s["kind"]]:
                errors.append("[%s] OGR reads %d rows, truth says %d" % (sec, n, expected_rows[s["kind"]]))
    if errors:
        sys.stderr.write("generate.py: profile check FAILED\n" + "\n".join("  " + e for e in errors) + "\n")
        raise SystemExit(1)


def check_outputs(truth):
    errors = []
    ds = ogr.Open(out("northbrook.gpkg"))
    areas = [f.GetGeometryRef().Clone() for f in ds.GetLayerByName("areas")]
    sf = ds.GetLayerByName("study_area").GetNextFeature()
    study = sf.GetGeometryRef().Clone()
    tot = sum(a.GetArea() for a in areas)
    if abs(tot - study.GetArea()) > 0.01:
        errors.append("areas sum %.3f m2 != study area %.3f m2" % (tot, study.GetArea()))
    for i in range(len(areas)):
        if not areas[i].IsValid():
            errors.append("area %d invalid" % i)
        for j in range(i + 1, len(areas)):
            g = areas[i].Intersection(areas[j])
            if g is not None and g.GetArea() > 1e-6:
                errors.append("areas %d and %d overlap by %.6f m2" % (i, j, g.GetArea()))
    inval = []
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    for f in ds.GetLayerByName("parks"):
        if not f.GetGeometryRef().IsValid():
            inval.append(f.GetField("name"))
    gdal.PopErrorHandler()
    if inval != [INVALID_PARK]:
        errors.append("invalid parks %s, expected only %s" % (inval, INVALID_PARK))
    seen = []
    for spec in POC_LAYERS:
        try:
            pds, lyr = open_layer(HERE, spec)
        except Exception as ex:
            errors.append("places of concern: %s" % ex)
            continue
        defn = lyr.GetLayerDefn()
        names = [defn.GetFieldDefn(q).GetName() for q in range(defn.GetFieldCount())]
        for col in ("place_id", "name", "place_type"):
            if col not in names:
                errors.append("%s: no column %s" % (spec, col))
        seen += [f.GetField("place_id") for f in lyr if "place_id" in names]
    if seen != [p["place_id"] for p in W.poc]:
        errors.append("places of concern: ids %s in the layers, expected %s" % (seen, [p["place_id"] for p in W.poc]))
    with open(out("bus-sequences.csv"), encoding="utf-8-sig", newline="") as f:
        rd = list(csv.reader(f))
    if rd[0] != BUS_HEADER:
        errors.append("bus-sequences.csv header %s" % rd[0])
    if any(len(r) != 11 for r in rd):
        errors.append("bus-sequences.csv: a row without 11 columns")
    if errors:
        sys.stderr.write("generate.py: output check FAILED\n" + "\n".join("  " + e for e in errors) + "\n")
        raise SystemExit(1)


# ------------------------------------------------------------ main
def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description="Generate the synthetic Northbrook sample area.")
    ap.add_argument("--ctxprof", metavar="BIN",
                    help="a ctxprof binary (any version) to run on the sample, to record the expected places of concern "
                         "in truth/places_of_concern.json (without it, the figures recorded last are kept while the "
                         "sample is unchanged)")
    args = ap.parse_args(argv[1:])
    t0 = dt.datetime.now()
    W.bng, W.wgs = srs(27700), srs(4326)
    build_geography()
    build_people()
    build_events()
    build_places_of_concern()
    kept = None
    if os.path.exists(out("truth", "places_of_concern.json")):
        with open(out("truth", "places_of_concern.json"), encoding="utf-8") as f:
            kept = json.load(f)
    for d in ("incidents", "codes", "truth", "postcodes"):
        if os.path.isdir(out(d)):
            shutil.rmtree(out(d))
        os.makedirs(out(d))
    write_gpkg()
    write_places_gpkg()
    write_postcodes()
    write_bus()
    write_codes()
    per_source, truth_rows = write_sources_and_truth()
    n_cross = write_crosswalk()
    truth = write_truth_json(per_source, truth_rows)
    write_key()
    write_ini()
    rows = dict(truth["rows_per_source"])
    rows["crosswalk"] = n_cross
    check_profile(out("sample.ini"), rows)
    check_outputs(truth)
    places = write_places_truth(truth_rows, args.ctxprof, kept)
    print("generate.py: %d incident rows in %d sources, %d association rows, %d crosswalk rows, %d postcodes, "
          "%d street segments, %d bus stops, %d places of concern (%d planted rows%s); %.1f s" % (
              truth["incident_rows_total"], len(INCIDENT_KINDS), rows["association"], n_cross, len(W.units) + len(W.pq90),
              len(W.edges), len(W.stop_list), len(W.poc), sum(p["rows"] for p in places["planted"]),
              ", expected figures from " + places["expected"]["engine"] if args.ctxprof else "",
              (dt.datetime.now() - t0).total_seconds()))


if __name__ == "__main__":
    main(sys.argv)
