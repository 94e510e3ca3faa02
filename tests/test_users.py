"""Users of the admin area: invitations by email, choosing a password, roles, removal.

Invitations go through the outbox and the project's own worker (deliver_due) to a real
SMTP server, and the link is read back from the email received. Time moves only through
the `clock` fixture, which the set-password links are dated by.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from itsdangerous import URLSafeTimedSerializer
from limits import parse_many
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash

from app import models
from app.admin.auth import admin_only
from app.admin.users import services
from app.extensions import db
from app.mail import outbox
from app.models import (
    ADMIN,
    OFFICER,
    AdminUser,
    AuditEvent,
    Consultation,
    OutboxEmail,
    Response,
    record_audit,
)
from tests.support.factories import (
    ADMIN_EMAIL,
    OFFICER_EMAIL,
    OFFICER_PASSWORD,
    AuthActions,
    csrf_token,
)
from tests.support.pages import h1_text, page, summary_links, text_of

SLUG = "test-consultation"
OTHER_ADMIN = "bea@example.org"
NEW_PASSWORD = "a long enough password"
ADD_URL = "/admin/users/new"
USERS_URL = "/admin/users"
LINK = re.compile(r"https?://[^\s\"<>]+/admin/set-password/[^\s\"<>]+")


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def make_user(app, clock):
    """Create and commit a user; with no password they are invited, not yet signed in."""

    def make(email: str, role: str = OFFICER, password: str | None = None) -> AdminUser:
        user = AdminUser(email=email, role=role, password_hash="", created_at=clock.now)
        if password:
            user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user

    return make


def browser(app):
    """Another browser, with its own cookies (the `client` fixture has set the class)."""
    return app.test_client()


def sign_in(client, email: str, password: str):
    response = AuthActions(client).login(email, password)
    assert response.status_code == 303, f"could not sign in as {email}"
    return response


def user(email: str) -> AdminUser | None:
    """The user as stored now."""
    db.session.rollback()
    return db.session.scalar(select(AdminUser).where(AdminUser.email == email))


def user_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AdminUser))


def audit(action: str | None = None) -> list[AuditEvent]:
    db.session.rollback()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def invitations() -> list[OutboxEmail]:
    db.session.rollback()
    return list(
        db.session.scalars(select(OutboxEmail).filter_by(kind="invite").order_by(OutboxEmail.id))
    )


def add(client, email: str, role: str | None = OFFICER, token: str | None = None):
    """Send the add-a-user form."""
    data = {"email": email, "csrf_token": token or csrf_token(client, ADD_URL)}
    if role is not None:
        data["role"] = role
    return client.post(ADD_URL, data=data)


def deliver(clock) -> None:
    """Run the outbox worker once, as `flask outbox send` does."""
    sent, failed = outbox.deliver_due(clock.now)
    assert failed == 0


def link_in_email(smtp_server, email: str, index: int = -1) -> str:
    """The set-password link in the invitation received, as a path for the test client."""
    message = smtp_server.to(email)[index]
    [link] = LINK.findall(message.text)
    assert link in message.html
    return urlsplit(link).path


def invite(client, smtp_server, clock, email: str = OFFICER_EMAIL, role: str = OFFICER) -> str:
    """An admin (signed in on `client`) adds someone; returns their link, once delivered."""
    assert add(client, email, role).status_code == 303
    deliver(clock)
    return link_in_email(smtp_server, email)


def choose_password(client, path: str, password: str, confirm: str | None = None, **kwargs):
    """Send the set-password form at `path`."""
    token = kwargs.pop("token", None) or csrf_token(client, path)
    data = {"password": password, "confirm": password if confirm is None else confirm}
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)


def flashes(client, path: str = USERS_URL) -> str:
    soup = page(client.get(path))
    return text_of(soup.find(id="flashes"))


def row_for(response, email: str):
    """The users table row whose first cell is this email address."""
    for row in page(response).select("tbody tr"):
        if text_of(row.find("td")).removesuffix(" (you)") == email:
            return row
    raise AssertionError(f"no row for {email}")


def cells(row) -> list[str]:
    return [text_of(td) for td in row.find_all("td")]


def assert_expired_page(response, status: int) -> None:
    assert response.status_code == status
    assert h1_text(response) == "This link has expired"
    assert "Ask an admin to send you a new invitation." in text_of(page(response))


# --- inviting someone and their choosing a password ------------------------------------------


def test_an_invited_officer_chooses_a_password_from_the_email_and_is_signed_in(
    app, client, auth, clock, smtp_server
):
    auth.login()
    form = client.get(ADD_URL)
    assert form.status_code == 200
    assert h1_text(form) == "Add a user"

    response = add(client, OFFICER_EMAIL, OFFICER)

    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == USERS_URL
    listing = client.get(USERS_URL)
    assert "Invitation sent to ola@example.org" in text_of(page(listing).find(id="flashes"))
    assert cells(row_for(listing, OFFICER_EMAIL))[:4] == [
        OFFICER_EMAIL,
        "Officer",
        "Invited, not yet signed in",
        "1 February 2027",
    ]
    [added] = audit("add_user")
    assert (added.actor, added.detail) == (ADMIN_EMAIL, "Added ola@example.org as officer")
    assert added.consultation_id is None
    assert smtp_server.received == []  # the request only queued it: the worker sends it

    deliver(clock)

    [email] = smtp_server.to(OFFICER_EMAIL)
    assert email.message["Subject"] == "Choose a password for the Have your say admin area"
    said = " ".join(email.text.split())
    assert "admin@example.org has added you to the Have your say admin area as an officer" in said
    assert "As an officer you can read, tag and export responses." in said
    assert "The link works once, until midday UK time on 4 February 2027." in said  # 72 hours on
    path = link_in_email(smtp_server, OFFICER_EMAIL)

    # The link is open to someone who is not signed in.
    newcomer = browser(app)
    shown = newcomer.get(path)
    assert shown.status_code == 200
    assert h1_text(shown) == "Choose a password"
    assert OFFICER_EMAIL in text_of(page(shown).find("main"))

    done = choose_password(newcomer, path, NEW_PASSWORD)

    assert done.status_code == 303
    assert urlsplit(done.headers["Location"]).path == "/admin/"
    dashboard = newcomer.get("/admin/")
    assert dashboard.status_code == 200
    assert "Your password is set and you are signed in." in text_of(page(dashboard))
    assert newcomer.get(USERS_URL).status_code == 403  # signed in, and as an officer
    assert user(OFFICER_EMAIL).check_password(NEW_PASSWORD)
    assert cells(row_for(client.get(USERS_URL), OFFICER_EMAIL))[2] == "Active"
    [chosen] = audit("set_password")
    assert chosen.actor == OFFICER_EMAIL

    # The link works once.
    assert_expired_page(browser(app).get(path), 410)
    token = csrf_token(newcomer, "/admin/")
    again = choose_password(newcomer, path, "another long password", token=token)
    assert_expired_page(again, 410)
    assert user(OFFICER_EMAIL).check_password(NEW_PASSWORD)

    # And the password they chose is the one to sign in with.
    later = browser(app)
    sign_in(later, OFFICER_EMAIL, NEW_PASSWORD)
    assert later.get("/admin/").status_code == 200


def test_an_admin_can_invite_another_admin(app, client, auth, clock, smtp_server):
    auth.login()

    path = invite(client, smtp_server, clock, OTHER_ADMIN, ADMIN)

    assert cells(row_for(client.get(USERS_URL), OTHER_ADMIN))[1] == "Admin"
    said = " ".join(smtp_server.to(OTHER_ADMIN)[0].text.split())
    assert "as an admin. As an admin you can change consultations and users." in said
    assert audit("add_user")[0].detail == "Added bea@example.org as admin"
    newcomer = browser(app)
    choose_password(newcomer, path, NEW_PASSWORD)
    assert newcomer.get(USERS_URL).status_code == 200


@pytest.mark.parametrize(
    ("password", "confirm", "field", "message"),
    [
        ("", "", "password", "Enter a password"),
        ("short one", "short one", "password", "Enter a password of 12 characters or more"),
        (NEW_PASSWORD, "a long enough passw0rd", "confirm", "Passwords do not match"),
        (NEW_PASSWORD, "", "confirm", "Enter the password again"),
    ],
    ids=["empty", "short", "mismatch", "no-confirmation"],
)
def test_a_password_refused_is_explained_and_not_set(
    app, client, auth, clock, smtp_server, password, confirm, field, message
):
    auth.login()
    path = invite(client, smtp_server, clock)
    newcomer = browser(app)

    response = choose_password(newcomer, path, password, confirm)

    assert response.status_code == 422
    soup = page(response)
    assert soup.title.get_text().startswith("Error: Choose a password")
    assert summary_links(response) == {message: field}
    assert message in text_of(soup.find(id=f"{field}-error"))
    assert "a long enough pass" not in response.get_data(as_text=True)  # never written back
    assert not user(OFFICER_EMAIL).has_password
    assert newcomer.get("/admin/").status_code == 302  # not signed in
    assert choose_password(newcomer, path, NEW_PASSWORD).status_code == 303  # link still good


def test_the_link_works_for_72_hours(app, client, auth, clock, smtp_server):
    auth.login()
    path = invite(client, smtp_server, clock)
    newcomer = browser(app)

    clock.advance(hours=71, minutes=59)
    assert newcomer.get(path).status_code == 200
    token = csrf_token(newcomer, path)

    clock.advance(minutes=1, seconds=1)

    assert_expired_page(newcomer.get(path), 410)
    assert_expired_page(choose_password(newcomer, path, NEW_PASSWORD, token=token), 410)
    assert not user(OFFICER_EMAIL).has_password
    assert newcomer.get("/admin/").status_code == 302


def _tampered(path: str) -> list[str]:
    token = path.rsplit("/", 1)[1]
    payload, timestamp, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    forged = URLSafeTimedSerializer("not the secret", salt="set-password").dumps(
        {"user": 2, "session": "x"}
    )
    return [
        f"{payload}.{timestamp}.{flipped}",
        f"{payload[:-1]}.{timestamp}.{signature}",
        token[: len(token) // 2],
        forged,
        "not-a-token",
    ]


def test_an_altered_link_shows_the_expired_page(app, client, auth, clock, smtp_server):
    auth.login()
    path = invite(client, smtp_server, clock)
    newcomer = browser(app)

    for token in _tampered(path):
        altered = f"/admin/set-password/{token}"
        assert_expired_page(newcomer.get(altered), 400)
        token = csrf_token(newcomer, "/admin/login")
        posted = choose_password(newcomer, altered, NEW_PASSWORD, token=token)
        assert_expired_page(posted, 400)

    assert not user(OFFICER_EMAIL).has_password
    assert newcomer.get(path).status_code == 200  # the real link is untouched


def test_a_new_invitation_replaces_the_old_link(app, client, auth, clock, smtp_server):
    auth.login()
    old_path = invite(client, smtp_server, clock)
    row = row_for(client.get(USERS_URL), OFFICER_EMAIL)
    resend = row.find("form", action=re.compile(r"/invitation$"))
    assert "Send a new invitation" in text_of(resend)

    response = client.post(resend["action"], data={"csrf_token": csrf_token(client, USERS_URL)})

    assert response.status_code == 303
    assert "Invitation sent to ola@example.org" in flashes(client)
    first, second = invitations()
    assert first.event_key != second.event_key
    deliver(clock)
    new_path = link_in_email(smtp_server, OFFICER_EMAIL)
    assert len(smtp_server.to(OFFICER_EMAIL)) == 2
    assert new_path != old_path
    newcomer = browser(app)
    assert_expired_page(newcomer.get(old_path), 410)
    assert newcomer.get(new_path).status_code == 200
    [resent] = audit("resend_invitation")
    assert (resent.actor, resent.detail) == (
        ADMIN_EMAIL,
        "Sent a new invitation to ola@example.org",
    )


def test_someone_who_has_chosen_a_password_gets_no_new_invitation(
    app, client, auth, make_user, clock
):
    active = make_user(OFFICER_EMAIL, password=OFFICER_PASSWORD)
    auth.login()
    row = row_for(client.get(USERS_URL), OFFICER_EMAIL)
    assert row.find("form", action=re.compile(r"/invitation$")) is None

    response = client.post(
        f"/admin/users/{active.id}/invitation", data={"csrf_token": csrf_token(client, USERS_URL)}
    )

    assert response.status_code == 303
    assert "ola@example.org has already chosen a password" in flashes(client)
    assert invitations() == []
    assert audit() == []


def test_a_link_used_in_another_tab_meanwhile_sets_no_password(
    app, client, auth, clock, smtp_server
):
    """Two sends of one link (a double tap): the second finds its token gone."""
    auth.login()
    path = invite(client, smtp_server, clock)
    seen = services.user_for_token(path.rsplit("/", 1)[1])
    with db.engine.begin() as other:  # the first send, committed meanwhile
        other.execute(
            update(AdminUser).where(AdminUser.id == seen.id).values(session_token="changed")
        )

    with pytest.raises(services.LinkExpired):
        services.set_password_from_link(seen, NEW_PASSWORD)

    assert not user(OFFICER_EMAIL).has_password
    assert audit("set_password") == []


def test_choosing_a_password_is_rate_limited(app, client, auth, clock, smtp_server):
    per_minute = next(
        limit
        for limit in parse_many(app.config["RATELIMIT_LOGIN"])
        if limit.GRANULARITY.name == "minute"
    )
    auth.login()
    path = invite(client, smtp_server, clock)
    newcomer = browser(app)
    token = csrf_token(newcomer, path)
    for attempt in range(per_minute.amount):
        response = choose_password(newcomer, path, "short", token=token)
        assert response.status_code == 422, f"attempt {attempt + 1}"

    response = choose_password(newcomer, path, NEW_PASSWORD, token=token)

    assert response.status_code == 429
    assert not user(OFFICER_EMAIL).has_password
    assert newcomer.get(path).status_code == 200  # only sending the form is limited


# --- the add-a-user form refuses what it cannot use ------------------------------------------


@pytest.mark.parametrize(
    ("email", "role", "field", "message"),
    [
        ("", OFFICER, "email", "Enter an email address"),
        ("not an email", OFFICER, "email", "Enter an email address in the correct format"),
        ("Admin@EXAMPLE.org", OFFICER, "email", "There is already a user with this email address"),
        (OFFICER_EMAIL, None, "role-1", "Select a role"),
        (OFFICER_EMAIL, "superuser", "role-1", "Select one of the options shown"),
    ],
    ids=["no-email", "bad-email", "duplicate-other-case", "no-role", "crafted-role"],
)
def test_add_user_refuses_bad_input_and_keeps_what_was_typed(
    client, auth, email, role, field, message
):
    auth.login()
    before = user_count()

    response = add(client, email, role)

    assert response.status_code == 422
    soup = page(response)
    assert soup.title.get_text().startswith("Error: Add a user")
    [(shown, target)] = summary_links(response).items()
    assert shown.startswith(message)
    assert target == field
    error_id = "email-error" if field == "email" else "role-error"
    assert text_of(soup.find(id=error_id)).removeprefix("Error: ").startswith(message)
    # Kept as typed, but for the domain's case, which email addresses ignore.
    assert soup.find("input", id="email")["value"].lower() == email.lower()
    checked = [
        radio["value"]
        for radio in soup.find_all("input", attrs={"name": "role"})
        if radio.has_attr("checked")
    ]
    assert checked == ([role] if role in (ADMIN, OFFICER) else [])
    assert user_count() == before
    assert invitations() == []
    assert audit() == []


# --- roles -----------------------------------------------------------------------------------


@pytest.fixture
def officer_client(app, client, make_user):
    """A browser signed in as an officer."""
    make_user(OFFICER_EMAIL, OFFICER, OFFICER_PASSWORD)
    sign_in(client, OFFICER_EMAIL, OFFICER_PASSWORD)
    return client


def _submitted_response(consultation: Consultation, now) -> Response:
    response = Response(
        consultation=consultation,
        channel="evidence",
        status="submitted",
        token="t" * 32,
        reference="EV-TEST1",
        name="Priya Shah",
        email="priya@example.org",
        evidence_text="Buses stop at 6pm.",
        consent=True,
        started_at=now,
        updated_at=now,
        submitted_at=now,
    )
    db.session.add(response)
    db.session.commit()
    return response


def _admin_only_urls(target: AdminUser, email_id: int) -> list[tuple[str, str]]:
    user_urls = [
        ("GET", USERS_URL),
        ("GET", ADD_URL),
        ("POST", ADD_URL),
        ("POST", f"/admin/users/{target.id}/role"),
        ("POST", f"/admin/users/{target.id}/invitation"),
        ("GET", f"/admin/users/{target.id}/remove"),
        ("POST", f"/admin/users/{target.id}/remove"),
    ]
    consultation_urls = [
        ("POST", f"/admin/consultations/{SLUG}/state"),
        ("GET", f"/admin/consultations/{SLUG}/dates"),
        ("POST", f"/admin/consultations/{SLUG}/dates"),
        ("GET", f"/admin/consultations/{SLUG}/alerts"),
        ("POST", f"/admin/consultations/{SLUG}/alerts"),
        ("POST", f"/admin/consultations/{SLUG}/calls/settings"),
        ("POST", f"/admin/outbox/{email_id}/retry"),
    ]
    return user_urls + consultation_urls


def test_an_officer_is_refused_everything_that_changes_consultations_or_users(
    app, officer_client, make_user, make_consultation
):
    client = officer_client
    make_consultation()
    target = make_user("invited@example.org", OFFICER)
    failed = OutboxEmail(
        event_key="test:failed",
        kind="receipt",
        to_addr="someone@example.org",
        subject="A receipt",
        body_text="Thank you.",
        body_html="<p>Thank you.</p>",
        message_id="<failed@example.org>",
        status=outbox.FAILED,
    )
    db.session.add(failed)
    db.session.commit()
    token = csrf_token(client, "/admin/")
    data = {
        "csrf_token": token,
        "email": "new@example.org",
        "role": ADMIN,
        "override": "closed",
        "opens_at": "2027-01-10T09:00",
        "closes_at": "2027-07-01T17:00",
        "alert_mode": "daily",
        "messages_after_close": "no",
        "bookings_after_close": "yes",
    }

    for method, url in _admin_only_urls(target, failed.id):
        response = client.open(url, method=method, data=data if method == "POST" else None)
        assert response.status_code == 403, f"{method} {url}: {response.status_code}"
        assert h1_text(response) == "You cannot see this page"

    db.session.rollback()
    stored = db.session.scalar(select(Consultation).filter_by(slug=SLUG))
    assert (stored.override, stored.alert_mode, stored.messages_after_close) == (
        "auto",
        "instant",
        True,
    )
    assert user("new@example.org") is None
    assert user("invited@example.org").role == OFFICER
    assert db.session.get(OutboxEmail, failed.id).status == outbox.FAILED
    assert audit() == []


def _fill(rule: str) -> str:
    """The rule's path with each parameter replaced by a value its converter accepts."""

    def value(match: re.Match) -> str:
        converter, name = match.group(1) or "", match.group(2)
        if converter.startswith("any("):  # one of the listed words
            return converter[4:].split(",")[0].strip()
        return SLUG if name == "slug" else "1"

    return re.sub(r"<(?:([^<>]+):)?([^<>:]+)>", value, rule)


