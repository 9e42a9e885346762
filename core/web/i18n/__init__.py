"""Interface messages in Vietnamese and English, and the language of a request.

A catalog maps a message id to its ``(vi, en)`` pair, the same pair :mod:`core.errors` uses, so that
neither language can be left out. Core's messages are in ``messages.json`` beside this file
(``{"id": {"vi": "…", "en": "…"}}``); each plugin adds its own through the ``wardhub_messages`` hook,
with ids under its own name (``residents.person.title``). Placeholders are ``str.format`` fields
(``{count}``) and must be the same in both languages; ``tests/web/test_i18n.py`` checks every catalog.

A page's language is ``?lang=vi|en`` when given (then remembered in the ``lang`` cookie), else the
``lang`` cookie, else ``Accept-Language``; Vietnamese by default.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Mapping
from os import PathLike
from pathlib import Path

import structlog
from litestar.connection import ASGIConnection

from core.errors import LANGS, Message, language

log = structlog.get_logger("wardhub.i18n")

CORE_CATALOG = Path(__file__).parent / "messages.json"
# Core's other catalogs beside it (``admin.json``: the console's administration pages), one id space with it.
CORE_CATALOGS = (CORE_CATALOG, Path(__file__).parent / "admin.json")
LANG_COOKIE = "lang"
LANG_PARAM = "lang"


class CatalogError(ValueError):
    """A catalog is malformed (a language missing or empty, placeholders differing, an id out of place)."""


def load_messages(path: str | PathLike[str]) -> dict[str, Message]:
    """Read a JSON catalog ``{"id": {"vi": "…", "en": "…"}}`` into ``{id: (vi, en)}``."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise CatalogError(f"{path}: a catalog is a JSON object of message ids")
    messages: dict[str, Message] = {}
    for key, value in raw.items():
        if not isinstance(value, dict) or set(value) != set(LANGS):
            raise CatalogError(f"{path}: message {key!r} must give exactly {' and '.join(LANGS)}")
        messages[key] = (value["vi"], value["en"])
    return messages


def load_core_messages() -> dict[str, Message]:
    """Core's catalogs merged; an id given by two of them is refused."""
    merged: dict[str, Message] = {}
    for path in CORE_CATALOGS:
        messages = load_messages(path)
        twice = sorted(set(merged) & set(messages))
        if twice:
            raise CatalogError(f"{path.name}: ids already given by another core catalog: {', '.join(twice)}")
        merged.update(messages)
    return merged


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def check_messages(source: str, messages: Mapping[str, object]) -> list[str]:
    """Problems of one catalog: empty or missing translations, placeholders that differ between languages."""
    problems = []
    for key, pair in messages.items():
        if not isinstance(key, str) or not key:
            problems.append(f"{source}: message id {key!r} is not a non-empty string")
            continue
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(t, str) for t in pair)):
            problems.append(f"{source}: {key!r} is not a (vi, en) pair of strings")
            continue
        for lang, text in zip(LANGS, pair, strict=True):
            if not text.strip():
                problems.append(f"{source}: {key!r} has no {lang} text")
        try:
            if placeholders(pair[0]) != placeholders(pair[1]):
                problems.append(f"{source}: {key!r} has different placeholders in vi and en")
        except ValueError:
            problems.append(f"{source}: {key!r} has a malformed placeholder")
    return problems


class Catalog:
    """Core's messages and the plugins' (each under ``<plugin>.``), looked up by id and language."""

    def __init__(self, core: Mapping[str, Message], plugins: Mapping[str, Mapping[str, Message]]) -> None:
        problems = check_messages("core", core)
        for plugin, messages in plugins.items():
            problems += check_messages(f"plugin {plugin!r}", messages)
            outside = sorted(k for k in messages if isinstance(k, str) and not k.startswith(f"{plugin}."))
            if outside:
                problems.append(f"plugin {plugin!r}: message ids must start with '{plugin}.': {', '.join(outside)}")
            taken = sorted(k for k in core if k.startswith(f"{plugin}."))
            if taken:
                problems.append(f"plugin {plugin!r}: core already uses ids under '{plugin}.': {', '.join(taken)}")
        if problems:
            raise CatalogError("; ".join(problems))
        self.sources: dict[str, dict[str, Message]] = {"core": dict(core)}
        self.sources.update({plugin: dict(messages) for plugin, messages in plugins.items()})
        self.messages: dict[str, Message] = {}
        for messages in self.sources.values():
            self.messages.update(messages)

    def get(self, key: str, lang: str, **params: object) -> str:
        """The message ``key`` in ``lang``, formatted with ``params``; an unknown id shows as itself."""
        pair = self.messages.get(key)
        if pair is None:
            log.warning("message_missing", key=key)
            return key
        text = pair[1] if lang == "en" else pair[0]
        return text.format(**params) if params else text

    def bind(self, lang: str) -> Callable[..., str]:
        """``_(key, **params)`` for one language, as templates call it."""

        def gettext(key: str, **params: object) -> str:
            return self.get(key, lang, **params)

        return gettext


def valid_lang(value: str | None) -> str | None:
    return value if value in LANGS else None


def negotiate(query_lang: str | None, cookie_lang: str | None, accept_language: str | None) -> str:
    """The page's language: the ``lang`` parameter, else the ``lang`` cookie, else ``Accept-Language``."""
    return valid_lang(query_lang) or valid_lang(cookie_lang) or language(accept_language)


def request_language(connection: ASGIConnection) -> str:
    return negotiate(
        connection.query_params.get(LANG_PARAM), connection.cookies.get(LANG_COOKIE),
        connection.headers.get("accept-language"),
    )


def format_number(value: object, lang: str) -> str:
    """``12345.5`` as ``12.345,5`` in Vietnamese and ``12,345.5`` in English; other values as text."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0").rstrip(".")
    if lang == "en":
        return text
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
