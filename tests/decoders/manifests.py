#!/usr/bin/env python3
"""Reads the manifest files in shared/reference/etw and checks portclash's built-in schemas.

  manifests.py check SHARED_DIR BUILTIN_SCHEMA
      Every built-in schema must equal the template of the same (provider, id, version) in
      every manifest file that has it (TDH XML dumps, WEPExplorer XML, jdu2600 TSV), and every
      supported (id, version) a manifest lists must have a built-in schema. Names may differ
      only by the documented aliases. Exit 1 with one line per difference.
  manifests.py vectors SHARED_DIR OUT
      Writes test vectors built from the manifest field lists alone (not from our schema
      text): for each event and both pointer sizes, a payload and the value of every field.
Exit 77 (skip) when SHARED_DIR has no manifests.
"""
import glob
import os
import re
import struct
import sys
import xml.etree.ElementTree as ET

GUIDS = {
    "Microsoft-Windows-Winsock-AFD": "{e53c6823-7bb8-44bb-90dc-3f86090d48a6}",
    "Microsoft-Windows-TCPIP": "{2f07e2ee-15db-40f1-90ef-9d7ba282188a}",
    "Microsoft-Windows-Winsock-Sockets": "{bde46aea-2357-51fe-7367-d5296f530bd1}",
}
# The events portclash must decode (issue: foundation), by provider. Every version of these
# that any manifest lists needs a built-in schema.
REQUIRED = {
    "Microsoft-Windows-Winsock-AFD": {1, 2, 3, 13, 14, 29, 40, 1000, 1001, 1002, 1029, 1030, 1035, 1037},
    "Microsoft-Windows-TCPIP": {1001, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1050, 1052,
                                1053, 1054, 1121, 1122, 1123, 1124, 1191, 1192, 1193, 1194, 1195, 1366,
                                1393, 1394, 1395, 1396, 1397, 1398, 1519, 1562, 1563},
    "Microsoft-Windows-Winsock-Sockets": {2, 4, 8, 12},
}
# Winsock-Sockets Start/Stop events portclash also has schemas for (no or few fields).
EXTRA = {1, 3, 7, 11, 15, 16}
# Same meaning, different name in some builds (etw-facts.md §3.1): compared as equal.
ALIASES = {"ProcessSequenceNumber": "ProcessStartKey"}


def norm(name):
    return ALIASES.get(name, name)


def load_manifests(shared):
    """Returns {file: {(provider, id, version): [(name, type, length)]}}."""
    out = {}
    etw = os.path.join(shared, "reference", "etw")
    for path in sorted(glob.glob(os.path.join(etw, "*.xml"))):
        ns = {"e": "http://schemas.microsoft.com/win/2004/08/events"}
        root = ET.parse(path).getroot()
        events = {}
        for prov in root.iter("{%s}provider" % ns["e"]):
            pname = prov.get("name")
            templates = {}
            for t in prov.iter("{%s}template" % ns["e"]):
                props = []
                for d in t.findall("e:data", ns):
                    typ = d.get("inType").split(":")[-1]
                    props.append((d.get("name"), typ, d.get("length")))
                templates[t.get("tid")] = props
            for ev in prov.iter("{%s}event" % ns["e"]):
                key = (pname, int(ev.get("value")), int(ev.get("version", "0")))
                events[key] = templates.get(ev.get("template"), [])
        out[os.path.basename(path)] = events
    for path in sorted(glob.glob(os.path.join(etw, "*.tsv"))):
        events = {}
        for line in open(path, encoding="utf-8"):
            cols = line.rstrip("\n").split("\t")
            if line.startswith("#") or len(cols) < 4 or not cols[1].isdigit():
                continue
            m = re.match(r"\w+\((.*)\)$", cols[3])
            if not m:
                continue
            props, prev = [], (None, None)
            for f in [x.strip() for x in m.group(1).split(",") if x.strip()]:
                typ, name = f.split()
                # The TSV omits blob lengths; TDH puts an integer length property just
                # before the blob. Without one the length is unknown here (None).
                length = prev[0] if typ == "Binary" and prev[1] in ("UInt32", "UInt16") else None
                props.append((name, typ, length))
                prev = (name, typ)
            events[(cols[0], int(cols[1]), int(cols[2]))] = props
        if events:
            out[os.path.basename(path)] = events
    return out


def load_builtin(path):
    events, prov = {}, None
    cur = None
    for line in open(path, encoding="utf-8"):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        toks = line.split()
        if toks[0] == "provider":
            prov = toks[1]
        elif toks[0] == "event":
            cur = []
            events[(prov, int(toks[1]), int(toks[2][1:]))] = cur
        elif line[0] in " \t":
            length = toks[2].split("=", 1)[1] if len(toks) > 2 else None
            cur.append((toks[0], toks[1], length))
    return events


