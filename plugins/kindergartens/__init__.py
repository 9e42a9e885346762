"""kindergartens: private childcare groups and independent kindergarten classes of a ward (see README.md)."""
