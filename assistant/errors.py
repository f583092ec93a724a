"""Domain errors. Each carries `user_message`, safe to show anyone; edges map them to their own form."""

from __future__ import annotations


class GalaxyError(Exception):
    """Base of every error the assistant raises on purpose."""

    #: HTTP status an API edge should use.
    status_code = 500

    def __init__(self, user_message: str, *, detail: str | None = None):
        super().__init__(detail or user_message)
        self.user_message = user_message


class ConfigurationError(GalaxyError):
    status_code = 500


class MissingExtraError(ConfigurationError):
    def __init__(self, what: str, extra: str, hint: str = ""):
        super().__init__(
            f"{what} is not installed. Install it with `pip install 'galaxy-assistant[{extra}]'`"
            + (f" {hint}" if hint else "")
            + "."
        )


class IndexModelMismatch(ConfigurationError):
    def __init__(self, index_model: str, index_dim: int, wanted_model: str, wanted_dim: int):
        super().__init__(
            f"The index was built with embedding model '{index_model}' ({index_dim} dimensions) but the "
            f"settings ask for '{wanted_model}' ({wanted_dim} dimensions). Re-index with "
            f"`galaxy ingest PATH... --rebuild`, or set GALAXY_EMBEDDING__MODE back to the index's model."
        )


class DataDirError(ConfigurationError):
    """The data directory cannot be written (missing, read-only, disk full): an operator's problem, and a
    passing one for a client (503: try again later)."""

    status_code = 503

    def __init__(self, path, reason: str):
        super().__init__(f"The data directory {path} cannot be used: {reason}.")
        self.path = path


class StoreUnavailable(GalaxyError):
    status_code = 503

    def __init__(self, detail: str = ""):
        super().__init__(
            "The knowledge base is unavailable right now. Please try again in a moment.", detail=detail or None
        )


class LoadError(GalaxyError):
    """A document could not be read; `path` names the file."""

    status_code = 422

    def __init__(self, path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class NotFound(GalaxyError):
    status_code = 404


class InvalidInput(GalaxyError):
    status_code = 422


class UnknownAnswer(NotFound):
    """Feedback names an answer that was not given in that conversation (or a conversation never issued)."""

    def __init__(self) -> None:
        super().__init__("That answer was not given in this conversation, so it cannot be rated.")
