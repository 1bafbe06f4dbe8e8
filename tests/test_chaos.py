"""Exactly once, under faults: 1,000 posts due within a minute across Bluesky and Mastodon channels,
published by 3 `socialdesk worker` processes that are killed with SIGKILL every few seconds and
restarted, while a proxy in front of each network fails a share of the create-post requests
(500, 429, hanging, or passing the request on and losing the answer). Afterwards every post is on
its network exactly once and every row says so (and where).

Run on PostgreSQL + Redis (the scale-out setup) and on the embedded default (SQLite + the SQLite
task queue). Each run takes three to seven minutes; the figures are printed (`-s` to see them).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from conftest import scratch_pg_database
from faulty_proxy import Faults, proxy_app
from live import serve
from socialdesk.channels.models import Channel
from socialdesk.clients import service as clients_service
from socialdesk.clients.schemas import ClientCreate
from socialdesk.config import Settings
from socialdesk.db import Database, utcnow
from socialdesk.publishing.models import Post, PostEvent, PostTarget
from socialdesk.publishing.timing import new_marker
from socialdesk.vault import service as vault_service
from socialdesk.vault.service import Vault

POSTS, WORKERS, SPREAD_SECONDS, LEASE_SECONDS = 1000, 3, 60, 15
NETWORK_TIMEOUT_SECONDS = 5  # below FAULTS' hang_seconds: a hanging call is one the worker gives up on
DEADLINE_SECONDS = 900  # alone about 180 s; with the whole suite on 2 cores a run took 600 s for 97 %
FAULTS = dict(error=0.06, rate_limit=0.04, hang=0.01, lost_answer=0.05, hang_seconds=8)
SOCIALDESK = str(Path(sys.executable).with_name("socialdesk"))

pytestmark = [pytest.mark.chaos, pytest.mark.bluesky]


def _store(kind: str, stack: ExitStack, tmp_path: Path) -> dict[str, str]:
    if kind == "sqlite":
        return {"SOCIALDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'chaos.db'}", "SOCIALDESK_TASK_BACKEND": "sqlite"}
    _, url = stack.enter_context(scratch_pg_database("sd_chaos"))
    return {"SOCIALDESK_DATABASE_URL": url, "SOCIALDESK_TASK_BACKEND": "redis",
            "SOCIALDESK_REDIS_URL": os.environ.get("SOCIALDESK_REDIS_URL", "redis://127.0.0.1:6379/0")}


def _channels(session, vault: Vault, client_id: int, mastodon_url: str, bluesky_url: str, bluesky_accounts) -> list[Channel]:
    rows = []
    for handle, token in (("alice", "alice_token"), ("bob", "bob_token")):
        rows.append((Channel(client_id=client_id, network="mastodon", handle=handle, base_url=mastodon_url,
                             account_id=handle, status="ok"), {"access_token": token}))
    for account in bluesky_accounts:
        rows.append((Channel(client_id=client_id, network="bluesky", handle=account.handle, base_url=bluesky_url,
                             account_id=account.did, status="ok"),
                     {"handle": account.handle, "app_password": account.app_password or account.password}))
    for channel, credentials in rows:
        session.add(channel)
        session.flush()
        vault_service.put(session=session, vault=vault, name=channel.secret_name, value=json.dumps(credentials),
                          client_id=client_id)
    return [c for c, _ in rows]


def _mastodon_texts(base_url: str, token: str) -> Counter:
    """Every status text of the token's account (all pages)."""
    headers = {"Authorization": f"Bearer {token}"}
    me = httpx.get(f"{base_url}/api/v1/accounts/verify_credentials", headers=headers).json()
    seen: Counter = Counter()
    params: dict = {"limit": 40}
    while True:
        page = httpx.get(f"{base_url}/api/v1/accounts/{me['id']}/statuses", params=params, headers=headers).json()
        if not page:
            return seen
        for status in page:
            seen[(status["content"], status["id"])] += 1
        params = {"limit": 40, "max_id": page[-1]["id"]}


