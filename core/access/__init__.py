"""Access control: built-in roles, permissions declared by plugins, Casbin RBAC with domains over the
tenant hierarchy (:mod:`core.access.enforcer`), guards for routes and GraphQL, and row filters."""
