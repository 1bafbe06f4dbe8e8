"""A sync loses nothing and says what happened when the network misbehaves: duplicates, entries it
cannot read, a cursor that goes backwards or comes round again, a page sent twice, an answer that is
no page at all, and a sync cut off half-way (an error, or the process dying) that a later sync, in a
new session as after a restart, finishes with every item exactly once.

The scripted network (tests/test_inbox.py) produces each edge on demand; the real mastodon-mock server
produces garbage through its fault rules and the restart case."""

from __future__ import annotations

import copy
import json
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import func, select

from socialdesk.db import Database
from socialdesk.inbox import service as inbox
from socialdesk.inbox.models import InboxItem, SyncState
from socialdesk.networks.base import InboxPage, NetworkError
from socialdesk.networks.mastodon import MastodonAdapter
from socialdesk.vault.service import Vault
from test_channels import fault
from test_inbox import ScriptedNetwork, _sync, channel, entry  # noqa: F401 - channel is a fixture
from test_inbox_dm import mastodon_channel  # noqa: F401 - a fixture


class OrderedNetwork(ScriptedNetwork):
    """The scripted network with Mastodon's cursors, so the sync can tell an older cursor from a newer."""

    later_cursor = staticmethod(MastodonAdapter().later_cursor)


def _count(session, channel) -> int:
    return session.scalar(select(func.count()).select_from(InboxItem).where(InboxItem.channel_id == channel.id))


def test_duplicates_within_and_across_pages_are_skipped_and_counted(session, settings, channel):
    network = ScriptedNetwork(InboxPage((entry(1), entry(2), entry(2)), "c1"),
                              InboxPage((entry(2), entry(3)), "c2"), InboxPage((), "c2"))
    state = _sync(session, settings, channel, network)
    assert state.items_total == 3 and _count(session, channel) == 3 and state.cursor == "c2"
    assert state.last_report == "3 pages read, 3 new, 2 duplicates skipped."
    shown = state.last_report
    again = _sync(session, settings, channel, ScriptedNetwork(InboxPage((entry(3),), "c3")))
    assert again.last_report == "2 pages read, 0 new, 1 duplicate skipped." and shown != again.last_report


def test_entries_that_cannot_be_read_are_skipped_named_and_the_rest_stored(session, settings, channel):
    good = entry(1)
    page = InboxPage((good, replace(entry(2), remote_id=""), replace(entry(3), created_at=None),
                      replace(entry(4), kind="like"), replace(entry(5), author=None), "not an entry"), "c1",
                     skipped=("notification 77: no id",))
    state = _sync(session, settings, channel, ScriptedNetwork(page))
    assert state.error == "" and state.items_total == 1 and state.cursor == "c1"
    assert [i.remote_id for i in session.scalars(select(InboxItem))] == ["r1"]
    assert state.last_report == (
        "2 pages read, 1 new, 6 malformed entries skipped (notification 77: no id; entry 2: no id; "
        "r3: no readable date; r4: unknown kind 'like'; r5: no author; and 1 more).")


def test_an_older_cursor_is_not_taken_and_the_report_says_so(session, settings, channel):
    network = OrderedNetwork(InboxPage((entry(1),), '{"notifications":"20"}'),
                             InboxPage((entry(2),), '{"notifications":"15"}'),  # backwards
                             InboxPage((entry(3),), '{"notifications":"25"}'))
    state = _sync(session, settings, channel, network)
    assert state.cursor == '{"notifications":"20"}' and state.items_total == 2
    assert "older cursor" in state.last_report and "the newer one was kept" in state.last_report
    state = _sync(session, settings, channel, network)  # the next sync asks from the newer one
    assert network.asked[-2:] == ['{"notifications":"20"}', '{"notifications":"25"}']
    assert state.cursor == '{"notifications":"25"}'
    assert state.items_total == 3 and "older" not in state.last_report


