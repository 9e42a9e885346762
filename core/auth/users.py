"""Accounts: create, find, change and reset passwords, sign in. No HTTP here.

Usernames are platform-wide and compared lower-case. Passwords never travel in argv or logs; a password
change or an administrator's reset raises the user's ``session_epoch``, which ends every session.
"""

from __future__ import annotations

import re
import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import passwords
from core.auth.models import User
from core.auth.throttle import Throttle, rate_limited
from core.db.base import utcnow
from core.db.engine import Database
from core.db.scoping import SYSTEM
from core.errors import UserError, bad_input, conflict, not_found

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,79}$")


def bad_credentials() -> UserError:
    return UserError("UNAUTHENTICATED", ("Sai tên đăng nhập hoặc mật khẩu", "Wrong username or password"))


def normalize_username(username: str) -> str:
    name = (username or "").strip().lower()
    if not USERNAME.match(name):
        raise bad_input(
            "username",
            "Tên đăng nhập gồm 3–80 ký tự: chữ thường, số, '.', '_', '@' hoặc '-'",
            "A username has 3–80 characters: lower-case letters, digits, '.', '_', '@' or '-'",
        )
    return name


async def get_by_username(session: AsyncSession, username: str) -> User:
    user = (
        await session.execute(select(User).where(User.username == username.strip().lower()))
    ).scalar_one_or_none()
    if user is None:
        raise not_found(f"Không có tài khoản {username!r}", f"No account {username!r}")
    return user


async def get(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise not_found("Không có tài khoản này", "No such account")
    return user


async def create_user(
    session: AsyncSession,
    username: str,
    password: str | None,
    *,
    display_name: str = "",
    email: str | None = None,
    must_change_password: bool = False,
) -> User:
    """A new account; ``password=None`` makes one that cannot sign in with a password (yet)."""
    name = normalize_username(username)
    if (await session.execute(select(User.id).where(User.username == name))).first():
        raise conflict(f"Tên đăng nhập {name!r} đã được dùng", f"The username {name!r} is taken")
    if email is not None and (len(email) > 254 or "@" not in email):
        raise bad_input("email", "Địa chỉ thư điện tử không hợp lệ", "Not an e-mail address")
    hashed = None
    if password is not None:
        passwords.check_strength(password)
        hashed = await passwords.hash_password(password)
    user = User(
        username=name, display_name=" ".join((display_name or "").split())[:200], email=email,
        password_hash=hashed, is_active=True, must_change_password=must_change_password, session_epoch=0,
        password_changed_at=utcnow() if hashed else None,
    )
    session.add(user)
    await session.flush()
    return user


async def set_password(session: AsyncSession, user: User, password: str, *, must_change: bool = False) -> User:
    """Set a new password (an administrator's reset, or the user's own change) and end every session."""
    passwords.check_strength(password)
    user.password_hash = await passwords.hash_password(password)
    user.password_changed_at = utcnow()
    user.must_change_password = must_change
    user.session_epoch = (user.session_epoch or 0) + 1
    await session.flush()
    return user


async def reset_password(session: AsyncSession, user: User, password: str | None = None) -> str:
    """An administrator's reset: a given or generated temporary password the user must change.

    Returns the temporary password, to be handed over once.
    """
    temporary = password or secrets.token_urlsafe(12)
    await set_password(session, user, temporary, must_change=True)
    return temporary


async def change_own_password(session: AsyncSession, user: User, current: str, new: str) -> User:
    matches, _ = await passwords.verify(user.password_hash, current)
    if not matches:
        raise bad_input("current_password", "Mật khẩu hiện tại không đúng", "The current password is wrong")
    if current == new:
        raise bad_input("password", "Mật khẩu mới phải khác mật khẩu cũ",
                        "Choose a password different from the old one")
    return await set_password(session, user, new)


async def set_active(session: AsyncSession, user: User, active: bool) -> User:
    user.is_active = active
    if not active:
        user.session_epoch = (user.session_epoch or 0) + 1
    await session.flush()
    return user


async def sign_in(db: Database, throttle: Throttle, username: str, password: str, address: str | None) -> User:
    """Check a username and password, throttled per account and per address.

    Raises ``RATE_LIMITED`` (with the lock-out end) while either is locked, ``UNAUTHENTICATED`` for a wrong
    pair (the same answer whether or not the account exists). Rehashes the password when the hashing
    parameters changed since it was stored.
    """
    keys = throttle.keys(username or "", address)
    await throttle.check(keys)
    name = (username or "").strip().lower()
    async with db.session(SYSTEM) as session:
        user = (await session.execute(select(User).where(User.username == name))).scalar_one_or_none()
        stored = user.password_hash if user is not None and user.is_active else None
    matches, needs_rehash = await passwords.verify(stored, password or "")
    if not matches:
        locked = await throttle.failed(keys)
        if locked is not None:
            raise rate_limited(locked)
        raise bad_credentials()
    await throttle.succeeded(username)
    new_hash = await passwords.hash_password(password) if needs_rehash else None
    async with db.session(SYSTEM) as session:
        user = await session.get(User, user.id)
        if new_hash is not None:
            user.password_hash = new_hash
        user.last_login_at = utcnow()
    return user
