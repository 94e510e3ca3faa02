"""`make bench`: throughput, latency, page weight and admin timings against a bare Flask app."""
