"""Official administrative units: the current 2-level model and the legacy 3-level one.

Current units come from the ``vietnam-provinces`` package (pinned in pyproject.toml); legacy units from
``tenants/data/legacy_units.json.gz``, generated once by ``scripts/gen_legacy_units.py`` from that
package's 0.6.0 release, which still has districts. A unit is identified by (scheme, code).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

LEGACY_FILE = Path(__file__).parent / "data" / "legacy_units.json.gz"


@dataclass(frozen=True, slots=True)
class OfficialUnit:
    code: str
    level: str
    name: str
    division_type: str
    codename: str
    parent: str | None


def current_units() -> list[OfficialUnit]:
    """34 provinces and 3,321 commune-level units, parents before children."""
    from vietnam_provinces import Province, Ward

    units = [
        OfficialUnit(f"{int(p.code):02d}", "province", p.name, str(p.division_type), p.codename, None)
        for p in Province.iter_all()
    ]
    units += [
        OfficialUnit(
            f"{int(w.code):05d}", "ward", w.name, str(w.division_type), w.codename, f"{int(w.province_code):02d}"
        )
        for w in Ward.iter_all()
    ]
    return units


def legacy_units() -> list[OfficialUnit]:
    """63 provinces, 696 districts and 10,051 wards of the model before 1 July 2025."""
    with gzip.open(LEGACY_FILE, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    units: list[OfficialUnit] = []
    for level, key in (("province", "provinces"), ("district", "districts"), ("ward", "wards")):
        units += [
            OfficialUnit(r["code"], level, r["name"], r["division_type"], r["codename"], r.get("parent"))
            for r in data[key]
        ]
    return units


def official_units(scheme: str) -> list[OfficialUnit]:
    return {"current": current_units, "legacy": legacy_units}[scheme]()
