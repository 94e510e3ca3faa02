"""The site served as it is deployed, by gunicorn over real HTTP, for the tests that need
real processes: what they run with, and how they read its pages."""

from __future__ import annotations

from pathlib import Path

import requests
from bs4 import BeautifulSoup

from bench import servers


def settings(tmp_path: Path, database_url: str, **more: str) -> dict:
    """The served site's environment: this test's database, and no mail server to reach."""
    defaults = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(servers.free_port()),
        "SUBMIT_MIN_SECONDS": "0",
    }
    return servers.environment(**{**defaults, **more})


def hidden_fields(page: requests.Response) -> dict[str, str]:
    """The hidden fields (CSRF token, form token, load stamp) of the page's form."""
    assert page.status_code == 200, page.text[:500]
    soup = BeautifulSoup(page.text, "html.parser")
    return {
        field["name"]: field.get("value", "")
        for field in soup.select("form[method=post] input[type=hidden]")
    }
