"""Requests no browser would send, written byte by byte to the site served by a real
gunicorn, and sign-ins with a `next` no redirect should carry: whatever arrives, the
answer is never a 5xx.

The test client cannot send a request that breaks HTTP (a chunk size that is not hex, a
body cut short, bytes that are not UTF-8 in the request line): gunicorn parses those.
Some it refuses itself with a 4xx of its own; a broken body it cannot refuse, because it
decodes the body only as the app reads it, so its error is raised inside the app, from
the form parser. So the site is served by gunicorn, with the settings it is deployed
with, on this run's database, and the requests go over a socket.

Answers are told apart by who wrote them: the app puts a Content-Security-Policy on
every response, gunicorn's own error pages have none. Where the app answers an error,
it is with the site's own error page.
"""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookies import SimpleCookie

import pytest
import requests
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from app import create_app
from app.extensions import db
from app.models import AdminUser, Consultation
from bench import servers
from tests.support.factories import ADMIN_EMAIL, ADMIN_PASSWORD, consultation_fields, csrf_token
from tests.support.pages import h1_text
from tests.support.processes import hidden_fields, settings

SLUG = "test-consultation"  # the factory's default
LOGIN_URL = "/admin/login"
BAD_REQUEST_TITLE = "There is a problem with your request"
ERROR_PAGE_LINK = b"Go to the list of consultations"
# Only a failsafe, so that a server that never answers fails the test instead of hanging
# it: every request here is complete (or its end is signalled) before the answer is read.
SOCKET_TIMEOUT = 60


def post_routes() -> list[str]:
    """A URL for every route that takes a POST, from the app's own URL map.

    A URL names the test consultation where it takes a slug (written evidence reads its
    body only once it has found an open consultation that asks for evidence) and 1 for
    every other part. The body tests expect the body to be read, so a route that looked
    something up before reading it, and answered 404, would fail them: it would need a
    real value here.
    """
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    adapter = app.url_map.bind("localhost")
    return sorted(
        adapter.build(
            rule.endpoint,
            {name: SLUG if name == "slug" else 1 for name in rule.arguments},
            method="POST",
        )
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods
    )


POST_URLS = post_routes()


# The site, served


@dataclass
class Site:
    url: str
    host: str
    port: int


@pytest.fixture(scope="module")
def site(databases, tmp_path_factory) -> Iterator[Site]:
    """gunicorn serving the site on a database of this module's own.

    The database holds an admin and an open consultation that asks for every channel.
    One server answers every test here: none of them changes what another one sees.
    """
    folder = tmp_path_factory.mktemp("raw-requests")
    database_url = databases.fresh()
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        now = datetime.now(UTC)  # the served site reads the system clock
        db.session.add(
            Consultation(**consultation_fields(now, evidence_settings={"topics": ["Trends"]}))
        )
        admin = AdminUser(email=ADMIN_EMAIL, role="admin")
        admin.set_password(ADMIN_PASSWORD)
        db.session.add(admin)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    # Every request comes from one address, far more often than a person sends forms.
    env = settings(folder, database_url, RATELIMIT_ENABLED="false")
    # gunicorn logs a warning for each request it refuses (and the app a traceback for
    # each 500); in a file, not the pipe servers.gunicorn reads only at the end, which
    # would fill and stop the workers mid-test.
    options = ("--workers=2", f"--error-logfile={folder / 'error.log'}")
    try:
        with servers.gunicorn("wsgi:app", env, health="/healthz", args=options) as (url, _pid):
            host, _, port = url.removeprefix("http://").partition(":")
            yield Site(url, host, int(port))
    finally:
        databases.drop(database_url)


@pytest.fixture(scope="module")
def session(site) -> tuple[str, str]:
    """(session cookie, its CSRF token), from the sign-in page."""
    browser = requests.Session()
    token = hidden_fields(browser.get(site.url + LOGIN_URL))["csrf_token"]
    return browser.cookies["session"], token


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def from_the_app(self) -> bool:
        """Whether the app wrote this answer (gunicorn's own error pages carry no policy)."""
        return "content-security-policy" in self.headers

    def title(self) -> str:
        h1 = BeautifulSoup(self.body.decode("utf-8", "replace"), "html.parser").find("h1")
        return " ".join(h1.get_text(" ").split()) if h1 else ""


