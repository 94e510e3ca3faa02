"""A post's card reads the same wherever it is listed: the home page and a consultation's
page read only what the card shows (app.news.services), the news list whole posts."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from tests.support.pages import page
from tests.test_news_posts import store


def cards(shown) -> list[str]:
    """Each post's card as its link, date and summary, leaving out its heading's level."""
    found = []
    for card in page(shown).select(".card:has(time)"):
        link, time = card.select_one(".card-title a"), card.find("time")
        summary = card.find_all("p")[-1]
        found.append(f"{link['href']} {link.text} {time['datetime']} {time.text} {summary.text}")
    return found


def test_a_card_on_the_home_page_and_a_consultations_page_is_the_news_lists_card(
    client, clock, make_consultation
):
    parks = make_consultation(slug="parks", title="Parks")
    stored = [
        store(f"Post {number}", f"post-{number}", clock.now + timedelta(hours=number))
        for number in (1, 2)
    ]
    stored[0].consultation_id = parks.id
    db.session.commit()

    listed = cards(client.get("/news"))
    assert len(listed) == 2
    assert listed[1].startswith("/news/post-1 Post 1 2027-02-01T13:00:00Z 1 February 2027")
    assert cards(client.get("/")) == listed
    assert cards(client.get("/consultations/parks")) == listed[1:]
