"""Vietnamese text folded for accent-insensitive search: ``"Nguyễn Văn Đức"`` → ``"nguyen van duc"``.

The folded form keeps only ``a-z``, ``0-9`` and single spaces, so it sorts the same under every
collation and a prefix ``p`` is exactly the range ``[p, p + "~")`` ("~" sorts after every kept
character): searches compare with ``=``/``>=``/``<``, which PostgreSQL marks leakproof and so can use
an index under row-level security (``ILIKE`` cannot; see STACK-NOTES).
"""

from __future__ import annotations

import re
import unicodedata

_DROP = re.compile(r"[^a-z0-9]+")
PREFIX_END = "~"


def normalize(text: str | None) -> str:
    """Lower case, accents removed (đ → d), anything but letters and digits turned into one space."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return _DROP.sub(" ", plain).strip()


def given_name(folded_full_name: str) -> str:
    """The last word of a folded Vietnamese name: the given name (tên), searched on its own too."""
    return folded_full_name.rsplit(" ", 1)[-1]


def prefix_range(prefix: str) -> tuple[str, str]:
    """``(low, high)`` such that ``low <= value < high`` holds exactly for folded values starting with ``prefix``."""
    return prefix, prefix + PREFIX_END