def check(shared, builtin_path):
    manifests = load_manifests(shared)
    if not manifests:
        print("skip: no manifests under %s/reference/etw" % shared)
        return 77
    ours = load_builtin(builtin_path)
    problems, compared = [], 0
    for fname, events in manifests.items():
        for key, props in events.items():
            if key not in ours:
                if key[1] in REQUIRED.get(key[0], ()):
                    problems.append("%s: %s %d v%d is in the manifest but has no built-in schema" % (fname, *key))
                continue
            mine = ours[key]
            compared += 1
            if len(mine) != len(props):
                problems.append("%s: %s %d v%d: %d properties in the manifest, %d built in" % (fname, *key, len(props), len(mine)))
                continue
            for i, ((mn, mt, ml), (tn, tt, tl)) in enumerate(zip(mine, props)):
                if norm(mn) != norm(tn) or mt != tt:
                    problems.append("%s: %s %d v%d property %d: manifest '%s %s', built in '%s %s'" % (fname, *key, i + 1, tn, tt, mn, mt))
                elif mt == "Binary" and tl is not None and ml != tl and norm(ml) != norm(tl):
                    problems.append("%s: %s %d v%d property %s: length %s in the manifest, %s built in" % (fname, *key, mn, tl, ml))
    for p in problems:
        print(p)
    print("compared %d (manifest file, event) pairs against %d built-in schemas: %d differences" % (compared, len(ours), len(problems)))
    return 1 if problems else 0


SIZES = {"UInt8": 1, "Int8": 1, "UInt16": 2, "Int16": 2, "UInt32": 4, "Int32": 4, "HexInt32": 4,
         "Boolean": 4, "UInt64": 8, "Int64": 8, "HexInt64": 8}


def vectors(shared, out_path):
    manifests = load_manifests(shared)
    if not manifests:
        print("skip: no manifests")
        return 77
    # The union over files; the 26H1 TSV is the superset for the versions we support.
    merged = {}
    for events in manifests.values():
        for key, props in events.items():
            supported = REQUIRED.get(key[0], set()) | (EXTRA if key[0].endswith("Sockets") else set())
            if key[1] in supported:
                merged.setdefault(key, props)
    n = 0
    with open(out_path, "w") as out:
        for (prov, eid, ver), props in sorted(merged.items()):
            for ptr in (4, 8):
                payload, values = b"", []
                lengths = {}
                # Blob contents first, so their length properties can be filled in.
                blobs = {}
                for i, (name, typ, length) in enumerate(props):
                    if typ != "Binary":
                        continue
                    if "Address" in name and eid not in (3,):
                        # Alternate IPv4 / IPv6 sockaddrs, port in network order.
                        if (eid + i + ptr) % 2:
                            blob = struct.pack("<H", 2) + struct.pack(">H", 1000 + i) + bytes([10, 0, 0, i]) + bytes(8)
                        else:
                            blob = struct.pack("<H", 23) + struct.pack(">H", 2000 + i) + bytes(4) + bytes(range(16)) + struct.pack("<I", 7)
                    elif eid == 3 and prov.endswith("AFD"):
                        blob = bytes(range(16))  # legacy IPv6 address, fixed 16 bytes
                    else:
                        blob = bytes([0xA0 + i, 0xB0, 0xC0, 0xD0])
                    blobs[name] = blob
                    if length:
                        lengths[length] = len(blob)
                for i, (name, typ, length) in enumerate(props):
                    if typ == "Binary":
                        payload += blobs[name]
                        values.append("%s=hex:%s" % (name, blobs[name].hex()))
                        continue
                    size = ptr if typ == "Pointer" else SIZES[typ]
                    if name in lengths:
                        v = lengths[name]
                    elif name in ("ProcessId", "Pid", "UserModePid"):
                        v = 4000 + eid  # a real PID fits 32 bits even in a pointer field
                    else:
                        v = (0x1122334455667788 + (i + 1) * 0x0101010101010101 + eid) & ((1 << (8 * size)) - 1)
                    payload += v.to_bytes(size, "little")
                    values.append("%s=%d" % (name, v))
                out.write("%s %d %d %d %s %s\n" % (GUIDS[prov], eid, ver, ptr, payload.hex() or "-", " ".join(values)))
                n += 1
    print("wrote %d vectors" % n)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("check", "vectors"):
        print(__doc__)
        sys.exit(2)
    if not os.path.isdir(os.path.join(sys.argv[2], "reference", "etw")):
        print("skip: shared data not found at %s (set PC_SHARED_DIR)" % sys.argv[2])
        sys.exit(77)
    sys.exit(check(sys.argv[2], sys.argv[3]) if sys.argv[1] == "check" else vectors(sys.argv[2], sys.argv[3]))
