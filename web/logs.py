"""Structured logs (one JSON object a line) that never carry a NIR or a phone number."""
from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone

# Defence in depth: the code never logs personal data; this catches a slip before it is written.
NIR_LIKE = re.compile(r"\b[1-478]\s?\d{2}\s?\d{2}\s?(?:\d{2}|2[AaBb])\s?\d{3}\s?\d{3}(?:\s?\d{2})?\b")
PHONE_LIKE = re.compile(r"(?:\+|\b00)\d[\d .-]{7,16}\d\b|\b0\d(?:[ .-]?\d{2}){4}\b")
MASK = "[masqué]"


def scrub(text: str) -> str:
    """Replace anything shaped like a NIR or a phone number."""
    return PHONE_LIKE.sub(MASK, NIR_LIKE.sub(MASK, text))


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info or record.exc_text:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def install(level: str = "INFO") -> None:
    """Send the root logger's records to stderr as JSON, scrubbed (for processes without gunicorn's config)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(PersonalDataFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def gunicorn_logconfig(level: str) -> dict:
    """Return gunicorn's ``logconfig_dict``: JSON lines on stderr, scrubbed."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"personal_data": {"()": "web.logs.PersonalDataFilter"}},
        "formatters": {"json": {"()": "web.logs.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["personal_data"]}},
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {"gunicorn.error": {"level": level.upper(), "handlers": ["stderr"], "propagate": False}},
    }


def gunicorn_logger_class():
    """Return gunicorn's logger class, minus the access line: with ``accesslog`` unset it builds
    nothing (gunicorn builds each request's line whenever a logging config is given, then drops it).
    Access lines would also record ticket links, which are secrets."""
    from gunicorn.glogging import Logger

    class GunicornLogger(Logger):
        def access(self, resp, req, environ, request_time):
            if self.cfg.accesslog:
                super().access(resp, req, environ, request_time)

    return GunicornLogger
