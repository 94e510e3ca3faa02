"""The admin area: signing in and out, the dashboard, the state control, dates, the audit log."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from limits import parse_many
from sqlalchemy import select

from app.admin.auth import OPEN_ENDPOINTS
from app.extensions import db
from app.models import Consultation
from tests.support.audit import audit_count
from tests.support.clients import CheckedClient
from tests.support.factories import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_token
from tests.support.pages import page, redirect_path, text_of

SLUG = "test-consultation"  # the factory's default
TITLE = "Community services review"
STATE_URL = f"/admin/consultations/{SLUG}/state"
DATES_URL = f"/admin/consultations/{SLUG}/dates"


def reloaded(slug: str = SLUG) -> Consultation:
    """The consultation as stored now, not as this session last saw it."""
    db.session.rollback()  # a fresh transaction sees what the requests committed
    return db.session.scalar(select(Consultation).filter_by(slug=slug))


def login_post(client, email, password, token, path="/admin/login", **kwargs):
    """Send the sign-in form."""
    data = {"email": email, "password": password, "csrf_token": token}
    return client.post(path, data=data, **kwargs)


# Signing in and out


def test_checked_client_lets_a_redirect_through(app, admin_user):
    """conftest's client must accept the redirect that follows a successful sign-in."""
    app.test_client_class = CheckedClient
    checked = app.test_client()
    token = csrf_token(checked, "/admin/login")

    response = login_post(checked, ADMIN_EMAIL, ADMIN_PASSWORD, token)

    assert response.status_code == 303


def test_checked_client_can_send_a_form_after_sign_in(app, admin_user, make_consultation):
    """conftest's client must be able to sign in and then use a form, as a browser can."""
    make_consultation()
    app.test_client_class = CheckedClient
    checked = app.test_client()
    token = csrf_token(checked, "/admin/login")
    login_post(checked, ADMIN_EMAIL, ADMIN_PASSWORD, token, follow_redirects=True)

    response = checked.post(
        STATE_URL, data={"override": "closed", "csrf_token": csrf_token(checked, "/admin/")}
    )

    assert response.status_code == 303


@pytest.mark.parametrize(
    "email", [ADMIN_EMAIL, "nobody@example.org"], ids=["wrong-password", "unknown-email"]
)
def test_wrong_credentials_show_the_error_and_keep_the_email(client, admin_user, email):
    """422, an error summary linking to the field, the message by the field, email kept.

    The same message for an unknown email, so the page does not reveal who has an account.
    """
    token = csrf_token(client, "/admin/login")

    response = login_post(client, email, "not the password", token)

    assert response.status_code == 422
    soup = page(response)
    assert soup.title.get_text().startswith("Error: Sign in")
    summary = soup.find(class_="error-summary")
    assert summary is not None
    assert "There is a problem" in text_of(summary)
    link = summary.find("a", href="#password")
    assert text_of(link) == "Enter a correct email address and password"
    by_field = soup.find(id="password-error")
    assert "Enter a correct email address and password" in text_of(by_field)
    assert soup.find("input", id="password")["aria-describedby"] == "password-error"
    assert soup.find("input", id="email")["value"] == email
    assert client.get("/admin/").status_code == 302


def test_a_refused_password_is_not_written_back_into_the_page(client, admin_user):
    """The password someone typed must never be sent back in the HTML."""
    token = csrf_token(client, "/admin/login")

    response = login_post(client, ADMIN_EMAIL, "my secret guess", token)

    assert response.status_code == 422
    assert "my secret guess" not in response.get_data(as_text=True)
    assert page(response).find("input", id="password").get("value", "") == ""


