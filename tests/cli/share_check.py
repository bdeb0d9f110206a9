#!/usr/bin/python3
"""ctxprof share on the sample profile (labels cli;share).

Runs the sample profile, then `ctxprof share` with k=5, with k=5 --round 5 and
with k=200 --round 5 (which drops hotspots and corridors), and checks each
package as a partner and as an attacker would read it:

- only allow-listed layers, and in each only allow-listed columns (this test's
  own list, not the engine's); no point geometry; no pid or identity column;
- every non-NULL count is 0 or at least k (and a multiple of R when rounded;
  equal to the profile's count when not);
- every suppressed cell has its marker set, every marker set means NULL, a
  NULL without a marker was NULL in the profile;
- disclosure_log rows (primary, secondary, derived) are exactly the marked
  cells; dropped rows are exactly the features left out, which are exactly
  the hotspots and corridors with fewer than k incidents;
- an attacker who knows every published cell, the profile's column totals
  (all features, dropped ones included) and treats each row's parts as adding
  up to its total solves every equation with one unknown, iteratively: he
  recovers nothing; nor does one who combines the equations with linear
  algebra (k=5 without rounding). Both recover cells from a package with
  primary suppression only (so the attacks are real);
- the readme table and clean run_metadata (no input path); an ordinary file
  (readable by others under umask 022); usage errors.
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

from osgeo import ogr

ogr.UseExceptions()

CATS = ["cse", "syv", "hsb", "tra", "online", "missing", "exclusion", "asb", "da",
        "disturbance", "transport", "violence_all_ages", "robbery_all_ages", "weapons_all_ages",
        "public_order_all_ages", "drugs_all_ages"]
FLAGS = ["youth", "vulnerable", "weapon", "marac", "permanent", "fixed_term"]
CONTEXT = {
    "areas": ["id", "name", "ward", "ward_code", "area_ha"],
    "school_catchments": ["id", "name", "school_id", "area_ha"],
    "schools": ["id", "name", "phase", "pupils"],
    "parks": ["id", "name", "kind", "area_ha"],
    "bus_segments": ["id", "name", "routes", "n_routes", "from_stop", "to_stop", "from_code",
                     "to_code", "length_m"],
    "places_of_concern": ["id", "name", "place_type"],
}
CORRIDOR_KEEP = ["corridor_id", "school_a", "school_b", "name_a", "name_b", "length_m",
                 "network_m", "connector_a_m", "connector_b_m"]
CTX_COUNTS = ["n_total"] + ["n_" + c for c in CATS] + ["n_" + f for f in FLAGS] + ["n_people"]
COR_COUNTS = ["n_incidents"] + ["n_" + c for c in CATS[:5]] + ["n_school_travel"]


def allowed_columns(layer):
    """(kept, counts, derived) column names this test accepts per layer."""
    if layer in CONTEXT:
        return CONTEXT[layer], CTX_COUNTS, ["rate", "rank", "rate_rank"]
    if layer in ("corridors", "corridor_routes"):
        return CORRIDOR_KEEP, COR_COUNTS, ["per_km", "rank", "rank_per_km"]
    if layer == "hotspots":
        return ["hotspot_id", "rank", "area_m2", "share_area"], ["n_incidents"], \
            ["share_incidents", "pai"]
    if layer == "hotspot_gistar":
        return ["bin"], [], []
    if layer == "temporal":
        return ["context_type", "context_id", "weekday", "hour"], ["n"], []
    if layer == "disclosure_log":
        return ["layer", "column", "feature", "action", "reason"], [], []
    if layer in ("readme", "run_metadata"):
        return ["key", "value"], [], []
    if layer == "layer_styles":  # QGIS's own style table: QML of the layers, no data
        return ["id", "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column",
                "styleName", "styleQML", "styleSLD", "useAsDefault", "description", "owner",
                "ui", "update_time"], [], []
    return None


IDCOL = {"corridors": "corridor_id", "corridor_routes": "corridor_id", "hotspots": "hotspot_id"}
IDENTITY = {"pid", "person", "person_id", "name_first", "first_name", "surname", "dob",
            "date_of_birth", "incident_uid", "source_row", "location_text", "address",
            "postcode", "occurred_at", "members", "group_id", "degree", "betweenness",
            "categories", "flags", "z", "p", "peak_density"}

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def rows(db, layer):
    cur = db.execute(f'SELECT * FROM "{layer}"')
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def columns(db, layer):
    return [r[1] for r in db.execute(f'PRAGMA table_info("{layer}")')]


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def feature_key(layer, r):
    if layer == "temporal":
        h = "unknown" if r["hour"] is None else str(r["hour"])
        return f'{r["context_type"]}/{r["context_id"]}/{r["weekday"]}/{h}'
    return str(r[IDCOL.get(layer, "id")])


class Attacker:
    """Cells are (layer, feature, column); equations are lists of cells whose
    sum is known. Solves equations with one unknown until nothing changes."""

    def __init__(self):
        self.eqs = []

    def add(self, cells):
        if cells:
            self.eqs.append(list(cells))

    def attack(self, known):
        known = set(known)
        recovered = set()
        by_cell = {}
        unknown = []
        queue = []
        for e, eq in enumerate(self.eqs):
            u = 0
            for c in eq:
                by_cell.setdefault(c, []).append(e)
                u += c not in known
            unknown.append(u)
            if u == 1:
                queue.append(e)
        while queue:
            e = queue.pop()
            if unknown[e] != 1:
                continue
            cell = next(c for c in self.eqs[e] if c not in known)
            known.add(cell)
            recovered.add(cell)
            for f in by_cell[cell]:
                unknown[f] -= 1
                if unknown[f] == 1:
                    queue.append(f)
        return recovered


def linear_attack(eqs, known):
    """The stronger attacker: any linear combination of the equations. A
    suppressed cell x is determined iff its unit vector lies in the row space
    of A, the equations restricted to the unknown cells, i.e. iff the
    projection P = A^T (A A^T)^+ A has P[x, x] = 1. A A^T is small (equations
    x equations) and x's column of A has a few ones, so
    P[x, x] = sum of (A A^T)^+ over the pairs of x's equations. Per connected
    component of unknowns. Returns the determined cells."""
    import numpy as np
    unk = sorted({c for eq in eqs for c in eq if c not in known})
    idx = {c: i for i, c in enumerate(unk)}
    reduced = [sorted({idx[c] for c in eq if c in idx}) for eq in eqs]
    reduced = [e for e in reduced if e]
    parent = list(range(len(unk)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for e in reduced:
        for j in e[1:]:
            ra, rb = find(e[0]), find(j)
            if ra != rb:
                parent[ra] = rb
    by_comp = {}
    for e in reduced:
        by_comp.setdefault(find(e[0]), []).append(e)
    determined = []
    for root, rows_ in by_comp.items():
        m = len(rows_)
        cell_eqs = {}
        for r, e in enumerate(rows_):
            for j in e:
                cell_eqs.setdefault(j, []).append(r)
        G = np.zeros((m, m))
        for j, rs in cell_eqs.items():
            for a in rs:
                for b in rs:
                    G[a, b] += 1.0
        Gp = np.linalg.pinv(G, hermitian=True)
        for j, rs in cell_eqs.items():
            pxx = sum(Gp[a, b] for a in rs for b in rs)
            if pxx > 1 - 1e-6:
                determined.append(unk[j])
    return determined


def build_equations(src, layers_in_source):
    """The equations a reader may know: row parts add up to the row total;
    each column adds up to the profile's layer total; each context's temporal
    cells add up to its n_total; each weekday x hour adds up over contexts.
    Cells are keyed by the profile's features, so dropped ones are included."""
    a = Attacker()
    for layer in layers_in_source:
        if layer in CONTEXT or layer in ("corridors", "hotspots"):
            _, counts, _ = allowed_columns(layer)
            srows = rows(src, layer)
            cols = [c for c in counts if c in srows[0]] if srows else []
            total = "n_total" if layer in CONTEXT else "n_incidents"
            for r in srows:
                fid = feature_key(layer, r)
                cats = [c for c in cols if c[2:] in CATS]
                flags = [c for c in cols if c[2:] in FLAGS]
                for part in (cats, flags):
                    if part:
                        a.add([(layer, fid, total)] + [(layer, fid, c) for c in part])
            for c in cols:
                a.add([(layer, feature_key(layer, r), c) for r in srows])
    if "temporal" in layers_in_source:
        trows = rows(src, "temporal")
        present = {}
        for r in trows:
            present[(r["context_type"], r["context_id"], r["weekday"], r["hour"])] = r["n"]
        for layer in CONTEXT:
            if layer not in layers_in_source:
                continue
            ids = [r["id"] for r in rows(src, layer)]
            slots = [(wd, h) for wd in range(7) for h in list(range(24)) + [None]]
            for i in ids:
                a.add([(layer, i, "n_total")] +
                      [("temporal", f'{layer}/{i}/{wd}/{"unknown" if h is None else h}', "n")
                       for wd, h in slots])
            for wd, h in slots:
                a.add([("temporal", f'{layer}/{i}/{wd}/{"unknown" if h is None else h}', "n")
                       for i in ids])
    return a


