"""The public pages: the list, a consultation's page, its ways to take part, plain pages, health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.pages import h1_text, page, text_of

DEADLINE = datetime(2027, 3, 1, 17, 0, tzinfo=UTC)  # 5pm GMT, so 5pm UK time
CHANNELS = ["survey", "evidence", "contact"]


# The list page


def test_list_groups_consultations_as_open_forthcoming_and_closed(client, clock, make_consultation):
    """Each consultation appears under the heading for its state at the clock's instant."""
    now = clock.now
    make_consultation(slug="open-one", title="Bus routes review")
    make_consultation(
        slug="soon-one",
        title="Library hours review",
        opens_at=now + timedelta(days=3),
        closes_at=now + timedelta(days=30),
    )
    make_consultation(
        slug="closed-one",
        title="Park maintenance review",
        opens_at=now - timedelta(days=30),
        closes_at=now - timedelta(days=1),
    )

    response = client.get("/")

    assert response.status_code == 200
    soup = page(response)

    def titles_under(group: str) -> list[str]:
        section = soup.find("section", attrs={"aria-labelledby": f"{group}-heading"})
        assert section is not None, f"no {group} section"
        return [text_of(a) for a in section.select(".card-title a")]

    assert titles_under("open") == ["Bus routes review"]
    assert titles_under("forthcoming") == ["Library hours review"]
    assert titles_under("closed") == ["Park maintenance review"]
    assert text_of(soup.find(id="open-heading")) == "Open for responses"
    assert text_of(soup.find(id="forthcoming-heading")) == "Opening soon"
    assert text_of(soup.find(id="closed-heading")) == "Closed"


def test_list_moves_a_consultation_to_closed_when_the_clock_passes_its_deadline(
    client, clock, make_consultation
):
    """No job flips a flag: the list reflects the clock at each request."""
    make_consultation(slug="ending", title="Ending soon", closes_at=clock.now + timedelta(hours=1))
    soup = page(client.get("/"))
    open_section = soup.find("section", attrs={"aria-labelledby": "open-heading"})
    assert "Ending soon" in text_of(open_section)

    clock.advance(hours=1)

    soup = page(client.get("/"))
    open_section = soup.find("section", attrs={"aria-labelledby": "open-heading"})
    closed_section = soup.find("section", attrs={"aria-labelledby": "closed-heading"})
    assert "Ending soon" not in text_of(open_section)
    assert "There are no open consultations at the moment." in text_of(open_section)
    assert "Ending soon" in text_of(closed_section)


# A consultation's page


def test_consultation_page_shows_summary_body_officer_and_deadline(client, make_consultation):
    """What it is about, who runs it and when it closes, in UK time."""
    make_consultation(
        slug="local-services",
        title="Local services, local providers",
        summary="Tell us who runs the services near you.",
        body="## Why we are asking\n\nWe want to hear from *everyone*.",
        closes_at=DEADLINE,
        officer_name="Sam Okafor",
        officer_email="officer@example.org",
        officer_phone="020 7946 0000",
    )

    response = client.get("/consultations/local-services")

    assert response.status_code == 200
    soup = page(response)
    assert h1_text(response) == "Local services, local providers"
    assert text_of(soup.find(class_="lead")) == "Tell us who runs the services near you."
    prose = soup.find(class_="prose")
    assert text_of(prose.find("h2")) == "Why we are asking"
    assert text_of(prose.find("em")) == "everyone"
    assert "Closes 5pm UK time on 1 March 2027" in text_of(soup)
    contact = text_of(soup.find("dl", class_="summary-list"))
    assert "Sam Okafor" in contact
    assert "officer@example.org" in contact
    assert "020 7946 0000" in contact
    assert soup.find("a", href="mailto:officer@example.org")
    assert soup.find("a", href="tel:02079460000")


def test_consultation_body_escapes_html_and_refuses_javascript_links(client, make_consultation):
    """Markdown written by an admin cannot inject markup or script into the page."""
    body = "\n\n".join(
        [
            "<script>alert('body')</script>",
            '<img src="x" onerror="alert(1)">',
            "[Click me](javascript:alert(1))",
            '<b style="color:red">bold?</b>',
        ]
    )
    make_consultation(slug="hostile", body=body)

    response = client.get("/consultations/hostile")

    assert response.status_code == 200
    prose = page(response).find(class_="prose")
    assert prose.find("script") is None
    assert prose.find("img") is None
    assert prose.find("b") is None
    assert not prose.find_all(attrs={"onerror": True})
    assert not [a for a in prose.find_all("a") if "javascript" in a.get("href", "").lower()]
    # The author's text is shown as text, not lost.
    shown = text_of(prose)
    assert "<script>alert('body')</script>" in shown
    assert "Click me" in shown
    html = response.get_data(as_text=True)
    assert "&lt;script&gt;" in html
    assert "<script>alert" not in html


def test_a_top_level_heading_in_the_body_becomes_h2(client, make_consultation):
    """The page's title is its only h1; a `# heading` in the body renders as h2."""
    make_consultation(slug="headings", title="Heading test", body="# Background\n\nSome text.")

    response = client.get("/consultations/headings")

    soup = page(response)
    assert [text_of(h) for h in soup.find_all("h1")] == ["Heading test"]
    prose = soup.find(class_="prose")
    assert text_of(prose.find("h2")) == "Background"
    assert prose.find("h1") is None


