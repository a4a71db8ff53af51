"""Structured logs: one JSON object per line, never a token, password or message text."""
import json
import logging
import os


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {"level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            # The exception's type only: its text may quote request data.
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry)


def configure_logging():
    """Send JSON lines to stderr at LOG_LEVEL (Lambda forwards them to CloudWatch)."""
    root = logging.getLogger("messaging")
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
    root.propagate = False