def test_every_admin_only_view_refuses_an_officer(app, officer_client, make_consultation):
    """Walk the URL map, so that a view marked admin-only later is covered too."""
    make_consultation()
    client = officer_client
    marker = admin_only(lambda: None).__code__
    token = csrf_token(client, "/admin/")
    checked = []

    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if getattr(view, "__code__", None) is not marker:
            continue
        url = _fill(rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 403, f"{method} {url}: {response.status_code}"
            checked.append(f"{method} {rule.rule}")

    assert "POST /admin/users/<id:user_id>/role" in checked
    assert "POST /admin/consultations/<slug>/state" in checked
    assert audit() == []


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        f"/admin/consultations/{SLUG}/responses",
        "/admin/responses/{response_id}",
        f"/admin/consultations/{SLUG}/calls",
        "/admin/outbox",
        "/admin/audit",
    ],
    ids=["dashboard", "responses", "one-response", "calls", "outbox", "audit-log"],
)
def test_an_officer_can_read(officer_client, make_consultation, clock, url):
    response = _submitted_response(make_consultation(), clock.now)

    shown = officer_client.get(url.format(response_id=response.id))

    assert shown.status_code == 200
    nav = page(shown).find("nav", attrs={"aria-label": "Admin"})
    assert nav.find("a", href=USERS_URL) is None


