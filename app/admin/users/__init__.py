"""Who may use the admin area: the views, the services and the forms."""
