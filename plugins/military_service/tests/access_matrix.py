"""Who holds the plugin's permissions by default (read by tests/access/test_matrix.py): only the ward's
staff sees the register; health classes and grounds only its officers and chair."""

STAFF = {"platform_admin", "district_admin", "ward_chair", "ward_officer"}
EDITORS = {"platform_admin", "ward_chair", "ward_officer"}

EXPECTED = {
    "military_service.record:read": STAFF,
    "military_service.record:write": EDITORS,
    "military_service.record.health:read": {"ward_chair", "ward_officer"},
    "military_service.roster:read": STAFF,
    "military_service.roster:write": EDITORS,
    "military_service.import:write": EDITORS,
}
