"""Journeys through a real headless Chromium, with JavaScript on and off, checked by axe-core."""
