"""Default grants of ``kindergartens``: the ward's and district's staff (and integrators) read facilities,
licences, staff, inspections and alerts; the children's names only the ward's and district's staff;
writes only the ward's officers and chair (and platform administrators)."""

EXPECTED = {
    "kindergartens.facility:read": {"platform_admin", "district_admin", "ward_chair", "ward_officer", "integrator"},
    "kindergartens.facility:write": {"platform_admin", "ward_chair", "ward_officer"},
    "kindergartens.enrolment:read": {"platform_admin", "district_admin", "ward_chair", "ward_officer"},
    "kindergartens.enrolment:write": {"platform_admin", "ward_chair", "ward_officer"},
}
