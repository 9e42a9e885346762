"""Default grants of ``feedback`` (rows of the platform's access-matrix test, tests/access/test_matrix.py):
the ward's staff read and count reports, its officers and chair handle them, the chair assigns them and
sets the ward's rules; residents and neighbourhood heads file (visitors too, anonymously, outside Casbin)."""

STAFF = {"platform_admin", "district_admin", "ward_chair", "ward_officer"}
HANDLERS = {"platform_admin", "ward_chair", "ward_officer"}

EXPECTED = {
    "feedback.report:file": HANDLERS | {"neighborhood_head", "resident"},
    "feedback.report:read": STAFF | {"integrator"},
    "feedback.report.reporter:read": HANDLERS,
    "feedback.report:assign": {"platform_admin", "ward_chair"},
    "feedback.report:handle": HANDLERS,
    "feedback.stats:read": STAFF | {"integrator"},
    "feedback.settings:write": {"platform_admin", "ward_chair"},
}
