"""Junk thrown at every form the site has, through the real test client, with hypothesis.

The forms: sign in, a consultation's state (plain and htmx), its dates and its email alerts.
For any input, whatever it is:

- never a 5xx;
- invalid input gets a 4xx: 422 for a form with errors, with an error summary whose links
  point at ids on the page, a message by the field and a title starting "Error: ";
- valid input gets a 303 (htmx's state control gets its row back, 200);
- what was typed into a text field comes back in the form, except a password, never;
- nothing invalid is stored, and each change made leaves exactly one audit event.

The test client checks the structure of every page it receives (tests/support/html_checks.py), so
these tests also show that no input breaks a page. Characters HTML forbids (most control
characters, noncharacters) cannot be written back into a valid page, so where a text field
is echoed they are fuzzed through an unchecked client, and whether the page stays valid is
a test of its own. The site may keep such characters or drop them on input: the oracles
accept either reading of the input, and check every rule against it.

Bugs this found are kept as regression tests (REGRESSION settings) whose explicit examples
are the shrunk inputs that once failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask, current_app
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st
from limits import parse_many
from markupsafe import escape
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Consultation
from tests.support.clients import CheckedClient, UncheckedClient, new_browser
from tests.support.factories import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_token
from tests.support.fuzz import (
    ANY_TEXT,
    CONTROL_TEXT,
    PAGE_SAFE_TEXT,
    READINGS,
    assert_form_error_page,
    body,
    extra_fields,
    read,
    sent_as,
)
from tests.support.html_checks import check_page
from tests.support.pages import page, text_of

SLUG = "test-consultation"  # the factory's default
LOGIN_URL = "/admin/login"
STATE_URL = f"/admin/consultations/{SLUG}/state"
DATES_URL = f"/admin/consultations/{SLUG}/dates"
ALERTS_URL = f"/admin/consultations/{SLUG}/alerts"

OVERRIDES = {"auto", "open", "closed"}
ALERT_MODES = {"instant", "daily"}
WRONG_CREDENTIALS = "Enter a correct email address and password"

FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# Regression tests: the shrunk examples that once failed run first.
REGRESSION = settings(FUZZ, phases=[Phase.explicit, Phase.reuse, Phase.generate])


# Reading back what the requests did


def stored() -> Consultation:
    """The consultation as stored now."""
    db.session.rollback()
    return db.session.scalar(select(Consultation).filter_by(slug=SLUG))


def last_audit_id() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))


def audit_since(audit_id: int) -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.id > audit_id)))


def snapshot() -> tuple:
    consultation = stored()
    return (
        consultation.opens_at,
        consultation.closes_at,
        consultation.override,
        consultation.alert_mode,
    )


def assert_nothing_invalid_stored() -> None:
    consultation = stored()
    assert consultation.opens_at < consultation.closes_at
    assert consultation.override in OVERRIDES
    assert consultation.alert_mode in ALERT_MODES


def assert_redirect_then_dashboard(client, response) -> None:
    """A 303 to the dashboard, which still renders what was saved."""
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/")
    # Following it also reads the flashed message, so the session cookie stays small.
    assert client.get(response.headers["Location"]).status_code == 200


def site_zone() -> ZoneInfo:
    return current_app.config["SITE_ZONE"]


def wall_clock(moment: datetime) -> datetime:
    """An instant as the site's clocks show it."""
    return moment.astimezone(site_zone()).replace(tzinfo=None)


def as_instant(naive: datetime) -> datetime:
    """A wall-clock time in the site's zone as an instant (the earlier one if it repeats)."""
    return naive.replace(tzinfo=site_zone()).astimezone(UTC)


def in_spring_gap(naive: datetime) -> bool:
    """Whether this wall-clock time never happens in the site's zone (clocks go forward)."""
    return wall_clock(as_instant(naive)) != naive


# Sign in


@pytest.fixture
def unlimited_app(request, app_config) -> Iterator[Flask]:
    """An app whose sign-in rate limit is off, with an admin user."""
    app_config["RATELIMIT_ENABLED"] = False
    app = request.getfixturevalue("app")
    request.getfixturevalue("admin_user")
    yield app


