"""What the test modules share, so that no test module imports another.

- actors: a respondent, an officer and an admin, each a browser that does what they do
- clients: the clock the tests move by hand, and test clients that behave like browsers
- factories (pytest plugin): consultations, the routed survey, users, signed-in browsers
- pages: reading the pages a test client receives
- survey, evidence, contact: each channel's journey over HTTP, step by step
- responses: the admin's list of responses, and rows stored straight with the models
- outbox: the emails queued, and the worker's round
- fuzz: junk for hypothesis to send, and the oracles that read it as the site may
- browser: steps for the Playwright journeys in tests/browser
- processes: the site served by gunicorn, as deployed
- smtp_server (pytest plugin), services, databases: real servers for a test run
- sample_files, many_scripts, html_checks, concurrency: inputs and checks
"""
