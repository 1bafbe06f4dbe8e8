"""A reverse proxy that makes a real network server unreliable, for the chaos tests.

For a share of the requests that match (by default the ones that create a post) it answers 500 or
429 without passing them on, hangs until the client gives up, or — the hard case — passes the
request on and then answers 502, so the post exists but the client cannot know.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections import Counter
from dataclasses import dataclass, field

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


@dataclass
class Faults:
    error: float = 0.0  # 500 before passing on
    rate_limit: float = 0.0  # 429 Retry-After: 1 before passing on
    hang: float = 0.0  # no answer for ``hang_seconds`` (the client times out), not passed on
    lost_answer: float = 0.0  # passed on, then 502: the post exists, the client does not know
    hang_seconds: float = 8.0
    paths: str = r"/api/v1/statuses$|/xrpc/com\.atproto\.repo\.createRecord$"
    seed: int = 7
    counts: Counter = field(default_factory=Counter)


def proxy_app(upstream: str, faults: Faults) -> Starlette:
    rng = random.Random(faults.seed)
    pattern = re.compile(faults.paths)
    client = httpx.AsyncClient(base_url=upstream, timeout=30)

    async def forward(request: Request) -> Response:
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        answer = await client.request(request.method, request.url.path, params=request.query_params,
                                      content=body, headers=headers)
        out = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_HEADERS}
        return Response(answer.content, status_code=answer.status_code, headers=out)

    async def handle(request: Request) -> Response:
        faulty = request.method == "POST" and pattern.search(request.url.path)
        roll = rng.random() if faulty else 1.0
        edges = [("error", faults.error), ("rate_limit", faults.rate_limit), ("hang", faults.hang),
                 ("lost_answer", faults.lost_answer)]
        chosen = None
        for name, share in edges:
            if roll < share:
                chosen = name
                break
            roll -= share
        faults.counts[chosen or ("passed" if faulty else "other")] += 1
        if chosen == "error":
            return Response('{"error":"injected failure"}', status_code=500, media_type="application/json")
        if chosen == "rate_limit":
            return Response('{"error":"Too many requests"}', status_code=429, media_type="application/json",
                            headers={"Retry-After": "1"})
        if chosen == "hang":
            await asyncio.sleep(faults.hang_seconds)
            return Response('{"error":"too late"}', status_code=504, media_type="application/json")
        response = await forward(request)
        if chosen == "lost_answer":
            return Response('{"error":"bad gateway"}', status_code=502, media_type="application/json")
        return response

    return Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "POST", "PUT", "DELETE", "PATCH"])])
