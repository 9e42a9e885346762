"""Who holds the plugin's permissions by default (read by tests/access/test_matrix.py): the ward's staff reads,
its officers and chair write; only the chair (and platform admins) change the base level."""

STAFF = {"platform_admin", "district_admin", "ward_chair", "ward_officer"}
EDITORS = {"platform_admin", "ward_chair", "ward_officer"}

EXPECTED = {
    "social_welfare.beneficiary:read": STAFF,
    "social_welfare.beneficiary:write": EDITORS,
    "social_welfare.payment:write": EDITORS,
    "social_welfare.policy_family:read": STAFF,
    "social_welfare.policy_family:write": EDITORS,
    "social_welfare.poverty:read": STAFF,
    "social_welfare.poverty:write": EDITORS,
    "social_welfare.base_level:write": {"platform_admin", "ward_chair"},
    "social_welfare.import:write": EDITORS,
}
