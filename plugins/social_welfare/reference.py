"""Reference data of social welfare, as data (the same for every ward).

* Monthly social allowance categories of Decree 20/2021/NĐ-CP, article 5, each with the coefficient of
  article 6 (the allowance is coefficient × the base level, mức chuẩn trợ giúp xã hội). Categories whose
  coefficient depends on age or severity are split into one code per coefficient.
* The national base level, VERSIONED by effective date: 360,000 VND from 1 July 2021 (Decree 20/2021,
  art. 4) and 500,000 VND from 1 January 2025 (Decree 76/2024/NĐ-CP). These are seeded into every ward when
  the plugin is enabled; a later change (national, or a higher provincial level) is a new row with its
  effective date — data, not code.
* Policy family categories (gia đình chính sách: people with meritorious services to the revolution and their
  families, Ordinance 02/2020/UBTVQH14) and poverty levels (Decree 07/2021/NĐ-CP, period 2022–2025).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Category:
    code: str
    article: str
    coefficient: Decimal
    title_vi: str
    title_en: str


CATEGORIES: tuple[Category, ...] = (
    Category("orphan_under_4", "Điều 5 khoản 1", Decimal("2.5"),
             "Trẻ em dưới 4 tuổi không có nguồn nuôi dưỡng", "Child under 4 with no one to support them"),
    Category("orphan_4_16", "Điều 5 khoản 1", Decimal("1.5"),
             "Trẻ em từ 4 đến dưới 16 tuổi không có nguồn nuôi dưỡng", "Child aged 4–15 with no one to support them"),
    Category("student_16_22", "Điều 5 khoản 2", Decimal("1.5"),
             "Người từ 16 đến 22 tuổi đang học, không có nguồn nuôi dưỡng",
             "Person aged 16–22 in education with no one to support them"),
    Category("hiv_child_under_4", "Điều 5 khoản 3", Decimal("2.5"),
             "Trẻ em dưới 4 tuổi nhiễm HIV thuộc hộ nghèo", "Child under 4 with HIV in a poor household"),
    Category("hiv_child_4_16", "Điều 5 khoản 3", Decimal("2.0"),
             "Trẻ em từ 4 tuổi nhiễm HIV thuộc hộ nghèo", "Child aged 4 or more with HIV in a poor household"),
    Category("single_parent_poor", "Điều 5 khoản 4", Decimal("1.0"),
             "Người đơn thân thuộc hộ nghèo, cận nghèo đang nuôi con (mỗi con)",
             "Single parent in a poor or near-poor household raising children (per child)"),
    Category("elderly_poor_60_80", "Điều 5 khoản 5 điểm a", Decimal("1.5"),
             "Người cao tuổi từ 60 đến dưới 80 tuổi thuộc hộ nghèo, không có người phụng dưỡng",
             "Elderly person aged 60–79 in a poor household with no one to support them"),
    Category("elderly_poor_80", "Điều 5 khoản 5 điểm a", Decimal("2.0"),
             "Người cao tuổi từ 80 tuổi thuộc hộ nghèo, không có người phụng dưỡng",
             "Elderly person aged 80 or more in a poor household with no one to support them"),
    Category("elderly_75_80_hard", "Điều 5 khoản 5 điểm b", Decimal("1.0"),
             "Người từ 75 đến 80 tuổi thuộc hộ nghèo, cận nghèo ở xã đặc biệt khó khăn",
             "Person aged 75–80 in a poor or near-poor household in an extremely disadvantaged commune"),
    Category("elderly_80", "Điều 5 khoản 5 điểm c", Decimal("1.0"),
             "Người từ 80 tuổi không có lương hưu, trợ cấp bảo hiểm xã hội hằng tháng",
             "Person aged 80 or more with no pension or monthly social insurance allowance"),
    Category("elderly_community_care", "Điều 5 khoản 5 điểm d", Decimal("3.0"),
             "Người cao tuổi thuộc hộ nghèo được nhận chăm sóc tại cộng đồng",
             "Elderly person of a poor household cared for in the community"),
    Category("disability_severe_extreme", "Điều 5 khoản 6", Decimal("2.0"),
             "Người khuyết tật đặc biệt nặng", "Person with an extremely severe disability"),
    Category("disability_severe_extreme_child_elderly", "Điều 5 khoản 6", Decimal("2.5"),
             "Trẻ em, người cao tuổi khuyết tật đặc biệt nặng",
             "Child or elderly person with an extremely severe disability"),
    Category("disability_severe", "Điều 5 khoản 6", Decimal("1.5"),
             "Người khuyết tật nặng", "Person with a severe disability"),
    Category("disability_severe_child_elderly", "Điều 5 khoản 6", Decimal("2.0"),
             "Trẻ em, người cao tuổi khuyết tật nặng", "Child or elderly person with a severe disability"),
    Category("child_under_3_poor_hard", "Điều 5 khoản 7", Decimal("1.5"),
             "Trẻ em dưới 3 tuổi thuộc hộ nghèo, cận nghèo ở xã đặc biệt khó khăn",
             "Child under 3 in a poor or near-poor household in an extremely disadvantaged commune"),
    Category("hiv_poor", "Điều 5 khoản 8", Decimal("1.5"),
             "Người nhiễm HIV thuộc hộ nghèo không có nguồn thu nhập ổn định",
             "Person with HIV in a poor household with no steady income"),
)
CATEGORY = {c.code: c for c in CATEGORIES}

# (effective from, VND a month, legal source): seeded into each ward on enabling, then edited as data.
NATIONAL_BASE_LEVELS: tuple[tuple[date, int, str], ...] = (
    (date(2021, 7, 1), 360_000, "Nghị định 20/2021/NĐ-CP"),
    (date(2025, 1, 1), 500_000, "Nghị định 76/2024/NĐ-CP"),
)

POLICY_CATEGORIES: dict[str, tuple[str, str]] = {
    "martyr_family": ("Gia đình liệt sĩ", "Martyr's family"),
    "war_invalid": ("Thương binh", "War invalid"),
    "sick_soldier": ("Bệnh binh", "Sick soldier"),
    "heroic_mother": ("Bà mẹ Việt Nam anh hùng", "Vietnamese Heroic Mother"),
    "revolutionary_veteran": ("Người hoạt động cách mạng", "Revolutionary activist"),
    "agent_orange": ("Người hoạt động kháng chiến bị nhiễm chất độc hóa học",
                     "Resistance activist exposed to toxic chemicals"),
    "resistance_contributor": ("Người có công giúp đỡ cách mạng", "Person who helped the revolution"),
}

POVERTY_LEVELS: dict[str, tuple[str, str]] = {"poor": ("Hộ nghèo", "Poor household"),
                                              "near_poor": ("Hộ cận nghèo", "Near-poor household")}
# Multidimensional poverty standard periods (Decree 07/2021: 2022–2025); an assessment year must fall in one.
POVERTY_PERIODS: dict[str, tuple[int, int]] = {"2022-2025": (2022, 2025), "2026-2030": (2026, 2030)}