def test_an_officer_sees_no_settings_on_the_calls_page(officer_client, make_consultation):
    make_consultation()

    calls_page = officer_client.get(f"/admin/consultations/{SLUG}/calls")

    assert calls_page.status_code == 200
    assert page(calls_page).find("form", action=re.compile(r"/calls/settings$")) is None


def test_an_admin_has_the_users_link(client, auth):
    auth.login()
    nav = page(client.get("/admin/")).find("nav", attrs={"aria-label": "Admin"})
    assert nav.find("a", href=USERS_URL) is not None


def test_an_officers_dashboard_has_no_state_control(officer_client, make_consultation):
    make_consultation()

    dashboard = page(officer_client.get("/admin/"))

    assert dashboard.find("li", id=f"consultation-{SLUG}") is not None
    assert dashboard.find("form", action=re.compile(r"/state$")) is None


# --- changing roles --------------------------------------------------------------------------


def change_role(client, target: AdminUser, role: str, **kwargs):
    token = kwargs.pop("token", None) or csrf_token(client, USERS_URL)
    return client.post(f"/admin/users/{target.id}/role", data={"role": role, "csrf_token": token})


def test_a_role_change_applies_from_the_next_request(app, client, auth, make_user):
    bea = make_user(OTHER_ADMIN, ADMIN, OFFICER_PASSWORD)
    auth.login()
    theirs = browser(app)
    sign_in(theirs, OTHER_ADMIN, OFFICER_PASSWORD)
    assert theirs.get(USERS_URL).status_code == 200
    button = row_for(client.get(USERS_URL), OTHER_ADMIN).find("button", attrs={"name": "role"})
    assert button["value"] == OFFICER
    assert text_of(button) == "Change role to officer for bea@example.org"

    response = change_role(client, bea, OFFICER)

    assert response.status_code == 303
    assert "bea@example.org is now an officer." in flashes(client)
    assert theirs.get(USERS_URL).status_code == 403
    assert theirs.get("/admin/").status_code == 200  # still signed in, as an officer
    assert cells(row_for(client.get(USERS_URL), OTHER_ADMIN))[1] == "Officer"

    change_role(client, bea, ADMIN)

    assert theirs.get(USERS_URL).status_code == 200
    assert [(e.actor, e.detail) for e in audit("change_role")] == [
        (ADMIN_EMAIL, "Changed bea@example.org from admin to officer"),
        (ADMIN_EMAIL, "Changed bea@example.org from officer to admin"),
    ]


