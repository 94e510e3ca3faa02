"""Web plumbing: the base form, rendering, error pages, security headers, template filters."""
