"""Generate tenants/data/legacy_units.json.gz: Vietnam's legacy 3-level units.

One-off generator (stdlib only). It produces the pre-July-2025 administrative
units (63 provinces, 696 districts, 10,051 wards) from the PyPI package
``vietnam-provinces`` 0.6.0, the last release line that still ships districts.

Usage::

    python3.12 scripts/gen_legacy_units.py            # download with pip
    python3.12 scripts/gen_legacy_units.py --wheel X  # use an already downloaded wheel

The wheel is fetched with ``python -m pip download`` (no direct URLs) and its
SHA-256 is checked against the published 0.6.0 wheel before use.

Source data: ``vietnam_provinces/data/nested-divisions.json`` inside the wheel
(province -> districts -> wards, integer codes). The sibling
``flat-divisions.json`` is used only to cross-check it.

Note on ``division_type``: in 0.6.0 the bundled ``division_type`` field is
unreliable (every province is 'tỉnh', every district 'huyện', every ward 'xã'),
so the type is derived from the official name prefix instead
('Phường Phúc Xá' -> 'phường', 'Thành phố Hà Nội' -> 'thành phố trung ương').

Output (gzip, mtime=0, no file name in the header; compact UTF-8 JSON)::

    {"source": "vietnam-provinces 0.6.0",
     "provinces": [{"code": "01", "name": ..., "division_type": ..., "codename": ...}, ...],
     "districts": [{"code": "001", ..., "parent": "01"}, ...],
     "wards":     [{"code": "00001", ..., "parent": "001"}, ...]}

Codes are official GSO codes as strings, zero-padded to 2/3/5 digits; each list
is sorted by code.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "vietnam-provinces"
VERSION = "0.6.0"
WHEEL_NAME = f"vietnam_provinces-{VERSION}-py3-none-any.whl"
WHEEL_SHA256 = "4b5772870efdcb7c58a64fbdc0e0c9ce497e67017a0c189dff99582ddadb7815"
NESTED_JSON = "vietnam_provinces/data/nested-divisions.json"
FLAT_JSON = "vietnam_provinces/data/flat-divisions.json"

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT = REPO_ROOT / "tenants" / "data" / "legacy_units.json.gz"

EXPECTED = {"provinces": 63, "districts": 696, "wards": 10_051}
CODE_WIDTH = {"provinces": 2, "districts": 3, "wards": 5}

# Name prefix -> division type, per level. Longest prefixes first.
PREFIXES = {
    "provinces": (("Thành phố ", "thành phố trung ương"), ("Tỉnh ", "tỉnh")),
    "districts": (
        ("Thành phố ", "thành phố"),
        ("Thị xã ", "thị xã"),
        ("Quận ", "quận"),
        ("Huyện ", "huyện"),
    ),
    "wards": (("Thị trấn ", "thị trấn"), ("Phường ", "phường"), ("Xã ", "xã")),
}


def division_type(level: str, name: str) -> str:
    # Case-insensitive: 0.6.0 spells two districts 'Thành Phố ...'.
    for prefix, kind in PREFIXES[level]:
        if name.casefold().startswith(prefix.casefold()):
            return kind
    raise ValueError(f"{level}: cannot derive division type from name {name!r}")


def download_wheel(dest: Path) -> Path:
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(dest),
        f"{PACKAGE}=={VERSION}",
    ]
    subprocess.run(cmd, check=True)
    wheel = dest / WHEEL_NAME
    if not wheel.is_file():
        found = sorted(p.name for p in dest.iterdir())
        raise SystemExit(f"pip did not produce {WHEEL_NAME}; got {found}")
    return wheel


def read_wheel(wheel: Path) -> tuple[list, list]:
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{wheel}: sha256 {digest} != expected {WHEEL_SHA256}")
    with zipfile.ZipFile(wheel) as zf:
        nested = json.loads(zf.read(NESTED_JSON))
        flat = json.loads(zf.read(FLAT_JSON))
    return nested, flat


def row(level: str, code: int, name: str, codename: str, parent: str | None) -> dict:
    name = name.strip()
    out = {
        "code": f"{code:0{CODE_WIDTH[level]}d}",
        "name": name,
        "division_type": division_type(level, name),
        "codename": codename,
    }
    if parent is not None:
        out["parent"] = parent
    return out


def build(nested: list) -> dict:
    provinces, districts, wards = [], [], []
    for p in nested:
        prow = row("provinces", p["code"], p["name"], p["codename"], None)
        provinces.append(prow)
        for d in p["districts"]:
            drow = row("districts", d["code"], d["name"], d["codename"], prow["code"])
            districts.append(drow)
            for w in d["wards"]:
                wards.append(row("wards", w["code"], w["name"], w["codename"], drow["code"]))
    data = {"source": f"{PACKAGE} {VERSION}", "provinces": provinces,
            "districts": districts, "wards": wards}
    for level in EXPECTED:
        data[level].sort(key=lambda r: r["code"])
    return data


def verify(data: dict, flat: list) -> None:
    codes = {}
    for level, expected in EXPECTED.items():
        rows = data[level]
        assert len(rows) == expected, f"{level}: {len(rows)} rows, expected {expected}"
        level_codes = [r["code"] for r in rows]
        assert len(set(level_codes)) == len(level_codes), f"{level}: duplicate codes"
        width = CODE_WIDTH[level]
        assert all(len(c) == width and c.isdigit() for c in level_codes), f"{level}: bad code"
        assert all(r["name"] and r["codename"].isascii() for r in rows), f"{level}: bad row"
        codes[level] = set(level_codes)
    assert all("parent" not in r for r in data["provinces"])
    for level, parent_level in (("districts", "provinces"), ("wards", "districts")):
        dangling = [r["code"] for r in data[level] if r.get("parent") not in codes[parent_level]]
        assert not dangling, f"{level}: unresolved parents for {dangling[:10]}"
    # Every province has a district; districts without wards are the island
    # districts that have no communes (e.g. Hoàng Sa, Bạch Long Vĩ).
    assert {r["parent"] for r in data["districts"]} == codes["provinces"]

    # Cross-check against the wheel's flat JSON (one row per ward, plus one
    # ward-less row per district that has no wards).
    flat_wards = {}
    for f in flat:
        if f["ward_code"] is None:
            continue
        flat_wards[f"{f['ward_code']:05d}"] = (
            f["ward_name"].strip(), f"{f['district_code']:03d}", f"{f['province_code']:02d}")
    district_parent = {r["code"]: r["parent"] for r in data["districts"]}
    ours = {r["code"]: (r["name"], r["parent"], district_parent[r["parent"]])
            for r in data["wards"]}
    assert ours == flat_wards, "nested-divisions.json and flat-divisions.json disagree"


def encode(data: dict) -> bytes:
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(payload)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", type=Path, help="use this wheel instead of downloading it")
    ap.add_argument("--output", type=Path, default=OUTPUT, help=f"default: {OUTPUT}")
    args = ap.parse_args(argv)

    if args.wheel:
        nested, flat = read_wheel(args.wheel)
    else:
        with tempfile.TemporaryDirectory(prefix="vp060-") as tmp:
            nested, flat = read_wheel(download_wheel(Path(tmp)))

    data = build(nested)
    verify(data, flat)
    blob = encode(data)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(blob)
    counts = ", ".join(f"{level}={len(data[level])}" for level in EXPECTED)
    print(f"wrote {args.output} ({len(blob)} bytes, sha256 "
          f"{hashlib.sha256(blob).hexdigest()}): {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
