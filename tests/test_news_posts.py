"""News posts: staff write, preview, publish, change and unpublish them through the admin
pages; readers find the published ones on /news, each at its own address, on the home page
and on the page of the consultation they are about. Drafts and unpublished posts are never
shown anywhere public.

Posts are written through the real admin form; only the many posts pagination needs are
stored straight with the models.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, NewsPost
from tests.support.clients import new_browser, utc
from tests.support.factories import ADMIN_EMAIL, OFFICER_EMAIL, csrf_token
from tests.support.pages import field_error, h1_text, page, summary_links, text_of, value_of

NEW = "/admin/news/new"
POST = {
    "title": "We want to hear about local commissioning",
    "slug": "",
    "summary": "Tell us how services are bought where you live.",
    "body": "## Why now\n\nThe rules change **next year**.\n\n<script>alert(1)</script>",
    "author_name": "Sam Okafor",
    "consultation": "",
    "comments_on": "y",
    "close_with_consultation": "y",
}


# --- acting through the admin pages ------------------------------------------------------------


def write(client: FlaskClient, **changes: str) -> int:
    """Write a post through the form (POST with `changes`); its id."""
    data = {**POST, **changes, "csrf_token": csrf_token(client, NEW)}
    saved = client.post(NEW, data={k: v for k, v in data.items() if v is not None})
    assert saved.status_code == 303, (saved.status_code, summary_links(saved))
    match = re.fullmatch(r"/admin/news/(\d+)/preview", urlsplit(saved.headers["Location"]).path)
    assert match, saved.headers["Location"]
    return int(match.group(1))


def press(client: FlaskClient, post_id: int, action: str):
    """Press Publish or Unpublish on the post's preview."""
    token = csrf_token(client, f"/admin/news/{post_id}/preview")
    return client.post(f"/admin/news/{post_id}/{action}", data={"csrf_token": token})


def published(client: FlaskClient, **changes: str) -> NewsPost:
    """A post written and published through the pages."""
    post_id = write(client, **changes)
    assert press(client, post_id, "publish").status_code == 303
    return db.session.get(NewsPost, post_id)


def edit(client: FlaskClient, post_id: int, **changes: str):
    """Send the edit form as the page shows it, with `changes`."""
    url = f"/admin/news/{post_id}"
    form = page(client.get(url)).find("form", action=url)
    data = {
        name: value_of_form(form, name) for name in POST if value_of_form(form, name) is not None
    }
    data.update(changes)
    data["csrf_token"] = form.find("input", attrs={"name": "csrf_token"})["value"]
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


def value_of_form(form, name: str) -> str | None:
    """What a browser sends for field `name` of `form` (None: nothing, an unticked box)."""
    control = form.find(attrs={"name": name})
    if control.name == "textarea":
        return control.get_text()
    if control.name == "select":
        chosen = control.find("option", selected=True)
        return chosen["value"] if chosen else control.find("option")["value"]
    if control.get("type") == "checkbox":
        return control["value"] if control.has_attr("checked") else None
    return control.get("value", "")


def actions() -> list[tuple[str, str]]:
    db.session.rollback()
    return [(event.actor, event.action) for event in db.session.scalars(select(AuditEvent))]


def store(title: str, slug: str, published_at, live: bool = True) -> NewsPost:
    """A post stored straight, as publishing leaves it."""
    post = NewsPost(
        title=title,
        slug=slug,
        summary=f"About {title}.",
        author_name="Sam Okafor",
        published_at=published_at,
        live=live,
        created_at=published_at,
        updated_at=published_at,
    )
    db.session.add(post)
    db.session.commit()
    return post


@pytest.fixture
def parks(make_consultation):
    return make_consultation(slug="parks", title="Parks and open spaces")


# --- writing, previewing and publishing ---------------------------------------------------------


def test_a_draft_is_written_previewed_and_published_with_its_date(admin, client, clock, parks):
    clock.set(utc(2027, 6, 30, 23, 30))  # 12:30am on 1 July, UK time
    post_id = write(admin, consultation=str(parks.id))

    preview = admin.get(f"/admin/news/{post_id}/preview")
    soup = page(preview)
    banner = text_of(soup.find(class_="preview-banner"))
    assert "This is a preview of a news post" in banner and "Draft" in banner
    assert h1_text(preview) == POST["title"]
    assert "Not published yet, by Sam Okafor" in text_of(soup.find("main"))
    assert soup.select_one(".prose h2").get_text() == "Why now"
    assert "<script>alert(1)</script>" in text_of(soup.find(class_="prose"))
    assert soup.find("script", string=re.compile("alert")) is None
    slug = "we-want-to-hear-about-local-commissioning"
    assert client.get(f"/news/{slug}").status_code == 404

    answer = press(admin, post_id, "publish")

    assert answer.status_code == 303
    assert f"Your post is published at /news/{slug}" in text_of(page(admin.get(answer.location)))
    reader = page(client.get(f"/news/{slug}"))
    assert text_of(reader.find("h1")) == POST["title"]
    assert reader.title.get_text().startswith(POST["title"])
    assert "Published 1 July 2027 by Sam Okafor" in text_of(reader.find("main"))
    about = reader.find("a", string="Parks and open spaces")
    assert about["href"] == "/consultations/parks"
    assert reader.find(class_="preview-banner") is None
    assert actions() == [(ADMIN_EMAIL, "news_draft"), (ADMIN_EMAIL, "news_publish")]