def known_cells(pkg, layers_in_pkg, src_temporal_keys):
    """Every non-NULL published count, and the temporal zeros a reader infers
    (a context that is published, a slot that is not)."""
    known = set()
    for layer in layers_in_pkg:
        kept, counts, _ = allowed_columns(layer)
        if not counts:
            continue
        for r in rows(pkg, layer):
            fid = feature_key(layer, r)
            for c in counts:
                if c in r and r[c] is not None:
                    known.add((layer, fid, c))
    if "temporal" in layers_in_pkg:
        published = {feature_key("temporal", r) for r in rows(pkg, "temporal")}
        for key in src_temporal_keys:
            if key not in published:
                known.add(("temporal", key, "n"))
    return known


def all_temporal_keys(src, layers_in_source):
    keys = []
    for layer in CONTEXT:
        if layer not in layers_in_source:
            continue
        for r in rows(src, layer):
            for wd in range(7):
                for h in list(range(24)) + ["unknown"]:
                    keys.append(f'{layer}/{r["id"]}/{wd}/{h}')
    return keys


def check_package(ctxprof, src_path, pkg_path, k, rnd, label):
    os.umask(0o022)
    p = run([ctxprof, "share", src_path, "-o", pkg_path, "--min-count", str(k), "--round",
             str(rnd), "--json"])
    if not check(p.returncode == 0, f"{label}: exit {p.returncode}: {p.stderr}"):
        return
    summary = json.loads(p.stdout)
    check(os.stat(pkg_path).st_mode & 0o044 == 0o044,
          f"{label}: the share package is not readable by others (mode {oct(os.stat(pkg_path).st_mode)})")
    src = sqlite3.connect(src_path)
    pkg = sqlite3.connect(pkg_path)
    ds = ogr.Open(pkg_path)
    names = [ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())]
    shareable = set(CONTEXT) | {"corridors", "corridor_routes", "hotspots", "hotspot_gistar",
                                "temporal"}
    sds = ogr.Open(src_path)
    src_layers = {sds.GetLayer(i).GetName() for i in range(sds.GetLayerCount())}
    check(set(names) == (shareable & src_layers) | {"disclosure_log", "readme", "run_metadata",
                                                          "layer_styles"},
          f"{label}: layers {sorted(names)}")
    # geometry and columns
    for name in names:
        lyr = ds.GetLayerByName(name)
        gt = ogr.GT_Flatten(lyr.GetGeomType())
        check(gt not in (ogr.wkbPoint, ogr.wkbMultiPoint), f"{label}: {name} has point geometry")
        kept, counts, derived = allowed_columns(name)
        ok = set(kept) | set(counts) | set(derived) | {c + "_suppressed" for c in counts + derived}
        ok |= {"fid", "geom"}
        for c in columns(pkg, name):
            check(c in ok, f"{label}: {name}.{c} is not an allow-listed column")
            check(c.lower() not in IDENTITY, f"{label}: {name}.{c} is an identity column")
    # markers, counts and the log
    log = rows(pkg, "disclosure_log")
    logged = {(l["layer"], l["column"], l["feature"]) for l in log
              if l["action"] in ("primary", "secondary", "derived")}
    marked = set()
    n_null_cells = 0
    for name in names:
        kept, counts, derived = allowed_columns(name)
        if not counts:
            continue
        srcrows = {feature_key(name, r): r for r in rows(src, name)} if name != "temporal" else {}
        for r in rows(pkg, name):
            fid = feature_key(name, r)
            for c in counts + derived:
                if c not in r:
                    continue
                m = r.get(c + "_suppressed")
                check(m in (0, 1), f"{label}: {name} {fid} {c}: marker {m}")
                if m == 1:
                    marked.add((name, c, fid))
                    check(r[c] is None, f"{label}: {name} {fid} {c} marked but published")
                    n_null_cells += 1
                elif r[c] is None and name != "temporal":
                    check(srcrows.get(fid, {}).get(c, 0) is None,
                          f"{label}: {name} {fid} {c} NULL without a marker")
                if c in counts and r[c] is not None:
                    v = r[c]
                    check(v == 0 or v >= k, f"{label}: {name} {fid} {c} = {v} < {k}")
                    if rnd:
                        check(v % rnd == 0, f"{label}: {name} {fid} {c} = {v} not rounded")
                    elif name != "temporal":
                        check(v == srcrows[fid][c], f"{label}: {name} {fid} {c} changed")
    check(marked == logged, f"{label}: disclosure_log and markers differ: "
          f"{len(marked - logged)} marked not logged, {len(logged - marked)} logged not marked")
    check(summary["primary"] + summary["secondary"] + summary["derived"] == len(logged),
          f"{label}: summary counts differ from the log")
    # dropped features: exactly those with fewer than k incidents
    for name, idc in (("hotspots", "hotspot_id"), ("corridors", "corridor_id"),
                      ("corridor_routes", "corridor_id")):
        if name not in names:
            continue
        small = {str(r[idc]) for r in rows(src, name) if r["n_incidents"] < k}
        published = {str(r[idc]) for r in rows(pkg, name)}
        dropped = {l["feature"] for l in log if l["layer"] == name and l["action"] == "dropped"}
        check(not (small & published), f"{label}: {name} with < {k} incidents published")
        check(dropped == small, f"{label}: {name} dropped {sorted(dropped)}, expected {sorted(small)}")
        check(published | small == {str(r[idc]) for r in rows(src, name)},
              f"{label}: {name} lost features")
    if rnd:
        check(any(l["action"] == "rounded" for l in log), f"{label}: no rounded rows in the log")
    # the attacker
    layers_src = shareable & src_layers
    a = build_equations(src, layers_src)
    tkeys = all_temporal_keys(src, layers_src)
    known = known_cells(pkg, names, tkeys)
    rec = a.attack(known)
    check(not rec, f"{label}: the attacker recovered {len(rec)} suppressed cells, e.g. "
          f"{sorted(rec)[:5]}")
    check(n_null_cells > 0, f"{label}: nothing suppressed")
    if not rnd:
        det = linear_attack(a.eqs, known)
        check(not det, f"{label}: {len(det)} suppressed cells are determined by a linear "
              f"combination of the totals, e.g. {sorted(det)[:5]}")
    # readme and metadata
    readme = {r["key"]: r["value"] for r in rows(pkg, "readme")}
    for key in ("what", "made_with", "created_utc", "min_count", "round", "rule.primary",
                "rule.secondary", "audit"):
        check(key in readme, f"{label}: readme has no {key}")
    check(readme.get("min_count") == str(k) and readme.get("round") == str(rnd),
          f"{label}: readme parameters {readme.get('min_count')}, {readme.get('round')}")
    for r in rows(pkg, "run_metadata") + rows(pkg, "readme"):
        check(src_path not in r["value"] and os.path.dirname(src_path) not in r["value"],
              f"{label}: {r['key']} names the input path")
    return summary, a, tkeys