def test_empty_form_asks_for_email_and_password(client, admin_user):
    """Both fields missing: both messages, in the summary and by the fields."""
    token = csrf_token(client, "/admin/login")

    response = login_post(client, "", "", token)

    assert response.status_code == 422
    soup = page(response)
    summary = text_of(soup.find(class_="error-summary"))
    assert "Enter your email address" in summary
    assert "Enter your password" in summary
    assert "Enter your email address" in text_of(soup.find(id="email-error"))
    assert "Enter your password" in text_of(soup.find(id="password-error"))


def test_right_password_signs_in_and_goes_to_the_dashboard(client, auth):
    """A correct sign-in redirects to /admin/, which then shows the dashboard."""
    response = auth.login()

    assert response.status_code == 303
    assert redirect_path(response) == "/admin/"
    dashboard = client.get("/admin/")
    assert dashboard.status_code == 200
    assert text_of(page(dashboard).find("h1")) == "Consultations"


def test_sign_in_returns_to_the_page_asked_for(client, auth):
    """Sent to sign in from the audit log, you land back on the audit log."""
    response = client.get("/admin/audit")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert redirect_path(response) == "/admin/login"
    assert parse_qs(urlsplit(login_url).query)["next"] == ["/admin/audit"]
    login_page = client.get(login_url)
    assert "Sign in to use the admin area." in text_of(page(login_page))
    action = page(login_page).find("form", attrs={"method": "post"})["action"]

    response = login_post(
        client, ADMIN_EMAIL, ADMIN_PASSWORD, csrf_token(client, login_url), action
    )

    assert response.status_code == 303
    assert redirect_path(response) == "/admin/audit"


@pytest.mark.parametrize(
    "target", ["https://evil.example/admin/", "//evil.example/admin", "/consultations"]
)
def test_sign_in_never_follows_next_off_the_admin_area(client, admin_user, target):
    """A crafted `next` cannot send a freshly signed-in admin to another site."""
    path = f"/admin/login?next={target}"
    token = csrf_token(client, path)

    response = login_post(client, ADMIN_EMAIL, ADMIN_PASSWORD, token, path)

    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/"


def test_sign_out_ends_the_session(client, auth):
    """After signing out, admin pages send you back to sign in."""
    auth.login()
    assert client.get("/admin/").status_code == 200

    response = auth.logout()

    assert response.status_code == 303
    assert redirect_path(response) == "/admin/login"
    assert "You have signed out." in text_of(page(client.get("/admin/login")))
    for path in ("/admin/", "/admin/audit", DATES_URL):
        after = client.get(path)
        assert after.status_code == 302, path
        assert redirect_path(after) == "/admin/login"


def test_a_session_cookie_copied_before_sign_out_no_longer_works(client, auth):
    """Signing out ends the session for good, not only in this browser."""
    auth.login()
    stolen = client.get_cookie("session").value
    auth.logout()

    client.set_cookie("session", stolen)

    response = client.get("/admin/")
    assert response.status_code == 302
    assert redirect_path(response) == "/admin/login"


def test_sign_in_is_rate_limited(client, admin_user, app):
    """After the configured number of tries in a minute, even the right password gets 429."""
    per_minute = next(
        limit
        for limit in parse_many(app.config["RATELIMIT_LOGIN"])
        if limit.GRANULARITY.name == "minute"
    )
    token = csrf_token(client, "/admin/login")
    for attempt in range(per_minute.amount):
        response = login_post(client, ADMIN_EMAIL, f"guess {attempt}", token)
        assert response.status_code == 422, f"attempt {attempt + 1}"

    response = login_post(client, ADMIN_EMAIL, ADMIN_PASSWORD, token)

    assert response.status_code == 429
    soup = page(response)
    assert text_of(soup.find("h1")) == "Too many attempts"
    assert "Wait a few minutes, then try again." in text_of(soup)
    assert "Retry-After" in response.headers
    assert client.get("/admin/").status_code == 302  # not signed in


