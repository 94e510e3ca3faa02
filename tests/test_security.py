"""Security headers, no inline code, CSRF, cookie flags and friendly error pages."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from app.config import PROJECT_ROOT
from app.extensions import db
from app.models import AuditEvent, Consultation
from tests.support.factories import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_token
from tests.support.html_checks import check_page
from tests.support.pages import page, text_of

SLUG = "test-consultation"  # the factory's default
STATE_URL = f"/admin/consultations/{SLUG}/state"
ERROR_PAGE_LINK = "Go to the list of consultations"
STYLESHEET = PROJECT_ROOT / "static" / "css" / "site.css"


def csp_directives(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    policy = response.headers.get("Content-Security-Policy", "")
    parts = [part.split() for part in policy.split(";") if part.strip()]
    return {part[0].lower(): part[1:] for part in parts}


def sign_in(client, base_url: str = "http://localhost"):
    """Sign in through the real form at `base_url`, sending the Referer a browser would.

    (Over HTTPS, a form whose Origin and Referer are both missing, or from another site,
    is refused.)
    """
    token = csrf_token_at(client, "/admin/login", base_url)
    return client.post(
        "/admin/login",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token},
        base_url=base_url,
        headers={"Referer": f"{base_url}/admin/login"},
    )


def csrf_token_at(client, path: str, base_url: str) -> str:
    """The CSRF token of the first form on `path`, fetched at `base_url`."""
    response = client.get(path, base_url=base_url)
    return page(response).find("input", attrs={"name": "csrf_token"})["value"]


def assert_friendly_error_page(response, status: int, heading: str) -> BeautifulSoup:
    """The site's own error page: the status, a plain heading, a way on, no internals."""
    assert response.status_code == status
    assert response.mimetype == "text/html"
    soup = page(response)
    assert text_of(soup.find("h1")) == heading
    assert soup.find("a", string=ERROR_PAGE_LINK)["href"] == "/"
    body = response.get_data(as_text=True)
    for internal in ("Traceback", "werkzeug", "Werkzeug", "Exception"):
        assert internal not in body
    return soup


# Headers on every response


@pytest.fixture
def every_kind_of_response(client, make_consultation, clock):
    """One response of each kind: pages, JSON, static files, redirects and errors."""
    make_consultation()
    make_consultation(slug="past", closes_at=clock.now - timedelta(days=1))
    requests = {
        "list page": "/",
        "consultation page": f"/consultations/{SLUG}",
        "privacy page": "/privacy",
        "health check": "/healthz",
        "stylesheet": "/static/css/site.css",
        "script": "/static/js/site.js",
        "not found": "/no-such-page",
        "gone": "/consultations/past/survey",
        "sign-in page": "/admin/login",
        "redirect to sign in": "/admin/",
    }
    responses = {}
    for name, path in requests.items():
        with client.get(path) as response:  # closed, so static files release their handle
            responses[name] = response
    return responses


def test_every_response_carries_a_strict_content_security_policy(every_kind_of_response):
    """No inline code allowed, no framing, scripts only from this site."""
    assert every_kind_of_response["not found"].status_code == 404
    assert every_kind_of_response["gone"].status_code == 410
    assert every_kind_of_response["stylesheet"].status_code == 200
    assert every_kind_of_response["redirect to sign in"].status_code == 302
    for name, response in every_kind_of_response.items():
        policy = response.headers.get("Content-Security-Policy", "")
        directives = csp_directives(response)
        assert directives, f"{name}: no Content-Security-Policy"
        assert "'unsafe-inline'" not in policy, name
        assert "'unsafe-eval'" not in policy, name
        assert directives.get("frame-ancestors") == ["'none'"], name
        script_sources = directives.get("script-src", directives.get("default-src"))
        assert script_sources == ["'self'"], name
        assert directives.get("object-src") == ["'none'"], name


def test_every_response_carries_nosniff_and_a_referrer_policy(every_kind_of_response):
    """Browsers must not guess content types, nor leak our URLs to other sites."""
    private_enough = {
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    }
    for name, response in every_kind_of_response.items():
        assert response.headers.get("X-Content-Type-Options") == "nosniff", name
        assert response.headers.get("Referrer-Policy") in private_enough, name


def test_https_responses_ask_browsers_to_stay_on_https(client):
    """Over HTTPS the site sends Strict-Transport-Security; over plain HTTP it cannot."""
    assert "Strict-Transport-Security" not in client.get("/").headers
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


# No inline code in any page


@pytest.fixture
def every_page(client, auth, make_consultation, clock):
    """The HTML of every kind of page, public and admin, including error and form pages."""
    make_consultation(body="Plain *Markdown* with a [link](https://example.org).")
    make_consultation(slug="past", title="Past one", closes_at=clock.now - timedelta(days=1))
    make_consultation(
        slug="soon",
        title="Soon one",
        opens_at=clock.now + timedelta(days=1),
        closes_at=clock.now + timedelta(days=9),
    )
    paths = [
        "/",
        f"/consultations/{SLUG}",
        "/consultations/past",
        "/consultations/soon",
        "/consultations/past/evidence",
        "/consultations/soon/survey",
        "/privacy",
        "/accessibility",
        "/cookies",
        "/no-such-page",
        "/admin/login",
    ]
    pages = {path: client.get(path) for path in paths}
    token = csrf_token(client, "/admin/login")
    pages["sign-in with errors"] = client.post(
        "/admin/login", data={"email": "", "password": "", "csrf_token": token}
    )
    auth.login()
    for path in ("/admin/", f"/admin/consultations/{SLUG}/dates", "/admin/audit"):
        pages[path] = client.get(path)
    return pages


