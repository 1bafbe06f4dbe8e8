"""A shared "world" for permission and isolation tests.

Agency owner; clients A and B; on A one person per client role (manager, community manager,
content creator, analyst, client approver) plus an agency director; an outsider who manages B
only; on A a persona, a KPI target, a contact, a log entry and an open invitation; an API token
for everyone (and a read-only one for A's manager).

People are written straight to the database with one precomputed Argon2 hash, so building a world
costs a few dozen inserts. ``fresh_*`` helpers make throwaway objects on A for destructive calls.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import pytest
from sqlalchemy import update

from socialdesk.auth import service as auth_service
from socialdesk.auth.models import User
from socialdesk.channels.models import Channel
from socialdesk.clients.models import Client, Contact, KpiTarget, LogEntry, Persona
from socialdesk.config import Settings
from socialdesk.db import Database
from socialdesk.kit.authz import AgencyRole, Principal, Role
from socialdesk.team import service as team_service
from socialdesk.team.models import Membership
from socialdesk.team.schemas import Grant, InvitationIn

PASSWORD = "correct horse battery staple"  # the same as conftest.PASSWORD

_counter = itertools.count(1)


def unique(prefix: str = "x") -> str:
    return f"{prefix}{next(_counter)}"


@lru_cache
def password_hash() -> str:
    return auth_service.hash_password(PASSWORD)


@dataclass
class Person:
    key: str
    id: int
    email: str
    name: str
    agency_role: AgencyRole
    roles: dict[int, Role]
    token: str
    token_id: int
    read_only: bool = False

    def principal(self) -> Principal:
        """Who this person is, built from the world's definition (not read back from the app)."""
        return Principal(
            user_id=self.id,
            email=self.email,
            name=self.name,
            agency_role=self.agency_role,
            client_roles=dict(self.roles),
            read_only=self.read_only,
        )

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    database: Database
    settings: Settings
    a_id: int = 0
    b_id: int = 0
    a_name: str = ""
    b_name: str = ""
    people: dict[str, Person] = field(default_factory=dict)
    persona_id: int = 0
    kpi_id: int = 0
    contact_id: int = 0
    log_id: int = 0
    invitation_id: int = 0
    invitation_token: str = ""
    channel_id: int = 0
    # A reachable Mastodon instance for calls that connect a channel (set by tests that start one).
    mastodon_url: str = ""
    # Every text of A's that must never reach someone who may not see A.
    a_secrets: list[str] = field(default_factory=list)

    def __getitem__(self, key: str) -> Person:
        return self.people[key]

    # --- building ----------------------------------------------------------------------

    def add_user(self, key: str, *, agency_role=AgencyRole.MEMBER, roles: dict[int, Role] | None = None,
                 read_only_token: bool = False, email: str | None = None, name: str | None = None) -> Person:
        email = email or f"{key.replace('_', '.')}.{unique('u')}@agency.example.com"
        name = name or key.replace("_", " ").title()
        with self.database.session() as s:
            user = User(email=email, name=name, password_hash=password_hash(), agency_role=agency_role)
            s.add(user)
            s.flush()
            for client_id, role in (roles or {}).items():
                s.add(Membership(user_id=user.id, client_id=client_id, role=role))
            row, raw = auth_service.create_api_token(session=s, user=user, name="tests", read_only=read_only_token)
            person = Person(key, user.id, email, name, AgencyRole(agency_role), dict(roles or {}), raw, row.id,
                            read_only_token)
        self.people[key] = person
        return person

    def add_token(self, key: str, person: Person, *, read_only: bool) -> Person:
        with self.database.session() as s:
            user = s.get(User, person.id)
            row, raw = auth_service.create_api_token(session=s, user=user, name=key, read_only=read_only)
        clone = Person(key, person.id, person.email, person.name, person.agency_role, dict(person.roles), raw, row.id,
                       read_only)
        self.people[key] = clone
        return clone

    def add_client(self, name: str, **fields) -> int:
        from socialdesk.clients import service as clients_service
        from socialdesk.clients.schemas import ClientCreate

        with self.database.session() as s:
            return clients_service.create(session=s, data=ClientCreate(name=name, **fields)).id

    # --- throwaway objects on A ---------------------------------------------------------

    def _insert(self, row) -> int:
        with self.database.session() as s:
            s.add(row)
            s.flush()
            return row.id

    def fresh_persona(self) -> int:
        return self._insert(Persona(client_id=self.a_id, name=f"Alpha Persona {unique()}", interests=[], platforms=[]))

    def fresh_kpi(self) -> int:
        return self._insert(KpiTarget(client_id=self.a_id, metric="reach", target=1000, period="month"))

    def fresh_contact(self) -> int:
        return self._insert(Contact(client_id=self.a_id, name=f"Alpha Contact {unique()}"))

    def fresh_log_entry(self) -> int:
        return self._insert(
            LogEntry(client_id=self.a_id, kind="note", occurred_on=date(2025, 1, 2), title=f"Alpha note {unique()}",
                     author_id=self.people["owner"].id)
        )

    def fresh_channel(self) -> int:
        """A Mastodon channel on A with its credential in the vault (pointing nowhere reachable)."""
        from socialdesk.vault import service as vault_service

        with self.database.session() as s:
            channel = Channel(client_id=self.a_id, network="mastodon", display_name=f"Alpha Orchard Mastodon {unique()}",
                              handle="alpha", base_url="http://127.0.0.1:9", account_id="1", status="ok")
            s.add(channel)
            s.flush()
            vault_service.put(session=s, vault=vault_service.Vault.from_settings(self.settings),
                              name=channel.secret_name, value='{"access_token": "alpha-channel-token"}',
                              client_id=self.a_id)
            return channel.id

    def fresh_user(self, role_on_a: Role | None = Role.CONTENT_CREATOR) -> int:
        roles = {self.a_id: role_on_a} if role_on_a else {}
        return self.add_user(unique("spare_"), roles=roles).id

    def fresh_invitation(self) -> tuple[int, str]:
        data = InvitationIn(
            email=f"{unique('invitee')}@example.com", name="Ivy Invitee",
            grants=[Grant(client_id=self.a_id, role=Role.ANALYST)],
        )
        with self.database.session() as s:
            invitation, url = team_service.invite(
                session=s, settings=self.settings, invited_by=self.people["owner"].id, data=data
            )
            return invitation.id, url.rsplit("/", 1)[-1]

    def fresh_token(self, person: Person) -> int:
        with self.database.session() as s:
            row, _ = auth_service.create_api_token(session=s, user=s.get(User, person.id), name="spare",
                                                   read_only=False)
            return row.id

    def fresh_post(self, status: str = "draft") -> int:
        """A post on A's channel: a draft, or ``approved``/``scheduled``/``failed`` as a path needs."""
        from datetime import UTC, datetime, timedelta

        from socialdesk.publishing.models import Post, PostTarget
        from socialdesk.publishing.timing import new_marker

        target_state = {"scheduled": "scheduled", "failed": "failed"}.get(status, "draft")
        at = datetime.now(UTC) + timedelta(days=3) if status == "scheduled" else None
        post = Post(client_id=self.a_id, text=f"Alpha post {unique()}", status=status, scheduled_at=at,
                    created_by_id=self.people["owner"].id, media_ids=[])
        post.targets.append(PostTarget(client_id=self.a_id, channel_id=self.channel_id, network="mastodon",
                                       marker=new_marker(), state=target_state, due_at=at))
        return self._insert(post)

    def fresh_campaign(self) -> int:
        from socialdesk.publishing.models import Campaign

        return self._insert(Campaign(client_id=self.a_id, name=f"Alpha campaign {unique()}"))

    def fresh_slot(self) -> int:
        from socialdesk.publishing.models import QueueSlot

        return self._insert(QueueSlot(client_id=self.a_id, channel_id=self.channel_id, weekday=0,
                                      time=f"{next(_counter) % 24:02d}:{next(_counter) % 60:02d}"))

    def fresh_media(self) -> int:
        from socialdesk.publishing.models import MediaFile

        return self._insert(MediaFile(client_id=self.a_id, filename="alpha.png", stored_as=f"{self.a_id}/none.png",
                                      sha256="0" * 64, kind="image", mime_type="image/png", size_bytes=10, width=1,
                                      height=1, alt_text="Alpha picture"))

    def fresh_conversation(self) -> int:
        """A conversation on A's channel with one mention from the public."""
        from datetime import UTC, datetime

        from socialdesk.inbox.models import Conversation, InboxItem

        at = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
        conversation = Conversation(client_id=self.a_id, channel_id=self.channel_id, network="mastodon",
                                    root_remote_id=unique("root"), status="new", tags=[], first_item_at=at,
                                    last_activity_at=at, item_count=1)
        conversation.items.append(InboxItem(client_id=self.a_id, channel_id=self.channel_id, remote_id=unique("item"),
                                            kind="mention", author_handle="fan@alpha.example",
                                            text="Alpha inbox secret praise", created_at=at))
        return self._insert(conversation)

    def channel_name(self) -> str:
        """The display name of A's channel (a CSV import names channels by name)."""
        with self.database.session() as s:
            return s.get(Channel, self.channel_id).display_name

    def pause_a(self) -> None:
        from socialdesk.publishing import service as posts_service

        with self.database.session() as s:
            posts_service.pause(session=s, client_id=self.a_id, user_id=None, reason="walk")

    def reset(self) -> None:
        """Undo what a call may have changed on A and B that later calls depend on."""
        from socialdesk.publishing.models import PublishingSettings

        with self.database.session() as s:
            s.execute(update(Client).where(Client.id.in_([self.a_id, self.b_id])).values(archived=False))
            s.execute(update(PublishingSettings).values(paused=False, approval_policy="none"))


