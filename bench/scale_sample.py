#!/usr/bin/python3
"""Scale the Northbrook sample's incident sources to N rows, for benchmarks.

    /usr/bin/python3 bench/scale_sample.py --n 100000 -o /tmp/nb100k

Writes, into the output folder, one file per incident source of
gis-data/sample/sample.ini, plus the association file, and a profile
`scaled.ini` that points at them and, by absolute path, at the sample's
context and gazetteer layers, code maps, crosswalk and demo key.

The incident sources (every source but association and crosswalk) hold
exactly --n rows between them, shared out in proportion to the sample's
rows. Each file starts with the sample's own rows, unchanged; then come
copies with the record reference suffixed (-R1, -R2, ...), the date moved
by up to 30 days (kept inside the profile's period), and coordinates moved
by up to 40 m (eastings/northings) or 0.0005 degrees (WGS84). Postcodes,
addresses, free-text locations and person fields are copied as they are, so
the scaled data hold the same people. Values that do not parse (the sample's
deliberate faults) are copied unchanged, so fault rates stay about the same.
The association file is scaled by the same factor.

Formats and encodings are kept: delimiter, line ends, byte order mark and
encoding of each CSV, and GeoJSON stays GeoJSON. The XLSX source is written
as a UTF-8 CSV instead (one XLSX of a million rows is slow to write and to
read, and XLSX stops at 1,048,576 rows); its dates stay Excel serial numbers,
so its date_format stays `excel`.

Files are written as streams; memory holds only the sample's rows.
"""
import argparse
import configparser
import csv
import datetime as dt
import io
import json
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_INI = os.path.join(HERE, "..", "gis-data", "sample", "sample.ini")
NOT_COUNTED = {"association", "crosswalk"}
EXCEL_EPOCH = dt.date(1899, 12, 30).toordinal()


def read_ini(path):
    cp = configparser.ConfigParser(interpolation=None, comment_prefixes=(";", "#"), inline_comment_prefixes=None,
                                   delimiters=("=",))
    cp.optionxform = str
    with open(path, encoding="utf-8") as f:
        cp.read_file(f)
    return cp


def split_path(p):
    path, _, layer = p.partition("|layername=")
    return path, layer


# ------------------------------------------------------------ readers
class Table:
    """The sample rows of one source, and how to write them back the same way."""

    def __init__(self):
        self.cols = []
        self.rows = []
        self.kind = "csv"      # csv | geojson
        self.encoding = "utf-8"
        self.bom = False
        self.crlf = False
        self.delimiter = ","
        self.geojson_head = None
        self.geoms = []


def read_csv(path, encoding):
    t = Table()
    raw = open(path, "rb").read()
    t.bom = raw.startswith(b"\xef\xbb\xbf")
    t.encoding = encoding
    text = raw.decode("utf-8-sig" if t.bom else encoding)
    first = text.split("\n", 1)[0]
    t.crlf = first.endswith("\r")
    # GDAL's CSV driver takes ';' when the header line has semicolons and no commas; do the same
    t.delimiter = ";" if first.count(";") > first.count(",") else ","
    rd = csv.reader(io.StringIO(text, newline=""), delimiter=t.delimiter)
    t.cols = next(rd)
    t.rows = [r + [""] * (len(t.cols) - len(r)) for r in rd]
    return t


def read_xlsx(path, layer):
    from osgeo import gdal
    gdal.UseExceptions()
    ds = gdal.OpenEx(path, gdal.OF_VECTOR, open_options=["HEADERS=FORCE"])
    lyr = ds.GetLayerByName(layer) if layer else ds.GetLayer(0)
    defn = lyr.GetLayerDefn()
    t = Table()
    t.cols = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]
    for f in lyr:
        t.rows.append([f.GetFieldAsString(i) if f.IsFieldSetAndNotNull(i) else "" for i in range(len(t.cols))])
    return t


