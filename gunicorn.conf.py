"""gunicorn's settings for this site; gunicorn reads this file when started from here.

`gunicorn wsgi:app` picks these up; `make bench` serves the site and its baseline with them.
"""

import multiprocessing

# Sync workers: each request has a process to itself, which suits short requests and
# SQLite. Two per core keeps the cores busy while one worker waits on the disk.
workers = 2 * multiprocessing.cpu_count()
worker_class = "sync"
# An Excel export of 100,000 responses takes about 40 seconds to build.
timeout = 120
bind = "127.0.0.1:8000"
