"""Who may use the admin area: the views and the services (the forms are in admin/forms.py)."""
