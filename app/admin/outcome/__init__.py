"""What came of a closed consultation ("You said, we did"): its views and its services."""