# The admin's email as people type it (case and surrounding spaces do not matter) ...
RIGHT_EMAILS = st.sampled_from(
    [ADMIN_EMAIL, ADMIN_EMAIL.upper(), f"  {ADMIN_EMAIL}\t", f"\u00a0{ADMIN_EMAIL}\u3000"]
)
# ... and near misses.
WRONG_EMAILS = st.sampled_from(
    [
        ADMIN_EMAIL + "x",
        ADMIN_EMAIL.replace("@", "＠"),
        ADMIN_EMAIL.replace("i", "\u0131"),
        "admin@example.org.",
        "admin",
        "@",
    ]
)
NEAR_PASSWORDS = st.sampled_from(
    [
        ADMIN_PASSWORD,
        ADMIN_PASSWORD.upper(),
        f" {ADMIN_PASSWORD}",
        f"{ADMIN_PASSWORD} ",
        ADMIN_PASSWORD[:-1],
        ADMIN_PASSWORD + "\x00",
        ADMIN_PASSWORD + "\x00" * 50,
    ]
)
LOGIN_PASSWORDS = sent_as(st.one_of(ANY_TEXT, NEAR_PASSWORDS))
# (emails, passwords): anything, or the right account with a password that is close.
LOGIN_FIELDS = st.one_of(
    st.tuples(sent_as(st.one_of(PAGE_SAFE_TEXT, WRONG_EMAILS, RIGHT_EMAILS)), LOGIN_PASSWORDS),
    st.tuples(sent_as(RIGHT_EMAILS), sent_as(NEAR_PASSWORDS)),
)
LOGIN_EXTRA = extra_fields({"email", "password", "csrf_token"})
TOKENS = st.one_of(st.just("valid"), st.just("valid"), st.just("valid"), st.just(None), ANY_TEXT)


def nul_padded(password: str) -> bool:
    """The right password with NULs after it, still within one HMAC block (64 bytes)."""
    return (
        password != ADMIN_PASSWORD
        and password.rstrip("\x00") == ADMIN_PASSWORD
        and len(password.encode()) <= 64
    )


def check_login(app: Flask, emails, passwords, extra, token_kind) -> None:
    """Send the sign-in form once from a fresh browser and check every property."""
    client = new_browser(app, UncheckedClient if token_kind == "unchecked" else CheckedClient)
    token = csrf_token(client, LOGIN_URL)
    sent_token = token if token_kind in ("valid", "unchecked") else token_kind

    response = client.post(
        LOGIN_URL, data=body({"email": emails, "password": passwords}, extra, sent_token)
    )

    assert response.status_code < 500
    assert response.status_code != 429, "the rate limit should be off in this test"
    event(f"status {response.status_code}")
    html = response.get_data(as_text=True)
    if sent_token != token:
        assert response.status_code == 400
        assert client.get("/admin/").status_code == 302
        return
    allowed = set().union(
        *(login_outcomes(read(emails, cleaned), read(passwords, cleaned)) for cleaned in READINGS)
    )
    assert response.status_code in allowed, (response.status_code, allowed)
    if response.status_code == 303:
        assert client.get("/admin/").status_code == 200
        return
    soup = assert_form_error_page(response)
    assert client.get("/admin/").status_code == 302
    # What was typed as the email comes back.
    assert soup.find("input", id="email").get("value") in {
        read(emails, cleaned)[0] if emails else "" for cleaned in READINGS
    }
    # The password never does.
    assert soup.find("input", id="password").get("value") is None
    shown = html.replace(soup.find("input", attrs={"name": "csrf_token"})["value"], "")
    baseline = " ".join(
        [WRONG_CREDENTIALS, "Enter your email address", "Enter your password"]
        + [str(escape(email)) for cleaned in READINGS for email in read(emails, cleaned)]
    )
    for password in {password for cleaned in READINGS for password in read(passwords, cleaned)}:
        distinctive = len(password.strip()) >= 4 and str(escape(password)) not in baseline
        if distinctive and str(escape(password)) not in empty_login_page(app):
            assert str(escape(password)) not in shown, "the password was written back"
            assert password not in shown, "the password was written back"