def send(site: Site, request: bytes) -> Answer:
    """Write `request` as it is, say that nothing more is coming, and read the answer.

    Closing our side is what lets a body cut short end: the server reads to the end of
    the connection instead of waiting for bytes that will never come.
    """
    with socket.create_connection((site.host, site.port), timeout=SOCKET_TIMEOUT) as connection:
        connection.sendall(request)
        connection.shutdown(socket.SHUT_WR)
        received = bytearray()
        while chunk := connection.recv(65536):
            received += chunk
    return parse_answer(bytes(received))


def parse_answer(raw: bytes) -> Answer:
    """The final answer in `raw`, after any interim 1xx (100 Continue)."""
    while True:
        assert raw.startswith(b"HTTP/1."), f"no HTTP answer, only {raw[:200]!r}"
        head, _, body = raw.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ")[1])
        if not 100 <= status < 200:
            break
        raw = body
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(status, headers, body)


def post(path: str, headers: bytes, body: bytes = b"") -> bytes:
    """A POST to `path` with these header lines (each ending CRLF) and this body."""
    return (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n".encode()
        + headers
        + b"\r\n"
        + body
    )


FORM = b"Content-Type: application/x-www-form-urlencoded\r\n"
CHUNKED = FORM + b"Transfer-Encoding: chunked\r\n"


def assert_site_error_page(answer: Answer, status: int, title: str | None = None) -> None:
    """The app's own error page for `status`, and no internals."""
    assert answer.status == status, answer.body[:500]
    assert answer.from_the_app
    assert answer.headers["content-type"].startswith("text/html")
    assert ERROR_PAGE_LINK in answer.body
    if title is not None:
        assert answer.title() == title
    for internal in (b"Traceback", b"werkzeug", b"gunicorn"):
        assert internal not in answer.body


# Bodies the server cannot read whole. Before the fix gunicorn's error escaped from the
# form parser and the site answered 500 on every form; a body shorter than its
# Content-Length was read as if it were all of it (refused here only by the CSRF check,
# for want of a token). Chunks cut short were already a 400.

UNREADABLE_BODIES = {
    "a chunk size that is not hex": (CHUNKED, b"ZZ\r\nabc\r\n0\r\n\r\n"),
    "a negative chunk size": (CHUNKED, b"-3\r\nabc\r\n0\r\n\r\n"),
    "a chunk without its CRLF": (CHUNKED, b"3\r\nabcXX0\r\n\r\n"),
    "a bare CR in a chunk extension": (CHUNKED, b"3;\rx\r\nabc\r\n0\r\n\r\n"),
    "a trailer that is not a header": (CHUNKED, b"3\r\nabc\r\n0\r\nNot a header\r\n\r\n"),
    "chunks cut short": (CHUNKED, b"10\r\nabc"),
    "a body shorter than its Content-Length": (FORM + b"Content-Length: 100\r\n", b"email=a"),
}


@pytest.mark.parametrize("path", POST_URLS)
@pytest.mark.parametrize("framing", UNREADABLE_BODIES.values(), ids=list(UNREADABLE_BODIES))
def test_a_body_the_server_cannot_read_gets_400_on_every_form(site, path, framing):
    headers, body = framing

    answer = send(site, post(path, headers, body))

    # 400 and not a 404, a sign-in page or a CSRF message: the route read its body.
    assert_site_error_page(answer, 400, BAD_REQUEST_TITLE)


