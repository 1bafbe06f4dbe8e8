"""Scratch databases for the benches, and running a share of the work in each of several processes.

``scratch`` gives a SQLite file in ``tmp`` or a new PostgreSQL database (``SOCIALDESK_TEST_POSTGRES_URL``'s
server); ``drop`` removes the latter. ``in_processes`` forks one process per share (as several
`socialdesk worker` processes would run), lets each get ready (compile, connect) before the clock starts,
and returns the wall-clock seconds of the work itself with what each process returned.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import create_engine, text


def scratch(postgres: bool, tmp: Path, tag: str, prefix: str = "bench"):
    """(database URL, handle for ``drop``)."""
    if not postgres:
        return f"sqlite:///{tmp}/{tag}.db", None
    admin_url = os.environ.get("SOCIALDESK_TEST_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/postgres")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    return admin_url.rsplit("/", 1)[0] + f"/{name}", (admin, name)


def drop(handle) -> None:
    if handle is not None:
        admin, name = handle
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _child(prepare, work, share, ready, go, out) -> None:
    try:
        state = prepare()
        ready.wait()
        go.wait()
        cpu = time.process_time()
        result = work(state, share)
        out.put((result, time.process_time() - cpu))
    except BaseException:
        ready.abort()  # the others (and the parent) stop waiting for this one
        out.put(traceback.format_exc())  # the parent stops with it instead of waiting for a result
        raise


def in_processes(prepare: Callable[[], object], work: Callable[[object, object], object],
                 shares: Sequence[object]) -> tuple[float, float, list]:
    """Fork one process per share: ``state = prepare()``, then (all ready) ``work(state, share)``. Returns
    (wall seconds of the work, CPU seconds of the work summed over the processes, their results)."""
    context = multiprocessing.get_context("fork")
    ready, go, out = context.Barrier(len(shares) + 1), context.Event(), context.Queue()
    workers = [context.Process(target=_child, args=(prepare, work, share, ready, go, out)) for share in shares]
    for w in workers:
        w.start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        pass  # one failed getting ready: every process answers with a traceback
    started = time.perf_counter()
    go.set()
    answers = [out.get() for _ in workers]
    elapsed = time.perf_counter() - started
    for w in workers:
        w.join()
    if failed := [a for a in answers if isinstance(a, str)]:
        failed.sort(key=lambda tb: "BrokenBarrierError" in tb)  # the cause first
        raise SystemExit("a worker process failed:\n" + failed[0])
    return elapsed, sum(cpu for _, cpu in answers), [result for result, _ in answers]