def login_outcomes(emails: list[str], passwords: list[str]) -> set[int]:
    """The statuses a sign-in with these values may get: 303 only for the right account."""
    if not (emails and passwords and emails[0].strip().lower() == ADMIN_EMAIL):
        return {422}
    if passwords[0] == ADMIN_PASSWORD:
        return {303}
    if nul_padded(passwords[0]):
        # scrypt keys HMAC with the password, and HMAC pads a short key with NULs, so
        # "password\x00" is the same key as "password": signing in is no surprise.
        return {303, 422}
    return {422}


def empty_login_page(app: Flask) -> str:
    """The empty sign-in page without its token: text the page shows whatever was typed."""
    response = new_browser(app).get(LOGIN_URL)
    token = page(response).find("input", attrs={"name": "csrf_token"})["value"]
    return response.get_data(as_text=True).replace(token, "")


@FUZZ
@given(fields=LOGIN_FIELDS, extra=LOGIN_EXTRA, token=TOKENS)
@example(fields=([ADMIN_EMAIL], [ADMIN_PASSWORD]), extra={}, token="valid")
@example(fields=([], []), extra={}, token="valid")
@example(fields=([ADMIN_EMAIL, "x"], ["nope", ADMIN_PASSWORD]), extra={}, token="valid")
@example(fields=(["x"], ["my secret guess"]), extra={"next": "//evil"}, token="valid")
def test_sign_in_form_survives_junk(unlimited_app, fields, extra, token):
    """Any email, password, missing, repeated or unknown field: 303, 422 or (bad token) 400."""
    emails, passwords = fields
    check_login(unlimited_app, emails, passwords, extra, token)


@FUZZ
@given(
    emails=sent_as(st.one_of(CONTROL_TEXT, PAGE_SAFE_TEXT)),
    passwords=LOGIN_PASSWORDS,
    extra=LOGIN_EXTRA,
)
def test_sign_in_form_survives_control_characters_in_the_email(
    unlimited_app, emails, passwords, extra
):
    """The same properties for emails holding control characters, minus the HTML check."""
    check_login(unlimited_app, emails, passwords, extra, "unchecked")


def test_sign_in_rate_limit_counts_junk_attempts(app, client, admin_user):
    """With the limiter on, junk sign-ins count: after the limit, even the right password
    gets 429. (Runs after the tests above turned the limiter off for their own app.)"""
    per_minute = next(
        limit
        for limit in parse_many(app.config["RATELIMIT_LOGIN"])
        if limit.GRANULARITY.name == "minute"
    )
    token = csrf_token(client, LOGIN_URL)
    junk = [
        {"email": [], "password": []},
        {"email": ["", ""], "password": ["\x00"]},
        {"email": ["\u202e" * 3000], "password": [ADMIN_PASSWORD + " "]},
        {"email": [ADMIN_EMAIL + "x"], "password": [ADMIN_PASSWORD]},
        {"email": ["<script>"], "password": ["a", ADMIN_PASSWORD]},
        {"email": [ADMIN_EMAIL], "password": [ADMIN_PASSWORD.upper()]},
    ]
    for attempt in range(per_minute.amount):
        fields = junk[attempt % len(junk)]
        response = client.post(LOGIN_URL, data=body(fields, {"unknown": "x"}, token))
        assert response.status_code == 422, f"attempt {attempt + 1}"

    response = client.post(
        LOGIN_URL, data=body({"email": [ADMIN_EMAIL], "password": [ADMIN_PASSWORD]}, {}, token)
    )

    assert response.status_code == 429
    assert client.get("/admin/").status_code == 302


# The admin forms share a signed-in browser and a consultation across examples; each
# example first puts the consultation back in a known state, drawn from STARTS, so that
# it stands alone and shrinks reliably.