def _bluesky_records(pds_url: str, did: str) -> list[dict]:
    records, cursor = [], None
    while True:
        params = {"repo": did, "collection": "app.bsky.feed.post", "limit": 100}
        if cursor:
            params["cursor"] = cursor
        answer = httpx.get(f"{pds_url}/xrpc/com.atproto.repo.listRecords", params=params).json()
        records += answer["records"]
        cursor = answer.get("cursor")
        if not answer["records"] or not cursor:
            return records


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    # Publishing only: the scheduled jobs (inbox sync, metrics collection...) are not what this tests, and
    # three workers would each queue them, through the faulty networks, on a loaded machine.
    return subprocess.Popen([SOCIALDESK, "worker", "--workers", "1", "--publish-threads", "4", "--no-periodic",
                             "--no-stream"], env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


@pytest.mark.parametrize("store", [
    pytest.param("postgresql+redis", marks=[pytest.mark.postgres, pytest.mark.redis]),
    "sqlite",
])
def test_every_post_is_published_exactly_once_under_kills_and_faults(store, tmp_path, mastodon_peer, bluesky_peer):
    run = new_marker()
    with ExitStack() as stack:
        env = {**os.environ, **_store(store, stack, tmp_path), "SOCIALDESK_DATA_DIR": str(tmp_path / "data"),
               "SOCIALDESK_PUBLISH_LEASE_SECONDS": str(LEASE_SECONDS), "SOCIALDESK_ALLOW_PRIVATE_URLS": "true",
               "SOCIALDESK_NETWORK_TIMEOUT_SECONDS": str(NETWORK_TIMEOUT_SECONDS)}
        settings = Settings(data_dir=tmp_path / "data", database_url=env["SOCIALDESK_DATABASE_URL"])
        database = Database(settings.resolved_database_url)
        stack.callback(database.dispose)
        database.migrate()
        masto_faults, bsky_faults = Faults(**FAULTS, seed=1), Faults(**FAULTS, seed=2)
        mastodon_url = stack.enter_context(serve(proxy_app(mastodon_peer.base_url, masto_faults)))
        bluesky_url = stack.enter_context(serve(proxy_app(bluesky_peer.pds_url, bsky_faults)))
        accounts = [bluesky_peer.create_account(f"ch{run[-6:]}{i}") for i in range(2)]

        start = utcnow() + timedelta(seconds=15)
        with database.session() as session:
            client = clients_service.create(session=session, data=ClientCreate(name=f"Chaos {run}"))
            channels = _channels(session, Vault.from_settings(settings), client.id, mastodon_url, bluesky_url, accounts)
            for i in range(POSTS):
                channel = channels[i % len(channels)]
                due = start + timedelta(seconds=SPREAD_SECONDS * i / POSTS)
                post = Post(client_id=client.id, text=f"chaos {run} number {i}", status="scheduled", scheduled_at=due,
                            media_ids=[])
                post.targets.append(PostTarget(client_id=client.id, channel_id=channel.id, network=channel.network,
                                               marker=new_marker(), state="scheduled", due_at=due))
                session.add(post)
            channel_ids = {c.id: c for c in channels}
            channel_info = {c.id: (c.network, c.handle, c.account_id) for c in channels}

        logs = tmp_path / "workers.log"
        workers = [_start_worker(env, logs) for _ in range(WORKERS)]
        stack.callback(lambda: [w.kill() for w in workers])
        rng, kills, began = random.Random(3), 0, time.monotonic()

        def unfinished() -> int:
            with database.session() as s:
                return s.scalar(select(func.count()).select_from(PostTarget)
                                .where(PostTarget.state.not_in(["published", "failed"])))

        progress = []  # (seconds since the workers started, posts not yet published)
        while (left := unfinished()) and time.monotonic() - began < DEADLINE_SECONDS:
            progress.append((round(time.monotonic() - began), left))
            time.sleep(rng.uniform(2, 5))
            if time.monotonic() - began < SPREAD_SECONDS + 30:  # kill while the posts are coming due
                victim = rng.randrange(WORKERS)
                workers[victim].send_signal(signal.SIGKILL)
                workers[victim].wait()
                kills += 1
                workers[victim] = _start_worker(env, logs)
        elapsed = time.monotonic() - began
        for w in workers:
            w.send_signal(signal.SIGKILL)
            w.wait()

        with database.session() as session:
            targets = list(session.scalars(select(PostTarget)))
            texts = {p.id: p.text for p in session.scalars(select(Post))}
            why = Counter((e.kind, re.sub(r"\d+", "N", e.note.split(": ", 1)[-1])[:60])
                          for e in session.scalars(select(PostEvent).where(PostEvent.kind != "published")))
        states = Counter(t.state for t in targets)
        attempts = Counter(t.attempts for t in targets)
        print(f"\n[{store}] {POSTS} posts, {kills} SIGKILLs, done in {elapsed:.0f} s; states {dict(states)}; "
              f"attempts {dict(sorted(attempts.items()))}; Mastodon faults {dict(masto_faults.counts)}; "
              f"Bluesky faults {dict(bsky_faults.counts)}; left over time {progress[::4]}; "
              f"claims lost {logs.read_text().count('its claim was lost')}; other outcomes {dict(why.most_common(12))}")
        assert kills >= 10, "the workers were not killed often enough to test anything"
        assert masto_faults.counts["lost_answer"] and bsky_faults.counts["lost_answer"]
        assert states == {"published": POSTS}, (states, (logs.read_text()[-3000:]))

        # Every post is on its network exactly once, and the row names it.
        by_channel: dict[int, list[PostTarget]] = {}
        for t in targets:
            by_channel.setdefault(t.channel_id, []).append(t)
        for channel_id, rows in by_channel.items():
            network, handle, account_id = channel_info[channel_id]
            if network == "mastodon":
                on_network = _mastodon_texts(mastodon_peer.base_url, f"{handle}_token")
                for t in rows:
                    matches = [(sid, n) for (content, sid), n in on_network.items()
                               if f"{texts[t.post_id]}<" in content or content.endswith(texts[t.post_id])]
                    assert len(matches) == 1 and matches[0][1] == 1, (texts[t.post_id], matches)
                    assert matches[0][0] == t.remote_id
            else:
                records = _bluesky_records(bluesky_peer.pds_url, account_id)
                count = Counter(r["value"]["text"] for r in records)
                for t in rows:
                    assert count[texts[t.post_id]] == 1, (texts[t.post_id], count[texts[t.post_id]])
                    uri = next(r["uri"] for r in records if r["value"]["text"] == texts[t.post_id])
                    assert t.remote_id == uri and uri.endswith(f"/{t.marker}")
        assert set(by_channel) == set(channel_ids)