def test_no_page_has_inline_script_or_style_but_the_sites_stylesheet(every_page):
    """The CSP forbids inline code, so no page may depend on it.

    The one exception is the site's own stylesheet, carried in <head> so that a slow
    phone draws the page without another round trip; the CSP allows it by its hash.
    """
    assert len(every_page) == 15
    for name, response in every_page.items():
        assert response.mimetype == "text/html", name
        soup = page(response)
        scripts = soup.find_all("script")
        assert scripts, f"{name}: expected the site's scripts"
        for script in scripts:
            assert script.get("src", "").startswith("/static/"), f"{name}: {script}"
            assert not script.get_text().strip(), f"{name}: inline code in {script}"
        styles = soup.find_all("style")
        assert len(styles) == 1 and styles[0].parent.name == "head", f"{name}: {styles}"
        text = styles[0].get_text()
        assert text == STYLESHEET.read_text(encoding="utf-8"), name
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert csp_directives(response)["style-src"] == ["'self'", f"'sha256-{digest}'"], name
        styled = soup.find_all(style=True)
        assert not styled, f"{name}: style attribute on {styled[0].name if styled else ''}"
        handlers = [
            (tag.name, attribute)
            for tag in soup.find_all(True)
            for attribute in tag.attrs
            if attribute.lower().startswith(("on", "hx-on"))
        ]
        assert not handlers, f"{name}: inline event handlers {handlers}"
        javascript_links = [a for a in soup.find_all(href=True) if "javascript:" in a["href"]]
        assert not javascript_links, name


def test_stylesheets_and_scripts_come_from_this_site(every_page):
    """No CDN: no stylesheet from elsewhere, every script served from /static/."""
    soup = page(every_page["/"])
    assert soup.find("style") is not None
    assert not soup.find_all("link", rel="stylesheet")
    assert not soup.find_all("link", href=lambda href: href and "//" in href)
    scripts = [script["src"] for script in soup.find_all("script")]
    assert scripts and all(src.startswith("/static/") for src in scripts)


# CSRF


@pytest.mark.parametrize("token", [None, "not-a-real-token"], ids=["missing", "forged"])
def test_sign_in_without_a_valid_csrf_token_is_refused(client, admin_user, token):
    """400 with a page that says what to do, and no one is signed in."""
    data = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    if token:
        data["csrf_token"] = token
    client.get("/admin/login")  # a session exists, as in a browser that opened the form

    response = client.post("/admin/login", data=data)

    soup = assert_friendly_error_page(response, 400, "Your session has expired")
    assert "reload the page and send it again" in text_of(soup)
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_state_control_without_a_csrf_token_is_refused(client, auth, make_consultation, htmx):
    """Even signed in, a state change without the form's token is refused and not made."""
    make_consultation()
    auth.login()
    headers = {"HX-Request": "true"} if htmx else {}

    response = client.post(STATE_URL, data={"override": "closed"}, headers=headers)

    assert response.status_code == 400
    assert "Your session has expired" in text_of(page(response))
    db.session.rollback()
    assert db.session.scalar(select(Consultation.override).filter_by(slug=SLUG)) == "auto"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


# The session cookie


def test_session_cookie_is_httponly_lax_and_not_secure_over_http(client, admin_user):
    """Over plain HTTP (local development) the cookie works but is kept from scripts."""
    response = sign_in(client)

    assert response.status_code == 303
    header = response.headers["Set-Cookie"]
    assert header.startswith("session=")
    cookie = client.get_cookie("session")
    assert cookie.http_only is True
    assert cookie.same_site == "Lax"
    assert cookie.secure is False
    assert client.get("/admin/").status_code == 200  # the cookie signs you in


def test_session_cookie_is_secure_over_https(client, admin_user):
    """Over HTTPS the signed-in session cookie is never sent back over plain HTTP."""
    response = sign_in(client, base_url="https://localhost")

    assert response.status_code == 303
    assert "Secure" in [part.strip() for part in response.headers["Set-Cookie"].split(";")]
    cookie = client.get_cookie("session")
    assert cookie.secure is True
    assert cookie.http_only is True
    assert cookie.same_site == "Lax"
    assert client.get("/admin/", base_url="https://localhost").status_code == 200


HTTPS = "https://localhost"


