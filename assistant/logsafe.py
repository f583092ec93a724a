"""Secrets never reach a log: a filter for log records, installed by every edge at start-up."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr

_SECRET_QUERY = re.compile(r"([?&](?:key|api_key|apikey|token|secret)=)[^&\s\"]*", re.IGNORECASE)


class RedactSecrets(logging.Filter):
    """Masks secrets in log records: query-string keys (`?key=...`, as the widget may send) and every secret
    value the settings hold, wherever it appears."""

    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 4]

    def _clean(self, value):
        if not isinstance(value, str):
            return value
        value = _SECRET_QUERY.sub(r"\1***", value)
        for secret in self.secrets:
            value = value.replace(secret, "***")
        return value

    def _clean_arg(self, value):
        """An argument as `%s` would show it, cleaned; numbers stay numbers (for `%d`), and an object whose
        text holds no secret stays itself (for `%r`)."""
        if isinstance(value, str):
            return self._clean(value)
        if value is None or isinstance(value, int | float):
            return value
        text = str(value)
        cleaned = self._clean(text)
        return value if cleaned == text else cleaned

    def filter(self, record: logging.LogRecord) -> bool:
        # `log.error(exc)` logs the exception object itself: its text is what may hold a token.
        record.msg = self._clean(record.msg if isinstance(record.msg, str) else str(record.msg))
        if isinstance(record.args, tuple):
            record.args = tuple(self._clean_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: self._clean_arg(v) for k, v in record.args.items()}
        # Tracebacks: an exception's message (python-telegram-bot's InvalidToken quotes the token) and every
        # chained one. Formatters print `exc_text` when it is set, so it is formatted and cleaned here, once.
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self._clean(record.stack_info)
        return True


_FORMATTER = logging.Formatter()


def settings_secrets(model: BaseModel) -> list[str]:
    """Every secret the settings hold, wherever it is nested (a field added later is covered without a list to
    keep up to date); for a secret URL (a database's), its password alone too, wherever a message shows it apart."""
    found: list[str] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            found += settings_secrets(value)
        elif isinstance(value, SecretStr) and (secret := value.get_secret_value()):
            found.append(secret)
            password = urlsplit(secret).password if "://" in secret else None
            if password:
                found.append(password)
    return found


def install_log_redaction(settings) -> None:
    """Attach the filter to the loggers that print request lines or errors, and to their handlers
    (idempotent: call it again after a server has configured its own loggers)."""
    redactor = RedactSecrets(settings_secrets(settings))
    for name in ("uvicorn.access", "uvicorn.error", "uvicorn", "", "httpx", "telegram", "assistant", "api", "bots"):
        logger = logging.getLogger(name)
        logger.filters = [f for f in logger.filters if not isinstance(f, RedactSecrets)]
        logger.addFilter(redactor)
        for handler in logger.handlers:
            handler.filters = [f for f in handler.filters if not isinstance(f, RedactSecrets)]
            handler.addFilter(redactor)
