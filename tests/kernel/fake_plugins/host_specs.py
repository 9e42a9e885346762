"""Hook specifications a plugin adds to the contract (``manifest.hookspecs``)."""

import pluggy

hookspec = pluggy.HookspecMarker("wardhub")


@hookspec
def wardhub_host_sections(person_id: str) -> dict:
    """Sections other plugins contribute to the host plugin's person page."""
