"""Moderating readers' comments: the queue of reported and hidden comments, hiding,
restoring, dismissing reports and blocking readers; the daily summary of reports."""
