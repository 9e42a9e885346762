"""argon2id password hashing. A verify costs ~200 ms on purpose: it runs in a worker thread, never on the
event loop, and sign-ins are throttled (:mod:`core.auth.throttle`).

A stored hash carries its own parameters. When the platform's parameters change, :func:`verify` says so
and the caller stores :func:`hash_password`'s new hash (rehash on sign-in).
"""

from __future__ import annotations

import anyio.to_thread
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core.errors import bad_input

MIN_LENGTH = 10
MAX_LENGTH = 256

_hasher = PasswordHasher(type=Type.ID)  # argon2-cffi's defaults (RFC 9106 low-memory profile)
# A hash of a random password, verified when the account does not exist so that timing does not tell.
_DUMMY: str | None = None


def configure(**params: int) -> PasswordHasher:
    """Replace the hashing parameters (``time_cost``, ``memory_cost``, ``parallelism``…).

    Existing hashes keep working and are rehashed at their next sign-in. ``core.testing`` lowers the
    cost so that test suites stay fast.
    """
    global _hasher, _DUMMY
    _hasher = PasswordHasher(type=Type.ID, **params)
    _DUMMY = None
    return _hasher


def hasher() -> PasswordHasher:
    return _hasher


def check_strength(password: str) -> None:
    """Refuse passwords a person can guess; the message is for the person choosing one."""
    if len(password) < MIN_LENGTH:
        raise bad_input("password", f"Mật khẩu cần ít nhất {MIN_LENGTH} ký tự",
                        f"A password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise bad_input("password", f"Mật khẩu dài tối đa {MAX_LENGTH} ký tự",
                        f"A password has at most {MAX_LENGTH} characters")
    if len(set(password)) < 4:
        raise bad_input("password", "Mật khẩu quá đơn giản", "This password is too simple")


def hash_password_sync(password: str) -> str:
    return _hasher.hash(password)


async def hash_password(password: str) -> str:
    """The argon2id hash of ``password``, computed in a worker thread."""
    return await anyio.to_thread.run_sync(_hasher.hash, password)


def _verify_sync(stored: str | None, password: str) -> tuple[bool, bool]:
    global _DUMMY
    ph = _hasher
    if stored is None:
        if _DUMMY is None:
            _DUMMY = ph.hash("no-such-account-dummy-password")
        stored = _DUMMY
        password = password + "\x00"  # never matches
    try:
        ph.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, False
    return True, ph.check_needs_rehash(stored)


async def verify(stored: str | None, password: str) -> tuple[bool, bool]:
    """``(matches, needs_rehash)``, computed in a worker thread. ``stored=None`` costs the same and fails."""
    return await anyio.to_thread.run_sync(_verify_sync, stored, password)