def test_an_officer_may_write_and_publish_too(app, client):
    from tests.support.factories import sign_in_officer

    officer = sign_in_officer(app)
    post = published(officer, title="An officer's post")
    assert client.get(f"/news/{post.slug}").status_code == 200
    assert actions() == [(OFFICER_EMAIL, "news_draft"), (OFFICER_EMAIL, "news_publish")]


def test_the_new_form_has_comments_on_by_default_and_lists_consultations(admin, parks):
    soup = page(admin.get(NEW))
    assert soup.find(id="comments_on").has_attr("checked")
    assert soup.find(id="close_with_consultation").has_attr("checked")
    options = [text_of(option) for option in soup.find(id="consultation").find_all("option")]
    assert options == ["None", "Parks and open spaces"]


def test_the_form_refuses_what_is_missing_and_keeps_what_was_typed(admin):
    data = {
        **POST,
        "title": "  A  title ",
        "summary": "",
        "author_name": "",
        "slug": "Not A Slug",
        "comments_on": None,
        "csrf_token": csrf_token(admin, NEW),
    }

    refused = admin.post(NEW, data={k: v for k, v in data.items() if v is not None})

    assert refused.status_code == 422
    assert page(refused).title.get_text().startswith("Error: ")
    assert list(summary_links(refused)) == [
        "Web address must be lower-case letters, digits and single hyphens,"
        " like new-plans-for-parks",
        "Enter a summary",
        "Enter the author's name",
    ]
    assert field_error(refused, "summary") == "Enter a summary"
    assert value_of(refused, "title") == "A title"
    assert value_of(refused, "slug") == "Not A Slug"
    assert value_of(refused, "body") == POST["body"].strip()
    soup = page(refused)
    assert not soup.find(id="comments_on").has_attr("checked")
    assert soup.find(id="close_with_consultation").has_attr("checked")
    assert db.session.scalars(select(NewsPost)).all() == [] and actions() == []


def test_too_long_values_are_refused_with_the_limit(admin):
    data = {**POST, "title": "t" * 201, "summary": "s" * 401, "author_name": "a" * 101}
    refused = admin.post(NEW, data={**data, "csrf_token": csrf_token(admin, NEW)})
    assert refused.status_code == 422
    assert field_error(refused, "title") == "Enter 200 characters or fewer"
    assert field_error(refused, "summary") == "Enter 400 characters or fewer"
    assert field_error(refused, "author_name") == "Enter 100 characters or fewer"


def test_web_addresses_are_made_from_titles_kept_unique_and_can_be_typed(admin):
    first = write(admin, title="Café plans: 2027!")
    second = write(admin, title="Cafe plans 2027")
    typed = write(admin, slug="my-own-address")

    assert db.session.get(NewsPost, first).slug == "cafe-plans-2027"
    assert db.session.get(NewsPost, second).slug == "cafe-plans-2027-2"
    assert db.session.get(NewsPost, typed).slug == "my-own-address"

    data = {**POST, "slug": "cafe-plans-2027", "csrf_token": csrf_token(admin, NEW)}
    taken = admin.post(NEW, data=data)
    assert taken.status_code == 422
    assert field_error(taken, "slug") == (
        "The web address /news/cafe-plans-2027 is already used by 'Café plans: 2027!'."
        " Enter another"
    )

    data = {**POST, "title": "¿¡…!?", "csrf_token": csrf_token(admin, NEW)}
    unmade = admin.post(NEW, data=data)
    assert unmade.status_code == 422
    assert field_error(unmade, "slug").startswith("Enter a web address, like new-plans-for-parks")
    assert len(db.session.scalars(select(NewsPost)).all()) == 3


def test_a_long_title_makes_an_address_of_at_most_80_characters(admin):
    post_id = write(admin, title="word " * 39)
    slug = db.session.get(NewsPost, post_id).slug
    assert len(slug) <= 80 and slug.startswith("word-word") and not slug.endswith("-")


