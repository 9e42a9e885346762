"""HTTP plumbing shared by every route: request context, errors, tenant resolution."""
