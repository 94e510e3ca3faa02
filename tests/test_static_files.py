"""Scripts and stylesheets go out compressed once, at the best quality, as the browser
asks: a first visit on a slow phone network is mostly htmx. Their addresses, and the
links on every page, are built once."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import brotli
import pytest

from app.config import PROJECT_ROOT
from tests.support.clients import UncheckedClient, new_browser
from tests.support.pages import page

STATIC = PROJECT_ROOT / "static"
FILES = ["js/htmx-2.0.11.min.js", "js/site.js", "css/site.css"]


def fetch(client, name: str, accept: str, **headers: str):
    with client.get(f"/static/{name}", headers={"Accept-Encoding": accept, **headers}) as got:
        got.get_data()
        return got


@pytest.mark.parametrize("name", FILES)
def test_a_static_file_is_sent_as_small_as_brotli_makes_it(client, name):
    original = (STATIC / name).read_bytes()
    got = fetch(client, name, "gzip, deflate, br")
    assert got.status_code == 200
    assert got.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in got.headers["Vary"]
    assert brotli.decompress(got.data) == original
    assert got.data == brotli.compress(original, quality=11)
    assert int(got.headers["Content-Length"]) == len(got.data)


def test_a_browser_without_brotli_gets_gzip_and_one_asking_for_neither_the_file(client):
    name = FILES[0]
    original = (STATIC / name).read_bytes()
    zipped = fetch(client, name, "gzip")
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == original
    for accept in ("identity", ""):
        plain = fetch(client, name, accept)
        assert "Content-Encoding" not in plain.headers
        assert plain.data == original


def test_the_encoding_a_browser_holds_is_answered_not_modified(client):
    name = FILES[1]
    first = fetch(client, name, "br")
    etag = first.headers["ETag"]
    assert etag.endswith(':br"')
    again = fetch(client, name, "br", **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    # The gzip copy is another representation, with an ETag of its own.
    other = fetch(client, name, "gzip", **{"If-None-Match": etag})
    assert other.status_code == 200
    assert other.headers["ETag"] != etag


def test_a_range_of_a_static_file_is_sent_as_it_is_stored(client):
    name = FILES[0]
    got = fetch(client, name, "br", Range="bytes=0-99")
    assert got.status_code == 206
    assert "Content-Encoding" not in got.headers
    assert got.data == Path(STATIC / name).read_bytes()[:100]


def test_a_page_is_compressed_too(app):
    with new_browser(app, UncheckedClient).get("/", headers={"Accept-Encoding": "br"}) as got:
        assert got.headers["Content-Encoding"] == "br"
        assert b"<h1>Consultations</h1>" in brotli.decompress(got.get_data())


def test_a_page_names_each_script_by_its_content_and_the_name_fetches_it(client):
    scripts = page(client.get("/")).find_all("script", src=True)
    assert len(scripts) == 2
    for script in scripts:
        path, _, version = script["src"].partition("?v=")
        original = (STATIC / path.removeprefix("/static/")).read_bytes()
        assert version == hashlib.sha256(original).hexdigest()[:12]
        assert fetch(client, script["src"].removeprefix("/static/"), "").data == original


def test_every_link_in_the_header_and_footer_opens_a_page(client):
    shown = page(client.get("/"))
    links = [a["href"] for part in ("header", "footer") for a in shown.find(part).find_all("a")]
    assert len(links) == 7
    for link in links:
        assert client.get(link).status_code == 200, link