def main():
    ctxprof, root = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="ctxprof-share-")
    src_path = os.path.join(tmp, "profile.gpkg")
    p = run([ctxprof, "run", os.path.join(root, "gis-data/sample/sample.ini"), "-o", src_path,
             "--quiet"])
    if p.returncode:
        print("FAIL: ctxprof run:", p.stderr)
        return 1
    res = {}
    for k, rnd in ((5, 0), (5, 5), (200, 5)):
        label = f"k={k} round={rnd}"
        res[label] = check_package(ctxprof, src_path, os.path.join(tmp, f"share-{k}-{rnd}.gpkg"),
                                   k, rnd, label)
        if res[label]:
            s = res[label][0]
            print(f"{label}: {s['primary']} primary, {s['secondary']} secondary, "
                  f"{s['derived']} derived, {s['dropped']} dropped, {s['rounded']} rounded")
    s5 = res.get("k=5 round=0")
    if s5:
        check(s5[0]["secondary"] > 0 and s5[0]["dropped"] == 0,
              "k=5: expected secondary suppression and no drops on the sample")
        # the same attacker against a package with primary suppression only
        src = sqlite3.connect(os.path.join(tmp, "profile.gpkg"))
        a, tkeys = s5[1], s5[2]
        known = set()
        for layer in ("areas", "school_catchments", "schools", "parks", "bus_segments",
                      "corridors", "hotspots"):
            _, counts, _ = allowed_columns(layer)
            for r in rows(src, layer):
                for c in counts:
                    if c in r and r[c] is not None and not (1 <= r[c] < 5):
                        known.add((layer, feature_key(layer, r), c))
        present = {feature_key("temporal", r): r["n"] for r in rows(src, "temporal")}
        for key in tkeys:
            if not (1 <= present.get(key, 0) < 5):
                known.add(("temporal", key, "n"))
        rec = a.attack(known)
        check(len(rec) > 0, "the attacker recovers nothing even from primary suppression alone")
        det = linear_attack(a.eqs, known)
        check(set(det) >= rec, "the linear attacker misses cells the one-unknown attacker finds")
        print(f"primary suppression alone: the attacker recovers {len(rec)} cells "
              f"({len(det)} with linear algebra)")
    s200 = res.get("k=200 round=5")
    if s200:
        check(s200[0]["dropped"] > 0, "k=200: nothing dropped")
    # usage errors
    for args, code in ((["share", src_path], 2),
                       (["share", src_path, "-o", os.path.join(tmp, "x.gpkg"), "--layers",
                         "incidents"], 2),
                       (["share", src_path, "-o", os.path.join(tmp, "x.gpkg"), "--min-count",
                         "1"], 2),
                       (["share", src_path, "-o", src_path], 2),
                       (["share", os.path.join(tmp, "missing.gpkg"), "-o",
                         os.path.join(tmp, "x.gpkg")], 1)):
        p = run([ctxprof] + args)
        check(p.returncode == code, f"{args[1:]}: exit {p.returncode}, expected {code}")
        check("ctxprof:" in p.stderr, f"{args[1:]}: no message")
    check(not os.path.exists(os.path.join(tmp, "x.gpkg")), "a failed share left a file")
    p = run([ctxprof, "share", src_path, "-o", os.path.join(tmp, "sub.gpkg"), "--layers",
             "areas,temporal"])
    check(p.returncode == 0, f"--layers areas,temporal: {p.stderr}")
    if p.returncode == 0:
        ds = ogr.Open(os.path.join(tmp, "sub.gpkg"))
        got = sorted(ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount()))
        check(got == ["areas", "disclosure_log", "layer_styles", "readme", "run_metadata",
                      "temporal"],
              f"--layers areas,temporal wrote {got}")
        # the suppression pattern does not depend on --layers
        full = sqlite3.connect(os.path.join(tmp, "share-5-0.gpkg"))
        sub = sqlite3.connect(os.path.join(tmp, "sub.gpkg"))
        q = "SELECT * FROM areas ORDER BY id"
        check([r for r in full.execute(q)][:] == [r for r in sub.execute(q)],
              "--layers changes the areas suppression pattern")
    if failures:
        for f in failures[:40]:
            print("FAIL:", f)
        print(f"{len(failures)} failures")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
