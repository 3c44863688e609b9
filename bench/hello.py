"""The floor: a Flask hello-world, served by the same gunicorn settings as the app (bench/pages.py)."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello, world"
