"""The field rules, without HTTP: tax codes with their check digit, coordinates, VSIC, size classes."""

import random

import pytest

from core.toolkit import UserError
from plugins.economic_units import reference as ref
from plugins.economic_units import services
from plugins.economic_units.tests.conftest import PLUGINS, valid_tax_code
from plugins.economic_units.validation import check_digit, normalize_tax_code, tax_code_problem

pytestmark = pytest.mark.plugins(*PLUGINS)


@pytest.mark.parametrize("code", ["0100109106", "0100109106-001", "0100109106-999"])
def test_known_valid_tax_codes(code):
    assert tax_code_problem(code) is None  # 0100109106: Viettel's published tax code


@pytest.mark.parametrize("code", ["0100109107", "010010910", "01001091066", "0100109106-01", "0100109106-000",
                                  "01001O9106", "0100109106001-"])
def test_invalid_tax_codes(code):
    assert tax_code_problem(code) is not None


def test_check_digit_rule_by_hand():
    # 0·31 + 1·29 + 0·23 + 0·19 + 1·17 + 0·13 + 9·7 + 1·5 + 0·3 = 114; 114 mod 11 = 4; 10 − 4 = 6
    assert check_digit("010010910") == 6
    # a sum divisible by 11 would need a check digit of 10: no such code is issued
    assert check_digit("000000000") is None and tax_code_problem("0000000000") is not None


def test_every_single_digit_typo_is_caught():
    rng = random.Random(7)
    for _ in range(200):
        code = valid_tax_code(rng)
        for position in range(10):
            for digit in "0123456789":
                if digit != code[position]:
                    typo = code[:position] + digit + code[position + 1:]
                    assert tax_code_problem(typo) is not None, typo


def test_normalize_tax_code():
    assert normalize_tax_code(" 0100109106001 ") == "0100109106-001"
    assert normalize_tax_code("0100.109.106") == "0100109106"


def test_size_classes_follow_decree_80_2021():
    assert ref.size_class("C", 10, 3, None) == "micro"
    assert ref.size_class("C", 10, 4, 2.5) == "micro"  # revenue or capital
    assert ref.size_class("C", 11, 3, None) == "small"
    assert ref.size_class("C", 100, 50, None) == "small"
    assert ref.size_class("C", 150, 60, None) == "medium"
    assert ref.size_class("C", 201, 1, 1) == "large"
    assert ref.size_class("G", 10, 10, None) == "micro"  # trade and services: 10 billion revenue
    assert ref.size_class("G", 50, 100, None) == "small"
    assert ref.size_class("G", 51, 100, None) == "medium"
    assert ref.size_class("G", 100, 301, 101) == "large"
    assert ref.size_class("I", 4, None, None) == "micro"  # no financial figure: labour alone


def test_reference_has_the_21_sections():
    assert list(ref.SECTIONS) == list("ABCDEFGHIJKLMNOPQRSTU")
    assert ref.section_of_division(47) == "G" and ref.section_of_division(4) is None


async def test_all_field_problems_are_reported_at_once(scoped, ward):
    async with scoped(ward) as session:
        with pytest.raises(UserError) as caught:
            await services.create_unit(session, {"name": "", "tax_code": "0100109107", "address": "x",
                                                 "latitude": 48.85, "longitude": 2.35, "section": "Z",
                                                 "labour": -1, "kind": "shop"})
    assert caught.value.code == "BAD_USER_INPUT"
    assert set(caught.value.fields) == {"name", "tax_code", "latitude", "longitude", "section", "labour", "kind"}


async def test_coordinates_come_in_pairs_and_vsic_codes_fit_their_section(scoped, ward, units):
    async with scoped(ward) as session:
        with pytest.raises(UserError) as caught:
            await services.create_unit(session, units.body(longitude=None))
        assert set(caught.value.fields) == {"longitude"}
        with pytest.raises(UserError) as caught:
            await services.create_unit(session, units.body(section="G", vsic_code="1010"))
        assert "vsic_code" in caught.value.fields and "C" in caught.value.fields["vsic_code"][1]
        unit = await services.create_unit(session, units.body(section=None, vsic_code="4711"))
        assert unit.section == "G"


async def test_an_enterprise_needs_a_tax_code_a_household_business_may_not(scoped, ward, units):
    async with scoped(ward) as session:
        with pytest.raises(UserError) as caught:
            await services.create_unit(session, units.body(tax_code=None))
        assert set(caught.value.fields) == {"tax_code"}
        shop = await services.create_unit(session, units.body(tax_code=None, kind="household"))
        assert shop.tax_code is None and shop.kind == "household"
