"""The reviewed default grants of residence's permissions (read by tests/access/test_matrix.py).

The ward police read through an ``integrator`` token or a ward account (``ward_officer``); a lodging
operator declares and reads their own establishment's stays only (row filters), nothing else.
"""

STAFF = {"platform_admin", "district_admin", "ward_chair", "ward_officer"}
EDITORS = {"platform_admin", "ward_chair", "ward_officer"}
POLICE = STAFF | {"integrator"}

EXPECTED: dict[str, set[str]] = {
    "residence.registration:read": POLICE,
    "residence.registration:write": EDITORS,
    "residence.establishment:read": POLICE | {"lodging_operator"},
    "residence.establishment:write": EDITORS,
    "residence.stay:read": POLICE | {"lodging_operator"},
    "residence.stay:declare": EDITORS | {"lodging_operator"},
    "residence.stay.guest:read": {"ward_chair", "ward_officer", "integrator", "lodging_operator"},
    "residence.police:read": POLICE,
    "residence.statistics:read": POLICE,
}