ORIGINAL_DATES = (datetime(2027, 1, 10, 9, 0, tzinfo=UTC), datetime(2027, 3, 1, 17, 0, tzinfo=UTC))
START = ("auto", "instant")
STARTS = st.tuples(st.sampled_from(sorted(OVERRIDES)), st.sampled_from(sorted(ALERT_MODES)))


@pytest.fixture
def signed_in(client, auth, make_consultation, clock):
    """A signed-in browser, a consultation, and a CSRF token for its forms."""
    make_consultation(opens_at=ORIGINAL_DATES[0], closes_at=ORIGINAL_DATES[1])
    assert auth.login().status_code == 303
    return client, csrf_token(client, DATES_URL)


def start_from(start: tuple[str, str]) -> None:
    """Store the original dates and the given override and alert mode."""
    consultation = stored()
    consultation.opens_at, consultation.closes_at = ORIGINAL_DATES
    consultation.override, consultation.alert_mode = start
    db.session.commit()


# The state control


STATE_VALUES = sent_as(
    st.one_of(
        st.sampled_from(sorted(OVERRIDES)),
        ANY_TEXT,
        st.sampled_from(["Open", " auto", "closed\n", "auto,open", "AUTO", "closed\x00"]),
    )
)


def check_state(client, token, start, values, extra, htmx) -> None:
    start_from(start)
    before, audit_id = snapshot(), last_audit_id()
    headers = {"HX-Request": "true"} if htmx else {}

    response = client.post(
        STATE_URL, data=body({"override": values}, extra, token), headers=headers
    )

    assert response.status_code < 500
    event(f"{'htmx' if htmx else 'plain'} {response.status_code}")
    after = stored()
    chosen = {read(values, c)[0] for c in READINGS if values and read(values, c)[0] in OVERRIDES}
    if response.status_code in (200, 303):
        assert after.override in chosen
        if htmx:
            assert response.status_code == 200
            row = page(response).find("li", id=f"consultation-{SLUG}")
            pressed = [b["value"] for b in row.find_all("button", attrs={"aria-pressed": "true"})]
            assert pressed == [after.override]
        else:
            assert_redirect_then_dashboard(client, response)
    else:
        # Refused: only if some reading of the value is not a state.
        assert not values or any(read(values, c)[0] not in OVERRIDES for c in READINGS)
        assert response.status_code == 422
        row = page(response).find("li", id=f"consultation-{SLUG}")
        assert "Select one option" in text_of(row.find(class_="field-error"))
        assert after.override == before[2]
    assert_nothing_invalid_stored()
    events = audit_since(audit_id)
    if after.override != before[2]:
        assert [event.action for event in events] == ["set_state"]
    else:
        assert events == []
    opens_at, closes_at, _, alert_mode = snapshot()
    assert (opens_at, closes_at, alert_mode) == (before[0], before[1], before[3])


@FUZZ
@given(
    start=STARTS,
    values=STATE_VALUES,
    extra=extra_fields({"override", "csrf_token"}),
    htmx=st.booleans(),
)
@example(start=("auto", "instant"), values=["closed"], extra={}, htmx=False)
@example(start=("open", "instant"), values=["open"], extra={}, htmx=False)
@example(start=("auto", "instant"), values=["open"], extra={}, htmx=True)
@example(start=("auto", "instant"), values=[], extra={}, htmx=True)
@example(start=("auto", "instant"), values=["sideways", "closed"], extra={}, htmx=False)
def test_state_control_survives_junk(signed_in, start, values, extra, htmx):
    """Any override, plain or htmx: a known state is stored, anything else is a 422."""
    client, token = signed_in
    check_state(client, token, start, values, extra, htmx)


@REGRESSION
@given(values=sent_as(ANY_TEXT).filter(lambda values: not values or values[0] not in OVERRIDES))
@example(values=[""])
def test_a_refused_state_without_htmx_has_an_error_summary(signed_in, values):
    """DESIGN: bad input gets an error summary at the top and the title says Error."""
    client, token = signed_in

    response = client.post(STATE_URL, data=body({"override": values}, {}, token))

    assert_form_error_page(response)


