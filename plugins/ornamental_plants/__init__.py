"""ornamental_plants: hobbyist associations, registered specimens with photos, events and traders (README.md)."""
