"""Default grants of ``ornamental_plants``: the ward's and district's staff and integrators read; the ward's
officers and chair (and platform administrators) register and change."""

EXPECTED = {
    "ornamental_plants.registry:read": {"platform_admin", "district_admin", "ward_chair", "ward_officer",
                                        "integrator"},
    "ornamental_plants.registry:write": {"platform_admin", "ward_chair", "ward_officer"},
}