# Dates


def near_valid_date() -> st.SearchStrategy[str]:
    """Strings shaped like a date and time, often not a real one."""
    year = st.one_of(
        st.integers(2020, 2030), st.sampled_from([0, 1, 999, 1000, 9999, 10000, 99999, 2027])
    )
    return st.builds(
        lambda y, mo, d, h, mi, sep, width: f"{y:0{width}d}-{mo:02d}-{d:02d}{sep}{h:02d}:{mi:02d}",
        year,
        st.integers(0, 13),
        st.integers(0, 40),
        st.integers(0, 25),
        st.integers(0, 61),
        st.sampled_from(["T", " ", "t", "  ", "_", ""]),
        st.sampled_from([4, 1, 6]),
    )


def formatted(moment: datetime, sep: str = "T") -> str:
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}{sep}{moment:%H:%M}"


REAL_DATES = st.builds(
    formatted,
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from(["T", " "]),
)
# Either side of the clock changes in 2027: 28 March (gap) and 31 October (repeated hour).
CLOCK_CHANGE_TIMES = st.builds(
    lambda day, minutes: formatted(day + timedelta(minutes=minutes)),
    st.sampled_from([datetime(2027, 3, 28), datetime(2027, 10, 31)]),
    st.integers(0, 4 * 60),
)
FIXED_DATES = st.sampled_from(
    [
        "2027-13-40T25:61",
        "2027-03-28T01:30",  # never happens: the clocks go forward at 1am
        "2027-10-31T01:30",  # happens twice
        "2027-02-29T12:00",
        "2028-02-29T12:00",
        "0001-01-01T00:00",
        "9999-12-31T23:59",
        "99999-01-01T00:00",
        "0000-01-01T00:00",
        "2027-03-01T17:00:00",
        "2027-03-01T17:00Z",
        "2027-03-01T17:00+01:00",
        "2027-03-01",
        "17:00",
        "1/3/2027 17:00",
        "",
    ]
)
DATE_TEXT = st.one_of(
    PAGE_SAFE_TEXT, near_valid_date(), REAL_DATES, CLOCK_CHANGE_TIMES, FIXED_DATES
)


@st.composite
def date_pairs(draw, close_together: st.SearchStrategy[str] = CLOCK_CHANGE_TIMES):
    """(opens values, closes values): independent, or a closing time just after the opening."""
    if draw(st.booleans()):
        return draw(sent_as(DATE_TEXT)), draw(sent_as(DATE_TEXT))
    opens = draw(close_together)
    closes = formatted(
        datetime.strptime(opens, "%Y-%m-%dT%H:%M") + timedelta(minutes=draw(st.integers(-5, 120)))
    )
    return [opens], [closes]


DATE_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")


def parsed(values: list[str]) -> datetime | None:
    """The wall-clock time a single value means, if it is one of the accepted formats."""
    if len(values) != 1:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(values[0], fmt)
        except ValueError:
            continue
    return None


def date_outcomes(opens_values, closes_values) -> tuple[set[int], list[tuple]]:
    """The statuses the dates form may answer, and the (opens, closes) wall-clock times
    each accepted reading means."""
    allowed, meanings = set(), []
    for cleaned in READINGS:
        opens_read, closes_read = read(opens_values, cleaned), read(closes_values, cleaned)
        opens, closes = parsed(opens_read), parsed(closes_read)
        valid = opens is not None and closes is not None and closes > opens
        repeated = len(opens_read) > 1 or len(closes_read) > 1
        never_happens = any(t is not None and in_spring_gap(t) for t in (opens, closes))
        if valid:
            meanings.append((opens, closes))
        if valid and not never_happens:
            allowed.add(303)
        elif not valid and not repeated:
            allowed.add(422)
        else:
            allowed |= {303, 422}
    return allowed, meanings