def build_world(database: Database, settings: Settings) -> World:
    w = World(database, settings)
    w.add_user("owner", agency_role=AgencyRole.OWNER, email="olivia@agency.example.com", name="Olivia Owner")
    w.a_name, w.b_name = "Alpha Orchard Cooperative", "Bravo Bakery Group"
    w.a_id = w.add_client(w.a_name, website="https://alpha-orchard.example", timezone="Europe/Paris",
                          voice_description="Alpha orchard crisp voice")
    w.b_id = w.add_client(w.b_name, timezone="America/New_York")
    w.add_user("director", agency_role=AgencyRole.DIRECTOR)
    for role in Role:
        if role is not Role.DIRECTOR:
            w.add_user(role.value, roles={w.a_id: role})
    w.add_token("manager_read_only", w["manager"], read_only=True)
    w.add_user("outsider", roles={w.b_id: Role.MANAGER})
    with database.session() as s:
        persona = Persona(client_id=w.a_id, name="Paula Alpha-Persona", interests=["apples"], platforms=["instagram"])
        kpi = KpiTarget(client_id=w.a_id, metric="followers", target=5000, period="quarter",
                        notes="Alpha secret growth plan")
        contact = Contact(client_id=w.a_id, name="Carla Alpha-Contact", email="carla@alpha-orchard.example")
        entry = LogEntry(client_id=w.a_id, kind="meeting", occurred_on=date(2025, 3, 4),
                         title="Alpha confidential kickoff", author_id=w["owner"].id)
        s.add_all([persona, kpi, contact, entry])
        s.flush()
        w.persona_id, w.kpi_id, w.contact_id, w.log_id = persona.id, kpi.id, contact.id, entry.id
    w.invitation_id, w.invitation_token = w.fresh_invitation()
    w.channel_id = w.fresh_channel()
    w.post_id, w.campaign_id, w.media_id = w.fresh_post(), w.fresh_campaign(), w.fresh_media()
    w.conversation_id = w.fresh_conversation()
    from socialdesk.publishing.models import QueueSlot

    with database.session() as s:  # every day at 09:00, so "add to queue" finds a slot
        s.add_all(QueueSlot(client_id=w.a_id, channel_id=w.channel_id, weekday=d, time="09:00") for d in range(7))
    w.a_secrets = [w.a_name, "alpha-orchard", "Paula Alpha-Persona", "Alpha secret growth plan",
                   "Carla Alpha-Contact", "Alpha confidential kickoff", "Alpha orchard crisp voice",
                   "Alpha Orchard Mastodon", "alpha-channel-token", "Alpha inbox secret praise"]
    # Client roles as the app will see them (the outsider also holds nothing on A).
    assert w["outsider"].roles == {w.b_id: Role.MANAGER}
    return w


@pytest.fixture
def world(database, settings) -> World:
    return build_world(database, settings)
