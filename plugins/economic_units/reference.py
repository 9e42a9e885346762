"""Reference data of the register, as data in code (the same for every ward).

* VSIC 2018 (Hệ thống ngành kinh tế Việt Nam, Decision 27/2018/QĐ-TTg): the 21 level-1 sections A–U with
  their Vietnamese and English titles, and the level-2 divisions (two digits) each section holds, so a
  finer code (2–5 digits) is checked against its section.
* Size classes of Decree 80/2021/NĐ-CP, Article 5: micro, small and medium enterprises by sector group
  (agriculture, forestry and fishery, industry and construction; or trade and services), average yearly
  labour with social insurance, and yearly revenue *or* total capital, in billion đồng.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# section → (vi, en, divisions as (first, last) two-digit ranges)
SECTIONS: dict[str, tuple[str, str, tuple[tuple[int, int], ...]]] = {
    "A": ("Nông nghiệp, lâm nghiệp và thủy sản", "Agriculture, forestry and fishing", ((1, 3),)),
    "B": ("Khai khoáng", "Mining and quarrying", ((5, 9),)),
    "C": ("Công nghiệp chế biến, chế tạo", "Manufacturing", ((10, 33),)),
    "D": ("Sản xuất và phân phối điện, khí đốt, nước nóng, hơi nước và điều hoà không khí",
          "Electricity, gas, steam and air conditioning supply", ((35, 35),)),
    "E": ("Cung cấp nước; hoạt động quản lý và xử lý rác thải, nước thải",
          "Water supply; sewerage, waste management and remediation", ((36, 39),)),
    "F": ("Xây dựng", "Construction", ((41, 43),)),
    "G": ("Bán buôn và bán lẻ; sửa chữa ô tô, mô tô, xe máy và xe có động cơ khác",
          "Wholesale and retail trade; repair of motor vehicles and motorcycles", ((45, 47),)),
    "H": ("Vận tải kho bãi", "Transportation and storage", ((49, 53),)),
    "I": ("Dịch vụ lưu trú và ăn uống", "Accommodation and food service activities", ((55, 56),)),
    "J": ("Thông tin và truyền thông", "Information and communication", ((58, 63),)),
    "K": ("Hoạt động tài chính, ngân hàng và bảo hiểm", "Financial, banking and insurance activities", ((64, 66),)),
    "L": ("Hoạt động kinh doanh bất động sản", "Real estate activities", ((68, 68),)),
    "M": ("Hoạt động chuyên môn, khoa học và công nghệ", "Professional, scientific and technical activities",
          ((69, 75),)),
    "N": ("Hoạt động hành chính và dịch vụ hỗ trợ", "Administrative and support service activities", ((77, 82),)),
    "O": ("Hoạt động của Đảng Cộng sản, tổ chức chính trị - xã hội, quản lý nhà nước, an ninh quốc phòng; "
          "bảo đảm xã hội bắt buộc",
          "Activities of the Communist Party, socio-political organisations, public administration and "
          "defence; compulsory social security", ((84, 84),)),
    "P": ("Giáo dục và đào tạo", "Education and training", ((85, 85),)),
    "Q": ("Y tế và hoạt động trợ giúp xã hội", "Human health and social work activities", ((86, 88),)),
    "R": ("Nghệ thuật, vui chơi và giải trí", "Arts, entertainment and recreation", ((90, 93),)),
    "S": ("Hoạt động dịch vụ khác", "Other service activities", ((94, 96),)),
    "T": ("Hoạt động làm thuê các công việc trong các hộ gia đình, sản xuất sản phẩm vật chất và dịch vụ tự "
          "tiêu dùng của hộ gia đình",
          "Activities of households as employers; undifferentiated goods- and services-producing activities "
          "of households for own use", ((97, 98),)),
    "U": ("Hoạt động của các tổ chức và cơ quan quốc tế", "Activities of extraterritorial organisations and bodies",
          ((99, 99),)),
}


def section_of_division(division: int) -> str | None:
    for letter, (_vi, _en, ranges) in SECTIONS.items():
        if any(low <= division <= high for low, high in ranges):
            return letter
    return None


# Decree 80/2021/NĐ-CP, Art. 5: groups of sections
INDUSTRY_GROUP = frozenset("ABCDEF")  # agriculture, forestry, fishing; industry and construction


@dataclass(frozen=True, slots=True)
class SizeLimit:
    size: str
    labour: int  # at most, average yearly labour with social insurance
    revenue: float  # at most, billion đồng a year …
    capital: float  # … or total capital at most, billion đồng


SIZE_LIMITS: dict[str, tuple[SizeLimit, ...]] = {
    "industry": (SizeLimit("micro", 10, 3, 3), SizeLimit("small", 100, 50, 20), SizeLimit("medium", 200, 200, 100)),
    "services": (SizeLimit("micro", 10, 10, 3), SizeLimit("small", 50, 100, 50), SizeLimit("medium", 100, 300, 100)),
}

SIZES: dict[str, tuple[str, str]] = {
    "micro": ("Siêu nhỏ", "Micro"),
    "small": ("Nhỏ", "Small"),
    "medium": ("Vừa", "Medium"),
    "large": ("Lớn", "Large"),
}
KINDS: dict[str, tuple[str, str]] = {
    "enterprise": ("Doanh nghiệp", "Enterprise"),
    "household": ("Hộ kinh doanh", "Household business"),
}
STATUSES: dict[str, tuple[str, str]] = {
    "active": ("Đang hoạt động", "Active"),
    "suspended": ("Tạm ngừng kinh doanh", "Suspended"),
    "closed": ("Đã chấm dứt hoạt động", "Closed"),
}


def size_class(section: str, labour: int, revenue: float | None, capital: float | None) -> str:
    """The smallest class whose labour limit holds and whose revenue *or* capital limit holds; a unit
    with neither figure known is classed by its labour alone. ``large`` above the medium limits."""
    group = "industry" if section in INDUSTRY_GROUP else "services"
    for limit in SIZE_LIMITS[group]:
        if labour > limit.labour:
            continue
        if revenue is None and capital is None:
            return limit.size
        if (revenue is not None and revenue <= limit.revenue) or (capital is not None and capital <= limit.capital):
            return limit.size
    return "large"


def label(table: dict[str, tuple], key: str | None, lang: str) -> str:
    if key is None or key not in table:
        return ""
    return table[key][1] if lang == "en" else table[key][0]


def as_json() -> dict[str, Any]:
    return {
        "sections": [{"code": k, "vi": vi, "en": en,
                      "divisions": [f"{d:02d}" for low, high in r for d in range(low, high + 1)]}
                     for k, (vi, en, r) in SECTIONS.items()],
        "sizes": [{"code": k, "vi": vi, "en": en} for k, (vi, en) in SIZES.items()],
        "size_limits": {g: [{"size": s.size, "labour": s.labour, "revenue_billion": s.revenue,
                             "capital_billion": s.capital} for s in limits] for g, limits in SIZE_LIMITS.items()},
        "kinds": [{"code": k, "vi": vi, "en": en} for k, (vi, en) in KINDS.items()],
        "statuses": [{"code": k, "vi": vi, "en": en} for k, (vi, en) in STATUSES.items()],
    }
