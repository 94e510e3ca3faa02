"""What the test modules share, so that no test module imports another.

- actors: a respondent, an officer and an admin, each in a browser of their own
- clients: the clock the tests move by hand, and test clients that behave like browsers
- factories (a pytest plugin): consultations, the routed survey, users, signed-in browsers
- pages: reading the pages a test client receives
- survey, evidence, contact: each way of responding over HTTP, step by step
- responses: rows stored straight with the models, and the admin's list of them
- outbox, audit: the emails queued and the audit log, as stored now
- fuzz: junk for hypothesis to send, and the oracles that read it as the site may
- browser: the steps the Playwright journeys in tests/browser share
- processes: the site served by gunicorn as deployed, read over real HTTP
- smtp_server (a pytest plugin), services, databases: real servers for a test run
- sample_files, many_scripts, html_checks, concurrency: inputs, and checks of pages
- respondents, change_forms, cancelled_calls: a respondent's link, the forms it opens, and
  the emails that cancel a withdrawn message's call
- evidence_fuzz, contact_fuzz, database_trouble: junk for the evidence and message forms,
  and a database that is locked or refuses a write
"""
