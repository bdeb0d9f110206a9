#!/usr/bin/python3
"""Every Markdown document a comment cites exists. Comments in the engine,
CLI, tests, plugin, styles and scripts that name a document (NAME.md,
docs/NAME.md, ...) and the Markdown links between documents must find it in
the citing file's folder, from the repository's root or under docs/: a
comment that points at a document the repository does not have sends its
reader nowhere.

usage: check_doc_citations.py ROOT
"""
import os
import re
import sys

SCAN = ["src", "tests", "qgis-plugin", "styles", "docs", "bench", "gis-data", "README.md",
        "Makefile", "CMakeLists.txt"]
SKIP_DIRS = {"data", "corpus", "__pycache__", "bad-inputs"}
NAME = re.compile(r"(?<![\w/.$-])((?:\.\./|[\w-]+/)*[\w-]+\.md)\b")
C_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
HASH_COMMENT = re.compile(r"(?:^|\s)#[^\n]*")
XML_COMMENT = re.compile(r"<!--.*?-->", re.S)
MD_LINK = re.compile(r"\]\(([^)#\s]+\.md)")


def comments(path, text):
    """(offset, text) of the parts of a file that are comments or links."""
    name = os.path.basename(path)
    if name.endswith((".c", ".h")):
        return [(m.start(), m.group(0)) for m in C_COMMENT.finditer(text)]
    if name.endswith((".qml", ".qpt", ".xml")):
        return [(m.start(), m.group(0)) for m in XML_COMMENT.finditer(text)]
    if name.endswith(".md"):
        return [(m.start(1), m.group(1)) for m in MD_LINK.finditer(text)]
    if name.endswith((".py", ".sh", ".cmake", ".txt", ".ini")) or name == "Makefile" or \
            text.startswith("#!"):
        return [(m.start(), m.group(0)) for m in HASH_COMMENT.finditer(text)]
    return []


def files(root):
    for top in SCAN:
        path = os.path.join(root, top)
        if os.path.isfile(path):
            yield path
            continue
        for d, dirs, names in os.walk(path):
            dirs[:] = [x for x in dirs if x not in SKIP_DIRS]
            for n in names:
                yield os.path.join(d, n)


def main():
    root = os.path.abspath(sys.argv[1])
    bad, n = [], 0
    for path in files(root):
        try:
            text = open(path, encoding="utf-8").read()
        except (UnicodeDecodeError, OSError):
            continue
        here = os.path.dirname(path)
        for off, part in comments(path, text):
            for m in NAME.finditer(part):
                doc = m.group(1)
                n += 1
                if not any(os.path.isfile(os.path.join(base, doc))
                           for base in (here, root, os.path.join(root, "docs"))):
                    line = text.count("\n", 0, off + m.start()) + 1
                    bad.append("%s:%d: cites %s, which the repository does not have"
                               % (os.path.relpath(path, root), line, doc))
    for b in bad:
        print(b)
    print("%d citations of Markdown documents, %d missing" % (n, len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