def check_dates(client, token, start, opens_values, closes_values, extra) -> None:
    start_from(start)
    before, audit_id = snapshot(), last_audit_id()
    fields = {"opens_at": opens_values, "closes_at": closes_values}

    response = client.post(DATES_URL, data=body(fields, extra, token))

    assert response.status_code < 500
    event(f"status {response.status_code}")
    allowed, meanings = date_outcomes(opens_values, closes_values)
    assert response.status_code in allowed, (response.status_code, allowed)

    after = stored()
    if response.status_code == 303:
        assert_redirect_then_dashboard(client, response)
        if meanings:
            assert any(
                shows(opens, after.opens_at) and shows(closes, after.closes_at)
                for opens, closes in meanings
            ), (wall_clock(after.opens_at), wall_clock(after.closes_at), meanings)
    else:
        soup = assert_form_error_page(response)
        for name, values in fields.items():
            # What was typed comes back (a repeated field's values joined, as WTForms reads them).
            assert soup.find("input", id=name).get("value") in {
                shown
                for cleaned in READINGS
                for shown in (" ".join(read(values, cleaned)), (read(values, cleaned) or [""])[0])
            }
        assert snapshot() == before
    assert_nothing_invalid_stored()
    assert snapshot()[2:] == before[2:]
    events = audit_since(audit_id)
    if snapshot()[:2] != before[:2]:
        assert [event.action for event in events] == ["change_dates"]
    else:
        assert events == []


def shows(typed: datetime, instant: datetime) -> bool:
    """Whether the stored instant is the typed wall-clock time (or, for a time the clocks
    skip, within the hour after it)."""
    if in_spring_gap(typed):
        return timedelta(0) <= wall_clock(instant) - typed <= timedelta(hours=1)
    return wall_clock(instant) == typed


@FUZZ
@given(pair=date_pairs(), extra=extra_fields({"opens_at", "closes_at", "csrf_token"}))
@example(pair=(["2027-01-10T09:00"], ["2027-07-01T17:00"]), extra={})
@example(pair=(["2027-13-40T25:61"], ["2027-03-28T01:30"]), extra={})
@example(pair=(["9999-12-31T23:59"], ["99999-01-01T00:00"]), extra={})
@example(pair=(["0001-01-01T00:00"], ["9999-12-31T23:59"]), extra={})
@example(pair=(["2027-01-10", "09:00"], ["2027-07-01T17:00"]), extra={})
@example(pair=([], [""]), extra={})
def test_dates_form_survives_junk(signed_in, pair, extra):
    """Any opening time and deadline: stored only if both are real and in order."""
    opens_values, closes_values = pair
    client, token = signed_in
    check_dates(client, token, START, opens_values, closes_values, extra)


@REGRESSION
@given(pair=date_pairs(close_together=CLOCK_CHANGE_TIMES).filter(lambda p: len(p[0]) == 1))
@example(pair=(["2027-03-28T01:00"], ["2027-03-28T02:00"]))
@example(pair=(["2027-03-28T01:30"], ["2027-03-28T02:10"]))
def test_a_deadline_in_the_spring_forward_gap_is_not_stored_before_the_opening(signed_in, pair):
    """Times either side of the clocks going forward: still opens_at < closes_at."""
    client, token = signed_in
    check_dates(client, token, START, pair[0], pair[1], {})


@FUZZ
@given(
    opens=sent_as(st.one_of(CONTROL_TEXT, DATE_TEXT)),
    closes=sent_as(st.one_of(CONTROL_TEXT, DATE_TEXT)),
)
def test_dates_form_survives_control_characters(app, signed_in, opens, closes):
    """Control characters in the dates: the same properties, without the HTML check."""
    client, token = signed_in
    unchecked = new_browser(app, UncheckedClient)
    unchecked.set_cookie("session", client.get_cookie("session").value)
    check_dates(unchecked, token, START, opens, closes, {})


@REGRESSION
@given(email=CONTROL_TEXT)
@example(email="\x00")
def test_a_page_echoing_control_characters_is_still_valid_html(unlimited_app, email):
    """The refused sign-in page, with the email written back, passes the page checks."""
    client = new_browser(unlimited_app, UncheckedClient)
    token = csrf_token(client, LOGIN_URL)

    response = client.post(LOGIN_URL, data=body({"email": [email], "password": ["x"]}, {}, token))

    assert response.status_code == 422
    check_page(response.get_data(as_text=True))


