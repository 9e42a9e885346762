"""Plausible sample households (Vietnamese names, valid identification numbers) in the import template's
columns: the demo ward's data, and test files of any size."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from plugins.residents import registry
from plugins.residents.imports import KEYS
from plugins.residents.reference import BIRTH_PROVINCES
from plugins.residents.validation import make_id_number

FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
          "Ngô", "Dương", "Lý", "Trương", "Đinh")
MIDDLE = {"male": ("Văn", "Hữu", "Đức", "Minh", "Quốc", "Thành", "Công", "Gia", "Anh"),
          "female": ("Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ", "Bảo", "Phương")}
GIVEN = {"male": ("An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Khang", "Long", "Nam", "Phúc", "Quân",
                  "Sơn", "Tài", "Thắng", "Trung", "Tuấn", "Việt", "Đông", "Lộc"),
         "female": ("Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Ngân",
                    "Nhung", "Phương", "Thảo", "Trang", "Vy", "Yến", "Đào", "Loan")}
OCCUPATIONS = ("Công nhân", "Buôn bán", "Giáo viên", "Nhân viên văn phòng", "Tài xế", "Nội trợ", "Kỹ sư",
               "Thợ may", "Hưu trí", None)
PROVINCES = (*BIRTH_PROVINCES, "079", "079", "079", "079", "001", "001")  # all 63, more born in HCMC and Hà Nội
OTHER_ETHNICITIES = ("Hoa", "Khơ Me", "Chăm", "Tày", "Mường", "Nùng")
RELIGIONS = ("Không", "Không", "Không", "Phật giáo", "Phật giáo", "Công giáo", "Cao Đài", "Tin lành",
             "Phật giáo Hòa Hảo")


class SampleMaker:
    """Households of 1–6 people: a head, often a spouse, children, sometimes an elderly parent."""

    def __init__(self, seed: object, today: date) -> None:
        self.rng = random.Random(str(seed))
        self.today = today
        self.used: set[str] = set()

    def person(self, sex: str, birth_year: int, family: str | None = None, *, year_only: bool = False) -> dict:
        rng = self.rng
        name = f"{family or rng.choice(FAMILY)} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}"
        birth_year = min(birth_year, self.today.year - 1)
        if year_only and self.today.year - birth_year > 61:
            birth_date = str(birth_year)
        else:
            birth_date = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{birth_year}"
        return {
            "full_name": name, "birth_date": birth_date, "sex": "Nam" if sex == "male" else "Nữ",
            "id_number": self.id_number(sex, birth_year),
            "ethnicity": "Kinh" if rng.random() < 0.9 else rng.choice(OTHER_ETHNICITIES),
            "religion": rng.choice(RELIGIONS), "nationality": "VN",
            "occupation": rng.choice(OCCUPATIONS) if self.today.year - birth_year >= 18 else "Học sinh",
            "phone": f"09{rng.randrange(10**8):08d}" if self.today.year - birth_year >= 16 else None,
        }

    def id_number(self, sex: str, birth_year: int) -> str:
        while True:
            number = make_id_number(self.rng.choice(PROVINCES), sex, birth_year, self.rng.randrange(10**6))
            if number not in self.used:
                self.used.add(number)
                return number

    def renumber(self, row: dict[str, Any]) -> None:
        """Give a template row a new number, consistent with its sex and year of birth."""
        sex = "male" if row["sex"] == "Nam" else "female"
        row["id_number"] = self.id_number(sex, int(str(row["birth_date"])[-4:]))

    def household(self, code: str, address: str, neighbourhood: str | None = None) -> list[dict[str, Any]]:
        rng, year = self.rng, self.today.year
        head_sex = "male" if rng.random() < 0.7 else "female"
        head_year = year - rng.randint(25, 85)
        family = rng.choice(FAMILY)
        members = [("Chủ hộ", self.person(head_sex, head_year, family, year_only=rng.random() < 0.3))]
        if rng.random() < 0.75:
            spouse_sex = "female" if head_sex == "male" else "male"
            members.append(("Vợ/chồng", self.person(spouse_sex, head_year + rng.randint(-4, 6))))
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
            child_year = min(year - 1, head_year + rng.randint(20, 38))
            members.append(("Con", self.person(rng.choice(("male", "female")), child_year, family)))
        if rng.random() < 0.15 and year - head_year < 60:
            members.append(("Cha/mẹ", self.person(rng.choice(("male", "female")), head_year - rng.randint(22, 35),
                                                  family, year_only=True)))
        rows = []
        for i, (relation, person) in enumerate(members):
            row = {"household_code": code, "address": address if i == 0 else None,
                   "neighbourhood": neighbourhood if i == 0 else None, "relation": relation, **person}
            rows.append({key: row.get(key) for key in KEYS})
        return rows

    def households(self, count: int, *, prefix: str = "HK", neighbourhoods: tuple[str, ...] = ()) -> list[dict]:
        streets = ("Nguyễn Trãi", "Lê Lợi", "Trần Hưng Đạo", "Hai Bà Trưng", "Lý Thường Kiệt", "Võ Văn Tần")
        rows: list[dict[str, Any]] = []
        for n in range(1, count + 1):
            address = f"{self.rng.randint(1, 300)} {self.rng.choice(streets)}"
            area = self.rng.choice(neighbourhoods) if neighbourhoods else None
            rows += self.household(f"{prefix}-{n:05d}", address, area)
        return rows

    def persons(self, count: int, *, prefix: str = "HK", neighbourhoods: tuple[str, ...] = ()) -> list[dict]:
        """Whole households adding up to exactly ``count`` persons (the last household is cut short)."""
        rows: list[dict[str, Any]] = []
        n = 0
        while len(rows) < count:
            n += 1
            address = f"{self.rng.randint(1, 300)} Nguyễn Trãi"
            area = self.rng.choice(neighbourhoods) if neighbourhoods else None
            rows += self.household(f"{prefix}-{n:05d}", address, area)
        return rows[:count]


async def renumber_taken(session: AsyncSession, maker: SampleMaker, rows: list[dict[str, Any]]) -> None:
    """Sample numbers are random: draw again any that a ward of the platform already holds."""
    while taken := await registry.owners(session, [r["id_number"] for r in rows if r["id_number"]]):
        for row in rows:
            if row["id_number"] in taken:
                maker.renumber(row)
