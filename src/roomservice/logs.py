"""The server's log: its own loggers (``roomservice.*``) and uvicorn's (the access log too) in one
format, ``text`` or ``json``, at one level; never a session token or socket ticket in any line.

``roomservice serve`` installs it (``logging_config``); code that logs about a room or a session passes
``extra={"room": code, "session": session_id}``, which a JSON line carries as fields of its own.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any
from urllib.parse import unquote_plus

#: A query parameter inside a logged line: separator, name, value.
_PARAM = re.compile(r"([?&;])([^=&;\s\"'?]+)=([^&;\s\"'\\]*)")
_SECRET_NAMES = frozenset({"token", "ticket"})


def _hide(match: re.Match[str]) -> str:
    sep, name, value = match.groups()
    if unquote_plus(name).strip().lower() in _SECRET_NAMES and value:
        return f"{sep}{name}=[redacted]"
    return match.group(0)


def redact(text: str) -> str:
    """``text`` with the values of ``token`` and ``ticket`` query parameters replaced."""
    return _PARAM.sub(_hide, text) if "=" in text else text


#: Attributes every ``LogRecord`` has: anything else on a record came as ``extra``.
_STANDARD = frozenset(
    {
        *logging.LogRecord("", 0, "", 0, "", None, None).__dict__,
        "message",
        "asctime",
        # uvicorn's own extras, for its coloured console output.
        "color_message",
    }
)
#: What uvicorn's access log passes as the arguments of its line.
_ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")


def _timestamp(created: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(created % 1 * 1000):03d}Z"


class TextFormatter(logging.Formatter):
    """``2025-06-01T10:00:00.123Z INFO roomservice.rooms.service: room ABC123: expired ...``"""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record.created)} {record.levelname} {record.name}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return redact(line)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time``, ``level``, ``logger``, ``message``, then the record's
    ``extra`` fields (``room``, ``session``, ...); an access-log line adds ``client``, ``method``,
    ``path``, ``http_version`` and ``status``; an exception adds ``exc``."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": _timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            out.update(zip(_ACCESS_FIELDS, record.args, strict=True))
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and key not in out:
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return redact(json.dumps(out, ensure_ascii=False, default=str))


FORMATTERS: dict[str, type[logging.Formatter]] = {"text": TextFormatter, "json": JsonFormatter}
#: The loggers configured: the server's own, and uvicorn's (its ``uvicorn.error`` propagates to
#: ``uvicorn``; the access log is a logger of its own).
SERVER_LOGGERS = ("roomservice", "uvicorn", "uvicorn.access")


def logging_config(level: str = "info", fmt: str = "text") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for ``roomservice serve``: every line to stderr in ``fmt``; the
    server's loggers at ``level``; other libraries' warnings and errors in the same format."""
    name = level.upper()
    own = {"handlers": ["stderr"], "level": name, "propagate": False}
    handler = {"class": "logging.StreamHandler", "formatter": fmt, "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {key: {"()": f"{__name__}.{cls.__name__}"} for key, cls in FORMATTERS.items()},
        "handlers": {"stderr": handler},
        "loggers": {
            **{logger: dict(own) for logger in SERVER_LOGGERS},
            "uvicorn.error": {"level": name},
        },
        "root": {"handlers": ["stderr"], "level": max(logging.WARNING, logging.getLevelName(name))},
    }
