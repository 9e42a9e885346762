"""Checks of a unit's fields; every problem is reported at once, on its field, in Vietnamese and English.

Tax code (mã số thuế, MST): 10 digits, or 13 written ``NNNNNNNNNN-NNN`` for a dependent unit (branch),
whose first ten digits are the parent's code. The tenth digit is a check digit over the first nine:
``N10 = 10 − (Σ Nᵢ·Wᵢ mod 11)`` with ``W = 31, 29, 23, 19, 17, 13, 7, 5, 3``; a code whose computed
check would be 10 (the sum divisible by 11) is never issued, so it is refused. This is the rule of the
General Department of Taxation's code structure as published and implemented in public validators
(e.g. Viettel's 0100109106 checks out); the branch suffix ``000`` is not a branch.

Coordinates: latitude 6.0–23.5 °N, longitude 102.1–117.9 °E — the mainland (8.3–23.4 °N, 102.1–109.5 °E)
and the offshore islands (Trường Sa reaches ~6.5 °N, ~117.8 °E).
"""

from __future__ import annotations

import re
from typing import Any

from core.toolkit import FieldErrors
from plugins.economic_units import reference as ref

WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
LAT_RANGE = (6.0, 23.5)
LON_RANGE = (102.1, 117.9)
TAX_CODE = re.compile(r"^(\d{10})(?:-(\d{3}))?$")
VSIC_CODE = re.compile(r"^\d{2,5}$")
Message = tuple[str, str]


def check_digit(first_nine: str) -> int | None:
    """The tenth digit of a code starting with these nine digits, or None when no such code exists."""
    check = 10 - sum(int(d) * w for d, w in zip(first_nine, WEIGHTS, strict=True)) % 11
    return None if check == 10 else check


def tax_code_problem(value: str) -> Message | None:
    match = TAX_CODE.match(value)
    if match is None:
        return ("Mã số thuế gồm 10 chữ số, hoặc 13 chữ số dạng 0123456789-001 cho chi nhánh",
                "A tax code has 10 digits, or 13 written 0123456789-001 for a branch")
    base, branch = match.groups()
    if check_digit(base[:9]) != int(base[9]):
        return ("Mã số thuế sai chữ số kiểm tra (chữ số thứ 10)", "The tax code's check digit (10th digit) is wrong")
    if branch == "000":
        return ("Số thứ tự chi nhánh phải từ 001 đến 999", "A branch number runs from 001 to 999")
    return None


def normalize_tax_code(value: Any) -> str:
    text = str(value).strip().replace(" ", "").replace(".", "")
    if len(text) == 13 and text.isdigit():  # written without the dash
        text = f"{text[:10]}-{text[10:]}"
    return text


def text(data: dict, errors: FieldErrors, field: str, limit: int, *, required: bool = False) -> str | None:
    value = data.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(field, "Không được để trống", "Required")
        return None
    if not isinstance(value, str | int | float):
        errors.add(field, "Phải là chuỗi ký tự", "Must be text")
        return None
    value = str(value).strip()
    if len(value) > limit:
        errors.add(field, f"Tối đa {limit} ký tự", f"At most {limit} characters")
        return None
    return value


def number(data: dict, errors: FieldErrors, field: str, *, integer: bool = False, low: float | None = None,
           high: float | None = None) -> float | int | None:
    value = data.get(field)
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        parsed = float(str(value).replace(",", ".")) if isinstance(value, str) else float(value)
        if parsed != parsed or parsed in (float("inf"), float("-inf")):
            raise ValueError
    except (TypeError, ValueError):
        errors.add(field, "Phải là một số", "Must be a number")
        return None
    if integer:
        if parsed != int(parsed):
            errors.add(field, "Phải là số nguyên", "Must be a whole number")
            return None
        parsed = int(parsed)
    if low is not None and parsed < low:
        errors.add(field, f"Không được nhỏ hơn {low:g}", f"Must be at least {low:g}")
        return None
    if high is not None and parsed > high:
        errors.add(field, f"Không được lớn hơn {high:g}", f"Must be at most {high:g}")
        return None
    return parsed


def choice(data: dict, errors: FieldErrors, field: str, allowed: dict, *, required: bool = False) -> str | None:
    value = data.get(field)
    if value is None or value == "":
        if required:
            errors.add(field, "Không được để trống", "Required")
        return None
    value = str(value).strip()
    if value not in allowed:
        options = ", ".join(allowed)
        errors.add(field, f"Phải là một trong: {options}", f"Must be one of: {options}")
        return None
    return value


def section_and_code(data: dict, errors: FieldErrors) -> tuple[str | None, str | None]:
    """The VSIC section (A–U) and an optional finer code of 2–5 digits within it (the section is taken from
    the code when only the code is given)."""
    section = data.get("section")
    section = str(section).strip().upper() if section not in (None, "") else None
    code = data.get("vsic_code")
    code = str(code).strip() if code not in (None, "") else None
    if code is not None:
        if not VSIC_CODE.match(code):
            errors.add("vsic_code", "Mã ngành VSIC gồm 2 đến 5 chữ số", "A VSIC code has 2 to 5 digits")
            return section, None
        owner = ref.section_of_division(int(code[:2]))
        if owner is None:
            errors.add("vsic_code", "Không có ngành cấp 2 này trong VSIC 2018", "No such VSIC 2018 division")
            return section, None
        if section is None:
            section = owner
        elif section in ref.SECTIONS and section != owner:
            errors.add("vsic_code", f"Mã ngành {code} thuộc ngành cấp 1 {owner}, không phải {section}",
                       f"Code {code} belongs to section {owner}, not {section}")
    if section is None:
        errors.add("section", "Hãy chọn ngành kinh tế cấp 1 (A–U)", "Choose a level-1 sector (A–U)")
    elif section not in ref.SECTIONS:
        errors.add("section", "Ngành cấp 1 phải là một chữ cái từ A đến U", "A level-1 section is a letter A–U")
        section = None
    return section, code