def test_a_sign_in_cut_short_is_not_read_as_the_whole_form(site):
    """A form whose last bytes never came could have said anything there: it is refused,
    not acted on (before the fix this signed the admin in)."""
    browser = requests.Session()
    token = hidden_fields(browser.get(site.url + LOGIN_URL))["csrf_token"]
    body = f"csrf_token={token}&email={ADMIN_EMAIL}&password={ADMIN_PASSWORD}".encode()
    declared = len(body) + len(b"&next=/admin/audit")
    headers = b"Cookie: session=%s\r\n" % browser.cookies["session"].encode()

    answer = send(
        site, post(LOGIN_URL, headers + FORM + b"Content-Length: %d\r\n" % declared, body)
    )

    assert_site_error_page(answer, 400, BAD_REQUEST_TITLE)
    cookie = SimpleCookie(answer.headers.get("set-cookie", ""))
    if "session" in cookie:
        browser.cookies.set("session", cookie["session"].value)
    assert browser.get(site.url + "/admin/", allow_redirects=False).status_code == 302


# Bodies the server can read, full of junk, sent with a real session and CSRF token so
# that the junk reaches the views (the CSRF check refuses the rest, also with a 400).


def multipart(*parts: bytes, boundary: bytes = b"xyz") -> bytes:
    return b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts) + (
        b"--" + boundary + b"--\r\n"
    )


def field(name: bytes, value: bytes, extra: bytes = b"") -> bytes:
    return b'Content-Disposition: form-data; name="' + name + b'"' + extra + b"\r\n\r\n" + value


def junk_bodies(token: str) -> dict[str, tuple[bytes, bytes]]:
    """Content-Type header line and body of each kind of junk."""
    csrf = b"csrf_token=" + token.encode()
    multipart_type = b"Content-Type: multipart/form-data; boundary=xyz\r\n"
    return {
        "bytes that are not UTF-8": (
            FORM,
            csrf + b"&name=\xff\xfe&email=\xc3\x28&\xed\xa0\x80=x&message=\x80",
        ),
        "percent-encoded bytes that are not UTF-8": (
            FORM,
            csrf + b"&name=%ff%fe&email=%c3%28&%ed%a0%80=x&slot=%80&password=%c0%af",
        ),
        "broken percent-encoding": (FORM, csrf + b"&name=%zz%&email=%%41&%=%&page=%g"),
        "control characters": (FORM, csrf + b"&name=%00%01%1b&email=a%0d%0ab&subject=%7f"),
        "a huge number of fields": (FORM, csrf + b"&a=" * 100_000),
        "a field given many times": (FORM, csrf + b"&" + b"&".join([b"slot=1", b"slot=x"] * 50)),
        "a multipart body with a broken boundary": (
            multipart_type,
            multipart(field(b"csrf_token", token.encode()), boundary=b"abc"),
        ),
        "a multipart body with no boundary": (
            b"Content-Type: multipart/form-data\r\n",
            multipart(field(b"csrf_token", token.encode())),
        ),
        "a multipart body cut off before its end": (
            multipart_type,
            multipart(field(b"csrf_token", token.encode()))[:-9] + b"\r\n--xy",
        ),
        "multipart names and file names that are not UTF-8": (
            multipart_type,
            multipart(
                field(b"csrf_token", token.encode()),
                field(b"\xff\xfe", b"\xc3\x28"),
                field(b"documents", b"%PDF-1.4", b'; filename="\xff\x00.pdf"'),
                b"Content-Disposition: form-data\r\n\r\nno name",
            ),
        ),
        "more multipart parts than a form has": (
            multipart_type,
            multipart(field(b"csrf_token", token.encode()), *[field(b"a", b"1")] * 2000),
        ),
        "a body of a type no form takes": (
            b"Content-Type: application/json\r\n",
            b'{"csrf_token": "' + token.encode() + b'", "name": [1, {"$gt": ""}]}',
        ),
    }


JUNK_NAMES = list(junk_bodies("token"))


@pytest.mark.parametrize("path", POST_URLS)
@pytest.mark.parametrize("junk", JUNK_NAMES)
def test_junk_in_a_readable_body_never_gets_a_5xx(site, session, path, junk):
    cookie, token = session
    content_type, body = junk_bodies(token)[junk]
    headers = (
        b"Cookie: session="
        + cookie.encode()
        + b"\r\n"
        + content_type
        + b"Content-Length: %d\r\n" % len(body)
    )

    answer = send(site, post(path, headers, body))

    assert answer.status < 500, answer.body[:500]
    assert answer.from_the_app
    if answer.status >= 400 and answer.headers["content-type"].startswith("text/html"):
        assert b"Traceback" not in answer.body