# Email alerts


ALERT_VALUES = sent_as(
    st.one_of(
        st.sampled_from(sorted(ALERT_MODES)),
        ANY_TEXT,
        st.sampled_from(["Daily", " instant", "weekly", "instant\n", "daily,instant"]),
    )
)


@FUZZ
@given(start=STARTS, values=ALERT_VALUES, extra=extra_fields({"alert_mode", "csrf_token"}))
@example(start=START, values=["daily"], extra={})
@example(start=START, values=["instant"], extra={})
@example(start=START, values=[], extra={})
@example(start=START, values=["weekly", "daily"], extra={})
def test_alerts_form_survives_junk(signed_in, start, values, extra):
    """Any alert mode: instant or daily is stored, anything else is a 422."""
    client, token = signed_in
    start_from(start)
    before, audit_id = snapshot(), last_audit_id()

    response = client.post(ALERTS_URL, data=body({"alert_mode": values}, extra, token))

    assert response.status_code < 500
    event(f"status {response.status_code}")
    chosen = {read(values, c)[0] for c in READINGS if values and read(values, c)[0] in ALERT_MODES}
    if response.status_code == 303:
        assert_redirect_then_dashboard(client, response)
        assert stored().alert_mode in chosen
    else:
        # Refused: only if some reading of the value is not a mode.
        assert not values or any(read(values, c)[0] not in ALERT_MODES for c in READINGS)
        soup = assert_form_error_page(response)
        assert soup.find(id="alert_mode-error") is not None
        assert snapshot() == before
    assert_nothing_invalid_stored()
    assert snapshot()[:3] == before[:3]
    events = audit_since(audit_id)
    if snapshot()[3] != before[3]:
        assert [event.action for event in events] == ["set_alerts"]
    else:
        assert events == []


# Every form: a bad token, or a very long value


FORMS = {
    LOGIN_URL: {"email": [ADMIN_EMAIL], "password": [ADMIN_PASSWORD]},
    STATE_URL: {"override": ["closed"]},
    DATES_URL: {"opens_at": ["2027-01-10T09:00"], "closes_at": ["2027-07-01T17:00"]},
    ALERTS_URL: {"alert_mode": ["daily"]},
}


@FUZZ
@given(start=STARTS, url=st.sampled_from(sorted(FORMS)), token=st.one_of(st.none(), ANY_TEXT))
def test_a_junk_token_changes_nothing(signed_in, start, url, token):
    """Valid fields with a missing or junk CSRF token: 400, nothing stored, no audit event."""
    client, _ = signed_in
    start_from(start)
    before, audit_id = snapshot(), last_audit_id()

    response = client.post(url, data=body(FORMS[url], {}, token))

    assert response.status_code == 400
    assert snapshot() == before
    assert audit_since(audit_id) == []


@pytest.mark.parametrize("url", sorted(FORMS))
def test_a_very_long_value_is_refused_and_kept(app, signed_in, url):
    """600 kB in every field (there is no limit below MAX_CONTENT_LENGTH for a plain form):
    a 422, what was typed kept in text fields, nothing stored, no audit event."""
    client, token = signed_in
    if url == LOGIN_URL:  # from a browser that is not signed in
        client = new_browser(app)
        token = csrf_token(client, LOGIN_URL)
    before, audit_id = snapshot(), last_audit_id()
    typed = "x" * 300_000 + "é" * 150_000
    fields = {name: [typed] for name in FORMS[url]}

    response = client.post(url, data=body(fields, {}, token))

    assert response.status_code == 422
    soup = page(response)
    for name in ("email", "opens_at", "closes_at"):
        if name in fields:
            assert soup.find("input", id=name)["value"] == typed
    assert typed not in str(soup.find("input", id="password"))
    assert snapshot() == before
    assert audit_since(audit_id) == []
