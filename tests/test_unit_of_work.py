"""A response reaches the caller only after the request's unit of work (the commit) is done.

FastAPI runs a ``yield`` dependency's exit code after sending the response; over real HTTP a
browser following a redirect could then outrun the commit (seen in the browser test under load).
"""

from __future__ import annotations

import threading
import time

import httpx
from fastapi import Depends

from live import serve

from socialdesk.web.deps import public


def test_the_response_is_sent_only_after_the_dependency_exit_code_ran(app):
    finished = threading.Event()

    def slow_unit_of_work():
        yield None
        time.sleep(0.5)  # a slow commit
        finished.set()

    @app.get("/_probe", dependencies=[Depends(public), Depends(slow_unit_of_work)])
    def probe():
        return {"ok": True}

    with serve(app, lifespan="off") as url:
        response = httpx.get(f"{url}/_probe", timeout=10)
        done_when_received = finished.is_set()
    assert response.status_code == 200
    assert done_when_received, "the response arrived before the unit of work had finished"
