"""Default grants of ``economic_units`` (read by tests/access/test_matrix.py): the ward's and district's staff
read the register, the map and the figures, and integrators read them through the API; only the ward's
officers and chair (and platform administrators) register, change and import units."""

EXPECTED = {
    "economic_units.unit:read": {"platform_admin", "district_admin", "ward_chair", "ward_officer", "integrator"},
    "economic_units.unit:write": {"platform_admin", "ward_chair", "ward_officer"},
    "economic_units.import:write": {"platform_admin", "ward_chair", "ward_officer"},
}
