"""Clients and their brand profile through the JSON API: CRUD, validation naming each field,
all-or-nothing writes, office hours across time zones, the client log, archiving."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import func, select

from socialdesk.clients import service as clients_service
from socialdesk.clients.models import Client, OfficeHoursSlot, Persona

PARIS_WEEKDAY_HOURS = {"timezone": "Europe/Paris", "slots": [{"weekday": 0, "start": "09:00", "end": "17:00"}]}


def _create(api, name="Acme Bikes", **fields) -> dict:
    response = api.post("/api/clients", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def _fields(response) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


def _assert_invalid(response, field: str, status: int = 422) -> None:
    assert response.status_code == status, response.text
    assert field in _fields(response), response.json()
    assert response.json()["detail"]


# --- clients ---------------------------------------------------------------------------------


def test_create_read_update_a_client_with_its_brand_voice(owner_client):
    created = _create(
        owner_client, "Acme Bikes", industry="Cycling", website="https://acme.example", timezone="Europe/Paris",
        brand_color="#1A73E8", voice_description="Friendly", tone_words="warm, witty ,warm",
        words_to_use=["ride"], words_to_avoid=["cheap"], emoji_policy="freely", max_hashtags=3,
        demographics=[{"dimension": "age", "value": "18-24", "share_percent": 40},
                      {"dimension": "age", "value": "25-34", "share_percent": 60}],
    )
    assert created["tone_words"] == ["warm", "witty"]
    assert created["brand_color"] == "#1a73e8"
    client_id = created["id"]
    summary = owner_client.get(f"/api/clients/{client_id}").json()
    assert summary["name"] == "Acme Bikes" and "voice_description" not in summary
    patched = owner_client.patch(f"/api/clients/{client_id}", json={"voice_description": "Bold", "words_to_use": ["go"],
                                                                     "max_hashtags": None})
    assert patched.status_code == 200, patched.text
    profile = owner_client.get(f"/api/clients/{client_id}/profile").json()
    assert profile["voice_description"] == "Bold"
    assert profile["words_to_use"] == ["go"]
    assert profile["words_to_avoid"] == ["cheap"]  # untouched fields are kept
    assert profile["industry"] == "Cycling"
    assert profile["max_hashtags"] is None
    assert sum(d["share_percent"] for d in profile["demographics"]) == 100


def test_unknown_time_zone_names_the_timezone_field(owner_client):
    _assert_invalid(owner_client.post("/api/clients", json={"name": "Z", "timezone": "Mars/Olympus"}), "timezone")
    client_id = _create(owner_client)["id"]
    _assert_invalid(owner_client.patch(f"/api/clients/{client_id}", json={"timezone": "Europe/Atlantis"}), "timezone")
    _assert_invalid(owner_client.put(f"/api/clients/{client_id}/office-hours", json={"timezone": "Nowhere", "slots": []}),
                    "timezone")


def test_duplicate_client_name_is_409_on_name_ignoring_case_and_spaces(owner_client, session):
    _create(owner_client, "Acme Bikes")
    response = owner_client.post("/api/clients", json={"name": "  acme   BIKES "})
    _assert_invalid(response, "name", status=409)
    other = _create(owner_client, "Other Co")
    _assert_invalid(owner_client.patch(f"/api/clients/{other['id']}", json={"name": "ACME bikes"}), "name", status=409)
    assert session.scalar(select(func.count(Client.id))) == 2
    # Renaming a client to a spelling of its own name is fine.
    assert owner_client.patch(f"/api/clients/{other['id']}", json={"name": "OTHER co"}).status_code == 200


def test_website_must_start_with_http(owner_client):
    _assert_invalid(owner_client.post("/api/clients", json={"name": "W", "website": "acme.example"}), "website")
    client_id = _create(owner_client)["id"]
    _assert_invalid(owner_client.patch(f"/api/clients/{client_id}", json={"website": "ftp://acme"}), "website")
    assert owner_client.patch(f"/api/clients/{client_id}", json={"website": "http://acme.example"}).status_code == 200


def test_a_word_both_to_use_and_to_avoid_names_words_to_avoid(owner_client):
    response = owner_client.post("/api/clients", json={"name": "W", "words_to_use": ["Cheap"], "words_to_avoid": "cheap"})
    _assert_invalid(response, "words_to_avoid")
    client_id = _create(owner_client, words_to_avoid=["cheap"])["id"]
    patched = owner_client.patch(f"/api/clients/{client_id}", json={"words_to_use": ["CHEAP"], "name": "Renamed"})
    _assert_invalid(patched, "words_to_avoid")
    profile = owner_client.get(f"/api/clients/{client_id}/profile").json()
    assert profile["words_to_use"] == [] and profile["name"] == "Acme Bikes"  # nothing half written


def test_demographics_over_100_percent_per_dimension_name_demographics(owner_client):
    segments = [{"dimension": "gender", "value": "women", "share_percent": 70},
                {"dimension": "gender", "value": "men", "share_percent": 40}]
    response = owner_client.post("/api/clients", json={"name": "D", "demographics": segments})
    _assert_invalid(response, "demographics")
    assert "gender" in response.json()["detail"]
    # Different dimensions each add up to 100% on their own.
    ok = [{"dimension": "gender", "value": "women", "share_percent": 70},
          {"dimension": "age", "value": "18-24", "share_percent": 70}]
    client_id = _create(owner_client, demographics=ok)["id"]
    _assert_invalid(owner_client.patch(f"/api/clients/{client_id}", json={"demographics": segments}), "demographics")
    over_one = [{"dimension": "age", "value": "all", "share_percent": 101}]
    _assert_invalid(owner_client.patch(f"/api/clients/{client_id}", json={"demographics": over_one}),
                    "demographics.0.share_percent")


def test_archive_hides_a_client_from_the_list_and_restore_shows_it(owner_client):
    a = _create(owner_client, "Alpha")
    _create(owner_client, "Beta")
    assert owner_client.post(f"/api/clients/{a['id']}/archive").json()["archived"] is True
    assert [c["name"] for c in owner_client.get("/api/clients").json()] == ["Beta"]
    archived = owner_client.get("/api/clients", params={"include_archived": True}).json()
    assert [c["name"] for c in archived] == ["Alpha", "Beta"]
    assert owner_client.post(f"/api/clients/{a['id']}/restore").json()["archived"] is False
    assert [c["name"] for c in owner_client.get("/api/clients").json()] == ["Alpha", "Beta"]


def test_unknown_client_is_404(owner_client):
    assert owner_client.get("/api/clients/4242").status_code == 404
    assert owner_client.patch("/api/clients/4242", json={"industry": "x"}).status_code == 404


# --- personas, KPI targets, contacts ------------------------------------------------------------

CHILDREN = [
    ("personas", {"name": "Student Sam", "age_min": 18, "age_max": 24, "interests": "bikes, coffee",
                  "platforms": ["instagram", "tiktok"]},
     {"name": "Commuter Carl", "age_min": 30, "platforms": ["linkedin"]}, "name"),
    ("kpi-targets", {"metric": "followers", "target": 10000, "period": "quarter", "unit": "people"},
     {"metric": "engagement_rate_percent", "target": 4.5}, "metric"),
    ("contacts", {"name": "Dana Doe", "title": "CMO", "email": "dana@acme.example", "phone": "+1 (555) 010-0000",
                  "is_primary": True},
     {"name": "Dana Roe"}, "name"),
]


@pytest.mark.parametrize("path, first, second, key", CHILDREN, ids=[c[0] for c in CHILDREN])
def test_child_rows_full_crud(owner_client, path, first, second, key):
    client_id = _create(owner_client)["id"]
    base = f"/api/clients/{client_id}/{path}"
    created = owner_client.post(base, json=first)
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["client_id"] == client_id and item[key] == first[key]
    assert [i["id"] for i in owner_client.get(base).json()] == [item["id"]]
    assert owner_client.get(f"{base}/{item['id']}").json() == item
    replaced = owner_client.put(f"{base}/{item['id']}", json=second)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()[key] == second[key]
    fetched = owner_client.get(f"{base}/{item['id']}").json()
    assert fetched == replaced.json()
    # PUT replaces the whole row: fields left out go back to their defaults.
    for field in set(first) - set(second):
        assert fetched[field] != first[field], field
    profile_key = path.replace("-", "_")
    assert [i["id"] for i in owner_client.get(f"/api/clients/{client_id}/profile").json()[profile_key]] == [item["id"]]
    assert owner_client.delete(f"{base}/{item['id']}").status_code == 204
    assert owner_client.get(f"{base}/{item['id']}").status_code == 404
    assert owner_client.delete(f"{base}/{item['id']}").status_code == 404
    assert owner_client.get(base).json() == []


def test_persona_interests_accept_a_comma_separated_text(owner_client):
    client_id = _create(owner_client)["id"]
    persona = owner_client.post(f"/api/clients/{client_id}/personas", json={"name": "P", "interests": " a, b,,A "}).json()
    assert persona["interests"] == ["a", "b"]


def test_persona_age_min_above_age_max_names_age_max(owner_client, session):
    client_id = _create(owner_client)["id"]
    response = owner_client.post(f"/api/clients/{client_id}/personas", json={"name": "P", "age_min": 40, "age_max": 20})
    _assert_invalid(response, "age_max")
    _assert_invalid(owner_client.post(f"/api/clients/{client_id}/personas", json={"name": "P", "age_min": 5}), "age_min")
    _assert_invalid(owner_client.post(f"/api/clients/{client_id}/personas", json={"name": "P", "platforms": ["myspace"]}),
                    "platforms.0")
    assert session.scalar(select(func.count(Persona.id))) == 0


@pytest.mark.parametrize("target", ["lots", -1, None, "NaN", "Infinity"])
def test_kpi_target_must_be_a_finite_non_negative_number(owner_client, target):
    client_id = _create(owner_client)["id"]
    if target in ("NaN", "Infinity"):  # not standard JSON, but Python's parser reads it
        response = owner_client.post(
            f"/api/clients/{client_id}/kpi-targets", content=f'{{"metric": "reach", "target": {target}}}',
            headers={"content-type": "application/json"},
        )
    else:
        response = owner_client.post(f"/api/clients/{client_id}/kpi-targets", json={"metric": "reach", "target": target})
    _assert_invalid(response, "target")
    assert owner_client.get(f"/api/clients/{client_id}/kpi-targets").json() == []


def test_kpi_target_with_unknown_metric_names_metric(owner_client):
    client_id = _create(owner_client)["id"]
    _assert_invalid(owner_client.post(f"/api/clients/{client_id}/kpi-targets", json={"metric": "vibes", "target": 1}),
                    "metric")


def test_contact_with_a_bad_email_names_email_and_empty_email_is_allowed(owner_client):
    client_id = _create(owner_client)["id"]
    base = f"/api/clients/{client_id}/contacts"
    _assert_invalid(owner_client.post(base, json={"name": "C", "email": "not-an-address"}), "email")
    _assert_invalid(owner_client.post(base, json={"name": "C", "phone": "call me maybe"}), "phone")
    no_email = owner_client.post(base, json={"name": "No Mail"})
    assert no_email.status_code == 201, no_email.text
    assert no_email.json()["email"] is None
    replaced = owner_client.put(f"{base}/{no_email.json()['id']}", json={"name": "Still No Mail"})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["email"] is None


# --- office hours ------------------------------------------------------------------------------


def test_office_hours_put_replaces_and_get_returns_them(owner_client):
    client_id = _create(owner_client)["id"]
    data = {"timezone": "America/New_York", "outside_hours_message": "We answer tomorrow",
            "slots": [{"weekday": 1, "start": "13:00", "end": "17:00"}, {"weekday": 1, "start": "08:00", "end": "12:00"},
                      {"weekday": 0, "start": "09:00", "end": "17:30"}]}
    response = owner_client.put(f"/api/clients/{client_id}/office-hours", json=data)
    assert response.status_code == 200, response.text
    got = owner_client.get(f"/api/clients/{client_id}/office-hours").json()
    assert got["timezone"] == "America/New_York"
    assert got["outside_hours_message"] == "We answer tomorrow"
    assert [(s["weekday"], s["start"][:5], s["end"][:5]) for s in got["slots"]] == [
        (0, "09:00", "17:30"), (1, "08:00", "12:00"), (1, "13:00", "17:00")]
    assert owner_client.get(f"/api/clients/{client_id}").json()["timezone"] == "America/New_York"
    owner_client.put(f"/api/clients/{client_id}/office-hours", json={"timezone": "UTC", "slots": []})
    assert owner_client.get(f"/api/clients/{client_id}/office-hours").json()["slots"] == []


def test_overlapping_office_hours_name_slots_and_keep_the_old_hours(owner_client, session):
    client_id = _create(owner_client)["id"]
    assert owner_client.put(f"/api/clients/{client_id}/office-hours", json=PARIS_WEEKDAY_HOURS).status_code == 200
    overlapping = {"timezone": "Asia/Tokyo", "outside_hours_message": "changed",
                   "slots": [{"weekday": 2, "start": "09:00", "end": "12:00"},
                             {"weekday": 2, "start": "11:00", "end": "14:00"}]}
    response = owner_client.put(f"/api/clients/{client_id}/office-hours", json=overlapping)
    _assert_invalid(response, "slots")
    assert "overlaps" in response.json()["detail"]
    after = owner_client.get(f"/api/clients/{client_id}/office-hours").json()
    assert after["timezone"] == "Europe/Paris" and after["outside_hours_message"] == ""
    assert [(s["weekday"], s["start"][:5], s["end"][:5]) for s in after["slots"]] == [(0, "09:00", "17:00")]


def test_office_hours_end_before_start_names_the_slot_and_keeps_the_old_hours(owner_client, session):
    client_id = _create(owner_client)["id"]
    owner_client.put(f"/api/clients/{client_id}/office-hours", json=PARIS_WEEKDAY_HOURS)
    bad = {"timezone": "Europe/Paris", "slots": [{"weekday": 3, "start": "08:00", "end": "10:00"},
                                                 {"weekday": 4, "start": "18:00", "end": "09:00"}]}
    response = owner_client.put(f"/api/clients/{client_id}/office-hours", json=bad)
    _assert_invalid(response, "slots.1")
    assert "end" in response.json()["errors"][0]["message"]
    _assert_invalid(owner_client.put(f"/api/clients/{client_id}/office-hours",
                                     json={"timezone": "UTC", "slots": [{"weekday": 7, "start": "08:00", "end": "09:00"}]}),
                    "slots.0.weekday")
    slots = session.scalars(select(OfficeHoursSlot).where(OfficeHoursSlot.client_id == client_id)).all()
    assert [(s.weekday, s.start, s.end) for s in slots] == [(0, time(9), time(17))]


def _client_with_hours(tz: str, *slots: tuple[int, time, time]) -> Client:
    return Client(name="X", timezone=tz, office_hours=[OfficeHoursSlot(weekday=d, start=s, end=e) for d, s, e in slots])


@pytest.mark.parametrize(
    "instant, expected",
    [
        # Winter (CET, UTC+1): Monday 6 January 2025.
        (datetime(2025, 1, 6, 7, 59, tzinfo=UTC), False),  # 08:59 Paris
        (datetime(2025, 1, 6, 8, 0, tzinfo=UTC), True),  # 09:00 Paris, start is inclusive
        (datetime(2025, 1, 6, 15, 59, tzinfo=UTC), True),  # 16:59 Paris
        (datetime(2025, 1, 6, 16, 0, tzinfo=UTC), False),  # 17:00 Paris, end is exclusive
        # Summer (CEST, UTC+2): Monday 7 July 2025.
        (datetime(2025, 7, 7, 6, 30, tzinfo=UTC), False),  # 08:30 Paris (09:30 would be winter's answer)
        (datetime(2025, 7, 7, 7, 0, tzinfo=UTC), True),  # 09:00 Paris
        (datetime(2025, 7, 7, 15, 30, tzinfo=UTC), False),  # 17:30 Paris
        (datetime(2025, 7, 7, 14, 59, tzinfo=UTC), True),  # 16:59 Paris
        # Sunday 23:30 UTC in summer is Monday 01:30 in Paris: closed; Tuesday 09:00 Paris: closed.
        (datetime(2025, 7, 6, 23, 30, tzinfo=UTC), False),
        (datetime(2025, 7, 8, 7, 0, tzinfo=UTC), False),
    ],
)
def test_is_open_in_the_clients_time_zone_across_dst(instant, expected):
    client = _client_with_hours("Europe/Paris", (0, time(9), time(17)))
    assert clients_service.is_open(client, instant) is expected


def test_is_open_uses_the_local_weekday_across_the_date_line():
    # Monday 09:00-17:00 in Los Angeles (PDT, UTC-7) is Monday 16:00 to Tuesday 00:00 UTC.
    la = _client_with_hours("America/Los_Angeles", (0, time(9), time(17)))
    assert clients_service.is_open(la, datetime(2025, 7, 7, 23, 30, tzinfo=UTC)) is True  # Mon 16:30 LA
    assert clients_service.is_open(la, datetime(2025, 7, 8, 0, 30, tzinfo=UTC)) is False  # Mon 17:30 LA
    # Tokyo (UTC+9) Monday 08:00-10:00 is Sunday 23:00 to Monday 01:00 UTC.
    tokyo = _client_with_hours("Asia/Tokyo", (0, time(8), time(10)))
    assert clients_service.is_open(tokyo, datetime(2025, 7, 6, 23, 30, tzinfo=UTC)) is True
    # An aware time in another zone means the same instant.
    from zoneinfo import ZoneInfo

    assert clients_service.is_open(tokyo, datetime(2025, 7, 6, 19, 30, tzinfo=ZoneInfo("America/New_York"))) is True


def test_is_open_on_the_day_clocks_change():
    # Sunday 30 March 2025, Paris moves from UTC+1 to UTC+2 at 01:00 UTC.
    paris = _client_with_hours("Europe/Paris", (6, time(0), time(12)))
    assert clients_service.is_open(paris, datetime(2025, 3, 30, 9, 59, tzinfo=UTC)) is True  # 11:59 CEST
    assert clients_service.is_open(paris, datetime(2025, 3, 30, 10, 30, tzinfo=UTC)) is False  # 12:30 CEST
    assert clients_service.is_open(paris, datetime(2025, 3, 29, 23, 30, tzinfo=UTC)) is True  # 00:30 CET Sunday


def test_is_open_through_the_api_stored_hours(owner_client, session):
    client_id = _create(owner_client)["id"]
    owner_client.put(f"/api/clients/{client_id}/office-hours", json=PARIS_WEEKDAY_HOURS)
    session.expire_all()
    client = session.get(Client, client_id)
    assert clients_service.is_open(client, datetime(2025, 1, 6, 8, 30, tzinfo=UTC)) is True
    assert clients_service.is_open(client, datetime(2025, 7, 7, 15, 30, tzinfo=UTC)) is False


# --- the client log ---------------------------------------------------------------------------


def test_client_log_records_the_author_lists_newest_first_and_filters_by_kind(client, world):
    base = f"/api/clients/{world.a_id}/log"
    cm = world["community_manager"]
    entries = [
        ({"kind": "note", "occurred_on": "2025-02-01", "title": "Older note"}, world["manager"]),
        ({"kind": "request", "occurred_on": "2025-04-01", "title": "Newest request", "body": "More reels"}, cm),
        ({"kind": "note", "occurred_on": "2025-03-01", "title": "Middle note"}, cm),
    ]
    ids = {}
    for data, person in entries:
        response = client.post(base, json=data, headers=person.headers)
        assert response.status_code == 201, response.text
        assert response.json()["author_name"] == person.name
        ids[data["title"]] = response.json()["id"]
    listed = client.get(base, headers=world["analyst"].headers).json()
    titles = [e["title"] for e in listed]
    assert titles == ["Newest request", "Alpha confidential kickoff", "Middle note", "Older note"]
    assert listed[0]["author_name"] == cm.name and listed[0]["body"] == "More reels"
    notes = client.get(base, params={"kind": "note"}, headers=cm.headers).json()
    assert [e["title"] for e in notes] == ["Middle note", "Older note"]
    assert client.get(base, params={"kind": "gossip"}, headers=cm.headers).status_code == 422
    assert [e["title"] for e in client.get(base, params={"limit": 1}, headers=cm.headers).json()] == ["Newest request"]
    assert client.delete(f"{base}/{ids['Middle note']}", headers=cm.headers).status_code == 204
    assert "Middle note" not in [e["title"] for e in client.get(base, headers=cm.headers).json()]


def test_log_entry_needs_a_title_and_a_known_kind(owner_client):
    client_id = _create(owner_client)["id"]
    base = f"/api/clients/{client_id}/log"
    _assert_invalid(owner_client.post(base, json={"kind": "note", "occurred_on": "2025-01-01", "title": ""}), "title")
    _assert_invalid(owner_client.post(base, json={"kind": "rumour", "occurred_on": "2025-01-01", "title": "t"}), "kind")
    _assert_invalid(owner_client.post(base, json={"kind": "note", "occurred_on": "yesterday", "title": "t"}), "occurred_on")
    assert owner_client.get(base).json() == []


def test_text_with_a_nul_character_is_refused_naming_the_field(owner_client):
    """PostgreSQL cannot store NUL in text: it must be a 422 on every backend, never a 500."""
    _assert_invalid(owner_client.post("/api/clients", json={"name": "Nul\u0000Co"}), "name")
    _assert_invalid(owner_client.post("/api/clients", json={"name": "N", "description": "a\u0000"}), "description")
    _assert_invalid(owner_client.post("/api/clients", json={"name": "N", "tone_words": ["ok", "b\u0000d"]}), "tone_words.1")
    client_id = _create(owner_client)["id"]
    base = f"/api/clients/{client_id}"
    _assert_invalid(owner_client.post(f"{base}/log", json={"kind": "note", "occurred_on": "2025-01-01", "title": "\u0000"}),
                    "title")
    _assert_invalid(owner_client.post(f"{base}/kpi-targets", json={"metric": "reach", "target": 1, "unit": "\u0000"}), "unit")
    _assert_invalid(owner_client.put(f"{base}/office-hours", json={"timezone": "UTC", "outside_hours_message": "\u0000"}),
                    "outside_hours_message")


def test_ids_beyond_the_database_range_are_refused_not_a_server_error(owner_client):
    huge = 2**63
    assert owner_client.get(f"/api/clients/{huge}").status_code == 404
    assert owner_client.get(f"/api/clients/{huge}/personas/1").status_code == 404
    client_id = _create(owner_client)["id"]
    assert owner_client.get(f"/api/clients/{client_id}/personas/{2**40}").status_code == 422
    assert owner_client.delete(f"/api/clients/{client_id}/log/{2**40}").status_code == 422
    assert owner_client.get(f"/api/clients/{client_id}/personas/0").status_code == 422


def test_child_lookup_with_an_out_of_range_id_is_not_found():
    from socialdesk.clients.models import Persona
    from socialdesk.kit.children import get_for
    from socialdesk.kit.errors import NotFound

    for row_id in (0, -1, 2**31, 2**70):
        with pytest.raises(NotFound):
            get_for(None, Persona, 1, row_id)  # refused before any query
