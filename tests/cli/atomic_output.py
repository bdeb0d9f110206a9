#!/usr/bin/python3
"""Atomic outputs: a run killed with SIGKILL while it writes leaves the
earlier output exactly as it was (same bytes, layers and counts), no partial
file in its place, and only files named as ctxprof's temporary files
(.NAME.tmp-PID.gpkg and SQLite's -journal/-wal/-shm beside it). The next run
of the same target removes those stale temporary files and says so.

  atomic_output.py CTXPROF SOURCE_DIR
"""
import hashlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def snapshot(path):
    """sha256, and every table of gpkg_contents with its row count."""
    sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        fail(f"{path} fails SQLite's integrity check")
    tables = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents ORDER BY 1")]
    counts = {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    con.close()
    return sha, counts


def main():
    ctxprof, root = sys.argv[1], sys.argv[2]
    profile = os.path.join(root, "gis-data", "sample", "sample.ini")
    tmp = tempfile.mkdtemp(prefix="ctxprof-atomic-")
    try:
        out = os.path.join(tmp, "out.gpkg")
        r = subprocess.run([ctxprof, "run", profile, "-o", out], capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"first run failed: {r.stderr}")
        before = snapshot(out)
        print(f"first run: {len(before[1])} tables, {before[1].get('incidents')} incidents, "
              f"sha256 {before[0][:16]}")

        temp_name = re.compile(r"^\.out\.gpkg\.tmp-(\d+)\.gpkg(-journal|-wal|-shm)?$")
        killed = None
        for attempt in range(5):
            p = subprocess.Popen([ctxprof, "run", profile, "-o", out],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            tmpfile = os.path.join(tmp, f".out.gpkg.tmp-{p.pid}.gpkg")
            last = -1
            deadline = time.monotonic() + 300
            while p.poll() is None and time.monotonic() < deadline:
                try:
                    size = os.path.getsize(tmpfile)
                except OSError:
                    size = -1
                # Kill once the temporary file has been seen growing: the
                # run is writing layers.
                if size > 0 and last > 0 and size > last and size > 512 * 1024:
                    os.kill(p.pid, signal.SIGKILL)
                    p.wait()
                    killed = size
                    break
                last = size if size > 0 else last
                time.sleep(0.005)
            if killed:
                break
            p.wait()
            # Too quick to catch: that run finished, and its output is the
            # earlier output for the next attempt.
            before = snapshot(out)
        if not killed:
            fail("could not catch a run while it was writing")
        print(f"killed a run with SIGKILL when its temporary file had {killed} bytes")

        if not os.path.exists(out):
            fail("the earlier output is gone")
        after = snapshot(out)
        if after[1] != before[1]:
            fail(f"tables or counts changed: {after[1]} vs {before[1]}")
        if after[0] != before[0]:
            fail("the earlier output's bytes changed")
        left = sorted(f for f in os.listdir(tmp) if f != "out.gpkg")
        bad = [f for f in left if not temp_name.match(f)]
        if bad:
            fail(f"files other than named temporary files beside the output: {bad}")
        if not left:
            fail("no temporary file left by the killed run (was it killed while writing?)")
        print(f"earlier output intact (same sha256, tables and counts); left beside it: {left}")

        r = subprocess.run([ctxprof, "run", profile, "-o", out], capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"run after the kill failed: {r.stderr}")
        rest = sorted(f for f in os.listdir(tmp) if f != "out.gpkg")
        if rest:
            fail(f"the next run left the stale temporary files in place: {rest}")
        if "left by an interrupted run" not in r.stderr:
            fail("the next run did not say that it removed stale temporary files")
        if snapshot(out)[1] != before[1]:
            fail("the next run's output differs in tables or counts")
        print("the next run removed the stale temporary files and wrote the same tables and counts")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
