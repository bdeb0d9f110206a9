#!/usr/bin/python3
"""PostGIS output of `ctxprof run` against a private PostgreSQL 15 + PostGIS 3.

Starts its own cluster (initdb into a temporary folder, a unix socket in that
folder, no TCP), runs the sample profile into it and into a GeoPackage, and
checks:

  * the same layers, fields, row counts, attribute values and geometries
    (coordinates within 1e-6) in both, fid by fid, and the same run_metadata
    but for the keys that name the run itself (time, arguments, output);
  * the density raster, written as GeoTIFF beside the database and named in
    run_metadata, is the GeoPackage's raster cell for cell;
  * a second run replaces the schema as a whole (a stale table is gone, the
    tables are new, nothing is doubled);
  * a run that fails mid-way (a planted event trigger refuses the hotspots
    table after earlier layers were written), and a run killed with SIGKILL
    mid-way, leave the earlier schema and raster exactly as they were;
  * connection errors are clear and never echo the password; a database
    without PostGIS, a schema ctxprof did not write and a bad schema name are
    refused with a message.

Exits 77 (skipped) only when the PostgreSQL 15 binaries are not installed
(.ci/install-deps postgis installs them). Uses Debian's /usr/bin/python3 for
osgeo.ogr.
"""
import argparse
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PGBIN = "/usr/lib/postgresql/15/bin"
SKIP = 77
DB = "ctxprof_test"
USER = "ctxprof"
SECRET = "not-a-real-secret-7f3a9c"  # trust auth ignores it; it must never be shown
SCHEMA = "northbrook_sample"  # made from the sample profile's name
# run_metadata keys that describe the run itself, not its results.
RUN_KEYS = ("created_at", "arguments", "time.")
PG_ONLY_KEYS = ("output.pg_schema", "raster.hotspot_density.path")
# QGIS's styles table is not results: QGIS keeps PostGIS styles in its own
# public.layer_styles, so the GeoPackage's may have no counterpart.
NOT_COMPARED = {"layer_styles"}

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)
    return cond