def test_giving_someone_the_role_they_have_changes_nothing(client, auth, make_user):
    ola = make_user(OFFICER_EMAIL, OFFICER, OFFICER_PASSWORD)
    auth.login()

    response = change_role(client, ola, OFFICER)

    assert response.status_code == 303
    assert "Nothing changed." in flashes(client)
    assert audit() == []


def test_a_crafted_role_is_refused(client, auth, make_user):
    ola = make_user(OFFICER_EMAIL, OFFICER, OFFICER_PASSWORD)
    auth.login()

    response = change_role(client, ola, "superuser")

    assert response.status_code == 400
    assert user(OFFICER_EMAIL).role == OFFICER
    assert audit() == []


def test_an_admin_cannot_change_their_own_role_or_remove_themselves(
    client, auth, admin_user, make_user
):
    make_user(OTHER_ADMIN, ADMIN, OFFICER_PASSWORD)
    auth.login()
    listing = client.get(USERS_URL)
    mine = row_for(listing, ADMIN_EMAIL)
    assert cells(mine)[0] == f"{ADMIN_EMAIL} (you)"
    assert mine.find("form") is None and mine.find("a") is None
    theirs = row_for(listing, OTHER_ADMIN)
    assert theirs.find("form", action=re.compile(r"/role$")) is not None
    assert theirs.find("a", href=re.compile(r"/remove$")) is not None

    response = change_role(client, admin_user, OFFICER)

    assert response.status_code == 303
    assert "You cannot change your own role" in flashes(client)
    remove_page = client.get(f"/admin/users/{admin_user.id}/remove")
    assert remove_page.status_code == 303
    assert "You cannot remove yourself" in flashes(client)
    posted = client.post(
        f"/admin/users/{admin_user.id}/remove", data={"csrf_token": csrf_token(client, USERS_URL)}
    )
    assert posted.status_code == 303
    assert user(ADMIN_EMAIL).role == ADMIN
    assert client.get(USERS_URL).status_code == 200  # still signed in, still an admin
    assert audit() == []


