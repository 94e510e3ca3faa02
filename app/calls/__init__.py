"""Calls with the policy officer: the rules, publishing times, booking, invites and call
emails."""