class Cluster:
    """A throwaway PostgreSQL cluster on a unix socket in a private folder."""

    def __init__(self, root):
        self.root = root
        self.data = os.path.join(root, "data")
        self.sock = os.path.join(root, "sock")
        self.log = os.path.join(root, "server.log")
        self.started = False
        # initdb and postgres refuse to run as root: run them as postgres.
        self.prefix = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(root, pw.pw_uid, pw.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        os.mkdir(self.sock)
        if self.prefix:
            os.chown(self.sock, pw.pw_uid, pw.pw_gid)

    def run(self, *cmd):
        subprocess.run(self.prefix + list(cmd), check=True, cwd=self.root,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self):
        self.run(f"{PGBIN}/initdb", "-D", self.data, "-U", USER, "--auth=trust",
                 "-E", "UTF8", "--no-sync", "--no-instructions", "--wal-segsize=1")
        self.run(f"{PGBIN}/pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60",
                 "-o", f"-k {self.sock} -c listen_addresses='' -c fsync=off "
                 "-c wal_level=minimal -c max_wal_senders=0", "start")
        self.started = True

    def stop(self):
        if self.started:
            subprocess.run(self.prefix + [f"{PGBIN}/pg_ctl", "-D", self.data, "-m", "fast",
                                          "-w", "stop"],
                           cwd=self.root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.started = False

    def conninfo(self, db=DB):
        return f"dbname={db} host={self.sock} user={USER}"

    def sql(self, query, db=DB, check_rc=True):
        r = subprocess.run([f"{PGBIN}/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                            "-h", self.sock, "-U", USER, "-d", db, "-c", query],
                           capture_output=True, text=True)
        if check_rc and r.returncode != 0:
            raise RuntimeError(f"psql: {query}: {r.stderr}")
        return r.stdout.strip()


def scratch_root():
    """Memory (/dev/shm) when there is room: a cluster is 1500 files that a
    busy disk is slow to write and remove. Else /tmp when root, since the
    postgres user must reach the folder ($TMPDIR may be private)."""
    try:
        st = os.statvfs("/dev/shm")
        if st.f_bavail * st.f_frsize > 1 << 30 and os.access("/dev/shm", os.W_OK):
            return "/dev/shm"
    except OSError:
        pass
    return "/tmp" if os.geteuid() == 0 else None


def run_ctxprof(args, ctxprof, root):
    return subprocess.run([ctxprof] + args, cwd=root, capture_output=True, text=True)


def vector_layers(ds):
    out = {}
    for i in range(ds.GetLayerCount()):
        lyr = ds.GetLayer(i)
        out[lyr.GetName()] = lyr
    return out


def coords(g):
    """Geometry as (type name, nested coordinate lists)."""
    if g is None:
        return None
    if g.GetGeometryCount():
        return (g.GetGeometryName(), [coords(g.GetGeometryRef(i)) for i in range(g.GetGeometryCount())])
    return (g.GetGeometryName(), g.GetPoints() or [])


def same_coords(a, b, tol=1e-6):
    if a is None or b is None:
        return a is None and b is None
    if a[0] != b[0] or len(a[1]) != len(b[1]):
        return False
    for x, y in zip(a[1], b[1]):
        if isinstance(x, tuple) and isinstance(x[0], str):
            if not same_coords(x, y, tol):
                return False
        elif len(x) != len(y) or any(abs(u - v) > tol for u, v in zip(x, y)):
            return False
    return True


def same_value(a, b):
    """Equal, but for Real values, which GDAL 3.6's PostgreSQL driver sends
    with 15 significant digits (OGR_F_GetFieldAsString's %.15g)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or abs(a - b) <= 1e-14 * max(abs(a), abs(b))
    return a == b


def read_rows(lyr):
    from osgeo import ogr
    defn = lyr.GetLayerDefn()
    fields = [defn.GetFieldDefn(i) for i in range(defn.GetFieldCount())]
    names = [fd.GetName() for fd in fields]
    # The typed getters: Feature.GetField's dispatch is three times slower.
    typed = {ogr.OFTReal: ogr.Feature.GetFieldAsDouble, ogr.OFTString: ogr.Feature.GetFieldAsString,
             ogr.OFTInteger: ogr.Feature.GetFieldAsInteger64,
             ogr.OFTInteger64: ogr.Feature.GetFieldAsInteger64}
    getters = list(enumerate(typed.get(fd.GetType(), ogr.Feature.GetField) for fd in fields))
    lyr.ResetReading()
    rows = []
    for f in lyr:
        vals = [get(f, i) if f.IsFieldSetAndNotNull(i) else None for i, get in getters]
        rows.append((f.GetFID(), vals, coords(f.GetGeometryRef())))
    rows.sort(key=lambda r: r[0])
    return names, rows


def compare_layer(name, g, p):
    gd, pd = g.GetLayerDefn(), p.GetLayerDefn()
    from osgeo import ogr
    check(ogr.GT_Flatten(g.GetGeomType()) == ogr.GT_Flatten(p.GetGeomType()),
          f"{name}: geometry type {ogr.GeometryTypeToName(g.GetGeomType())} vs "
          f"{ogr.GeometryTypeToName(p.GetGeomType())}")
    gf = [(gd.GetFieldDefn(i).GetName(), gd.GetFieldDefn(i).GetType()) for i in range(gd.GetFieldCount())]
    pf = [(pd.GetFieldDefn(i).GetName(), pd.GetFieldDefn(i).GetType()) for i in range(pd.GetFieldCount())]
    if not check(gf == pf, f"{name}: fields differ: {gf} vs {pf}"):
        return
    gn, grows = read_rows(g)
    pn, prows = read_rows(p)
    if not check(len(grows) == len(prows), f"{name}: {len(grows)} rows in the GeoPackage, {len(prows)} in PostGIS"):
        return
    bad = 0
    for (gfid, gv, gg), (pfid, pv, pg) in zip(grows, prows):
        if gfid != pfid or not all(map(same_value, gv, pv)) or not same_coords(gg, pg):
            bad += 1
            if bad <= 3:
                diff = [(n, a, b) for n, a, b in zip(gn, gv, pv) if not same_value(a, b)]
                check(False, f"{name}: fid {gfid}/{pfid} differs: {diff[:4]} "
                             f"geometry equal: {same_coords(gg, pg)}")
    check(bad == 0, f"{name}: {bad} of {len(grows)} rows differ")
    return len(grows)


def metadata(lyr):
    lyr.ResetReading()
    return {f.GetField("key"): f.GetField("value") for f in lyr}


def pg_open(cluster, schema=SCHEMA):
    from osgeo import gdal
    return gdal.OpenEx(f"PG:{cluster.conninfo()} schemas={schema}", gdal.OF_VECTOR,
                       open_options=["LIST_ALL_TABLES=YES"])  # the tables too


def snapshot(cluster, schema=SCHEMA):
    """Tables of the schema with their oid and row count, and its run's time."""
    rows = cluster.sql(
        "SELECT c.relname || '|' || c.oid || '|' || "
        "(xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', "
        "n.nspname, c.relname), false, true, '')))[1]::text "
        f"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE n.nspname = '{schema}' AND c.relkind = 'r' ORDER BY 1")
    tables = {}
    for line in rows.splitlines():
        name, oid, n = line.split("|")
        tables[name] = (int(oid), int(n))
    created = cluster.sql(f"SELECT value FROM {schema}.run_metadata WHERE key = 'created_at'") \
        if "run_metadata" in tables else None
    return tables, created


def schemas(cluster):
    return set(cluster.sql("SELECT nspname FROM pg_namespace").split())


def file_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctxprof", required=True)
    ap.add_argument("--root", required=True, help="the source tree (gis-data/sample)")
    args = ap.parse_args()
    ctxprof = os.path.abspath(args.ctxprof)
    root = os.path.abspath(args.root)
    for exe in ("initdb", "pg_ctl", "postgres", "psql"):
        if not os.access(f"{PGBIN}/{exe}", os.X_OK):
            print(f"skipped: {PGBIN}/{exe} is not installed (.ci/install-deps postgis)")
            return SKIP
    from osgeo import gdal, ogr
    gdal.UseExceptions()
    t0 = time.time()
    tmp = tempfile.mkdtemp(prefix="ctxprof-pg-", dir=scratch_root())
    cluster = Cluster(tmp)
    try:
        cluster.start()
        cluster.sql(f"CREATE DATABASE {DB}", db="postgres")
        cluster.sql("CREATE EXTENSION postgis")
        print(f"cluster up in {time.time() - t0:.1f} s", flush=True)
        profile = "gis-data/sample/sample.ini"
        gpkg = os.path.join(tmp, "sample.gpkg")
        rasters = os.path.join(tmp, "rasters")
        target = f"PG:{cluster.conninfo()} password={SECRET}"

        r = run_ctxprof(["run", profile, "-o", gpkg], ctxprof, root)
        if not check(r.returncode == 0, f"GeoPackage run failed: {r.stderr}"):
            return 1
        r = run_ctxprof(["run", profile, "-o", target, "--raster-dir", rasters], ctxprof, root)
        t_first = time.time()
        if not check(r.returncode == 0, f"PostGIS run failed: {r.stderr}"):
            return 1
        check(SECRET not in r.stdout + r.stderr, "the password is shown by a successful run")
        check(f"password=***, schema {SCHEMA}" in r.stdout,
              f"the summary names the output without its password: {r.stdout[:300]}")
        print(f"runs done at {time.time() - t0:.1f} s", flush=True)

        # Row for row against the GeoPackage.
        g = gdal.OpenEx(gpkg, gdal.OF_VECTOR)
        p = pg_open(cluster)
        gl, pl = vector_layers(g), vector_layers(p)
        check(set(gl) - NOT_COMPARED == set(pl) - NOT_COMPARED,
              f"layers differ: only GeoPackage {sorted(set(gl) - set(pl))}, "
              f"only PostGIS {sorted(set(pl) - set(gl))}")
        check(len(pl) >= 15, f"only {len(pl)} layers in PostGIS")
        total = 0
        for name in sorted(set(gl) & set(pl) - NOT_COMPARED):
            if name != "run_metadata":
                total += compare_layer(name, gl[name], pl[name]) or 0
        gm, pm = metadata(gl["run_metadata"]), metadata(pl["run_metadata"])
        run_key = lambda k: k.startswith(RUN_KEYS)
        check({k: v for k, v in gm.items() if not run_key(k)} ==
              {k: v for k, v in pm.items() if not run_key(k) and k not in PG_ONLY_KEYS},
              "run_metadata differs beyond the run's own keys: " + str(sorted(
                  set((k, v) for k, v in gm.items() if not run_key(k)) ^
                  set((k, v) for k, v in pm.items() if not run_key(k) and k not in PG_ONLY_KEYS)))[:600])
        check(pm.get("output.pg_schema") == SCHEMA, f"output.pg_schema is {pm.get('output.pg_schema')}")
        check(SECRET not in str(pm) and "password=***" in pm.get("arguments", ""),
              f"run_metadata arguments: {pm.get('arguments')}")
        tif = pm.get("raster.hotspot_density.path", "")
        check(tif == os.path.join(os.path.realpath(rasters), f"{SCHEMA}.hotspot_density.tif"),
              f"raster path in run_metadata: {tif}")
        print(f"compared {len(pl)} layers, {total} rows at {time.time() - t0:.1f} s", flush=True)

        # The raster, cell for cell.
        gr = gdal.Open(f"GPKG:{gpkg}:hotspot_density")
        tr = gdal.Open(tif)
        check((gr.RasterXSize, gr.RasterYSize) == (tr.RasterXSize, tr.RasterYSize),
              "raster sizes differ")
        check(all(abs(a - b) < 1e-9 for a, b in zip(gr.GetGeoTransform(), tr.GetGeoTransform())),
              f"geotransforms differ: {gr.GetGeoTransform()} vs {tr.GetGeoTransform()}")
        gb, tb = gr.GetRasterBand(1), tr.GetRasterBand(1)
        check(tb.DataType == gdal.GDT_Float32, "the GeoTIFF is not Float32")
        check(gb.GetNoDataValue() == tb.GetNoDataValue(), "NoData differs")
        check(gb.ReadRaster(buf_type=gdal.GDT_Float32) == tb.ReadRaster(buf_type=gdal.GDT_Float32),
              "raster cells differ")
        srs_g, srs_t = gr.GetSpatialRef(), tr.GetSpatialRef()
        check(srs_g is not None and srs_t is not None and srs_g.IsSame(srs_t), "raster CRS differs")
        gr = tr = g = p = gl = pl = None

        first, created1 = snapshot(cluster)
        tif_bytes = file_bytes(tif)

        # A run killed mid-way (held by a planted sleep when it creates the
        # hotspots table) leaves the schema and raster as they were.
        cluster.sql("""
            CREATE FUNCTION hold_hotspots() RETURNS event_trigger LANGUAGE plpgsql AS $$
            DECLARE r record;
            BEGIN
              FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
                IF r.command_tag = 'CREATE TABLE' AND r.object_identity LIKE '%\\_\\_new.hotspots' THEN
                  PERFORM pg_sleep(60);
                END IF;
              END LOOP;
            END $$;
            CREATE EVENT TRIGGER hold_hotspots ON ddl_command_end EXECUTE FUNCTION hold_hotspots();""")
        proc = subprocess.Popen([ctxprof, "run", profile, "-o", target, "--raster-dir", rasters],
                                cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        held = False
        for _ in range(1200):
            if cluster.sql("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'") == "1":
                held = True
                break
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        cluster.sql("DROP EVENT TRIGGER hold_hotspots; DROP FUNCTION hold_hotspots()")
        cluster.sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{DB}' AND pid <> pg_backend_pid()")
        check(held, "the killed run never reached the hotspots table")
        killed, created = snapshot(cluster)
        check(killed == first and created == created1, "a killed run changed the earlier schema")
        check(file_bytes(tif) == tif_bytes, "a killed run changed the earlier raster")
        check(f"{SCHEMA}__new" in schemas(cluster), "the killed run had no staging schema")
        # Its temporary raster stays (hidden, beside the real one) as a
        # killed GeoPackage run's temporary file does.
        left = [f for f in os.listdir(rasters) if f != os.path.basename(tif)]
        check(all(f.startswith(f".{SCHEMA}.hotspot_density.tif.tmp-") for f in left),
              f"the killed run left {left} in the raster folder")
        for f in left:
            os.unlink(os.path.join(rasters, f))
        print(f"killed run checked at {time.time() - t0:.1f} s", flush=True)

        # The next run replaces the schema as a whole and clears the killed
        # run's staging schema. It names the schema in the connection string
        # (GDAL's active_schema=), as one may.
        cluster.sql(f"CREATE TABLE {SCHEMA}.stale_from_an_older_version (x int)")
        time.sleep(max(0.0, 1.05 - (time.time() - t_first)))  # created_at has whole seconds
        r = run_ctxprof(["run", profile, "-o", f"{target} active_schema={SCHEMA}",
                         "--raster-dir", rasters], ctxprof, root)
        check(r.returncode == 0, f"second PostGIS run failed: {r.stderr}")
        after, created2 = snapshot(cluster)
        check(set(after) == set(first), f"tables after the re-run: {sorted(set(after) ^ set(first))}")
        check(all(after[t][1] == first[t][1] for t in first if t in after and t != "run_metadata"),
              "row counts changed on a re-run")
        check(all(after[t][0] != first[t][0] for t in first if t in after), "tables were not replaced")
        check(created2 and created2 != created1, "run_metadata was not replaced")
        check(f"{SCHEMA}__new" not in schemas(cluster), "the staging schema is left behind")
        check(file_bytes(tif) == tif_bytes, "the re-run's raster differs")
        check(os.listdir(rasters) == [os.path.basename(tif)],
              f"the re-run left files in the raster folder: {os.listdir(rasters)}")
        os.utime(tif, (0, 0))

        # A run that fails mid-way leaves the schema and raster alone.
        cluster.sql("""
            CREATE FUNCTION refuse_hotspots() RETURNS event_trigger LANGUAGE plpgsql AS $$
            DECLARE r record; n int;
            BEGIN
              FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
                IF r.command_tag = 'CREATE TABLE' AND r.object_identity LIKE '%\\_\\_new.hotspots' THEN
                  SELECT count(*) INTO n FROM pg_tables WHERE schemaname = r.schema_name;
                  RAISE EXCEPTION 'planted failure after % tables', n;
                END IF;
              END LOOP;
            END $$;
            CREATE EVENT TRIGGER refuse_hotspots ON ddl_command_end EXECUTE FUNCTION refuse_hotspots();""")
        r = run_ctxprof(["run", profile, "-o", target, "--raster-dir", rasters], ctxprof, root)
        cluster.sql("DROP EVENT TRIGGER refuse_hotspots; DROP FUNCTION refuse_hotspots()")
        check(r.returncode == 1, f"the planted failure gave exit {r.returncode}")
        check("planted failure after" in r.stderr and "hotspots" in r.stderr,
              f"the failure is not named: {r.stderr[-400:]}")
        n_written = int(r.stderr.split("planted failure after ")[1].split()[0]) \
            if "planted failure after " in r.stderr else 0
        check(n_written >= 10, f"the failure came after only {n_written} tables, not mid-way")
        check(SECRET not in r.stderr, "the password is shown by a failed run")
        check("CREATE TABLE" not in r.stderr and len(r.stderr.strip().splitlines()[-1]) < 400,
              f"the failure quotes SQL or spans lines: {r.stderr[-400:]}")
        failed, created3 = snapshot(cluster)
        check(failed == after and created3 == created2, "a failed run changed the earlier schema")
        check(f"{SCHEMA}__new" not in schemas(cluster), "a failed run left its staging schema")
        check(os.stat(tif).st_mtime == 0 and file_bytes(tif) == tif_bytes,
              "a failed run changed the earlier raster")
        check(os.listdir(rasters) == [os.path.basename(tif)],
              f"a failed run left files in the raster folder: {os.listdir(rasters)}")
        print(f"re-run and failed run checked at {time.time() - t0:.1f} s", flush=True)

        # Refusals with clear messages.
        bad = f"PG:dbname=no_such_db host={cluster.sock} user={USER} password={SECRET}"
        r = run_ctxprof(["run", profile, "-o", bad], ctxprof, root)
        check(r.returncode == 1 and "cannot connect to PostgreSQL" in r.stderr
              and "no_such_db" in r.stderr and "password=***" in r.stderr,
              f"connection error: exit {r.returncode}: {r.stderr[-300:]}")
        check(SECRET not in r.stdout + r.stderr, "a connection error shows the password")
        r = run_ctxprof(["run", profile, "-o", f"PG:{cluster.conninfo('postgres')}"], ctxprof, root)
        check(r.returncode == 1 and "no PostGIS" in r.stderr and "CREATE EXTENSION postgis" in r.stderr,
              f"a database without PostGIS: exit {r.returncode}: {r.stderr[-300:]}")
        cluster.sql("CREATE SCHEMA analyst_work; CREATE TABLE analyst_work.notes (x int); "
                    "INSERT INTO analyst_work.notes VALUES (1)")
        r = run_ctxprof(["run", profile, "-o", target, "--pg-schema", "analyst_work"], ctxprof, root)
        check(r.returncode == 1 and "not written by ctxprof" in r.stderr,
              f"a foreign schema: exit {r.returncode}: {r.stderr[-300:]}")
        check(cluster.sql("SELECT count(*) FROM analyst_work.notes") == "1", "a foreign schema was touched")
        r = run_ctxprof(["run", profile, "-o", target, "--pg-schema", "Bad-Name"], ctxprof, root)
        check(r.returncode == 1 and "Bad-Name" in r.stderr and "lowercase" in r.stderr,
              f"a bad schema name: exit {r.returncode}: {r.stderr[-300:]}")
        r = run_ctxprof(["run", profile, "-o", target, "--pg-schema", "public"], ctxprof, root)
        check(r.returncode == 1 and "not ctxprof's to replace" in r.stderr,
              f"schema public: exit {r.returncode}: {r.stderr[-300:]}")
        r = run_ctxprof(["run", profile, "-o", gpkg, "--pg-schema", "x"], ctxprof, root)
        check(r.returncode == 2 and "PostGIS output" in r.stderr,
              f"--pg-schema with a GeoPackage: exit {r.returncode}: {r.stderr[-300:]}")
        # One writer per schema: a run is refused while another holds the
        # schema's lock (here a psql session holding the same advisory lock).
        holder = subprocess.Popen(
            [f"{PGBIN}/psql", "-X", "-q", "-h", cluster.sock, "-U", USER, "-d", DB, "-c",
             f"SELECT pg_advisory_lock(1668577392, hashtext('{SCHEMA}')); SELECT pg_sleep(60)"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(400):
            if cluster.sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted") == "1":
                break
            time.sleep(0.05)
        r = run_ctxprof(["run", profile, "-o", target], ctxprof, root)
        holder.kill()
        holder.wait()
        check(r.returncode == 1 and "another ctxprof run is writing this schema" in r.stderr,
              f"a second writer: exit {r.returncode}: {r.stderr[-300:]}")
        check(snapshot(cluster) == (after, created2), "a refused second writer changed the schema")
        print(f"refusals checked at {time.time() - t0:.1f} s", flush=True)
    except Exception as e:  # a broken cluster or tool: report, then clean up
        check(False, f"{type(e).__name__}: {e}")
        if os.path.exists(cluster.log):
            print(open(cluster.log).read()[-2000:])
    finally:
        t1 = time.time()
        cluster.stop()
        t2 = time.time()
        # rm, not shutil.rmtree: a cluster is thousands of files.
        subprocess.run(["rm", "-rf", "--", tmp])
        print(f"cluster stopped in {t2 - t1:.1f} s, removed in {time.time() - t2:.1f} s")
    print(f"{len(failures)} failure(s) in {time.time() - t0:.1f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
