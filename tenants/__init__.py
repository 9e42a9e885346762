"""Tenant registry: the administrative hierarchy, official unit codes and plugin subscriptions."""
