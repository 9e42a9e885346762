"""Every installed plugin declares what it guards, in both languages, with default grants; routes, GraphQL fields
and navigation entries only name declared permissions."""

from __future__ import annotations

import uuid

import pytest

from core.access.permissions import CORE_PERMISSIONS
from core.access.roles import BUILT_IN_ROLES
from core.plugins.context import TenantRef
from core.web.contributions import NavEntry

VIETNAMESE = set("ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")


def declared(plugin_manager) -> dict[str, list]:
    return plugin_manager.collect("wardhub_permissions")


def test_every_installed_plugin_declares_permissions(plugin_manager):
    permissions = declared(plugin_manager)
    assert not plugin_manager.failed, plugin_manager.failed
    for name in plugin_manager.ordered():
        assert permissions.get(name), f"plugin {name!r} declares no permission: nothing it serves is guarded"


def test_permissions_are_named_translated_and_granted(plugin_manager):
    for plugin, permissions in declared(plugin_manager).items():
        titles = {"vi": set(), "en": set()}
        for permission in permissions:
            who = f"{plugin}: {permission.name}"
            assert permission.name.startswith(f"{plugin}."), f"{who} is outside the plugin's namespace"
            vi, en = permission.title_vi.strip(), permission.title_en.strip()
            assert vi and en, f"{who}: both titles are required"
            assert vi != en, f"{who}: the Vietnamese title is the English one (not translated)"
            assert VIETNAMESE & set(vi.lower()), f"{who}: {vi!r} has no Vietnamese letter (not translated?)"
            assert en.isascii(), f"{who}: the English title {en!r} has Vietnamese letters"
            assert vi not in titles["vi"] and en not in titles["en"], f"{who}: two permissions share a title"
            titles["vi"].add(vi)
            titles["en"].add(en)
            assert permission.grants, f"{who}: no built-in role holds it by default"
            assert permission.grants <= set(BUILT_IN_ROLES), f"{who}: unknown roles {permission.grants}"
            if permission.description_vi or permission.description_en:
                assert permission.description_vi and permission.description_en, f"{who}: describe it in both"


def test_routes_and_navigation_name_only_declared_permissions(plugin_manager):
    catalog = {p.name for permissions in declared(plugin_manager).values() for p in permissions}
    catalog |= {p.name for p in CORE_PERMISSIONS}
    for plugin, handlers in plugin_manager.collect("wardhub_routes").items():
        for handler in handlers or ():
            for guard in getattr(handler, "guards", None) or ():
                for permission in getattr(guard, "permissions", ()):
                    assert permission in catalog, f"{plugin}: a route requires undeclared {permission}"
    ward = TenantRef(id=uuid.uuid4(), scheme="local", code="kit", level="ward", name="Phường Kiểm tra")
    for name in plugin_manager.ordered():
        entries = plugin_manager.pm.hook.wardhub_navigation.get_hookimpls()
        for impl in entries:
            if impl.plugin_name != name:
                continue
            for lang in ("vi", "en"):
                for entry in impl.function(tenant=ward, lang=lang) or ():
                    assert isinstance(entry, NavEntry), f"{name}: {entry!r}"
                    assert entry.label[0] and entry.label[1] and entry.label[0] != entry.label[1], f"{name}: {entry}"
                    assert entry.permission is None or entry.permission in catalog, f"{name}: {entry.permission}"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_plugin_messages_are_complete_in_both_languages(plugin_manager, lang):
    for plugin, messages in plugin_manager.collect("wardhub_messages").items():
        if not isinstance(messages, dict):
            continue  # a JSON catalog: core checks it at start-up
        for key, texts in messages.items():
            assert key.startswith(f"{plugin}."), f"{plugin}: message {key} outside its namespace"
            assert len(texts) == 2 and all(t.strip() for t in texts), f"{plugin}: {key} lacks a language"