def test_days_left_is_shown_only_in_the_last_week(client, clock, make_consultation):
    """'N days left' appears once the deadline is under a week away."""
    make_consultation(slug="countdown", closes_at=DEADLINE)

    clock.set(DEADLINE - timedelta(days=7))
    soup = page(client.get("/consultations/countdown"))
    assert "left to respond" not in text_of(soup)
    assert "Closes 5pm UK time on 1 March 2027" in text_of(soup)

    clock.advance(minutes=1)
    soup = page(client.get("/consultations/countdown"))
    assert "6 days left to respond." in text_of(soup)

    clock.set(DEADLINE - timedelta(days=2, hours=3))
    soup = page(client.get("/consultations/countdown"))
    assert "2 days left to respond." in text_of(soup)


def test_page_says_the_deadline_has_passed_once_it_has(client, clock, make_consultation):
    """At the deadline the page says so and offers no way to respond."""
    make_consultation(slug="deadline", closes_at=DEADLINE)
    clock.set(DEADLINE - timedelta(minutes=1))
    before = page(client.get("/consultations/deadline"))
    assert "How to take part" in text_of(before)
    assert "The deadline for responses has passed" not in text_of(before)

    clock.set(DEADLINE)
    response = client.get("/consultations/deadline")

    assert response.status_code == 200
    soup = page(response)
    assert "The deadline for responses has passed" in text_of(soup)
    assert "This consultation closed 5pm UK time on 1 March 2027." in text_of(soup)
    assert "How to take part" not in text_of(soup)
    assert "left to respond" not in text_of(soup)
    # Only the forms for email updates: no way to respond.
    assert [form["action"] for form in soup.find_all("form")] == [
        "/consultations/deadline/follow",
        "/updates/sign-up",
    ]


def test_unknown_consultation_is_not_found(client):
    """A slug that matches nothing answers the friendly 404 page."""
    response = client.get("/consultations/no-such-thing")
    assert response.status_code == 404
    assert h1_text(response) == "Page not found"


# The ways to take part


@pytest.mark.parametrize("channel", CHANNELS)
def test_channel_answers_410_once_the_deadline_has_passed(
    client, clock, make_consultation, channel
):
    """After the deadline each channel says so, with no form to fill in (messages only
    when set to close with the consultation: by default they stay open)."""
    make_consultation(
        slug="past", title="Past consultation", closes_at=DEADLINE, messages_after_close=False
    )
    clock.set(DEADLINE + timedelta(seconds=1))

    response = client.get(f"/consultations/past/{channel}")

    assert response.status_code == 410
    soup = page(response)
    assert h1_text(response) == "The deadline for responses has passed"
    assert "Past consultation closed 5pm UK time on 1 March 2027." in text_of(soup)
    assert soup.find("form") is None


@pytest.mark.parametrize("channel", CHANNELS)
def test_channel_answers_410_when_an_admin_closed_it(client, make_consultation, channel):
    """Closed by hand before the deadline: 'This consultation is closed', no form."""
    make_consultation(
        slug="shut", title="Shut consultation", override="closed", messages_after_close=False
    )

    response = client.get(f"/consultations/shut/{channel}")

    assert response.status_code == 410
    soup = page(response)
    assert h1_text(response) == "This consultation is closed"
    assert "The deadline for responses has passed" not in text_of(soup)
    assert "Shut consultation is not taking responses." in text_of(soup)
    assert soup.find("form") is None


@pytest.mark.parametrize("channel", ["evidence", "contact"])
def test_channel_not_offered_is_not_found(client, make_consultation, channel):
    """A consultation that only runs a survey has no evidence or contact page."""
    make_consultation(slug="survey-only", channels=["survey"], override="closed")

    response = client.get(f"/consultations/survey-only/{channel}")

    assert response.status_code == 404
    assert h1_text(response) == "Page not found"


@pytest.mark.parametrize("channel", CHANNELS)
def test_channel_of_unknown_consultation_is_not_found(client, channel):
    """An unknown slug answers 404 whatever the channel."""
    response = client.get(f"/consultations/no-such-thing/{channel}")
    assert response.status_code == 404
    assert h1_text(response) == "Page not found"


@pytest.mark.parametrize("channel", CHANNELS)
def test_channel_of_forthcoming_consultation_says_when_it_opens(
    client, clock, make_consultation, channel
):
    """Not open yet: 404 with the opening time in UK time (BST in summer)."""
    clock.set(datetime(2027, 5, 1, 12, 0, tzinfo=UTC))
    make_consultation(
        slug="soon",
        title="Summer consultation",
        opens_at=datetime(2027, 6, 1, 8, 0, tzinfo=UTC),  # 9am BST
        closes_at=datetime(2027, 7, 1, 16, 0, tzinfo=UTC),
    )

    response = client.get(f"/consultations/soon/{channel}")

    assert response.status_code == 404
    soup = page(response)
    assert h1_text(response) == "This consultation is not open yet"
    assert "Summer consultation opens 9am UK time on 1 June 2027." in text_of(soup)
    assert soup.find("form") is None


# The service's plain pages and its health


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/privacy", "Privacy notice"),
        ("/accessibility", "Accessibility statement"),
        ("/cookies", "Cookies"),
    ],
)
def test_plain_pages_answer_with_their_heading(client, path, heading):
    """The privacy, accessibility and cookies pages are there, linked from every page."""
    response = client.get(path)
    assert response.status_code == 200
    assert h1_text(response) == heading
    footer_links = {a["href"] for a in page(response).select("footer a")}
    assert {"/privacy", "/accessibility", "/cookies"} <= footer_links


def test_healthz_is_ok_when_the_database_answers(client):
    """200 with the database reported reachable."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_unavailable_when_the_database_is_unreachable(request, app_config, tmp_path):
    """503 when the database cannot be opened, so a load balancer takes the process out."""
    missing = tmp_path / "no-such-directory" / "consultations.db"
    app_config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{missing}"
    client = request.getfixturevalue("client")

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}