# Junk in the request line and headers: gunicorn refuses much of it with a 4xx of its
# own; what gets through to the app must not break it.

HOST = b"Host: localhost\r\nConnection: close\r\n"
MALFORMED_REQUESTS = {
    "a path that is not UTF-8": b"GET /\xff\xfe HTTP/1.1\r\n" + HOST + b"\r\n",
    "an admin path that is not UTF-8": b"GET /admin/\xc3\x28 HTTP/1.1\r\n" + HOST + b"\r\n",
    "a query that is not UTF-8": b"GET /admin/login?next=\xff HTTP/1.1\r\n" + HOST + b"\r\n",
    "a percent-encoded path that is not UTF-8": (
        b"GET /consultations/%ff%fe/contact HTTP/1.1\r\n" + HOST + b"\r\n"
    ),
    "a percent-encoded line break in an admin path": (
        b"GET /admin/%0d%0aSet-Cookie:%20x=1 HTTP/1.1\r\n" + HOST + b"\r\n"
    ),
    "broken percent-encoding in the path and query": (
        b"GET /consultations/%zz%/survey?return=%%&page=%g HTTP/1.1\r\n" + HOST + b"\r\n"
    ),
    "control characters in the query": (
        b"GET /admin/login?next=%00%01%0d%0a%7f&x=%ff HTTP/1.1\r\n" + HOST + b"\r\n"
    ),
    "junk in the admin's list filters": (
        b"GET /admin/outbox?status=%ff%00 HTTP/1.1\r\n" + HOST + b"\r\n"
    ),
    "a request line too long": b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\n" + HOST + b"\r\n",
    "a header too long": b"GET / HTTP/1.1\r\n" + HOST + b"X-Big: " + b"a" * 20_000 + b"\r\n\r\n",
    "too many headers": (
        b"GET / HTTP/1.1\r\n" + HOST + b"".join(b"X-%d: a\r\n" % n for n in range(200)) + b"\r\n"
    ),
    "a NUL in a header": b"GET / HTTP/1.1\r\n" + HOST + b"X-A: a\x00b\r\n\r\n",
    "a header that is not UTF-8": b"GET / HTTP/1.1\r\n" + HOST + b"X-A: \xff\xfe\r\n\r\n",
    "a header with no colon": b"GET / HTTP/1.1\r\n" + HOST + b"Nonsense\r\n\r\n",
    "a folded header": b"GET / HTTP/1.1\r\n" + HOST + b"X-A: a\r\n b\r\n\r\n",
    "bare LF line ends": b"GET / HTTP/1.1\n" + HOST.replace(b"\r\n", b"\n") + b"\n",
    "an unknown method": b"BREW / HTTP/1.1\r\n" + HOST + b"\r\n",
    "a method that is not a token": b"G\x00T / HTTP/1.1\r\n" + HOST + b"\r\n",
    "an HTTP version that does not exist": b"GET / HTTP/9.9\r\n" + HOST + b"\r\n",
    "no Host header": b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
    "a Host that is not a host": b"GET / HTTP/1.1\r\nHost: \xff/..\r\nConnection: close\r\n\r\n",
    "a session cookie that is not one": (
        b"GET /admin/ HTTP/1.1\r\n" + HOST + b"Cookie: session=.eJzz.\xff.x; a=%\r\n\r\n"
    ),
    "junk in htmx and negotiation headers": (
        b"GET / HTTP/1.1\r\n" + HOST + b"HX-Request: \xff\r\nHX-Target: %00\r\n"
        b"Accept-Encoding: br;q=zz, gzip;q=-1\r\nAccept-Language: \xff;q=nan\r\n\r\n"
    ),
    "junk in conditional and range headers": (
        b"GET /static/css/site.css HTTP/1.1\r\n"
        + HOST
        + b"If-Modified-Since: \xff\r\nIf-None-Match: \xff\r\nRange: bytes=zz-\r\n\r\n"
    ),
    "junk in the proxy headers": (
        b"GET / HTTP/1.1\r\n" + HOST + b"X-Forwarded-For: \xff, zz\r\nX-Forwarded-Proto: ?\r\n\r\n"
    ),
    "both Content-Length and chunked": post(
        LOGIN_URL, FORM + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n"
    ),
    "a negative Content-Length": post(LOGIN_URL, FORM + b"Content-Length: -1\r\n"),
    "a Content-Length larger than the site takes": post(
        LOGIN_URL, FORM + b"Content-Length: 99999999999999999999\r\n"
    ),
    "an expectation nobody meets": post(LOGIN_URL, FORM + b"Expect: x\r\nContent-Length: 0\r\n"),
}