def test_sign_in_limit_comes_from_the_settings(request, app_config):
    """RATELIMIT_LOGIN is honoured: at "2 per minute" the third try is refused."""
    app_config["RATELIMIT_LOGIN"] = "2 per minute"
    client = request.getfixturevalue("client")
    request.getfixturevalue("admin_user")
    token = csrf_token(client, "/admin/login")

    statuses = [login_post(client, ADMIN_EMAIL, "wrong", token).status_code for _ in range(3)]

    assert statuses == [422, 422, 429]
    assert client.get("/admin/login").status_code == 200  # only sending the form is limited


# The dashboard and the one-tap state control


def test_dashboard_lists_every_consultation_with_its_state(client, auth, clock, make_consultation):
    """Each consultation has a row saying whether it is open, opening soon or closed."""
    now = clock.now
    make_consultation(slug="open-one", title="Open one")
    make_consultation(
        slug="soon-one",
        title="Soon one",
        opens_at=now + timedelta(days=2),
        closes_at=now + timedelta(days=20),
    )
    make_consultation(
        slug="past-one",
        title="Past one",
        opens_at=now - timedelta(days=20),
        closes_at=now - timedelta(days=2),
    )
    make_consultation(slug="shut-one", title="Shut one", override="closed")
    auth.login()

    soup = page(client.get("/admin/"))

    expected = {
        "open-one": ("Open", "following its dates"),
        "soon-one": ("Forthcoming", "following its dates"),
        "past-one": ("Closed", "following its dates"),
        "shut-one": ("Closed", "set by hand"),
    }
    assert len(soup.select("li.admin-item")) == len(expected)
    for slug, (state, how) in expected.items():
        row = soup.find("li", id=f"consultation-{slug}")
        assert row is not None, slug
        assert text_of(row.find(class_="tag")) == state, slug
        assert how in text_of(row.find(class_="meta")), slug


def pressed(row) -> dict[str, str]:
    """Each state button's value mapped to its aria-pressed."""
    return {
        b["value"]: b["aria-pressed"] for b in row.find_all("button", attrs={"name": "override"})
    }


def test_state_control_works_as_a_plain_form(client, auth, make_consultation):
    """Without JavaScript: a POST, a 303 to the dashboard, and the public page is closed."""
    make_consultation()
    auth.login()
    token = csrf_token(client, "/admin/")

    response = client.post(STATE_URL, data={"override": "closed", "csrf_token": token})

    assert response.status_code == 303
    assert redirect_path(response) == "/admin/"
    soup = page(client.get("/admin/"))
    assert f"{TITLE} now: Closed." in text_of(soup.find(id="flashes"))
    row = soup.find("li", id=f"consultation-{SLUG}")
    assert pressed(row) == {"auto": "false", "open": "false", "closed": "true"}
    assert text_of(row.find(class_="tag")) == "Closed"
    public = page(client.get(f"/consultations/{SLUG}"))
    assert "This consultation is closed" in text_of(public)
    assert "How to take part" not in text_of(public)
    assert client.get(f"/consultations/{SLUG}/survey").status_code == 410


def test_state_control_can_reopen_a_consultation_after_its_deadline(
    client, auth, clock, make_consultation
):
    """Forcing open overrides the dates; following the dates again closes it."""
    make_consultation(closes_at=clock.now - timedelta(hours=1))
    auth.login()
    token = csrf_token(client, "/admin/")

    client.post(STATE_URL, data={"override": "open", "csrf_token": token})
    assert "How to take part" in text_of(page(client.get(f"/consultations/{SLUG}")))

    client.post(STATE_URL, data={"override": "auto", "csrf_token": token})
    reopened = text_of(page(client.get(f"/consultations/{SLUG}")))
    assert "The deadline for responses has passed" in reopened


