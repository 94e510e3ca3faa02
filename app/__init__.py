"""The application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response, request
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
    app.after_request(_static_file_as_bytes)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
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


def _static_file_as_bytes(response: Response) -> Response:
    """Read a static file into the response before Flask-Compress sees it.

    Flask-Compress compresses a streamed file without ever closing it; our static files
    are small, so they are sent as bytes and compressed like pages.
    """
    if request.endpoint == "static" and response.direct_passthrough:
        response.direct_passthrough = False
        response.get_data()  # closes the file once the response is closed
    return response


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
