"""ASGI middleware."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class SendAfterCommit:
    """Hold each response until the request's unit of work has finished.

    FastAPI runs the exit code of ``yield`` dependencies (where the database session commits)
    after the response has gone out, so a browser following a redirect could arrive before the
    commit and not see what it just saved. Holding the response closes that gap, and a commit
    that fails becomes an error instead of a success already sent. Static files stream as usual.
    """

    def __init__(self, app: ASGIApp, *, stream_prefixes: tuple[str, ...] = ("/static/", "/assets/")):
        self.app = app
        self.stream_prefixes = stream_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.stream_prefixes):
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        for message in held:
            await send(message)
