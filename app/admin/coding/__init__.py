"""Coding responses: tags and private notes, their views and their services."""
