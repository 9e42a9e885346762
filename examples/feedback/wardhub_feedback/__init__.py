"""Citizen feedback (Phản ánh, kiến nghị): a WardHub plugin."""
