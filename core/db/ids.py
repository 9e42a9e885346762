"""Application-generated UUIDv7 ids (time-ordered, so inserts stay local in B-tree indexes)."""

import uuid

from uuid_utils.compat import uuid7 as _uuid7


def new_id() -> uuid.UUID:
    return _uuid7()