def test_state_control_with_htmx_returns_only_the_row(client, auth, make_consultation):
    """htmx gets the row fragment with the new pressed state, and caches are told it varies."""
    make_consultation()
    make_consultation(slug="other-one", title="Other one")
    auth.login()
    token = csrf_token(client, "/admin/")

    response = client.post(
        STATE_URL,
        data={"override": "closed", "csrf_token": token},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert "<h1" not in html
    soup = page(response)
    top_level = [tag for tag in soup.find_all(recursive=False)]
    assert [tag.name for tag in top_level] == ["li"]
    row = top_level[0]
    assert row["id"] == f"consultation-{SLUG}"
    assert pressed(row) == {"auto": "false", "open": "false", "closed": "true"}
    assert text_of(row.find(class_="tag")) == "Closed"
    assert "other-one" not in html
    assert "HX-Request" in response.headers.get("Vary", "")
    assert reloaded().override == "closed"


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_state_control_refuses_an_unknown_state(client, auth, make_consultation, htmx):
    """A value that is not a state: 422, the message by the control, nothing changed."""
    make_consultation()
    auth.login()
    token = csrf_token(client, "/admin/")
    headers = {"HX-Request": "true"} if htmx else {}

    response = client.post(
        STATE_URL, data={"override": "sideways", "csrf_token": token}, headers=headers
    )

    assert response.status_code == 422
    row = page(response).find("li", id=f"consultation-{SLUG}")
    assert "Select one option" in text_of(row.find(class_="field-error"))
    assert pressed(row)["auto"] == "true"
    assert reloaded().override == "auto"
    assert audit_count() == 0


# Dates


def test_dates_form_shows_the_current_dates_in_uk_time(client, auth, make_consultation):
    """The inputs hold local wall-clock times: 16:00 UTC in July is 17:00 BST."""
    make_consultation(
        opens_at=datetime(2027, 1, 10, 9, 0, tzinfo=UTC),
        closes_at=datetime(2027, 7, 1, 16, 0, tzinfo=UTC),
    )
    auth.login()

    response = client.get(DATES_URL)

    assert response.status_code == 200
    soup = page(response)
    assert soup.find("input", id="opens_at")["value"] == "2027-01-10T09:00"
    assert soup.find("input", id="closes_at")["value"] == "2027-07-01T17:00"
    assert "In UK time" in text_of(soup.find(id="closes_at-hint"))


@pytest.mark.parametrize(
    ("typed_deadline", "stored_deadline", "shown"),
    [
        (
            "2027-03-01T17:00",
            datetime(2027, 3, 1, 17, 0, tzinfo=UTC),
            "5pm UK time on 1 March 2027",
        ),
        ("2027-07-01T17:00", datetime(2027, 7, 1, 16, 0, tzinfo=UTC), "5pm UK time on 1 July 2027"),
    ],
    ids=["gmt", "bst"],
)
def test_changing_dates_saves_them(
    client, auth, make_consultation, typed_deadline, stored_deadline, shown
):
    """Times typed in UK time are stored as the right instant and shown back the same."""
    make_consultation()
    auth.login()
    token = csrf_token(client, DATES_URL)

    response = client.post(
        DATES_URL,
        data={"opens_at": "2027-01-10T09:00", "closes_at": typed_deadline, "csrf_token": token},
    )

    assert response.status_code == 303
    assert redirect_path(response) == "/admin/"
    stored = reloaded()
    assert stored.opens_at == datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
    assert stored.closes_at == stored_deadline
    soup = page(client.get("/admin/"))
    assert "Dates saved." in text_of(soup.find(id="flashes"))
    assert f"Deadline {shown}" in text_of(soup.find("li", id=f"consultation-{SLUG}"))
    assert f"Closes {shown}" in text_of(page(client.get(f"/consultations/{SLUG}")))


def test_a_deadline_before_the_opening_time_is_refused(client, auth, make_consultation):
    """422 with the error in the summary and by the deadline; nothing saved."""
    original = make_consultation()
    before = (original.opens_at, original.closes_at)
    auth.login()
    token = csrf_token(client, DATES_URL)

    response = client.post(
        DATES_URL,
        data={"opens_at": "2027-03-01T09:00", "closes_at": "2027-02-28T17:00", "csrf_token": token},
    )

    assert response.status_code == 422
    soup = page(response)
    message = (
        "Enter a deadline after the opening time, 9am UK time on 1 March 2027."
        " You entered 5pm UK time on 28 February 2027"
    )
    assert text_of(soup.find(class_="error-summary").find("a", href="#closes_at")) == message
    assert message in text_of(soup.find(id="closes_at-error"))
    assert soup.find("input", id="opens_at")["value"] == "2027-03-01T09:00"
    assert soup.find("input", id="closes_at")["value"] == "2027-02-28T17:00"
    stored = reloaded()
    assert (stored.opens_at, stored.closes_at) == before
    assert audit_count() == 0


@pytest.mark.parametrize(
    ("junk_field", "kept_field", "kept_value", "called"),
    [
        ("closes_at", "opens_at", "2027-01-10T09:00", "the deadline"),
        ("opens_at", "closes_at", "2027-03-01T17:00", "the opening time"),
    ],
)
def test_a_junk_date_is_refused_and_the_other_field_kept(
    client, auth, make_consultation, junk_field, kept_field, kept_value, called
):
    """422 'Enter <which> as a real date and time...', by the field, with what was typed;
    what was typed stays on screen."""
    original = make_consultation()
    before = (original.opens_at, original.closes_at)
    auth.login()
    token = csrf_token(client, DATES_URL)

    response = client.post(
        DATES_URL,
        data={junk_field: "31/02/2027 5pm", kept_field: kept_value, "csrf_token": token},
    )

    assert response.status_code == 422
    soup = page(response)
    message = (
        f"Enter {called} as a real date and time, like 2027-03-01 17:00."
        " You entered '31/02/2027 5pm'"
    )
    assert text_of(soup.find(class_="error-summary").find("a", href=f"#{junk_field}")) == message
    assert message in text_of(soup.find(id=f"{junk_field}-error"))
    assert soup.find(id=f"{kept_field}-error") is None
    assert soup.find("input", id=kept_field)["value"] == kept_value
    assert soup.find("input", id=junk_field)["value"] == "31/02/2027 5pm"
    stored = reloaded()
    assert (stored.opens_at, stored.closes_at) == before


@pytest.mark.parametrize(
    ("field", "other", "message"),
    [
        (
            "opens_at",
            ("closes_at", "2027-04-30T17:00"),
            "The opening time you entered, 01:30 on 28 March 2027, does not exist in UK time"
            " because the clocks go forward. Enter another time, like 02:30",
        ),
        (
            "closes_at",
            ("opens_at", "2027-01-10T09:00"),
            "The deadline you entered, 01:30 on 28 March 2027, does not exist in UK time"
            " because the clocks go forward. Enter another time, like 02:30",
        ),
    ],
)
def test_a_time_the_clocks_skip_is_refused_saying_which_date_it_is(
    client, auth, make_consultation, field, other, message
):
    original = make_consultation()
    before = (original.opens_at, original.closes_at)
    auth.login()
    token = csrf_token(client, DATES_URL)

    response = client.post(
        DATES_URL, data={field: "2027-03-28T01:30", other[0]: other[1], "csrf_token": token}
    )

    assert response.status_code == 422
    soup = page(response)
    assert text_of(soup.find(class_="error-summary").find("a", href=f"#{field}")) == message
    assert soup.find(id=f"{other[0]}-error") is None
    stored = reloaded()
    assert (stored.opens_at, stored.closes_at) == before


def test_dates_of_an_unknown_consultation_are_not_found(client, auth):
    """A signed-in admin asking for a consultation that does not exist gets 404."""
    auth.login()
    assert client.get("/admin/consultations/no-such-thing/dates").status_code == 404


# The audit log


def test_every_change_appears_in_the_audit_log(client, auth, make_consultation):
    """Who changed the state and the dates, and what they changed, newest first."""
    make_consultation(
        opens_at=datetime(2027, 1, 10, 9, 0, tzinfo=UTC),
        closes_at=datetime(2027, 3, 1, 17, 0, tzinfo=UTC),
    )
    auth.login()
    assert "Nothing has been changed yet." in text_of(page(client.get("/admin/audit")))
    token = csrf_token(client, "/admin/")

    client.post(STATE_URL, data={"override": "closed", "csrf_token": token})
    client.post(STATE_URL, data={"override": "closed", "csrf_token": token})  # no change
    client.post(
        DATES_URL,
        data={"opens_at": "2027-01-10T09:00", "closes_at": "2027-07-01T17:00", "csrf_token": token},
    )

    soup = page(client.get("/admin/audit"))
    rows = [[text_of(td) for td in tr.find_all("td")] for tr in soup.select("tbody tr")]
    assert len(rows) == 2
    dates_row, state_row = rows
    assert dates_row[1] == ADMIN_EMAIL
    assert dates_row[2] == (
        "Change dates: Deadline: 5pm UK time on 1 March 2027 → 5pm UK time on 1 July 2027"
    )
    assert dates_row[3] == TITLE
    assert state_row[1] == ADMIN_EMAIL
    assert state_row[2] == "Set state: Closed (was follow dates)"
    assert state_row[3] == TITLE
    assert all(re.search(r"UK time on \d{1,2} \w+ \d{4}$", row[0]) for row in rows)


# Every admin URL needs a signed-in user


def _fill(rule: str, slug: str) -> str:
    """The rule's path with <slug> (or any other parameter) replaced by a real value."""

    def value(match: re.Match) -> str:
        converter, name = match.group(1) or "", match.group(2)
        if converter.startswith("any("):  # one of the listed words
            return converter[4:].split(",")[0].strip()
        return slug if name == "slug" else "1"

    return re.sub(r"<(?:([^<>]+):)?([^<>:]+)>", value, rule)


def test_every_admin_url_refuses_anonymous_users(app, client, make_consultation):
    """Walk the URL map so that no admin route, now or later, can slip through unprotected.

    The POSTs carry a valid CSRF token, so it is the sign-in check that refuses them.
    """
    make_consultation()
    token = csrf_token(client, "/admin/login")
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/admin") and rule.endpoint not in OPEN_ENDPOINTS
    ]
    # Only signing in and choosing a password from an invitation are open.
    assert OPEN_ENDPOINTS <= {"admin.login", "admin.set_password"}
    # The walk must at least see the routes that exist today.
    assert {
        "/admin/",
        "/admin/audit",
        "/admin/logout",
        "/admin/consultations/<slug>/state",
        "/admin/consultations/<slug>/dates",
    } <= {rule.rule for rule in rules}
    data = {
        "csrf_token": token,
        "override": "closed",
        "opens_at": "2027-01-10T09:00",
        "closes_at": "2027-07-01T17:00",
    }
    checked = []

    for rule in rules:
        url = _fill(rule.rule, SLUG)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                response = client.get(url)
                assert response.status_code in (302, 303), f"GET {url}: {response.status_code}"
            else:
                response = client.open(url, method=method, data=data)
                assert not 200 <= response.status_code < 300, f"{method} {url} answered 2xx"
                assert 300 <= response.status_code < 500, f"{method} {url}: {response.status_code}"
            if response.status_code in (301, 302, 303, 307, 308):
                assert redirect_path(response) == "/admin/login", f"{method} {url}"
            checked.append(f"{method} {url}")

    assert "POST " + STATE_URL in checked
    assert "POST " + DATES_URL in checked
    stored = reloaded()
    assert stored.override == "auto"
    assert stored.closes_at != datetime(2027, 7, 1, 16, 0, tzinfo=UTC)
    assert audit_count() == 0
