"""Personal data over time: deleting a response on request, the purge, abandoned files."""