@pytest.mark.parametrize("request_bytes", MALFORMED_REQUESTS.values(), ids=list(MALFORMED_REQUESTS))
def test_a_malformed_request_never_gets_a_5xx(site, request_bytes):
    answer = send(site, request_bytes)

    assert answer.status < 500, answer.body[:500]
    if answer.from_the_app and answer.status >= 400:
        assert_site_error_page(answer, answer.status)


# A `next` that no Location header should carry. Before the fix a line break (CR or LF)
# signed the admin in and then answered 500: Werkzeug refuses to put one in a header.
# The other characters were followed, percent-encoded, to an admin page that does not
# exist; harmless, but nothing Flask-Login writes either, so the rule is now one for all:
# a `next` is followed only if it is written as a URL is on the wire.

UNFOLLOWABLE_NEXT = {
    "CRLF and a header": "/admin/%0D%0ASet-Cookie:%20stolen=1",
    "a bare LF": "/admin/%0Aaudit",
    "a bare CR": "/admin/audit%0D",
    "NUL": "/admin/%00",
    "a control character": "/admin/%01audit",
    "DEL": "/admin/%7F",
    "a tab": "/admin/%09audit",
    "a space": "/admin/%20audit",
    "a Unicode line separator": "/admin/%E2%80%A8audit",
    "a next line (NEL)": "/admin/%C2%85audit",
}


def sign_in_with_next(client: FlaskClient, next_value: str):
    path = f"{LOGIN_URL}?next={next_value}"
    token = csrf_token(client, path)
    return client.post(
        path, data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token}
    )


@pytest.mark.parametrize("next_value", UNFOLLOWABLE_NEXT.values(), ids=list(UNFOLLOWABLE_NEXT))
def test_signing_in_with_an_odd_next_goes_to_the_dashboard(client, admin_user, next_value):
    response = sign_in_with_next(client, next_value)

    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/"
    assert "stolen" not in response.headers.get("Set-Cookie", "")
    assert h1_text(client.get("/admin/")) == "Consultations"  # signed in


def test_signing_in_through_gunicorn_with_a_line_break_in_next_goes_to_the_dashboard(site):
    browser = requests.Session()
    url = site.url + LOGIN_URL + "?next=" + UNFOLLOWABLE_NEXT["CRLF and a header"]
    form = {**hidden_fields(browser.get(url)), "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}

    answer = browser.post(url, data=form, allow_redirects=False)

    assert answer.status_code == 303, answer.text[:500]
    assert answer.headers["Location"] == "/admin/"
    assert "stolen" not in browser.cookies
    assert browser.get(site.url + "/admin/", allow_redirects=False).status_code == 200


@pytest.mark.parametrize("path", ["/admin/login", "/your-response/new-link"])
def test_a_file_sent_where_text_is_expected_counts_as_not_sent(client, path):
    """A crafted multipart post gives a text field a file: not a 500."""
    token = csrf_token(client, path)
    answer = client.post(
        path,
        data={"csrf_token": token, "email": (io.BytesIO(b"a@example.org"), "email.txt")},
        content_type="multipart/form-data",
    )
    assert answer.status_code < 500
    if path == "/admin/login":  # no bot guard before the form is read
        assert answer.status_code == 422
        assert "Enter your email address" in answer.get_data(as_text=True)
