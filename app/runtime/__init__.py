"""What the application runs on: the clock it reads and the database's settings."""
