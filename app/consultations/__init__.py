"""Consultations: their rules in time (lifecycle), finding them, and their files."""
