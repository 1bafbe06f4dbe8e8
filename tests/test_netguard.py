"""The address guard for server-side requests: a name that resolves to a public address when it is
checked and to loopback when the connection is made (DNS rebinding) reaches nothing, because
``guarded_transport`` connects only to addresses it checked itself; the TLS/Host name stays the URL's.
A fake resolver plays the DNS; the server is a real local one."""

from __future__ import annotations

import socket
from types import SimpleNamespace

import httpx
import pytest
from test_notify import receiver  # noqa: F401 (fixture)

from socialdesk.inbox import handoff as handoff_service
from socialdesk.kit import netguard
from socialdesk.kit.errors import InvalidInput

PUBLIC = "93.184.215.14"  # a public address; nothing connects to it, the resolver is switched first


class Resolver:
    """Answers ``getaddrinfo`` for made-up names with the queued addresses (the last one repeats)."""

    def __init__(self, monkeypatch, **names: list[str]):
        self.names = names
        self.asked: list[str] = []
        real = socket.getaddrinfo

        def getaddrinfo(host, port, *args, **kwargs):
            if host not in self.names:
                return real(host, port, *args, **kwargs)
            self.asked.append(host)
            queue = self.names[host]
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port or 0))]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_a_name_that_rebinds_to_loopback_after_the_check_reaches_nothing(monkeypatch, receiver):
    resolver = Resolver(monkeypatch, **{"hooks.example": [PUBLIC, "127.0.0.1"]})
    url = f"http://hooks.example:{receiver.port}/hook"
    netguard.check_public_url(url, field="webhook", allow_private=False)  # passes: it was public then
    with httpx.Client(transport=netguard.guarded_transport(allow_private=False)) as http, \
            pytest.raises(httpx.ConnectError) as refused:
        http.post(url, json={"x": 1})
    reason = netguard.refusal(refused.value)
    assert reason and "hooks.example is a private or loopback address (127.0.0.1)" in reason
    assert "SOCIALDESK_ALLOW_PRIVATE_URLS" in reason
    assert receiver.requests == [] and resolver.asked == ["hooks.example", "hooks.example"]


def test_the_connection_goes_to_the_checked_address_under_the_urls_name(monkeypatch, receiver):
    """With loopback counted as public here, the request arrives, addressed to the name (Host header)."""
    Resolver(monkeypatch, **{"hooks.example": ["127.0.0.1"]})
    monkeypatch.setattr(netguard, "is_public", lambda address: address == "127.0.0.1")
    with httpx.Client(transport=netguard.guarded_transport(allow_private=False)) as http:
        response = http.post(f"http://hooks.example:{receiver.port}/hook", json={"x": 1})
    assert response.status_code == 200
    assert receiver.requests[0]["headers"]["Host"] == f"hooks.example:{receiver.port}"


def test_private_addresses_are_reached_when_allowed(receiver):
    with httpx.Client(transport=netguard.guarded_transport(allow_private=True)) as http:
        assert http.post(receiver.url(), json={}).status_code == 200
    assert len(receiver.requests) == 1


def test_a_name_that_does_not_resolve_is_a_connection_error_not_a_refusal():
    with httpx.Client(transport=netguard.guarded_transport(allow_private=False)) as http, \
            pytest.raises(httpx.ConnectError) as failed:
        http.get("http://no-such-host.invalid/")
    assert netguard.refusal(failed.value) is None and "cannot resolve no-such-host.invalid" in str(failed.value)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1", "fe80::1%eth0", "224.0.0.1",
                                     "0.0.0.0", "100.64.0.1"])
def test_addresses_that_are_not_public_unicast(address):
    assert not netguard.is_public(address)


def test_a_public_address_is_public():
    assert netguard.is_public(PUBLIC) and netguard.is_public("2606:4700:4700::1111")


def test_a_handoff_webhook_that_rebinds_fails_at_once_with_the_reason(monkeypatch, receiver):
    Resolver(monkeypatch, **{"crm.example": [PUBLIC, "127.0.0.1"]})
    settings = SimpleNamespace(allow_private_urls=False, handoff_timeout_seconds=5)
    row = SimpleNamespace(id=7, address=f"http://crm.example:{receiver.port}/lead")
    with pytest.raises(handoff_service._Undelivered) as failed:
        handoff_service._post(settings, row, {"kind": "lead"})
    assert failed.value.permanent and "crm.example is a private or loopback address" in str(failed.value)
    assert receiver.requests == []


def test_the_save_time_check_names_the_field():
    with pytest.raises(InvalidInput) as refused:
        netguard.check_public_url("http://127.0.0.1/hook", field="webhook", allow_private=False)
    assert refused.value.errors[0].field == "webhook"
