"""The one small interface every network adapter implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class NetworkError(Exception):
    """The network refused or could not be reached.

    ``status`` is the HTTP status it answered (None when it could not be reached at all);
    ``retry_after`` the seconds it asked to wait, when it said so. The message never holds a credential.
    """

    def __init__(self, message: str, *, status: int | None = None, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after

    @property
    def unreachable(self) -> bool:
        return self.status is None

    @property
    def bad_credentials(self) -> bool:
        return self.status in (401, 403)


@dataclass(frozen=True)
class AccountInfo:
    """Who a credential belongs to, as the network says."""

    account_id: str
    handle: str
    display_name: str = ""
    max_characters: int | None = None


class NetworkAdapter(Protocol):
    """Talks to one network on behalf of one account."""

    network: str

    def verify(self, *, base_url: str, credentials: dict[str, str]) -> AccountInfo:
        """Check the credentials against the network; raise NetworkError when they do not work."""
        ...


TIMEOUT_SECONDS = 5.0  # every call to a network gives up after this long


def scrub(message: str, credentials: dict[str, str]) -> str:
    """``message`` with any credential value blanked out (networks sometimes echo what they got)."""
    for value in credentials.values():
        if value and len(value) >= 4:
            message = message.replace(value, "***")
    return message
