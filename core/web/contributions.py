"""What plugins hand to the web console: navigation entries and dashboard figures.

Plain frozen values, built by the ``wardhub_navigation`` and ``wardhub_dashboard`` hooks; labels and
titles are ``(vi, en)`` pairs so a page can show either language.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from core.errors import Message

Label = str | Message
"""A label that needs no translation (a name, a year) or a ``(vi, en)`` pair."""

CHARTS = ("bar", "donut")


@dataclass(frozen=True, slots=True)
class NavEntry:
    """One link of the console's navigation.

    ``url`` is a path: absolute (``/t/…``) or, more usually, relative to the plugin's mount point
    ``/t/{tenant}/{plugin}/`` (``"greetings"``; ``""`` is the plugin's own root). ``permission`` names the
    permission a user needs to see the entry (``residents.person:read``): entries are filtered by it once
    sign-in is in place. Entries are shown by ``order``, then by plugin dependency order.
    """

    label: Message
    url: str
    permission: str | None = None
    order: int = 100


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure of a tenant's dashboard: a title, a headline value and an optional chart.

    ``value`` is the headline (a count, an amount, or a short text). ``series`` are ``(label, value)``
    points drawn server-side as an SVG ``chart`` (``"bar"`` or ``"donut"``); values must be finite numbers,
    and not negative for a donut. ``unit`` qualifies the value (``("người", "people")``); ``url`` links to
    the plugin's page behind the figure; ``permission`` is for filtering once sign-in is in place.
    """

    title: Message
    value: int | float | str
    series: Sequence[tuple[Label, int | float]] = field(default_factory=tuple)
    chart: Literal["bar", "donut"] = "bar"
    unit: Message | None = None
    url: str | None = None
    permission: str | None = None

    def check(self) -> None:
        """Raise ``ValueError`` for a figure that cannot be drawn."""
        if not (isinstance(self.title, tuple) and len(self.title) == 2):
            raise ValueError("title must be a (vi, en) pair")
        if self.chart not in CHARTS:
            raise ValueError(f"chart must be one of {', '.join(CHARTS)}")
        for _, value in self.series:
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"series value {value!r} is not a finite number")