def read_geojson(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    t = Table()
    t.kind = "geojson"
    t.geojson_head = {k: v for k, v in doc.items() if k not in ("features",)}
    cols = []
    for feat in doc["features"]:
        for k in feat["properties"]:
            if k not in cols:
                cols.append(k)
    t.cols = cols
    for feat in doc["features"]:
        t.rows.append([feat["properties"].get(c) for c in cols])
        t.geoms.append(feat.get("geometry"))
    return t


# ------------------------------------------------------------ jitter
class Jitter:
    """Moves one source's dates and coordinates, format by format."""

    def __init__(self, fmt, period, rnd):
        self.fmt = fmt
        self.lo, self.hi = period
        self.rnd = rnd

    def day(self, o):
        s = self.rnd.randint(-30, 30)
        n = o + s
        if n < self.lo or n > self.hi:
            n = o - s
        return n

    def date(self, v):
        if v is None or v == "":
            return v
        f = self.fmt
        try:
            if f == "dmy":
                d = dt.date(int(v[6:10]), int(v[3:5]), int(v[0:2]))
                if v[2] != "/" or v[5] != "/":
                    return v
                n = dt.date.fromordinal(self.day(d.toordinal()))
                return "%02d/%02d/%04d" % (n.day, n.month, n.year) + v[10:]
            if f == "ymd":
                d = dt.date(int(v[0:4]), int(v[5:7]), int(v[8:10]))
                if v[4] != "-" or v[7] != "-":
                    return v
                n = dt.date.fromordinal(self.day(d.toordinal()))
                return "%04d-%02d-%02d" % (n.year, n.month, n.day) + v[10:]
            if f == "excel":
                o = int(v) + EXCEL_EPOCH
                return str(self.day(o) - EXCEL_EPOCH)
            if f == "month":
                y, m = int(v[0:4]), int(v[5:7])
                k = y * 12 + m - 1 + self.rnd.choice((-1, 0, 1))
                lo = dt.date.fromordinal(self.lo)
                hi = dt.date.fromordinal(self.hi)
                k = max(lo.year * 12 + lo.month - 1, min(hi.year * 12 + hi.month - 1, k))
                return "%04d-%02d" % (k // 12, k % 12 + 1)
        except (ValueError, IndexError):
            return v
        return v

    def metres(self, v):
        try:
            x = float(v)
        except (TypeError, ValueError):
            return v
        if x == 0:
            return v
        return str(int(round(x + self.rnd.uniform(-40, 40))))

    def degrees(self, v):
        try:
            x = float(v)
        except (TypeError, ValueError):
            return v
        if x == 0:
            return v
        return "%.6f" % (x + self.rnd.uniform(-0.0005, 0.0005))


# ------------------------------------------------------------ writing
def targets(counts, n):
    """Share n rows out in proportion to counts, summing exactly to n (largest remainder)."""
    tot = sum(counts.values())
    raw = {k: n * v / tot for k, v in counts.items()}
    res = {k: int(v) for k, v in raw.items()}
    left = n - sum(res.values())
    for k in sorted(raw, key=lambda k: -(raw[k] - res[k]))[:left]:
        res[k] += 1
    return res


def scale_rows(t, fields, fmt, period, target, seed):
    """Yield target rows: the sample's rows, then jittered copies."""
    rnd = random.Random(seed)
    j = Jitter(fmt, period, rnd)
    idx = {c: i for i, c in enumerate(t.cols)}
    col = lambda key: idx.get(fields.get(key, ""), None)
    i_id, i_date = col("id"), col("date")
    i_x, i_y, i_lon, i_lat = col("x"), col("y"), col("lon"), col("lat")
    m = len(t.rows)
    for k in range(target):
        src = t.rows[k % m]
        geom = t.geoms[k % m] if t.geoms else None
        if k < m:
            yield src, geom
            continue
        rep = k // m
        r = list(src)
        if i_id is not None and r[i_id] not in (None, ""):
            r[i_id] = "%s-R%d" % (r[i_id], rep)
        if i_date is not None:
            r[i_date] = j.date(r[i_date])
        for i in (i_x, i_y):
            if i is not None:
                r[i] = j.metres(r[i])
        for i in (i_lon, i_lat):
            if i is not None:
                r[i] = j.degrees(r[i])
        if geom and geom.get("coordinates"):
            c = geom["coordinates"]
            geom = {"type": geom["type"], "coordinates": [round(c[0] + rnd.uniform(-0.0005, 0.0005), 6),
                                                          round(c[1] + rnd.uniform(-0.0005, 0.0005), 6)]}
        yield r, geom


def write_csv(path, t, rows, encoding=None, delimiter=None, crlf=None, bom=None):
    enc = encoding or t.encoding
    bom = t.bom if bom is None else bom
    with open(path, "w", encoding=("utf-8-sig" if bom else enc), newline="", buffering=1 << 20) as f:
        w = csv.writer(f, delimiter=delimiter or t.delimiter,
                       lineterminator="\r\n" if (t.crlf if crlf is None else crlf) else "\n")
        w.writerow(t.cols)
        w.writerows(["" if v is None else v for v in r] for r, _ in rows)


def write_geojson(path, t, rows):
    with open(path, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as f:
        head = dict(t.geojson_head)
        f.write('{\n"type": "FeatureCollection",\n')
        for k, v in head.items():
            if k != "type":
                f.write("%s: %s,\n" % (json.dumps(k), json.dumps(v)))
        f.write('"features": [\n')
        first = True
        for r, g in rows:
            props = {c: v for c, v in zip(t.cols, r) if v is not None}
            feat = {"type": "Feature", "properties": props, "geometry": g}
            f.write(("" if first else ",\n") + json.dumps(feat, ensure_ascii=False))
            first = False
        f.write("\n]\n}\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, required=True, help="total incident rows to write (e.g. 10000, 100000, 1000000)")
    ap.add_argument("-o", "--output", required=True, help="output folder (created)")
    ap.add_argument("--profile", default=DEFAULT_INI, help="sample profile to scale (default: gis-data/sample/sample.ini)")
    ap.add_argument("--seed", type=int, default=20261128)
    a = ap.parse_args(argv)
    if a.n < 1:
        ap.error("--n must be positive")
    t0 = time.time()
    ini = os.path.abspath(a.profile)
    base = os.path.dirname(ini)
    outdir = os.path.abspath(a.output)
    os.makedirs(outdir, exist_ok=True)
    cp = read_ini(ini)
    period = (dt.date.fromisoformat(cp["profile"]["period_start"]).toordinal(),
              dt.date.fromisoformat(cp["profile"]["period_end"]).toordinal())

    tables = {}
    for sec in cp.sections():
        if not sec.startswith("source."):
            continue
        s = cp[sec]
        if s["kind"] == "crosswalk":
            continue
        path, layer = split_path(s["path"])
        full = os.path.join(base, path)
        ext = os.path.splitext(path)[1].lower()
        if ext == ".xlsx":
            t = read_xlsx(full, layer)
        elif ext in (".geojson", ".json"):
            t = read_geojson(full)
        else:
            t = read_csv(full, s.get("encoding", "utf-8").lower().replace("cp1252", "cp1252"))
        tables[sec] = (t, ext)
    counts = {sec: len(t.rows) for sec, (t, _) in tables.items() if cp[sec]["kind"] not in NOT_COUNTED}
    total = sum(counts.values())
    tg = targets(counts, a.n)
    factor = a.n / total
    for sec, (t, _) in tables.items():
        if sec not in tg:
            tg[sec] = max(1, int(round(len(t.rows) * factor)))

    absp = lambda p: os.path.normpath(os.path.join(base, p))

    def abs_layer(v):
        path, layer = split_path(v)
        return absp(path) + ("|layername=" + layer if layer else "")

    lines = ["; scaled copy of %s: %d incident rows (bench/scale_sample.py --n %d)" % (ini, a.n, a.n), ""]
    lines += ["[profile]"]
    for k, v in cp["profile"].items():
        if k == "output":
            v = os.path.join(outdir, "scaled-profile.gpkg")
        elif k in ("study_area", "key_file"):
            v = abs_layer(v)
        elif k == "name":
            v = "%s, scaled to %d" % (v, a.n)
        lines.append("%s = %s" % (k, v))
    for sec in ("gazetteer", "contexts"):
        lines += ["", "[%s]" % sec]
        for k, v in cp[sec].items():
            if k.endswith("_licence") or k == "id_fields":  # text, not paths
                lines.append("%s = %s" % (k, v))
            else:  # a path, or a comma-separated list of paths
                lines.append("%s = %s" % (k, ", ".join(abs_layer(x.strip()) for x in v.split(","))))
    written = {}
    for sec in cp.sections():
        if not sec.startswith("source."):
            continue
        s = cp[sec]
        lines += ["", "[%s]" % sec]
        if s["kind"] == "crosswalk":
            for k, v in s.items():
                lines.append("%s = %s" % (k, abs_layer(v) if k in ("path", "code_map") else v))
            continue
        t, ext = tables[sec]
        fields = {k[6:]: v for k, v in s.items() if k.startswith("field.")}
        path, _ = split_path(s["path"])
        name = os.path.basename(path)
        if ext == ".xlsx":
            name = os.path.splitext(name)[0] + ".csv"
        dst = os.path.join(outdir, name)
        seed = a.seed + sum(map(ord, sec))
        rows = scale_rows(t, fields, s["date_format"], period, tg[sec], seed)
        if ext == ".xlsx":
            write_csv(dst, t, rows, encoding="utf-8", delimiter=",", crlf=False, bom=False)
        elif t.kind == "geojson":
            write_geojson(dst, t, rows)
        else:
            write_csv(dst, t, rows)
        written[sec] = tg[sec]
        for k, v in s.items():
            if k == "path":
                v = dst
            elif k == "code_map":
                v = absp(v)
            elif k == "open_options" and ext == ".xlsx":
                continue  # the CSV needs none
            lines.append("%s = %s" % (k, v))
    with open(os.path.join(outdir, "scaled.ini"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    n_inc = sum(v for sec, v in written.items() if cp[sec]["kind"] not in NOT_COUNTED)
    for sec, v in written.items():
        print("%-32s %9d rows" % (sec, v))
    print("incident rows %d (asked %d), %.1f s -> %s" % (n_inc, a.n, time.time() - t0, os.path.join(outdir, "scaled.ini")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
