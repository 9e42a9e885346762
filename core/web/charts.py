"""Charts drawn on the server as inline SVG: no JavaScript, no chart library, readable on a phone.

Each chart is an ``<svg role="img">`` whose ``<title>`` names it and whose ``<desc>`` lists every point,
so a screen reader gets the numbers; each bar or slice carries its own ``<title>`` (a tooltip with a
mouse). Labels arrive already translated. The markup is well-formed XML, escaped, and sized by its
``viewBox`` so it scales to the width of its container.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

SVG_NS = "http://www.w3.org/2000/svg"
TEXT = "#1f2328"
GRID = "#8c959f"
BAR = "#1d5b99"
# Dark enough for 3:1 against white (WCAG 1.4.11), told apart by the legend as well as by colour.
PALETTE = ("#1d5b99", "#b35900", "#1b7f4c", "#8e3b8e", "#a1262a", "#006d75", "#5c6670", "#7a5c00")
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"'

Point = tuple[str, float]


def plain(value: float) -> str:
    return f"{value:g}"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(1, limit - 1)] + "…"


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _checked(points: Sequence[Point]) -> list[Point]:
    if not points:
        raise ValueError("a chart needs at least one point")
    result = []
    for label, value in points:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        result.append((str(label), float(value)))
    return result


def _open(id_prefix: str, width: int, height: int, kind: str, title: str, description: str) -> list[str]:
    ident = escape(id_prefix)
    return [
        f'<svg xmlns="{SVG_NS}" class="chart chart-{kind}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" {FONT} font-size="13">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
    ]


def describe(points: Sequence[Point], fmt: Callable[[float], str]) -> str:
    return "; ".join(f"{label}: {fmt(value)}" for label, value in points)


def bar_chart(
    points: Sequence[Point],
    *,
    title: str,
    id_prefix: str,
    fmt: Callable[[float], str] = plain,
    width: int = 320,
    height: int = 180,
) -> Markup:
    """A vertical bar chart, one ``<rect class="bar">`` per point; negative values hang below zero."""
    data = _checked(points)
    top, bottom, side = 18.0, 28.0, 6.0
    plot_w, plot_h = width - 2 * side, height - top - bottom
    high, low = max(0.0, *(v for _, v in data)), min(0.0, *(v for _, v in data))
    span = (high - low) or 1.0

    def y(value: float) -> float:
        return top + (high - value) / span * plot_h

    slot = plot_w / len(data)
    bar_w = max(1.0, slot * 0.7)
    label_every = max(1, math.ceil(len(data) / 12))
    chars = max(2, int(slot * label_every / 7.4))
    out = _open(id_prefix, width, height, "bar", title, describe(data, fmt))
    baseline = y(0.0)
    out.append(f'<line x1="{_num(side)}" x2="{_num(width - side)}" y1="{_num(baseline)}" y2="{_num(baseline)}" '
               f'stroke="{GRID}" stroke-width="1"/>')
    for index, (label, value) in enumerate(data):
        x = side + index * slot + (slot - bar_w) / 2
        y_top, y_bottom = y(max(value, 0.0)), y(min(value, 0.0))
        centre = x + bar_w / 2
        value_y = y_top - 4 if value >= 0 else y_bottom + 12
        out.append("<g>")
        out.append(f"<title>{escape(label)}: {escape(fmt(value))}</title>")
        out.append(f'<rect class="bar" x="{_num(x)}" y="{_num(y_top)}" width="{_num(bar_w)}" '
                   f'height="{_num(max(y_bottom - y_top, 0.0))}" fill="{BAR}"/>')
        out.append(f'<text x="{_num(centre)}" y="{_num(value_y)}" text-anchor="middle" fill="{TEXT}">'
                   f"{escape(fmt(value))}</text>")
        if index % label_every == 0:
            out.append(f'<text x="{_num(centre)}" y="{_num(height - 10)}" text-anchor="middle" fill="{TEXT}">'
                       f"{escape(_shorten(label, chars))}</text>")
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


def donut_chart(
    points: Sequence[Point],
    *,
    title: str,
    id_prefix: str,
    fmt: Callable[[float], str] = plain,
    width: int = 320,
) -> Markup:
    """A donut with a legend, one ``<circle class="slice">`` per non-zero point; values must not be negative."""
    data = _checked(points)
    if any(value < 0 for _, value in data):
        raise ValueError("a donut cannot show negative values")
    total = sum(value for _, value in data)
    radius, thickness = 56.0, 26.0
    cx = cy = radius + thickness / 2 + 4
    height = max(int(2 * cy), 24 + 20 * len(data))
    circumference = 2 * math.pi * radius
    out = _open(id_prefix, width, height, "donut", title, describe(data, fmt))
    out.append(f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(radius)}" fill="none" stroke="#e6e8eb" '
               f'stroke-width="{_num(thickness)}"/>')
    offset = 0.0
    for index, (label, value) in enumerate(data):
        if value <= 0 or total <= 0:
            continue
        length = value / total * circumference
        share = value / total * 100
        out.append(
            f'<circle class="slice" cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(radius)}" fill="none" '
            f'stroke="{PALETTE[index % len(PALETTE)]}" stroke-width="{_num(thickness)}" '
            f'stroke-dasharray="{_num(length)} {_num(circumference - length)}" '
            f'stroke-dashoffset="{_num(-offset)}" transform="rotate(-90 {_num(cx)} {_num(cy)})">'
            f"<title>{escape(label)}: {escape(fmt(value))} ({share:.0f}%)</title></circle>"
        )
        offset += length
    legend_x = 2 * cy + 10
    chars = max(4, int((width - legend_x - 18) / 7.4))
    for index, (label, value) in enumerate(data):
        row_y = 14 + index * 20
        out.append(f'<rect class="swatch" x="{_num(legend_x)}" y="{_num(row_y - 9)}" width="11" height="11" '
                   f'fill="{PALETTE[index % len(PALETTE)]}"/>')
        out.append(f'<text x="{_num(legend_x + 16)}" y="{_num(row_y)}" fill="{TEXT}">'
                   f"{escape(_shorten(f'{label}: {fmt(value)}', chars))}</text>")
    out.append("</svg>")
    return Markup("".join(out))
