#!/usr/bin/python3
"""The version is written once, as CMake's project(VERSION): the engine gets
it from the build, and the QGIS plugin's metadata.txt (which QGIS reads
itself, so it cannot be generated at install time) must say the same, as
must `ctxprof --version`.

usage: check_plugin_version.py PROJECT_VERSION METADATA_TXT CTXPROF
"""
import configparser
import subprocess
import sys


def main():
    version, metadata, exe = sys.argv[1:4]
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(metadata, encoding="utf-8")
    plugin = cp.get("general", "version", fallback=None)
    first = subprocess.run([exe, "--version"], capture_output=True, text=True,
                           check=True).stdout.splitlines()[0]
    errors = []
    if plugin != version:
        errors.append("%s says version=%s, CMakeLists.txt project(VERSION) is %s"
                      % (metadata, plugin, version))
    if first != "ctxprof " + version:
        errors.append("ctxprof --version says '%s', expected 'ctxprof %s'" % (first, version))
    changelog = cp.get("general", "changelog", fallback="")
    if changelog and not changelog.split()[0] == version:
        errors.append("%s: the changelog's first entry is %s, not %s"
                      % (metadata, changelog.split()[0], version))
    for e in errors:
        print(e)
    if not errors:
        print("version %s: CMakeLists.txt, ctxprof --version and metadata.txt agree" % version)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