def test_a_page_sent_twice_stops_paging_and_the_next_sync_goes_on(session, settings, channel):
    network = ScriptedNetwork(InboxPage((entry(1), entry(2)), "c1"), InboxPage((entry(1), entry(2)), "c2"),
                              InboxPage((entry(3),), "c3"))
    state = _sync(session, settings, channel, network)
    assert state.items_total == 2 and state.cursor == "c1"  # the repeated page's cursor is not trusted
    assert "the same page twice" in state.last_report and "2 duplicates skipped" in state.last_report
    state = _sync(session, settings, channel, network)
    assert network.asked[-2] == "c1" and state.items_total == 3 and state.cursor == "c3"


def test_a_cursor_that_comes_round_again_stops_paging(session, settings, channel):
    network = ScriptedNetwork(InboxPage((entry(1),), "c1"), InboxPage((entry(2),), "c2"),
                              InboxPage((entry(3),), "c1"), InboxPage((entry(4),), "c4"))
    state = _sync(session, settings, channel, network)
    assert network.asked == [None, "c1", "c2"] and state.items_total == 3
    assert "came back to an earlier one" in state.last_report and state.error == ""


def test_an_answer_that_is_no_page_is_an_error_on_the_channel(session, settings, channel):
    state = _sync(session, settings, channel, ScriptedNetwork(InboxPage((entry(1),), "c1"), {"data": "nonsense"}))
    assert state.items_total == 1 and state.cursor == "c1"
    assert "answered no page" in state.error and "1 new" in state.last_report


def _raw_mentions(peer, min_id: str) -> list[dict]:
    response = httpx.get(f"{peer.base_url}/api/v1/notifications", timeout=5,
                         params={"types[]": "mention", "min_id": min_id, "limit": 40},
                         headers={"Authorization": "Bearer alice_token"})
    response.raise_for_status()
    return response.json()


def test_garbage_from_a_real_instance_is_skipped_and_counted_and_a_broken_page_is_an_error(
        mastodon_peer, mastodon_channel, session, settings):
    bob = mastodon_peer.client("bob")
    start = session.get(SyncState, mastodon_channel.id)
    after = json.loads(start.cursor)["notifications"]
    posted = [str(bob.status_post(f"@alice garbled {i}")["id"]) for i in range(4)]
    real = sorted(_raw_mentions(mastodon_peer, after), key=lambda n: int(n["id"]))
    assert [n["status"]["id"] for n in real] == posted
    no_id, bad_date, no_status_id, good = (copy.deepcopy(n) for n in real)
    del no_id["id"]
    bad_date["status"]["created_at"] = "the day before yesterday"
    bad_date["created_at"] = "never"
    del no_status_id["status"]["id"]
    garbled = [good, no_status_id, bad_date, no_id]  # newest first, as Mastodon lists them

    with fault(mastodon_peer, match={"path": "/api/v1/notifications"}, count=1,
               effect={"type": "status", "status": 200, "body": garbled}):
        state = _sync(session, settings, mastodon_channel, None)

    assert state.error == ""
    stored = {i.remote_id for i in session.scalars(select(InboxItem).where(InboxItem.channel_id == mastodon_channel.id))}
    assert posted[3] in stored and not stored & set(posted[:3])
    assert "3 malformed entries skipped" in state.last_report
    assert "notification 4 of a page: no id" in state.last_report
    assert f"notification {real[1]['id']}: unreadable (no readable date)" in state.last_report
    assert f"notification {real[2]['id']}: no id" in state.last_report

    # A page that is not JSON at all: an error on the channel, the cursor stays, nothing is lost.
    kept = state.cursor
    later = str(bob.status_post("@alice after the broken page")["id"])
    with fault(mastodon_peer, match={"path": "/api/v1/notifications"}, count=1, effect={"type": "malformed"}):
        broken = _sync(session, settings, mastodon_channel, None)
    assert broken.error and broken.cursor == kept and later not in {
        i.remote_id for i in session.scalars(select(InboxItem))}
    mended = _sync(session, settings, mastodon_channel, None)
    assert mended.error == "" and later in {i.remote_id for i in session.scalars(select(InboxItem))}


