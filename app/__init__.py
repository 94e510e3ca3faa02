"""The application factory."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import brotli
from flask import Flask, Response, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from app import config
from app.extensions import compress, csrf, db, htmx, limiter, login_manager, migrate

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the application."""
    app = Flask(
        __name__,
        instance_path=str(config.INSTANCE_PATH),
        template_folder=str(config.PROJECT_ROOT / "templates"),
        static_folder=str(config.PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(config.from_environment())
    app.config.from_pyfile("config.py", silent=True)
    if test_config:
        app.config.from_mapping(test_config)
    app.config.update(config.FIXED)
    app.config["SITE_ZONE"] = ZoneInfo(app.config["SITE_TIMEZONE"])
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from app.web import shared_pages

    shared_pages.init_app(app)
    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=app.config["TRUSTED_PROXIES"],
            x_proto=app.config["TRUSTED_PROXIES"],
            x_host=app.config["TRUSTED_PROXIES"],
        )

    _init_extensions(app)
    _register_blueprints(app)

    from app import cli
    from app.web import errors, security, templating

    security.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    # First registered, so its after_request runs last, on the finished response.
    compress.init_app(app)
    app.after_request(_static_file_compressed)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    # Templates ask for current_user when they need it (web.security), not on every page.
    login_manager.init_app(app, add_context_processor=False)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from app.runtime.sqlite import tune_sqlite

        with app.app_context():
            tune_sqlite(db.engine)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        _wait_for_locks_only_so_long(app)


def _wait_for_locks_only_so_long(app: Flask) -> None:
    """PostgreSQL's lock_timeout, so a held lock gives a 503 rather than a request that
    waits until gunicorn kills its worker (SQLite's busy timeout is set in
    app.runtime.sqlite)."""
    from app.runtime.sqlite import tune_postgresql

    with app.app_context():
        tune_postgresql(db.engine)


# Static files compressed once, at brotli's and gzip's best, by (ETag, encoding): a few
# files that change only with a deployment, shared by every app in the process.
_COMPRESSED_STATIC: dict[tuple[str, str], bytes] = {}
_STATIC_ENCODINGS = ("br", "gzip")


def _compressed(data: bytes, encoding: str) -> bytes:
    if encoding == "br":
        return brotli.compress(data, quality=11)
    return gzip.compress(data, compresslevel=9, mtime=0)


def _static_file_compressed(response: Response) -> Response:
    """Send a static file compressed at the best quality, computed once per file.

    Pages are compressed quickly, on every request (Flask-Compress, at a low brotli
    quality); a script or stylesheet never changes while the site runs, so it is
    compressed once as small as it can be, which keeps a first visit light. The file is
    read into the response as bytes, since Flask-Compress would otherwise see a streamed
    file. Flask-Compress leaves a response alone once it names its encoding.
    """
    if request.endpoint != "static" or response.status_code != 200:
        return response
    response.direct_passthrough = False
    data = response.get_data()  # closes the file once the response is closed
    etag, _ = response.get_etag()
    encoding = request.accept_encodings.best_match(_STATIC_ENCODINGS)
    if (
        encoding is None
        or etag is None
        or response.mimetype not in current_app.config["COMPRESS_MIMETYPES"]
    ):
        return response
    key = (etag, encoding)
    if key not in _COMPRESSED_STATIC:
        _COMPRESSED_STATIC[key] = _compressed(data, encoding)
    body = _COMPRESSED_STATIC[key]
    if len(body) >= len(data):
        return response
    response.set_data(body)
    response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    response.set_etag(f"{etag}:{encoding}")
    # A browser holding this encoding's ETag gets a 304; the file's own check saw the
    # bare ETag only.
    return response.make_conditional(request)


def _register_blueprints(app: Flask) -> None:
    from app.web.converters import IdConverter

    app.url_map.converters["id"] = IdConverter
    from app.admin import bp as admin_bp
    from app.comments import bp as comments_bp
    from app.contact import bp as contact_bp
    from app.evidence import bp as evidence_bp
    from app.news import bp as news_bp
    from app.public import bp as public_bp
    from app.readers import bp as readers_bp
    from app.respondents import bp as respondents_bp
    from app.survey import bp as survey_bp
    from app.updates import bp as updates_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(survey_bp)
    app.register_blueprint(evidence_bp)
    app.register_blueprint(contact_bp)
    app.register_blueprint(respondents_bp)
    app.register_blueprint(updates_bp)
    app.register_blueprint(news_bp)
    app.register_blueprint(comments_bp)
    app.register_blueprint(readers_bp)
    app.register_blueprint(admin_bp)
