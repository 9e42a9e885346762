"""The identification number and the other field rules, each with valid and invalid values."""

from datetime import date

import pytest

from plugins.residents import reference as ref
from plugins.residents.validation import (
    BirthDate,
    check_birth_date,
    check_id_number,
    clean_person,
    clean_phone,
    make_id_number,
    parse_birth_date,
    parse_event_date,
    to_error,
)

TODAY = date(2026, 6, 15)


@pytest.mark.parametrize(
    ("number", "sex", "year"),
    [
        ("079085001234", "male", 1985),  # 0: male, 1900s
        ("001190123456", "female", 1990),  # 1: female, 1900s
        ("048205000001", "male", 2005),  # 2: male, 2000s
        ("096312999999", "female", 2012),  # 3: female, 2000s
        ("001899000001", "male", 1899),  # 8: male, 1800s
        ("092995000001", "female", 1895),  # 9: female, 1800s
        ("001400000001", "male", 2100),  # 4: male, 2100s
        ("001501000001", "female", 2101),  # 5: female, 2100s
        ("001600000001", "male", 2200),  # 6: male, 2200s
        ("001799000001", "female", 2299),  # 7: female, 2200s
    ],
)
def test_valid_numbers(number, sex, year):
    assert check_id_number(number, sex=sex, birth_year=year) is None


@pytest.mark.parametrize(
    ("number", "sex", "year", "words"),
    [
        ("07908500123", "male", 1985, "12 digits"),  # 11 digits
        ("0790850012345", "male", 1985, "12 digits"),  # 13 digits
        ("07908500123a", "male", 1985, "12 digits"),
        ("079 85001234", "male", 1985, "12 digits"),
        ("003085001234", "male", 1985, "province"),  # 003 is not a province code
        ("099085001234", "male", 1985, "province"),
        ("000085001234", "male", 1985, "province"),
        ("079185001234", "male", 1985, "means female"),  # 1 = female
        ("079085001234", "female", 1985, "means male"),  # 0 = male
        ("079285001234", "male", 1985, "born in 2000"),  # 2 = born 2000–2099
        ("079885001234", "male", 1985, "born in 1800"),
        ("079086001234", "male", 1985, "Digits 5–6"),  # 86 ≠ 85
        ("079205001234", "male", 2006, "Digits 5–6"),
    ],
)
def test_invalid_numbers(number, sex, year, words):
    problem = check_id_number(number, sex=sex, birth_year=year)
    assert problem is not None and problem.field == "id_number"
    assert words in problem.en
    assert problem.vi and problem.vi != problem.en


def test_every_birth_province_and_sex_digit_round_trips():
    for province in ref.BIRTH_PROVINCES:
        for sex, year in (("male", 1950), ("female", 2001), ("male", 1899)):
            number = make_id_number(province, sex, year, 123456)
            assert check_id_number(number, sex=sex, birth_year=year) is None


def test_birth_provinces_are_the_63_legacy_provinces():
    from tenants.official import legacy_units

    legacy = {f"0{u.code}" for u in legacy_units() if u.level == "province"}
    assert len(ref.BIRTH_PROVINCES) == 63
    assert set(ref.BIRTH_PROVINCES) == legacy


def test_reference_lists():
    assert len(ref.ETHNICITIES) == 54
    assert [t.code for t in ref.ETHNICITIES] == [f"{n:02d}" for n in range(1, 55)]
    assert ref.lookup(ref.ETHNICITIES, "kinh").code == "01"
    assert ref.lookup(ref.ETHNICITIES, "Khơ Me").code == ref.lookup(ref.ETHNICITIES, "khmer").code == "05"
    assert ref.lookup(ref.ETHNICITIES, "E DE").code == "11"
    assert ref.lookup(ref.RELATIONS, "chu ho").code == "head"
    assert ref.lookup(ref.SEXES, "Nữ").code == "female"
    for terms in (ref.ETHNICITIES, ref.RELIGIONS, ref.RELATIONS, ref.STATUSES, ref.SEXES, ref.NEIGHBOURHOOD_KINDS):
        codes = [t.code for t in terms]
        assert len(codes) == len(set(codes))
        assert all(t.vi and t.en for t in terms)
        # no label of one term can be mistaken for another term
        from plugins.residents.normalize import normalize

        owners = {}
        for t in terms:
            for text in {normalize(t.code), normalize(t.vi), normalize(t.en)}:
                assert owners.setdefault(text, t.code) == t.code, text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/03/1985", BirthDate(1985, 3, 15)),
        ("1985-03-15", BirthDate(1985, 3, 15)),
        ("03/1950", BirthDate(1950, 3)),
        ("1950", BirthDate(1950)),
        (1950, BirthDate(1950)),
        (date(1985, 3, 15), BirthDate(1985, 3, 15)),
    ],
)
def test_birth_date_forms(text, expected):
    assert parse_birth_date(text) == expected


