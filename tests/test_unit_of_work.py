"""A response reaches the caller only after the request's unit of work (the commit) is done.

FastAPI runs a ``yield`` dependency's exit code after sending the response; over real HTTP a
browser following a redirect could then outrun the commit (seen in the browser test under load).
"""

from __future__ import annotations

import socket
import threading
import time

import httpx
import uvicorn
from fastapi import Depends

from socialdesk.web.deps import public


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_response_is_sent_only_after_the_dependency_exit_code_ran(app):
    finished = threading.Event()

    def slow_unit_of_work():
        yield None
        time.sleep(0.5)  # a slow commit
        finished.set()

    @app.get("/_probe", dependencies=[Depends(public), Depends(slow_unit_of_work)])
    def probe():
        return {"ok": True}

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/_probe", timeout=10)
        done_when_received = finished.is_set()
    finally:
        server.should_exit = True
        thread.join(10)
    assert response.status_code == 200
    assert done_when_received, "the response arrived before the unit of work had finished"