def sign_in_over_https(client, headers: dict[str, str]):
    """Sign in through the real form over HTTPS, sending only the given headers."""
    token = csrf_token_at(client, "/admin/login", HTTPS)
    data = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token}
    return client.post("/admin/login", data=data, base_url=HTTPS, headers=headers)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": HTTPS}, id="Origin without a Referer"),
        pytest.param({"Referer": f"{HTTPS}/admin/login"}, id="Referer without an Origin"),
        pytest.param({"Origin": HTTPS, "Referer": f"{HTTPS}/admin/login"}, id="both"),
    ],
)
def test_over_https_a_form_from_this_site_is_accepted_without_a_referer(
    client, admin_user, headers
):
    """A browser that sends no Referer (a privacy setting) still sends its Origin."""
    response = sign_in_over_https(client, headers)

    assert response.status_code == 303
    assert client.get("/admin/", base_url=HTTPS).status_code == 200


@pytest.mark.parametrize(
    ("headers", "heading"),
    [
        pytest.param({}, "Your browser did not say which site the form came from", id="neither"),
        pytest.param(
            {"Origin": "https://evil.example"},
            "This form was sent from another website",
            id="Origin of another site",
        ),
        pytest.param(
            {"Origin": "null"}, "This form was sent from another website", id="opaque Origin"
        ),
        pytest.param(
            {"Origin": "http://localhost"},
            "This form was sent from another website",
            id="this host over plain HTTP",
        ),
        pytest.param(
            {"Referer": "https://evil.example/admin/login"},
            "This form was sent from another website",
            id="Referer of another site",
        ),
    ],
)
def test_over_https_a_form_not_shown_to_be_from_this_site_is_refused_saying_why(
    client, admin_user, headers, heading
):
    """The page says what really happened, never that the session expired."""
    response = sign_in_over_https(client, headers)

    soup = assert_friendly_error_page(response, 400, heading)
    assert "session" not in text_of(soup).lower()
    assert client.get("/admin/", base_url=HTTPS).status_code == 302


def test_over_plain_http_no_origin_is_needed(client, admin_user):
    """Without HTTPS the headers prove nothing; the token alone is checked, as before."""
    assert sign_in(client).status_code == 303


# Error pages


@pytest.fixture
def failing_route(app):
    """A test-only route that writes a row, flushes it, then fails."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/test-only/fail")
    def fail():
        db.session.add(AuditEvent(actor="test", action="half_done", consultation=None, detail=""))
        db.session.flush()
        raise RuntimeError("something broke after writing")

    return "/test-only/fail"


def test_an_unexpected_error_shows_the_friendly_500_page_and_rolls_back(app, failing_route):
    """The person sees an apology; the half-done write is never committed.

    The request runs inside an app context this test holds, so it uses the test's database
    session: without the handler's rollback the flushed row would still be pending there,
    and the next commit on that session would store it.
    """
    app.test_client_class = FlaskClient
    client = app.test_client()

    with app.app_context():
        response = client.get(failing_route)
        db.session.commit()  # what the next piece of work on this session would do

    check_page(response.get_data(as_text=True))
    soup = assert_friendly_error_page(response, 500, "Sorry, there is a problem with the service")
    assert "What you sent was not saved." in text_of(soup)
    assert "something broke" not in response.get_data(as_text=True)
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    with db.engine.connect() as connection:
        stored = connection.execute(
            text("SELECT count(*) FROM audit_event WHERE action = 'half_done'")
        ).scalar_one()
    assert stored == 0


def test_not_found_has_a_friendly_page(client):
    """404: a plain heading and a way back to the list."""
    response = client.get("/consultations/no-such-consultation")
    soup = assert_friendly_error_page(response, 404, "Page not found")
    assert "check it is correct" in text_of(soup)


def test_gone_has_a_friendly_page(client, clock, make_consultation):
    """410 for a closed consultation's form: says why, and links to read about it."""
    make_consultation(closes_at=clock.now - timedelta(minutes=5))

    response = client.get(f"/consultations/{SLUG}/evidence")

    assert response.status_code == 410
    soup = page(response)
    assert text_of(soup.find("h1")) == "The deadline for responses has passed"
    assert soup.find("a", string="Read about this consultation")["href"] == f"/consultations/{SLUG}"
    assert soup.find("form") is None


def test_too_large_has_a_friendly_page(request, app_config):
    """413 when a request body is over MAX_CONTENT_LENGTH."""
    app_config["MAX_CONTENT_LENGTH"] = 1024
    client = request.getfixturevalue("client")

    response = client.post("/admin/login", data={"email": "x" * 5000, "password": "y"})

    soup = assert_friendly_error_page(response, 413, "What you sent is too large")
    assert "If you attached files, send smaller ones." in text_of(soup)


def test_too_many_attempts_has_a_friendly_page(request, app_config):
    """429 once the sign-in limit is reached: says to wait, with a Retry-After header."""
    app_config["RATELIMIT_LOGIN"] = "1 per minute"
    client = request.getfixturevalue("client")
    token = csrf_token(client, "/admin/login")
    data = {"email": ADMIN_EMAIL, "password": "wrong", "csrf_token": token}
    assert client.post("/admin/login", data=data).status_code == 422

    response = client.post("/admin/login", data=data)

    soup = assert_friendly_error_page(response, 429, "Too many attempts")
    assert "Wait a few minutes, then try again." in text_of(soup)
    assert int(response.headers["Retry-After"]) > 0
