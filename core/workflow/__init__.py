"""Change requests with tiered approval (DESIGN §6): a plugin declares the change types it accepts
(``wardhub_change_types``); a resident proposes, a ward officer reviews, the ward chair approves, which
applies the change in the same transaction through the plugin's ``apply``. See :mod:`core.workflow.services`."""
