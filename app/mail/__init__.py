"""Email: the outbox (the only code that talks SMTP) and the emails sent about events."""
