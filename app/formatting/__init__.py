"""Showing values to people: times in the site's zone, telephone numbers, safe spreadsheet
cells."""
