"""Server-side SVG charts: well-formed XML, one mark per point, accessible names, escaped labels."""

import xml.etree.ElementTree as ET

import pytest

from core.web.charts import bar_chart, donut_chart
from core.web.i18n import format_number

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def test_bar_chart_is_valid_svg_with_one_bar_per_point():
    svg = parse(bar_chart([("T1", 3), ("T2", 5), ("T3", 0), ("T4", 12)], title="Số hộ", id_prefix="c1"))
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    bars = svg.findall(".//svg:rect[@class='bar']", NS)
    assert len(bars) == 4
    heights = [float(b.get("height")) for b in bars]
    assert heights[3] == max(heights) and heights[2] == 0 and heights[1] > heights[0] > 0


def test_chart_has_an_accessible_name_and_description():
    svg = parse(bar_chart([("Nam", 10), ("Nữ", 12)], title="Dân số theo giới tính", id_prefix="pop"))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "pop-title pop-desc"
    assert svg.find("svg:title", NS).get("id") == "pop-title"
    assert svg.find("svg:title", NS).text == "Dân số theo giới tính"
    assert svg.find("svg:desc", NS).text == "Nam: 10; Nữ: 12"
    tooltips = [t.text for t in svg.findall("svg:g/svg:title", NS)]
    assert tooltips == ["Nam: 10", "Nữ: 12"]


def test_labels_and_titles_are_escaped():
    markup = bar_chart([("<script>alert(1)</script> & co", 1)], title='"quoted" <b>', id_prefix='x"y')
    assert "<script>" not in str(markup)
    svg = parse(markup)  # still well-formed
    assert svg.find("svg:title", NS).text == '"quoted" <b>'


def test_negative_values_hang_below_the_zero_line():
    svg = parse(bar_chart([("a", 4), ("b", -2)], title="t", id_prefix="n"))
    up, down = svg.findall(".//svg:rect[@class='bar']", NS)
    baseline = float(svg.find("svg:line", NS).get("y1"))
    assert float(up.get("y")) + float(up.get("height")) == pytest.approx(baseline)
    assert float(down.get("y")) == pytest.approx(baseline)


def test_many_bars_keep_readable_labels():
    points = [(f"Tổ dân phố {i}", i) for i in range(40)]
    svg = parse(bar_chart(points, title="t", id_prefix="m"))
    assert len(svg.findall(".//svg:rect[@class='bar']", NS)) == 40
    labels = [t for t in svg.findall("svg:g/svg:text", NS)]
    assert len(labels) < 40 + 40  # values on every bar, labels on some


def test_numbers_are_formatted_by_the_caller():
    svg = parse(bar_chart([("a", 12345)], title="t", id_prefix="f", fmt=lambda v: format_number(int(v), "vi")))
    assert svg.find("svg:desc", NS).text == "a: 12.345"


def test_donut_draws_a_slice_per_non_zero_point_and_a_legend_row_per_point():
    svg = parse(donut_chart([("Thường trú", 7), ("Tạm trú", 3), ("Lưu trú", 0)], title="Hộ", id_prefix="d"))
    slices = svg.findall("svg:circle[@class='slice']", NS)
    assert len(slices) == 2
    assert len(svg.findall("svg:rect[@class='swatch']", NS)) == 3
    assert [s.find("svg:title", NS).text for s in slices] == ["Thường trú: 7 (70%)", "Tạm trú: 3 (30%)"]
    lengths = [float(s.get("stroke-dasharray").split()[0]) for s in slices]
    assert lengths[0] / lengths[1] == pytest.approx(7 / 3, rel=1e-3)


def test_donut_of_one_point_is_a_full_ring():
    svg = parse(donut_chart([("all", 5)], title="t", id_prefix="one"))
    (only,) = svg.findall("svg:circle[@class='slice']", NS)
    drawn, gap = (float(v) for v in only.get("stroke-dasharray").split())
    assert gap == 0 and drawn > 0


@pytest.mark.parametrize("points", [[], [("a", float("nan"))], [("a", float("inf"))], [("a", "3")], [("a", True)]])
def test_charts_refuse_what_they_cannot_draw(points):
    with pytest.raises(ValueError):
        bar_chart(points, title="t", id_prefix="e")


def test_donut_refuses_negative_values():
    with pytest.raises(ValueError):
        donut_chart([("a", 3), ("b", -1)], title="t", id_prefix="e")
