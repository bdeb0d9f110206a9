"""Where the tests find the real North London data, and the skip when it is absent.

The real public data (police.uk, London schools, parks, TfL bus sequences, ONS
boundaries, OSM, Code-Point Open) lives beside the project in
../shared/data/real (its SOURCES.md says where each file comes from); it is
never copied into the repository. A test that needs it calls require(): on a
clone without that folder the test exits 77, which CTest reports as skipped,
with a message naming the folder it looked for.
"""
import os
import sys

SKIP = 77
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
REAL = os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "real"))


def require(*parts, real=REAL):
    """Exit 77 unless real/<parts> exists; return its path."""
    path = os.path.join(real, *parts)
    if not os.path.exists(path):
        print(f"SKIP: the real data folder {path} is not here; this test reads the "
              f"public North London files described in {os.path.join(real, 'SOURCES.md')} "
              f"(see README.md, 'Real data')", flush=True)
        sys.exit(SKIP)
    return path
