"""Settings read from environment variables, with defaults that work on one machine."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_PATH = Path(os.environ.get("INSTANCE_PATH", PROJECT_ROOT / "instance"))


def _flag(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    """Read a whole-number environment variable."""
    return int(os.environ.get(name, default))


def database_url(value: str) -> str:
    """SQLAlchemy's URL for DATABASE_URL, with PostgreSQL served by psycopg 3.

    Hosting services hand out `postgres://` or `postgresql://` URLs; SQLAlchemy would read
    those as psycopg2, which this site does not install.
    """
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value.removeprefix(prefix)
    return value


def from_environment() -> dict:
    """Build the configuration mapping from the process environment."""
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY", "dev-only-change-me"),
        "SQLALCHEMY_DATABASE_URI": database_url(
            os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_PATH / 'consultations.db'}")
        ),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS"),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "Consultations <consultations@localhost>"
        ),
        "MAIL_TIMEOUT": _int("MAIL_TIMEOUT", 20),
        "POLICY_OFFICER_EMAIL": os.environ.get("POLICY_OFFICER_EMAIL"),
        "SITE_TIMEZONE": os.environ.get("SITE_TIMEZONE", "Europe/London"),
        "SITE_URL": os.environ.get("SITE_URL", "http://127.0.0.1:5000"),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Given explicitly: Flask-Limiter otherwise carries `enabled` over from the last app.
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        "RATELIMIT_LOGIN": os.environ.get("RATELIMIT_LOGIN", "5 per minute;30 per hour"),
        # Sending a response, and saving a survey page, per address.
        "RATELIMIT_SUBMIT": os.environ.get("RATELIMIT_SUBMIT", "10 per minute;100 per hour"),
        "RATELIMIT_PAGES": os.environ.get("RATELIMIT_PAGES", "60 per minute;600 per hour"),
        # Asking for new links to one's responses ("Lost your link?"), per address.
        "RATELIMIT_LINKS": os.environ.get("RATELIMIT_LINKS", "5 per minute;20 per hour"),
        # Signing up for email updates and following a consultation, per address.
        "RATELIMIT_UPDATES": os.environ.get("RATELIMIT_UPDATES", "5 per minute;20 per hour"),
        # Asking for a reader's sign-in link, per address (the sign-in page), and posting
        # or changing comments, per reader and per address (app.comments).
        "RATELIMIT_READER_SIGN_IN": os.environ.get(
            "RATELIMIT_READER_SIGN_IN", "5 per minute;20 per hour"
        ),
        "RATELIMIT_COMMENTS": os.environ.get("RATELIMIT_COMMENTS", "5 per minute;30 per hour"),
        # A person takes at least this long between loading a form and sending it.
        "SUBMIT_MIN_SECONDS": float(os.environ.get("SUBMIT_MIN_SECONDS", 3)),
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE"),
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        "GRACE_MINUTES": _int("GRACE_MINUTES", 30),
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 40 * 1024 * 1024),
        # Calls cannot be booked sooner than this before they start.
        "BOOKING_NOTICE_HOURS": float(os.environ.get("BOOKING_NOTICE_HOURS", 2)),
        # Telephone numbers without a +country code are read as this country's.
        "PHONE_REGION": os.environ.get("PHONE_REGION", "GB"),
        # Documents sent with written evidence; never under static/.
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER", str(INSTANCE_PATH / "uploads")),
        # How long a write waits for another's lock (SQLite's busy timeout, PostgreSQL's
        # lock_timeout) before the person is told the service is busy (503) and to send again.
        "DATABASE_BUSY_SECONDS": float(os.environ.get("DATABASE_BUSY_SECONDS", 5)),
    }


# Fixed for every deployment: these are part of how the site keeps its promises.
FIXED = {
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    # Over HTTPS, extensions.CSRFProtect checks the Origin (or the Referer) instead of
    # Flask-WTF's Referer-only check, which refuses browsers that send no Referer.
    "WTF_CSRF_SSL_STRICT": False,
    "RATELIMIT_HEADERS_ENABLED": True,
    # If Redis (RATELIMIT_STORAGE_URI) goes away, each process counts for itself until it
    # is back: people can still send responses, and limits still hold, only per process.
    "RATELIMIT_SWALLOW_ERRORS": True,
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    # Pages, stylesheets and scripts go out compressed (brotli, else gzip): a first visit
    # on a slow phone network is a third of the bytes. Downloads (exports, documents) go
    # as they are. Cookies are SameSite=Lax, so another site cannot make a signed-in
    # browser fetch pages over and over to guess a secret from their size (BREACH).
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    # Pages are compressed on every request, so quickly: brotli's quality 0 takes a
    # fifth of the time of its quality 4 (Flask-Compress's default), for a sixth more
    # bytes. Static files are compressed once, at the best quality
    # (app._static_file_compressed), which more than makes up for it on a first visit.
    "COMPRESS_BR_LEVEL": 0,
    "COMPRESS_STREAMS": False,
    # Pages carry no ETag or date to compare (they are never stored), and static files
    # answer conditional requests themselves (app._static_file_compressed).
    "COMPRESS_EVALUATE_CONDITIONAL_REQUEST": False,
    "COMPRESS_MIMETYPES": [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "image/svg+xml",
    ],
}
