"""The yardstick of benchmarks/load.py: a bare Flask app that answers "hello", served by the same gunicorn."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
