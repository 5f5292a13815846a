"""Logging filters named in settings.LOGGING."""

from __future__ import annotations

import logging


class ClientErrorWithoutTraceback(logging.Filter):
    """A refusal (403 from PermissionDenied, 404, a 400 for a body over the limit) is expected:
    Django logs it with the traceback of the exception behind it, hundreds a day. Keep the one
    line (status, path); server errors (5xx) keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500 and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True
