"""Errors a client can cause, with their messages in Vietnamese and English.

Services raise :class:`UserError`; the HTTP and GraphQL layers turn it into a 4xx answer with a
stable ``code`` and the message in the request's language, and nothing is written (the transaction
rolls back). A message is a ``(vi, en)`` pair so that neither language can be forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LANGS = ("vi", "en")
Message = tuple[str, str]

STATUS = {
    "BAD_USER_INPUT": 400,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "PLUGIN_NOT_ENABLED": 404,
    "CONFLICT": 409,
    "RATE_LIMITED": 429,
}


def pick(message: Message, lang: str) -> str:
    return message[1] if lang == "en" else message[0]


@dataclass
class UserError(Exception):
    code: str
    message: Message
    fields: dict[str, Message] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in STATUS:
            raise ValueError(f"unknown error code {self.code}")
        super().__init__(self.message[1])

    @property
    def status(self) -> int:
        return STATUS[self.code]

    def render(self, lang: str) -> dict[str, object]:
        body: dict[str, object] = {"code": self.code, "message": pick(self.message, lang)}
        if self.fields:
            body["fields"] = {name: pick(msg, lang) for name, msg in self.fields.items()}
        return body


def bad_input(field_name: str, vi: str, en: str) -> UserError:
    return UserError("BAD_USER_INPUT", (vi, en), {field_name: (vi, en)})


def not_found(vi: str, en: str) -> UserError:
    return UserError("NOT_FOUND", (vi, en))


def conflict(vi: str, en: str) -> UserError:
    return UserError("CONFLICT", (vi, en))


def language(accept_language: str | None) -> str:
    """``en`` when the client prefers English over Vietnamese, else ``vi`` (the default)."""
    if not accept_language:
        return "vi"
    best, best_q = "vi", -1.0
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        lang = tag.strip().lower().split("-")[0]
        if lang in LANGS and q > best_q:
            best, best_q = lang, q
    return best
