"""The baseline: a bare Flask app served as the site is, so ratios cancel out the machine."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    """The least a Flask view can do."""
    return "Hello, world!"
