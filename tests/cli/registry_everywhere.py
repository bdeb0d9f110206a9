#!/usr/bin/python3
"""Every context kind of the registry (`ctxprof help contexts`) reaches every
place that lists kinds: a default style (styles/LAYER.qml, compiled in), its
section in docs/contexts.md, its [contexts] KEY, id_field.KEY and
name_field.KEY (and its [snap] reach) in the profile schema, and a row in
the style table of a run's output when the layer is written."""
import json
import os
import subprocess
import sys

ctxprof, root = sys.argv[1], sys.argv[2]
kinds = json.loads(subprocess.run([ctxprof, "help", "contexts"], check=True,
                                  capture_output=True, text=True).stdout)
schema = subprocess.run([ctxprof, "help", "profile"], check=True, capture_output=True,
                        text=True).stdout
doc = open(os.path.join(root, "docs", "contexts.md"), encoding="utf-8").read()
bad = []
for k in kinds:
    layer, key = k["layer"], k["key"]
    if not os.path.isfile(os.path.join(root, "styles", layer + ".qml")):
        bad.append(f"{layer}: no styles/{layer}.qml")
    if f"`{layer}`" not in doc:
        bad.append(f"{layer}: not described in docs/contexts.md")
    for want in (f"| `{key}` |", f"| `id_field.{key}` |", f"| `name_field.{key}` |"):
        if want not in schema:
            bad.append(f"{layer}: the profile schema lacks {want.strip('| ')}")
    if k["link"] == "within" and f"| `{k['reach_key']}` |" not in schema:
        bad.append(f"{layer}: the profile schema lacks [snap] {k['reach_key']}")
    if k["link"] not in ("covers", "nearest", "within"):
        bad.append(f"{layer}: link rule {k['link']}")
for b in bad:
    print("FAIL: " + b)
print(f"{len(kinds)} context kinds: " + ", ".join(k["layer"] for k in kinds))
sys.exit(1 if bad or len(kinds) < 6 else 0)
