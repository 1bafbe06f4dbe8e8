"""Holding statements go out while the crisis room holds the client's publishing: the dispatcher takes the
posts of the client's open crisis's campaign through the pause and nothing else, against a real Mastodon
peer (mastodon-mock). Once the crisis is closed, its campaign waits for the pause like any other post."""

from __future__ import annotations

import uuid

from socialdesk.publishing.dispatch import claim_due
from test_publishing import _post, _statuses, channel, dispatcher  # noqa: F401  (fixtures)


def _open_room(api, cid: int, *, pause: bool = True, type: str = "defective_product") -> str:
    """Open a crisis room for the client (and pause its publishing from the room); returns the room's URL."""
    response = api.post(f"/api/clients/{cid}/crises", json={"type": type})
    assert response.status_code == 201, response.text
    base = f"/api/clients/{cid}/crises/{response.json()['id']}"
    if pause:
        paused = api.post(f"{base}/pause", json={"reason": "Recall of batch 12"})
        assert paused.status_code == 200 and paused.json()["publishing_paused"] is True, paused.text
    return base


def _statement(api, base: str, text: str, channel_id: int) -> int:
    made = api.post(f"{base}/statements", json={"text": text, "channel_ids": [channel_id]})
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "in_review" and made.json()["approvals_missing"] == ["director"]
    return made.json()["post_id"]


def _now(api, cid: int, post_id: int) -> dict:
    response = api.post(f"/api/clients/{cid}/posts/{post_id}/schedule", json={"now": True})
    assert response.status_code == 200, response.text
    return response.json()


def _states(api, cid: int, post_id: int) -> set[str]:
    return {t["state"] for t in api.get(f"/api/clients/{cid}/posts/{post_id}").json()["targets"]}


def test_an_approved_holding_statement_goes_out_during_the_pause_and_nothing_else_does(
        owner_client, channel, dispatcher, mastodon_peer):
    api, (cid, ch) = owner_client, channel
    tag = uuid.uuid4().hex[:10]
    base = _open_room(api, cid)
    plain = _post(api, cid, ch, f"Plain post {tag}")
    assert _now(api, cid, plain["id"])["status"] == "scheduled"
    # A major campaign of its own is not a crisis's: being major lets nothing through.
    launch = api.post(f"/api/clients/{cid}/campaigns", json={"name": "Autumn launch", "major": True}).json()
    major = _post(api, cid, ch, f"Launch post {tag}", campaign_id=launch["id"])
    assert _now(api, cid, major["id"])["status"] == "in_review"
    assert api.post(f"/api/clients/{cid}/posts/{major['id']}/approve", json={}).json()["status"] == "scheduled"

    statement = _statement(api, base, f"Holding statement {tag}", ch)
    assert dispatcher.run_once() == {}  # not approved yet: nothing is due
    approved = api.post(f"{base}/statements/{statement}/approve", json={"note": "go"})
    assert approved.status_code == 200 and approved.json()["approvals_missing"] == [], approved.text
    assert _now(api, cid, statement)["status"] == "scheduled"

    assert dispatcher.run_once() == {"published": 1}
    assert len(_statuses(mastodon_peer, f"Holding statement {tag}")) == 1
    assert _statuses(mastodon_peer, f"Plain post {tag}") == [] and _statuses(mastodon_peer, f"Launch post {tag}") == []
    assert _states(api, cid, statement) == {"published"}
    assert _states(api, cid, plain["id"]) == _states(api, cid, major["id"]) == {"scheduled"}
    assert dispatcher.run_once() == {}  # the pause still holds the rest
    assert api.get(f"/api/clients/{cid}/publishing").json()["paused"] is True
    listed = api.get(f"{base}/statements").json()
    assert [(s["post_id"], s["status"]) for s in listed] == [(statement, "published")]
    assert listed[0]["links"] == [_statuses(mastodon_peer, f"Holding statement {tag}")[0]["url"]]


def test_once_the_crisis_is_closed_its_campaign_waits_for_the_pause_like_any_post(
        owner_client, channel, dispatcher, mastodon_peer):
    api, (cid, ch) = owner_client, channel
    tag = uuid.uuid4().hex[:10]
    base = _open_room(api, cid)
    statement = _statement(api, base, f"Late statement {tag}", ch)
    closed = api.post(f"{base}/close", json={"summary": "Batch recalled, calm again"})
    assert closed.status_code == 200 and closed.json()["publishing_paused"] is True, closed.text
    # The closed room's record is not written to: its statement is approved in publishing instead.
    refused = api.post(f"{base}/statements/{statement}/approve", json={"note": "late"})
    assert refused.status_code == 409 and "closed" in refused.json()["detail"], refused.text
    assert refused.json()["errors"][0]["field"] == "status"
    # Approved and sent out after the room closed, through publishing's own routes.
    assert api.post(f"/api/clients/{cid}/posts/{statement}/approve", json={}).json()["status"] == "approved"
    assert _now(api, cid, statement)["status"] == "scheduled"
    assert dispatcher.run_once() == {}
    with dispatcher.database.session() as s:
        assert claim_due(s) == []
    assert _statuses(mastodon_peer, f"Late statement {tag}") == []
    # A new room's campaign is its own: the old one's posts still wait.
    new_base = _open_room(api, cid, pause=False, type="trolls")
    assert dispatcher.run_once() == {}
    resumed = api.post(f"{new_base}/resume", json={"mode": "publish_now"})
    assert resumed.status_code == 200 and resumed.json()["publishing_paused"] is False, resumed.text
    assert dispatcher.run_once() == {"published": 1}
    assert len(_statuses(mastodon_peer, f"Late statement {tag}")) == 1

