"""Rules on what a person and a household may hold, each problem naming its field in vi and en.

Checks return :class:`Problem` lists rather than raising, so that an import can report every bad field
of every row; services turn them into one :class:`~core.errors.UserError` with :func:`to_error`.

The personal identification number (số định danh cá nhân, printed on the citizen identity card, CCCD)
has 12 digits:

* digits 1–3: the province where the birth was registered (:data:`~plugins.residents.reference.BIRTH_PROVINCES`);
* digit 4: sex and century of birth — 0/1 male/female born 1900–1999, 2/3 in 2000–2099, 4/5 in 2100–2199,
  6/7 in 2200–2299, 8/9 in 1800–1899 (even male, odd female);
* digits 5–6: the last two digits of the year of birth;
* digits 7–12: a random serial.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from core.toolkit import UserError
from plugins.residents import reference as ref
from plugins.residents.normalize import given_name, normalize

VIETNAM = timezone(timedelta(hours=7))
ELDERLY_AGE = 60  # Law on the Elderly: from 60 years; only they may be registered with a partial birth date
OLDEST_YEAR = 1800
CENTURY_DIGIT: dict[str, tuple[int, str]] = {
    "0": (1900, ref.MALE), "1": (1900, ref.FEMALE),
    "2": (2000, ref.MALE), "3": (2000, ref.FEMALE),
    "4": (2100, ref.MALE), "5": (2100, ref.FEMALE),
    "6": (2200, ref.MALE), "7": (2200, ref.FEMALE),
    "8": (1800, ref.MALE), "9": (1800, ref.FEMALE),
}
_ID = re.compile(r"^\d{12}$")
_PHONE = re.compile(r"^0\d{9,10}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$")
_NATIONALITY = re.compile(r"^[A-Z]{2}$")
_NAME_CHARS = re.compile(r"^[^\W\d_]+(?:[ '\-.][^\W\d_]+)*$")
_DATE_FORMS = (
    (re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$"), ("day", "month", "year")),
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), ("year", "month", "day")),
    (re.compile(r"^(\d{1,2})[/.-](\d{4})$"), ("month", "year")),
    (re.compile(r"^(\d{4})-(\d{1,2})$"), ("year", "month")),
    (re.compile(r"^(\d{4})$"), ("year",)),
)

PERSON_FIELDS = (
    "full_name", "birth_date", "sex", "id_number", "ethnicity", "religion", "nationality", "occupation", "phone",
)


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    vi: str
    en: str


def today_in_vietnam() -> date:
    return datetime.now(UTC).astimezone(VIETNAM).date()


def to_error(problems: Iterable[Problem]) -> UserError:
    """One ``BAD_USER_INPUT`` error holding every problem (the first field's message on top)."""
    problems = list(problems)
    fields: dict[str, tuple[str, str]] = {}
    for p in problems:
        fields.setdefault(p.field, (p.vi, p.en))
    first = problems[0]
    if len(fields) == 1:
        return UserError("BAD_USER_INPUT", (first.vi, first.en), fields)
    message = (f"Có {len(fields)} trường không hợp lệ", f"{len(fields)} fields are invalid")
    return UserError("BAD_USER_INPUT", message, fields)


def raise_problems(problems: list[Problem]) -> None:
    if problems:
        raise to_error(problems)


# -- the identification number -------------------------------------------------------------------------

def make_id_number(province: str, sex: str, birth_year: int, serial: int) -> str:
    """A well-formed number for a person (sample data and tests)."""
    century = birth_year // 100 * 100
    digit = next(d for d, (c, s) in CENTURY_DIGIT.items() if c == century and s == sex)
    return f"{province}{digit}{birth_year % 100:02d}{serial % 1_000_000:06d}"


def check_id_number(value: str, *, sex: str | None, birth_year: int | None, field: str = "id_number") -> Problem | None:
    """The first rule ``value`` breaks, or None. ``sex`` and ``birth_year`` are those declared for the person."""
    if not _ID.match(value):
        return Problem(field, "Số định danh cá nhân phải gồm đúng 12 chữ số",
                       "The personal identification number must be exactly 12 digits")
    province = value[:3]
    if province not in ref.BIRTH_PROVINCES:
        return Problem(field, f"Ba chữ số đầu ({province}) không phải mã tỉnh nơi đăng ký khai sinh",
                       f"The first three digits ({province}) are not a province code of birth registration")
    century, digit_sex = CENTURY_DIGIT[value[3]]
    if sex is not None and digit_sex != sex:
        vi_sex, en_sex = ("nam", "male") if digit_sex == ref.MALE else ("nữ", "female")
        return Problem(field, f"Chữ số thứ 4 ({value[3]}) chỉ giới tính {vi_sex}, khác với giới tính đã khai",
                       f"The 4th digit ({value[3]}) means {en_sex}, which differs from the declared sex")
    if birth_year is not None:
        if birth_year // 100 * 100 != century:
            return Problem(field, f"Chữ số thứ 4 ({value[3]}) chỉ người sinh năm {century}–{century + 99}, "
                                  f"khác với năm sinh {birth_year}",
                           f"The 4th digit ({value[3]}) means born in {century}–{century + 99}, "
                           f"not in {birth_year}")
        if int(value[4:6]) != birth_year % 100:
            return Problem(field, f"Chữ số thứ 5–6 ({value[4:6]}) phải là hai số cuối của năm sinh {birth_year}",
                           f"Digits 5–6 ({value[4:6]}) must be the last two digits of the birth year {birth_year}")
    return None


# -- dates ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class BirthDate:
    year: int
    month: int | None = None
    day: int | None = None

    def __str__(self) -> str:
        if self.day is not None:
            return f"{self.day:02d}/{self.month:02d}/{self.year}"
        if self.month is not None:
            return f"{self.month:02d}/{self.year}"
        return str(self.year)

    def age_on(self, today: date) -> int:
        had_birthday = (self.month or 1, self.day or 1) <= (today.month, today.day)
        return today.year - self.year - (0 if had_birthday else 1)


def parse_birth_date(value: Any, field: str = "birth_date") -> BirthDate | Problem:
    """``dd/mm/yyyy``, ``mm/yyyy``, ``yyyy``, ISO ``yyyy-mm-dd`` / ``yyyy-mm``, a date, or a year number."""
    bad = Problem(field, "Ngày sinh phải có dạng dd/mm/yyyy, mm/yyyy hoặc yyyy",
                  "The date of birth must look like dd/mm/yyyy, mm/yyyy or yyyy")
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return BirthDate(value.year, value.month, value.day)
    if isinstance(value, bool):
        return bad
    if isinstance(value, int | float) and float(value).is_integer():
        value = str(int(value))
    if not isinstance(value, str):
        return bad
    text = value.strip()
    for pattern, parts in _DATE_FORMS:
        match = pattern.match(text)
        if match:
            found = dict(zip(parts, (int(g) for g in match.groups()), strict=True))
            return BirthDate(found["year"], found.get("month"), found.get("day"))
    return bad


def check_birth_date(birth: BirthDate, today: date, field: str = "birth_date") -> Problem | None:
    if birth.year < OLDEST_YEAR:
        return Problem(field, f"Năm sinh phải từ {OLDEST_YEAR} trở đi",
                       f"The birth year must be {OLDEST_YEAR} or later")
    if birth.month is not None and not 1 <= birth.month <= 12:
        return Problem(field, "Tháng sinh không hợp lệ", "The month of birth is not valid")
    try:
        earliest = date(birth.year, birth.month or 1, birth.day or 1)
    except ValueError:
        return Problem(field, "Ngày sinh không có trên lịch", "The date of birth does not exist")
    if earliest > today:
        return Problem(field, "Ngày sinh không được ở tương lai", "The date of birth cannot be in the future")
    if birth.day is None and birth.age_on(today) < ELDERLY_AGE:
        return Problem(field, f"Chỉ người từ {ELDERLY_AGE} tuổi được khai ngày sinh không đủ ngày tháng",
                       f"Only people aged {ELDERLY_AGE} or more may have a date of birth without day and month")
    return None


def parse_event_date(value: Any, today: date, field: str) -> date | Problem:
    """A date of death, of moving…: ``dd/mm/yyyy`` or ISO, not in the future; empty means today."""
    if value in (None, ""):
        return today
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        parsed = parse_birth_date(value, field)
        if isinstance(parsed, Problem) or parsed.day is None:
            return Problem(field, "Ngày phải có dạng dd/mm/yyyy", "The date must look like dd/mm/yyyy")
        try:
            value = date(parsed.year, parsed.month, parsed.day)
        except ValueError:
            return Problem(field, "Ngày không có trên lịch", "The date does not exist")
    if not isinstance(value, date):
        return Problem(field, "Ngày phải có dạng dd/mm/yyyy", "The date must look like dd/mm/yyyy")
    if value > today:
        return Problem(field, "Ngày không được ở tương lai", "The date cannot be in the future")
    return value


# -- a person ------------------------------------------------------------------------------------------

def text_value(value: Any) -> str:
    """A cell or JSON value as clean text: NFC, single spaces; ``101.0`` (a spreadsheet number) as ``101``.
    A JSON object or list is no text: empty (:func:`not_text` names the field)."""
    if value is None or isinstance(value, dict | list | tuple | set):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(unicodedata.normalize("NFC", str(value)).split())


def not_text(data: Mapping[str, Any], names: Iterable[str], prefix: str = "") -> list[Problem]:
    """A problem for each of ``names`` holding a JSON object or list where text or a number is expected.
    Listed first, so that it is the field's message (:func:`to_error` keeps a field's first problem)."""
    return [Problem(prefix + name, "Phải là chữ hoặc số, không phải danh sách hay đối tượng",
                    "Must be text or a number, not a list or an object")
            for name in names if isinstance(data.get(name), dict | list)]


def _text(data: Mapping[str, Any], key: str) -> str:
    return text_value(data.get(key))


def _term(terms: tuple[ref.Term, ...], raw: str, default: str | None, problem: Problem) -> str | Problem:
    if not raw:
        return default if default is not None else problem
    term = ref.lookup(terms, raw)
    return term.code if term else problem


def clean_phone(raw: str, field: str = "phone") -> str | Problem | None:
    if not raw:
        return None
    digits = re.sub(r"[\s.\-()]", "", raw)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not _PHONE.match(digits):
        return Problem(field, "Số điện thoại phải có 10–11 chữ số, bắt đầu bằng 0 hoặc +84",
                       "A phone number has 10–11 digits and starts with 0 or +84")
    return digits


def clean_id_number(raw: Any) -> str:
    """Spaces and dots removed; a number read from a spreadsheet cell gets back its leading zeros."""
    if isinstance(raw, int | float) and not isinstance(raw, bool) and float(raw).is_integer():
        return f"{int(raw):012d}"
    return re.sub(r"[\s.]", "", str(raw or ""))


def clean_person(data: Mapping[str, Any], today: date, prefix: str = "") -> tuple[dict[str, Any], list[Problem]]:
    """Column values of a person from user input, and the problems found (field names get ``prefix``).

    Accepts ``full_name``, ``birth_date`` (or ``birth_year``/``birth_month``/``birth_day``), ``sex``,
    ``id_number``, ``ethnicity``, ``religion``, ``nationality``, ``occupation``, ``phone``; reference
    values by code or by label in either language, accents optional.
    """
    problems = not_text(data, (*PERSON_FIELDS, "birth_year", "birth_month", "birth_day"), prefix)
    values: dict[str, Any] = {}

    def fail(field: str, vi: str, en: str) -> Problem:
        return Problem(prefix + field, vi, en)

    name = _text(data, "full_name")
    if not name:
        problems.append(fail("full_name", "Họ và tên là bắt buộc", "The full name is required"))
    elif len(name) > 120 or not _NAME_CHARS.match(name):
        problems.append(fail("full_name", "Họ và tên chỉ gồm chữ cái và khoảng trắng (tối đa 120 ký tự)",
                             "The full name has letters and spaces only (120 at most)"))
    else:
        values["full_name"] = name
        values["search_name"] = normalize(name)
        values["search_given"] = given_name(values["search_name"])[:40]

    birth: BirthDate | Problem
    if data.get("birth_date") not in (None, ""):
        birth = parse_birth_date(data["birth_date"], prefix + "birth_date")
    elif data.get("birth_year") not in (None, ""):
        try:
            birth = BirthDate(int(data["birth_year"]),
                              int(data["birth_month"]) if data.get("birth_month") not in (None, "") else None,
                              int(data["birth_day"]) if data.get("birth_day") not in (None, "") else None)
        except (TypeError, ValueError):
            birth = fail("birth_date", "Năm, tháng, ngày sinh phải là số", "Year, month and day must be numbers")
    else:
        birth = fail("birth_date", "Ngày sinh là bắt buộc", "The date of birth is required")
    if isinstance(birth, BirthDate):
        problem = check_birth_date(birth, today, prefix + "birth_date")
        if problem:
            birth = problem
    if isinstance(birth, Problem):
        problems.append(birth)
    else:
        values.update(birth_year=birth.year, birth_month=birth.month, birth_day=birth.day)

    sex = _term(ref.SEXES, _text(data, "sex"), None,
                fail("sex", "Giới tính phải là Nam hoặc Nữ", "The sex must be male or female"))
    if isinstance(sex, Problem):
        problems.append(sex)
    else:
        values["sex"] = sex

    nationality = _text(data, "nationality").upper() or "VN"
    if nationality in ("VIET NAM", "VIỆT NAM", "VIETNAM"):
        nationality = "VN"
    if not _NATIONALITY.match(nationality):
        problems.append(fail("nationality", "Quốc tịch là mã 2 chữ cái (VN, US…)",
                             "The nationality is a 2-letter code (VN, US…)"))
    else:
        values["nationality"] = nationality

    id_number = clean_id_number(data.get("id_number"))
    if id_number:
        problem = check_id_number(id_number, sex=values.get("sex"), birth_year=values.get("birth_year"),
                                  field=prefix + "id_number")
        if problem is None and values.get("nationality", "VN") != "VN":
            problem = fail("id_number", "Chỉ công dân Việt Nam có số định danh cá nhân",
                           "Only Vietnamese citizens have a personal identification number")
        if problem:
            problems.append(problem)
        else:
            values["id_number"] = id_number
    else:
        values["id_number"] = None

    ethnicity = _term(ref.ETHNICITIES, _text(data, "ethnicity"), "01",
                      fail("ethnicity", "Dân tộc không có trong danh mục 54 dân tộc",
                           "The ethnicity is not one of the 54 official groups"))
    religion = _term(ref.RELIGIONS, _text(data, "religion"), "none",
                     fail("religion", "Tôn giáo không có trong danh mục", "The religion is not in the list"))
    for key, value in (("ethnicity", ethnicity), ("religion", religion)):
        if isinstance(value, Problem):
            problems.append(value)
        else:
            values[key] = value

    occupation = _text(data, "occupation")
    if len(occupation) > 120:
        problems.append(fail("occupation", "Nghề nghiệp tối đa 120 ký tự", "The occupation has 120 characters at most"))
    else:
        values["occupation"] = occupation or None

    raw_phone = _text(data, "phone")
    if isinstance(data.get("phone"), int | float) and raw_phone.isdigit() and not raw_phone.startswith("0"):
        raw_phone = "0" + raw_phone  # a spreadsheet number cell drops the leading 0
    phone = clean_phone(raw_phone, prefix + "phone")
    if isinstance(phone, Problem):
        problems.append(phone)
    else:
        values["phone"] = phone
    return values, problems


def clean_relation(raw: Any, field: str = "relation") -> str | Problem:
    term = ref.lookup(ref.RELATIONS, text_value(raw))
    if term is None:
        return Problem(field, "Quan hệ với chủ hộ không có trong danh mục",
                       "The relation to the head of household is not in the list")
    return term.code


# -- a household ---------------------------------------------------------------------------------------

def clean_household(data: Mapping[str, Any], prefix: str = "") -> tuple[dict[str, Any], list[Problem]]:
    """``code`` (letters, digits, ``. _ / -``, 32 at most) and ``address`` (required, 255 at most)."""
    problems = not_text(data, ("code", "address"), prefix)
    values: dict[str, Any] = {}
    code = _text(data, "code")
    if not _CODE.match(code):
        problems.append(Problem(prefix + "code", "Mã hộ gồm chữ, số và . _ / - (tối đa 32 ký tự)",
                                "A household code has letters, digits and . _ / - (32 at most)"))
    else:
        values["code"], values["search_code"] = code, normalize(code)
    address = _text(data, "address")
    if not address or len(address) > 255:
        problems.append(Problem(prefix + "address", "Địa chỉ là bắt buộc (tối đa 255 ký tự)",
                                "The address is required (255 characters at most)"))
    else:
        values["address"] = address
    return values, problems
