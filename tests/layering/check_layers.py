#!/usr/bin/env python3
"""Fails when a library of portclash reaches back up the data flow.

The libraries are folders, in the order of DESIGN.md's data flow (LAYERS below). A library may
link and include only libraries listed before it. Two checks, both static so they cannot be
fooled by what a particular build happens to compile:
  * CMake: every pc_* name in a folder's target_link_libraries is a library of an earlier
    folder (or its own);
  * sources: every #include "..." of a folder's .c/.h resolves to a header of its own folder
    or of an earlier one.
Usage: check_layers.py SOURCE_DIR
"""
import os
import re
import sys

# (folder, library). Order = who may use whom: later folders use earlier ones only.
LAYERS = [
    ("monitor/core", "pc_core"),
    ("monitor/os", "pc_os"),
    ("parsers", "pc_parsers"),
    ("rules", "pc_rules"),
    ("monitor/source", "pc_source"),
    ("monitor/pipeline", "pc_pipeline"),
    ("monitor/hoststate", "pc_hoststate"),
    ("monitor/explain", "pc_explain"),
    ("monitor/sinks/format", "pc_format"),
    ("monitor/watch", "pc_watch"),
    ("monitor/sinks", "pc_sinks"),
    ("monitor/service", "pc_service"),
    ("monitor/cli", "pc_cli"),
]


def files_of(root, folder):
    """Source files directly in folder (a nested library folder is its own layer)."""
    d = os.path.join(root, folder)
    nested = {os.path.join(root, f) for f, _ in LAYERS if f != folder and f.startswith(folder + "/")}
    out = []
    for dirpath, dirnames, filenames in os.walk(d):
        dirnames[:] = [x for x in dirnames if os.path.join(dirpath, x) not in nested]
        out += [os.path.join(dirpath, f) for f in filenames]
    return out


def main():
    root = sys.argv[1]
    problems = []
    header_owner = {}  # header basename -> layer index
    for i, (folder, _) in enumerate(LAYERS):
        for f in files_of(root, folder):
            if f.endswith(".h"):
                header_owner.setdefault(os.path.basename(f), i)
                header_owner.setdefault(os.path.relpath(f, os.path.join(root, folder)), i)
    lib_layer = {lib: i for i, (_, lib) in enumerate(LAYERS)}
    for i, (folder, lib) in enumerate(LAYERS):
        cm = os.path.join(root, folder, "CMakeLists.txt")
        if not os.path.exists(cm):
            problems.append(f"{folder}: no CMakeLists.txt (every library folder has its own)")
            continue
        text = open(cm, encoding="utf-8").read()
        if f"add_library({lib}" not in text:
            problems.append(f"{folder}/CMakeLists.txt: does not define {lib}")
        for m in re.finditer(r"target_link_libraries\(([^)]*)\)", text):
            for dep in re.findall(r"\bpc_[a-z_]+\b", m.group(1)):
                if dep in lib_layer and lib_layer[dep] > i:
                    problems.append(f"{folder}/CMakeLists.txt: {lib} links {dep}, a later stage")
        for f in files_of(root, folder):
            if not f.endswith((".c", ".h")):
                continue
            for n, line in enumerate(open(f, encoding="utf-8", errors="replace"), 1):
                m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                if not m:
                    continue
                owner = header_owner.get(m.group(1), header_owner.get(os.path.basename(m.group(1))))
                if owner is not None and owner > i:
                    problems.append(f"{os.path.relpath(f, root)}:{n}: includes {m.group(1)} of "
                                    f"{LAYERS[owner][0]}, a later stage")
    for p in problems:
        print(p)
    if problems:
        print(f"layering: {len(problems)} back edge(s); see the order in tests/layering/check_layers.py")
        return 1
    print(f"layering: {len(LAYERS)} libraries, no back edges")
    return 0


if __name__ == "__main__":
    sys.exit(main())