def test_changing_a_published_post_shows_at_once_and_is_audited(admin, client, clock, parks):
    post = published(admin)
    clock.advance(days=2)

    changed = edit(admin, post.id, title="New title", slug="new-address", consultation="")

    assert changed.status_code == 303
    assert "Your changes are saved" in text_of(page(admin.get(changed.location)))
    assert client.get(f"/news/{POST['title'].lower().replace(' ', '-')}").status_code == 404
    soup = page(client.get("/news/new-address"))
    assert text_of(soup.find("h1")) == "New title"
    assert "Published 1 February 2027" in text_of(soup.find("main"))
    db.session.refresh(post)
    assert post.updated_at == clock.now and post.published_at == utc(2027, 2, 1, 12, 0)
    assert actions()[-1] == (ADMIN_EMAIL, "news_change")
    detail = db.session.scalars(select(AuditEvent.detail).order_by(AuditEvent.id.desc())).first()
    assert detail == "Changed the news post 'New title': title, web address"


def test_saving_without_a_change_says_so_and_audits_nothing(admin):
    post_id = write(admin)
    unchanged = edit(admin, post_id)
    assert unchanged.status_code == 303
    assert "Nothing was changed" in text_of(page(admin.get(unchanged.location)))
    assert actions() == [(ADMIN_EMAIL, "news_draft")]


def test_the_edit_form_shows_the_post_as_saved(admin, parks):
    post_id = write(admin, consultation=str(parks.id), comments_on=None)
    soup = page(admin.get(f"/admin/news/{post_id}"))
    assert h1_text(admin.get(f"/admin/news/{post_id}")) == "Change the news post"
    assert soup.find(id="title")["value"] == POST["title"]
    assert soup.find(id="consultation").find("option", selected=True)["value"] == str(parks.id)
    assert not soup.find(id="comments_on").has_attr("checked")
    assert soup.find(id="close_with_consultation").has_attr("checked")


def test_unpublishing_hides_the_post_and_publishing_again_keeps_its_date(admin, client, clock):
    post = published(admin)
    clock.advance(days=10)

    assert press(admin, post.id, "unpublish").status_code == 303

    assert client.get(f"/news/{post.slug}").status_code == 404
    assert "Unpublished" in text_of(page(admin.get("/admin/news")).find(class_="admin-item"))
    assert press(admin, post.id, "publish").status_code == 303
    assert "Published 1 February 2027" in text_of(page(client.get(f"/news/{post.slug}")))
    assert [action for _, action in actions()] == [
        "news_draft",
        "news_publish",
        "news_unpublish",
        "news_publish",
    ]


def test_pressing_publish_twice_publishes_once(admin):
    post = published(admin)
    again = press(admin, post.id, "publish")
    assert again.status_code == 303
    assert "This post was already published" in text_of(page(admin.get(again.location)))
    assert [action for _, action in actions()] == ["news_draft", "news_publish"]


def test_the_admin_list_shows_drafts_and_published_posts(admin):
    draft = write(admin, title="A draft post")
    published(admin, title="A published post")
    soup = page(admin.get("/admin/news"))
    items = {
        text_of(item.find("h2")): text_of(item.find("dd")) for item in soup.select(".admin-item")
    }
    assert items == {"A published post": "Published 1 February 2027", "A draft post": "Draft"}
    link = soup.find("a", string="A draft post")["href"]
    assert link == f"/admin/news/{draft}/preview"


@pytest.mark.parametrize(
    "path",
    ["/admin/news", NEW, "/admin/news/1", "/admin/news/1/preview"],
)
def test_the_admin_pages_need_staff_sign_in(client, path):
    answer = client.get(path)
    assert answer.status_code == 302 and "/admin/login" in answer.location


def test_a_reader_signed_in_cannot_reach_the_admin_pages(app):
    from tests.support.readers import make_reader, sign_in

    browser = new_browser(app)
    sign_in(browser, make_reader())
    assert browser.get("/admin/news").status_code == 302


def test_unknown_posts_are_404_in_the_admin_area(admin):
    assert admin.get("/admin/news/99").status_code == 404
    assert admin.get("/admin/news/99/preview").status_code == 404
    token = csrf_token(admin, NEW)
    assert admin.post("/admin/news/99/publish", data={"csrf_token": token}).status_code == 404
    assert admin.get("/admin/news/99999999999").status_code == 404


# --- what readers see ---------------------------------------------------------------------------


