"""Fixtures for the DigitalOcean simulator (filled in by the dosim issue)."""