class CutOff:
    """The real Mastodon adapter, until the call numbered ``at``: that one raises ``error``."""

    def __init__(self, at: int, error: BaseException):
        self.real, self.at, self.error, self.calls = MastodonAdapter(), at, error, 0

    def later_cursor(self, old, new):
        return self.real.later_cursor(old, new)

    def fetch_inbox(self, **kwargs):
        self.calls += 1
        if self.calls == self.at:
            raise self.error
        return self.real.fetch_inbox(**kwargs)


class Died(BaseException):
    """The process going away mid-sync (nothing of the unit of work is committed)."""


@pytest.mark.parametrize("cut", ["error", "death"])
def test_a_sync_cut_off_half_way_is_finished_after_a_restart_with_every_item_once(
        mastodon_peer, mastodon_channel, session, settings, monkeypatch, cut):
    import socialdesk.networks.mastodon as mastodon_module

    monkeypatch.setattr(mastodon_module, "MAX_INBOX_ENTRIES", 2)  # one fetch = one page of two
    bob = mastodon_peer.client("bob")
    posted = [str(bob.status_post(f"@alice restart {cut} {i}")["id"]) for i in range(5)]
    channel_id = mastodon_channel.id
    before = session.get(SyncState, channel_id).cursor
    adapter = CutOff(2, NetworkError("503 the instance went away", status=503) if cut == "error" else Died())

    if cut == "error":
        state = _sync(session, settings, mastodon_channel, adapter)
        assert "503" in state.error and state.cursor != before
    else:
        with pytest.raises(Died):
            _sync(session, settings, mastodon_channel, adapter)
        session.rollback()  # the unit of work dies with the process
    session.close()

    # A restart: a new engine, a new session, a new adapter; the stored cursor is where it goes on.
    database = Database(settings.resolved_database_url)
    try:
        with database.session() as fresh:
            from socialdesk.channels.models import Channel

            row = fresh.get(Channel, channel_id)
            stored = fresh.get(SyncState, row.id).cursor
            assert (stored == before) == (cut == "death")
            resumed = ScriptedAsker(MastodonAdapter())
            state = inbox.sync_channel(session=fresh, vault=Vault.from_settings(settings), channel=row,
                                       adapter=resumed)
            fresh.commit()
            assert resumed.asked[0] == stored and state.error == ""
            ids = list(fresh.scalars(select(InboxItem.remote_id).where(InboxItem.channel_id == row.id,
                                                                          InboxItem.remote_id.in_(posted))))
            assert sorted(ids, key=int) == posted  # every item, exactly once
            assert fresh.scalar(select(func.count()).select_from(InboxItem).where(
                InboxItem.channel_id == row.id)) == len(set(fresh.scalars(
                    select(InboxItem.remote_id).where(InboxItem.channel_id == row.id))))
    finally:
        database.dispose()


class ScriptedAsker:
    """A real adapter that notes the cursors it was asked from."""

    def __init__(self, real):
        self.real, self.asked = real, []

    def later_cursor(self, old, new):
        return self.real.later_cursor(old, new)

    def fetch_inbox(self, **kwargs):
        self.asked.append(kwargs["cursor"])
        return self.real.fetch_inbox(**kwargs)


def test_the_channel_page_shows_the_sync_error_and_what_the_last_sync_saw(session, settings, channel, owner_client):
    from test_inbox import entry as make

    hostile = make(1, text="x")
    page = InboxPage((hostile, replace(make(2), remote_id="")), "c1", skipped=("notification <b>9</b>: no id",))
    _sync(session, settings, channel, ScriptedNetwork(page, NetworkError("503 <script>alert(1)</script>", status=503)))
    html = owner_client.get(f"/clients/{channel.client_id}/channels").text
    assert "Sync error" in html and "503 &lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "1 new, 2 malformed entries skipped (notification &lt;b&gt;9&lt;/b&gt;: no id; entry 2: no id)" in html
    _sync(session, settings, channel, ScriptedNetwork(InboxPage((make(3),), "c2")))
    html = owner_client.get(f"/clients/{channel.client_id}/channels").text
    assert "Sync error" not in html and "2 pages read, 1 new." in html and "not finished yet" not in html