def test_the_last_admin_can_never_be_demoted_or_removed(app, admin_user, make_user):
    """Whoever asks: the rule is in the service, checked in the statement that changes."""
    ola = make_user(OFFICER_EMAIL, OFFICER, OFFICER_PASSWORD)

    with pytest.raises(services.Refused, match="admin@example.org is the only admin"):
        services.change_role(admin_user, OFFICER, actor=ola)
    with pytest.raises(services.Refused, match="admin@example.org is the only admin"):
        services.remove_user(admin_user, actor=ola)

    assert user(ADMIN_EMAIL).role == ADMIN
    assert audit() == []


def test_one_of_two_admins_can_be_demoted_but_then_not_the_other(app, admin_user, make_user):
    bea = make_user(OTHER_ADMIN, ADMIN, OFFICER_PASSWORD)
    ola = make_user(OFFICER_EMAIL, OFFICER, OFFICER_PASSWORD)

    assert services.change_role(bea, OFFICER, actor=admin_user) is True

    with pytest.raises(services.Refused, match="only admin"):
        services.change_role(admin_user, OFFICER, actor=ola)
    assert [u.role for u in (user(ADMIN_EMAIL), user(OTHER_ADMIN))] == [ADMIN, OFFICER]


# --- removing someone ------------------------------------------------------------------------


