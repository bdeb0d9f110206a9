#!/usr/bin/python3
"""Every graduated default style (styles/*.qml) draws every value a layer can
hold: its classes start at 0 or below, leave no gap, and the top class is
open, so that the worst places are drawn darkest rather than left undrawn (a
real borough's busiest LSOA runs to hundreds of incidents per ha)."""
import glob
import os
import sys
import xml.etree.ElementTree as ET

root = sys.argv[1]
bad, n = [], 0
for path in sorted(glob.glob(os.path.join(root, "styles", "*.qml"))):
    tree = ET.parse(path)
    for r in tree.iter("renderer-v2"):
        if r.get("type") != "graduatedSymbol":
            continue
        n += 1
        # Classes with an upper bound below 0 are the "no rate" class, where
        # the style's expression draws NULL; the others must cover 0 and up.
        ranges = [(float(x.get("lower")), float(x.get("upper"))) for x in r.iter("range")
                  if float(x.get("upper")) >= 0]
        if not any(float(x.get("upper")) < 0 for x in r.iter("range")):
            bad.append(f"{os.path.basename(path)}: no class for a NULL value")
        name = os.path.basename(path)
        if not ranges:
            bad.append(f"{name}: no classes")
            continue
        if ranges[0][0] > 0:
            bad.append(f"{name}: the first class starts at {ranges[0][0]:g}, above 0")
        for (a, b), (c, d) in zip(ranges, ranges[1:]):
            if b != c:
                bad.append(f"{name}: a gap between {b:g} and {c:g}")
        if ranges[-1][1] < 1e12:
            bad.append(f"{name}: the top class ends at {ranges[-1][1]:g}: larger values are not drawn")
for b in bad:
    print("FAIL: " + b)
print(f"{n} graduated styles checked")
sys.exit(1 if bad or n == 0 else 0)
