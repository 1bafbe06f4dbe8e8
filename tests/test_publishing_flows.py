"""Publishing end to end through the dispatcher: media from the library with alt text on a real
Mastodon peer, and an X post whose token expired (refreshed, stored, sent once) on recorded X
answers."""

from __future__ import annotations

import io
import json

import httpx
import respx
from PIL import Image
from sqlalchemy import select

from socialdesk.channels.models import Channel
from socialdesk.publishing.models import PostTarget
from socialdesk.vault import service as vault_service
from socialdesk.vault.service import Vault
from test_channels import TOKEN, _client, _connect
from test_publishing import dispatcher  # noqa: F401 (a fixture)
from test_x import recorded


def _png(width=64, height=48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(out, "PNG")
    return out.getvalue()


def test_an_image_needs_alt_text_and_reaches_the_network_with_it(owner_client, mastodon_peer, dispatcher):
    cid = _client(owner_client)
    ch = _connect(owner_client, cid, mastodon_peer.base_url).json()["id"]
    fake = owner_client.post(f"/api/clients/{cid}/media", files={"file": ("photo.png", b"just some words\n")})
    assert fake.status_code == 422 and fake.json()["errors"][0]["field"] == "file"
    upload = owner_client.post(f"/api/clients/{cid}/media", files={"file": ("orchard.png", _png())})
    assert upload.status_code == 201, upload.text
    media = upload.json()
    assert (media["kind"], media["mime_type"], media["width"], media["height"]) == ("image", "image/png", 64, 48)
    body = {"text": "Blossom week", "channel_ids": [ch], "media_ids": [media["id"]]}
    missing_alt = owner_client.post(f"/api/clients/{cid}/posts", json=body)
    assert missing_alt.status_code == 422
    assert any(e["field"] == "media_ids" and "alt text" in e["message"] for e in missing_alt.json()["errors"])
    owner_client.put(f"/api/clients/{cid}/media/{media['id']}",
                     json={"alt_text": "Pink apple blossom on a branch"}).raise_for_status()
    post = owner_client.post(f"/api/clients/{cid}/posts", json={**body, "scheduled_at": None}).json()
    owner_client.post(f"/api/clients/{cid}/posts/{post['id']}/schedule", json={"now": True}).raise_for_status()
    assert dispatcher.run_once() == {"published": 1}
    remote = owner_client.get(f"/api/clients/{cid}/posts/{post['id']}").json()["targets"][0]["remote_id"]
    status = httpx.get(f"{mastodon_peer.base_url}/api/v1/statuses/{remote}",
                       headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert [a["description"] for a in status["media_attachments"]] == ["Pink apple blossom on a branch"]
    in_use = owner_client.delete(f"/api/clients/{cid}/media/{media['id']}")
    assert in_use.status_code == 204  # published posts keep their copy on the network


def test_an_expired_x_token_is_refreshed_stored_and_the_post_sent_once(owner_client, session, settings, dispatcher):
    cid = _client(owner_client)
    vault = Vault.from_settings(settings)
    channel = Channel(client_id=cid, network="x", handle="XDevelopers", base_url="https://api.x.com",
                      account_id="2244994945", status="ok")
    session.add(channel)
    session.flush()
    vault_service.put(session=session, vault=vault, name=channel.secret_name, client_id=cid,
                      value=json.dumps({"access_token": "old-token-1", "refresh_token": "refresh-1",
                                        "client_id": "app-client-1"}))
    session.commit()
    post = owner_client.post(f"/api/clients/{cid}/posts", json={"text": "Hello world!", "channel_ids": [channel.id]})
    owner_client.post(f"/api/clients/{cid}/posts/{post.json()['id']}/schedule", json={"now": True}).raise_for_status()

    def tweets(request):
        if request.headers["authorization"] == "Bearer old-token-1":
            return recorded("unauthorized_401")
        return recorded("tweets_create")

    with respx.mock(base_url="https://api.x.com", assert_all_called=False) as x:
        create = x.post("/2/tweets").mock(side_effect=tweets)
        token = x.post("/2/oauth2/token").mock(return_value=recorded("oauth2_token"))
        x.get("/2/users/me").mock(return_value=recorded("users_me"))
        assert dispatcher.run_once() == {"published": 1}
    assert create.call_count == 2 and token.call_count == 1
    assert b"refresh_token=refresh-1" in token.calls.last.request.content
    session.expire_all()
    stored = json.loads(vault_service.get(session=session, vault=vault, name=channel.secret_name, client_id=cid))
    new_token = json.loads((recorded("oauth2_token").content))["access_token"]
    assert stored["access_token"] == new_token and stored["access_token"] != "old-token-1"
    target = session.scalar(select(PostTarget).where(PostTarget.channel_id == channel.id))
    assert target.state == "published" and target.remote_url.startswith("https://x.com/XDevelopers/status/")