def test_removing_someone_ends_their_session_and_keeps_the_audit_log(app, client, auth, make_user):
    ola_id = make_user(OFFICER_EMAIL, OFFICER, OFFICER_PASSWORD).id
    record_audit(OFFICER_EMAIL, "export_responses", None, "Exported 3 responses")
    db.session.commit()
    theirs = browser(app)
    sign_in(theirs, OFFICER_EMAIL, OFFICER_PASSWORD)
    assert theirs.get("/admin/").status_code == 200
    auth.login()
    link = row_for(client.get(USERS_URL), OFFICER_EMAIL).find("a", href=re.compile(r"/remove$"))
    confirm = client.get(link["href"])
    assert confirm.status_code == 200
    assert h1_text(confirm) == "Remove this user"
    assert OFFICER_EMAIL in text_of(page(confirm).find("main"))
    form = page(confirm).find("form", action=re.compile(r"/remove$"))

    response = client.post(form["action"], data={"csrf_token": csrf_token(client, link["href"])})

    assert response.status_code == 303
    assert "ola@example.org has been removed." in flashes(client)
    assert user(OFFICER_EMAIL) is None
    after = theirs.get("/admin/")
    assert after.status_code == 302
    assert urlsplit(after.headers["Location"]).path == "/admin/login"
    assert AuthActions(browser(app)).login(OFFICER_EMAIL, OFFICER_PASSWORD).status_code == 422
    assert client.get(f"/admin/users/{ola_id}/remove").status_code == 404
    log = text_of(page(client.get("/admin/audit")))
    assert "Exported 3 responses" in log
    assert "Remove user: Removed ola@example.org (officer)" in log
    assert [(e.actor, e.detail) for e in audit()] == [
        (OFFICER_EMAIL, "Exported 3 responses"),
        (ADMIN_EMAIL, "Removed ola@example.org (officer)"),
    ]


