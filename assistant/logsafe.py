"""Secrets never reach a log: a filter for log records, installed by every edge at start-up."""

from __future__ import annotations

import logging
import re

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

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._clean(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self._clean(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: self._clean(v) for k, v in record.args.items()}
        return True


def install_log_redaction(settings) -> None:
    """Attach the filter to the loggers that print request lines or errors, and to their handlers
    (idempotent: call it again after a server has configured its own loggers)."""
    secrets = [
        settings.api.admin_key.get_secret_value(),
        settings.api.public_key.get_secret_value(),
        settings.llm.api_key.get_secret_value(),
        settings.telegram.token.get_secret_value(),
        settings.telegram.webhook_secret.get_secret_value(),
    ]
    redactor = RedactSecrets(secrets)
    for name in ("uvicorn.access", "uvicorn.error", "uvicorn", "", "httpx", "telegram", "assistant", "api", "bots"):
        logger = logging.getLogger(name)
        logger.filters = [f for f in logger.filters if not isinstance(f, RedactSecrets)]
        logger.addFilter(redactor)
        for handler in logger.handlers:
            handler.filters = [f for f in handler.filters if not isinstance(f, RedactSecrets)]
            handler.addFilter(redactor)
