"""Logging filters."""

import logging


class ClientsMistake(logging.Filter):
    """A body too large or with too many fields is the sender's doing, answered with 413: one
    WARNING line without a traceback, where Django logs an ERROR with one (an alert for nothing
    that is wrong with the server)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        record.exc_info = None
        record.exc_text = None
        return True
