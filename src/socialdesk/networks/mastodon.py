"""Mastodon (any instance) through Mastodon.py: verify a token and read the instance's limits."""

from __future__ import annotations

import time
from typing import Any

from mastodon import Mastodon, MastodonAPIError, MastodonError, MastodonNetworkError, MastodonRatelimitError

from socialdesk.networks.base import TIMEOUT_SECONDS, AccountInfo, NetworkError, scrub
from socialdesk.networks.text import limits_from_instance


def _api_error(exc: MastodonAPIError) -> NetworkError:
    # Mastodon.py raises with args (message, status, reason, error text from the instance).
    args = list(exc.args) + [None] * 4
    status = args[1] if isinstance(args[1], int) else None
    text = args[3] or args[2] or "the instance refused the request"
    return NetworkError(f"{status} {text}" if status else str(text), status=status, retry_after=300 if status == 429 else None)


class MastodonAdapter:
    network = "mastodon"

    def __init__(self, timeout: float = TIMEOUT_SECONDS):
        self.timeout = timeout

    def _client(self, base_url: str, token: str) -> Mastodon:
        return Mastodon(
            access_token=token,
            api_base_url=base_url,
            request_timeout=self.timeout,
            version_check_mode="none",  # no extra call to learn the version
            ratelimit_method="throw",
        )

    def verify(self, *, base_url: str, credentials: dict[str, str]) -> AccountInfo:
        token = credentials.get("access_token", "")
        api = None
        try:
            api = self._client(base_url, token)
            account: Any = api.account_verify_credentials()
            handle = str(account.get("acct") or account.get("username") or "")
            info = dict(account_id=str(account["id"]), handle=handle, display_name=str(account.get("display_name") or ""))
        except MastodonNetworkError as exc:
            raise NetworkError(
                scrub(f"could not reach {base_url}: {_first_line(exc)}", credentials), status=None
            ) from None
        except MastodonRatelimitError:
            reset = getattr(api, "ratelimit_reset", None)
            wait = max(1, int(reset - time.time())) if isinstance(reset, int | float) else 300
            raise NetworkError(f"429 Too many requests: the instance is rate limiting; try again in {wait} s",
                               status=429, retry_after=wait) from None
        except MastodonAPIError as exc:
            err = _api_error(exc)
            err.message = scrub(err.message, credentials)
            err.args = (err.message,)
            raise err from None
        except (MastodonError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise NetworkError(scrub(f"unexpected answer from {base_url}: {_first_line(exc)}", credentials),
                               status=None) from None
        return AccountInfo(**info, max_characters=self._max_characters(api))

    @staticmethod
    def _max_characters(api: Mastodon) -> int | None:
        """The instance's post limit from GET /api/v2/instance; None when it does not say (the token still works)."""
        try:
            return limits_from_instance(_as_dict(api.instance_v2())).max_characters
        except (MastodonError, ValueError, TypeError, KeyError, AttributeError):
            return None


def _first_line(exc: Exception) -> str:
    text = " ".join(str(a) for a in exc.args) if exc.args else type(exc).__name__
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _as_dict(value: Any) -> dict:
    """Mastodon.py's AttribAccessDict (or a plain dict) as plain nested dicts."""
    if isinstance(value, dict):
        return {k: _as_dict(v) for k, v in value.items()}
    return value
