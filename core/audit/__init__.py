"""Audit log: every write of tenant data, and reads of sensitive fields.

Importing this package installs the recorder (:mod:`core.audit.recorder`): each flush of a tenant-owned
object writes an :class:`~core.audit.models.AuditEntry` (who, when, tenant, entity, id, before, after,
request id) in the same transaction. Bulk statements and reads of sensitive fields call
:func:`core.audit.recorder.record` themselves.
"""

from core.audit import recorder
from core.audit.context import Actor, bind_actor, current_actor

__all__ = ["Actor", "bind_actor", "current_actor", "recorder"]
