"""The web console's administration pages and what the console adds to every page.

Pages (server-rendered, Vietnamese first, English with ``?lang=en``):

* ``/admin/units`` — the units one may see, as a tree, with search (:mod:`.tree`);
* ``/t/{unit}/admin/plugins`` — the unit's plugin subscriptions (:mod:`.subscriptions`);
* ``/t/{unit}/admin/roles`` — who holds which role in the unit, grant and revoke (:mod:`.roles`);
* ``/t/{unit}/admin/tokens`` — the unit's API tokens (:mod:`.tokens`);
* ``/t/{unit}/admin/audit`` — the unit's audit log (:mod:`.audit`);
* ``/admin/users`` — accounts, platform-wide (:mod:`.users`).

:mod:`.console` fills the layout's slots (signed-in person, tenant switcher, administration menu) and
filters the plugins' navigation entries by permission.
"""

from core.web.admin import audit, roles, subscriptions, tokens, tree, users
from core.web.admin.console import install, prefetch

ROUTES = [*tree.ROUTES, *subscriptions.ROUTES, *roles.ROUTES, *tokens.ROUTES, *audit.ROUTES, *users.ROUTES]

__all__ = ["ROUTES", "install", "prefetch"]
