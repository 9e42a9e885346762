"""economic_units: enterprises and household businesses of a ward, on a map (see README.md)."""
