"""Marketplace simulation: a believable demo marketplace seeded through the real services."""
