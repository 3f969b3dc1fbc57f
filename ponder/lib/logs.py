"""Logging filters."""

import logging
import re


class ClientsMistake(logging.Filter):
    """A body too large or with too many fields is the sender's doing, answered with 413: one
    WARNING line without a traceback, where Django logs an ERROR with one (an alert for nothing
    that is wrong with the server)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        record.exc_info = None
        record.exc_text = None
        return True


# A question's admin link, /q/<id>/a/<key>/: the key makes whoever holds it the organiser.
ADMIN_KEY_IN_PATH = re.compile(r"(/q/[0-9A-Za-z]+/a/)[0-9A-Za-z]+")
REDACTED = "[key]"


def redact(text: str) -> str:
    """`text` with every admin key of a link replaced by `REDACTED`."""
    return ADMIN_KEY_IN_PATH.sub(rf"\g<1>{REDACTED}", text)


def _redacted(value: object) -> object:
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    """Put on every handler (settings.LOGGING, and uvicorn's handlers in `ponder serve`): no admin
    key reaches a log line, whichever logger wrote it (Django's "Method Not Allowed (HEAD):
    /q/<id>/a/<key>/", django.security's CSRF refusals, an access log). The message and each of
    its arguments are redacted one by one, so formatters that read the arguments (uvicorn's access
    log) still find them where they expect them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _redacted(record.msg)
        if isinstance(record.args, dict):
            record.args = {name: _redacted(value) for name, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_redacted(value) for value in record.args)
        if record.exc_info and not record.exc_text:
            # A traceback may quote the path too: formatted here, redacted, and kept as text.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
