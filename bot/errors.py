"""One exception tree. Retryable errors carry ``retry_after`` (seconds) when the platform
gave one."""

from __future__ import annotations


class BridgeError(Exception):
    """Base of every error the bot raises on purpose."""


class ConfigError(BridgeError):
    """The environment is misconfigured; ``problems`` lists every issue at once."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class StorageError(BridgeError):
    """The store cannot do its job; the message says why, in words safe to show anyone."""


class StoreLost(StorageError):
    """The store's file was deleted or replaced under the running bot: a write now would
    go to a file nobody will ever read again, so it fails instead (and the event with it,
    which the platform then sends again)."""


class DeliveryError(BridgeError):
    """A call to a platform failed. ``retryable`` decides whether the outbox tries again."""

    retryable: bool = True

    def __init__(
        self, reason: str, *, retry_after: float | None = None, code: str = "error"
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        # a short, bounded label for metrics (``ratelimited``, ``http_503``, ``blocked``)
        self.code = code


class RetryableError(DeliveryError):
    """429, 5xx, a timeout or a dropped connection: try again later."""

    retryable = True


class PermanentError(DeliveryError):
    """Trying again cannot help (blocked by the user, message too long, bad request)."""

    retryable = False
