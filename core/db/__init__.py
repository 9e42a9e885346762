"""Data layer: declarative base, tenant-owned mixin, tenant scoping, row-level security, migrations."""