def test_removing_someone_invited_ends_their_link(app, client, auth, clock, smtp_server):
    auth.login()
    path = invite(client, smtp_server, clock)
    invited = user(OFFICER_EMAIL)
    url = f"/admin/users/{invited.id}/remove"

    client.post(url, data={"csrf_token": csrf_token(client, url)})

    assert_expired_page(browser(app).get(path), 410)


# --- every form needs its CSRF token ---------------------------------------------------------


def test_every_post_needs_the_csrf_token(app, client, auth, clock, smtp_server, make_user):
    ola = make_user(OFFICER_EMAIL, OFFICER)
    auth.login()
    path = invite(client, smtp_server, clock, "new@example.org")
    audited = len(audit())
    posts = [
        (ADD_URL, {"email": "other@example.org", "role": OFFICER}),
        (f"/admin/users/{ola.id}/role", {"role": ADMIN}),
        (f"/admin/users/{ola.id}/invitation", {}),
        (f"/admin/users/{ola.id}/remove", {}),
        (path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    ]

    for url, data in posts:
        response = client.post(url, data=data)
        assert response.status_code == 400, url
        assert h1_text(response) == "Your session has expired"

    assert user("other@example.org") is None
    stored = user(OFFICER_EMAIL)
    assert stored.role == OFFICER
    assert not user("new@example.org").has_password
    assert len(invitations()) == 1
    assert len(audit()) == audited


# --- sign-in does the same work for every address ---------------------------------------------


@pytest.fixture
def hash_checks(monkeypatch) -> list[str]:
    """The method of every stored hash a password is checked against, in order.

    The real check still runs: this only notes which kind of hash it was asked to compare.
    """
    checked: list[str] = []

    def noted(stored: str, password: str) -> bool:
        checked.append(stored.split("$", 1)[0])
        return check_password_hash(stored, password)

    # Wherever a password is checked from: the sign-in service, or the model's own method.
    monkeypatch.setattr(services, "check_password_hash", noted)
    monkeypatch.setattr(models, "check_password_hash", noted)
    return checked


@pytest.mark.parametrize(
    "email",
    [
        pytest.param(ADMIN_EMAIL, id="an admin, with a wrong password"),
        pytest.param("nobody@example.org", id="an address with no account"),
        pytest.param(OTHER_ADMIN, id="someone invited who has no password yet"),
    ],
)
def test_a_failed_sign_in_checks_one_hash_of_the_same_kind_whoever_it_is_for(
    app, client, admin_user, make_user, hash_checks, email
):
    make_user(OTHER_ADMIN)
    real_method = admin_user.password_hash.split("$", 1)[0]

    response = AuthActions(client).login(email, "not the password at all")

    assert response.status_code == 422
    assert "Enter a correct email address and password" in text_of(page(response))
    # One check against a hash made the way real ones are is the same work for each address,
    # so how long a refusal takes does not tell anyone which addresses have accounts.
    assert hash_checks == [real_method]


def test_the_right_password_still_signs_in_after_one_check(app, client, admin_user, hash_checks):
    response = AuthActions(client).login()

    assert response.status_code == 303
    assert len(hash_checks) == 1