@pytest.mark.parametrize("text", ["15-3", "abc", "1985/03/15/1", "", None, True])
def test_birth_date_bad_forms(text):
    assert not isinstance(parse_birth_date(text), BirthDate)


def test_birth_date_rules():
    assert check_birth_date(BirthDate(1985, 3, 15), TODAY) is None
    assert check_birth_date(BirthDate(1940), TODAY) is None  # elderly: the year alone is enough
    assert check_birth_date(BirthDate(1966, 5), TODAY) is None  # 60 this May
    assert "aged 60" in check_birth_date(BirthDate(1990), TODAY).en  # too young for a year alone
    assert "aged 60" in check_birth_date(BirthDate(1966, 7), TODAY).en  # 59 until July
    assert "future" in check_birth_date(BirthDate(2026, 6, 16), TODAY).en
    assert check_birth_date(BirthDate(2026, 6, 15), TODAY) is None  # born today
    assert "does not exist" in check_birth_date(BirthDate(2023, 2, 29), TODAY).en
    assert "month" in check_birth_date(BirthDate(1950, 13), TODAY).en
    assert "1800" in check_birth_date(BirthDate(1799), TODAY).en


def test_event_dates_are_not_in_the_future():
    assert parse_event_date(None, TODAY, "date") == TODAY
    assert parse_event_date("01/06/2026", TODAY, "date") == date(2026, 6, 1)
    assert "future" in parse_event_date("16/06/2026", TODAY, "date").en
    assert parse_event_date("2026", TODAY, "date").field == "date"


@pytest.mark.parametrize(("raw", "clean"), [("0901 234 567", "0901234567"), ("+84 901-234-567", "0901234567"),
                                            ("028.3822.1234", "02838221234"), ("", None)])
def test_phone_numbers(raw, clean):
    assert clean_phone(raw) == clean


@pytest.mark.parametrize("raw", ["12345", "0901234", "+1 555 123 4567", "09012345678901"])
def test_bad_phone_numbers(raw):
    assert clean_phone(raw).field == "phone"


def test_clean_person_reports_every_field_in_both_languages():
    _values, problems = clean_person(
        {"full_name": "Nguyễn Văn 4", "birth_date": "32/01/1990", "sex": "x", "ethnicity": "Martian",
         "religion": "nope", "nationality": "Vietnamese", "phone": "12"},
        TODAY, prefix="members.0.",
    )
    fields = {p.field for p in problems}
    assert fields == {f"members.0.{f}" for f in
                      ("full_name", "birth_date", "sex", "ethnicity", "religion", "nationality", "phone")}
    error = to_error(problems)
    assert error.code == "BAD_USER_INPUT" and set(error.fields) == fields
    assert error.render("en")["fields"]["members.0.sex"] == "The sex must be male or female"
    assert error.render("vi")["fields"]["members.0.sex"] == "Giới tính phải là Nam hoặc Nữ"


def test_clean_person_accepts_labels_without_accents():
    values, problems = clean_person(
        {"full_name": "  Đặng   Thị Ánh ", "birth_date": "01/02/1990", "sex": "nu", "ethnicity": "hoa",
         "religion": "phat giao", "id_number": "079190123456", "phone": "+84912345678"},
        TODAY,
    )
    assert problems == []
    assert values["full_name"] == "Đặng Thị Ánh"
    assert values["search_name"] == "dang thi anh" and values["search_given"] == "anh"
    assert (values["sex"], values["ethnicity"], values["religion"]) == ("female", "06", "buddhism")
    assert values["phone"] == "0912345678" and values["nationality"] == "VN"


def test_id_number_must_match_the_declared_person():
    _values, problems = clean_person(
        {"full_name": "Lê Văn Tám", "birth_date": "01/02/1990", "sex": "Nam", "id_number": "079191123456"}, TODAY)
    assert [p.field for p in problems] == ["id_number"]
    _values, problems = clean_person(
        {"full_name": "John Smith", "birth_date": "01/02/1990", "sex": "Nam", "nationality": "US",
         "id_number": "079090123456"}, TODAY)
    assert "Vietnamese citizens" in problems[0].en


def test_id_number_from_a_spreadsheet_number_keeps_its_zeros():
    values, problems = clean_person(
        {"full_name": "Lê Văn Tám", "birth_date": "01/02/1990", "sex": "Nam", "id_number": 79090123456}, TODAY)
    assert problems == [] and values["id_number"] == "079090123456"
