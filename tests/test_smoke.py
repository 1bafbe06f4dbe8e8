def test_owner_creates_a_client_and_sees_it_listed(owner_client):
    created = owner_client.post("/api/clients", json={"name": "Acme Bikes", "timezone": "Europe/Paris"})
    assert created.status_code == 201, created.text
    listed = owner_client.get("/api/clients").json()
    assert [c["name"] for c in listed] == ["Acme Bikes"]
