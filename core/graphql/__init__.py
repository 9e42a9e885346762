"""The GraphQL gateway: one API composed from what the tenant's enabled plugins contribute."""