def test_the_news_list_is_newest_first_ten_to_a_page(client, clock):
    for number in range(1, 13):
        store(f"Post {number}", f"post-{number}", clock.now + timedelta(days=number))
    store("A draft", "a-draft", None, live=False)
    store("Taken down", "taken-down", clock.now + timedelta(days=30), live=False)

    first = page(client.get("/news"))
    titles = [text_of(a) for a in first.select(".card-title a")]
    assert titles == [f"Post {number}" for number in range(12, 2, -1)]
    assert first.select_one(".card-title a")["href"] == "/news/post-12"
    card = text_of(first.select_one(".card"))
    assert card == "Post 12 13 February 2027 About Post 12."
    older = first.find("a", rel="next")
    assert older["href"] == "/news?page=2" and first.find("a", rel="prev") is None

    second = page(client.get(older["href"]))
    assert [text_of(a) for a in second.select(".card-title a")] == ["Post 2", "Post 1"]
    assert second.find("a", rel="prev")["href"] == "/news"
    assert second.find("a", rel="next") is None
    assert second.title.get_text().startswith("News (page 2 of 2)")


@pytest.mark.parametrize("number", ["0", "3", "-1", "abc", "1.5", "99999999999999", "", " 1"])
def test_a_page_of_news_that_does_not_exist_is_404(client, clock, number):
    for count in range(1, 13):
        store(f"Post {count}", f"post-{count}", clock.now)
    assert client.get("/news", query_string={"page": number}).status_code == 404


def test_the_news_page_with_no_news_says_so(client):
    soup = page(client.get("/news"))
    assert "There is no news yet." in text_of(soup.find("main"))
    assert soup.select(".card") == []


def test_news_pages_point_feed_readers_to_the_feed(admin, client):
    post = published(admin)
    for path in ("/news", f"/news/{post.slug}"):
        link = page(client.get(path)).find("link", rel="alternate")
        assert link["type"] == "application/atom+xml" and link["href"] == "/news/feed.atom"


def test_the_home_page_shows_the_three_newest_posts_only_when_there_are_some(client, clock):
    assert page(client.get("/")).find(id="news-heading") is None
    for number in range(1, 5):
        store(f"Post {number}", f"post-{number}", clock.now + timedelta(hours=number))
    store("A draft", "a-draft", None, live=False)

    soup = page(client.get("/"))
    section = soup.find("section", attrs={"aria-labelledby": "news-heading"})
    assert text_of(section.find("h2")) == "Latest news"
    assert [text_of(a) for a in section.select(".card-title a")] == ["Post 4", "Post 3", "Post 2"]
    assert section.find("a", string="All news")["href"] == "/news"


def test_a_consultation_page_lists_its_live_posts(admin, client, make_consultation, parks):
    libraries = make_consultation(slug="libraries", title="Library hours")
    published(admin, title="Parks news", consultation=str(parks.id))
    write(admin, title="Parks draft", consultation=str(parks.id))
    published(admin, title="Library news", consultation=str(libraries.id))
    published(admin, title="General news")

    soup = page(client.get("/consultations/parks"))
    section = soup.find("section", attrs={"aria-labelledby": "news-heading"})
    assert text_of(section.find("h2")) == "News about this consultation"
    assert [text_of(a) for a in section.select(".card-title a")] == ["Parks news"]
    quiet = make_consultation(slug="quiet", title="Quiet")
    assert page(client.get(f"/consultations/{quiet.slug}")).find(id="news-heading") is None


def test_a_post_about_a_draft_consultation_does_not_link_to_it(admin, client, make_consultation):
    draft = make_consultation(slug="secret", title="Secret plans", published_at=None)
    post = published(admin, consultation=str(draft.id))
    soup = page(client.get(f"/news/{post.slug}"))
    assert soup.find("a", href="/consultations/secret") is None
    assert "Secret plans" not in text_of(soup)


def test_drafts_and_unpublished_posts_are_never_public(admin, client, parks):
    about = str(parks.id)
    draft_id = write(admin, title="Draft words", summary="Draft summary", consultation=about)
    gone = published(admin, title="Gone words", summary="Gone summary", consultation=about)
    press(admin, gone.id, "unpublish")
    draft = db.session.get(NewsPost, draft_id)

    for slug in (draft.slug, gone.slug):
        assert client.get(f"/news/{slug}").status_code == 404
        assert admin.get(f"/news/{slug}").status_code == 404  # staff preview them instead
    for path in ("/news", "/", "/consultations/parks", "/news/feed.atom"):
        shown = client.get(path).get_data(as_text=True)
        assert client.get(path).status_code == 200
        for words in ("Draft words", "Draft summary", "Gone words", "Gone summary"):
            assert words not in shown, (path, words)


def test_an_unknown_post_is_404(client):
    assert client.get("/news/no-such-post").status_code == 404
