"""The shared local Prefect server: one long-lived server per Prefect home, started on first use.

Every flow run needs a Prefect API. When none is configured, Prefect would start
a temporary server inside each run (seconds of start-up, a SQLite file shared
by every run, timeouts when several start at once); instead news-ingest starts
one real ``prefect server start`` the first time it is needed, detached from the
command that started it, and every later ``run``, ``reextract`` and ``serve``
reuses it (its UI shows them all). ``news-ingest server status|stop`` reports
on or stops it.

The home (:func:`default_home`: ``$NEWS_INGEST_PREFECT_HOME``, else
``$XDG_STATE_HOME/news-ingest/prefect``) holds::

    server.json   {"api_url", "port", "pid", "pid_start", "prefect_version", "started_at"}
    server.lock   fcntl lock: held while a server is started, checked or stopped
    server.pid    the server's pid; the server process holds an fcntl lock on it for its
                  whole life (an inherited descriptor), so "a server of this home is
                  running" is known even if server.json is lost or stale
    server.log    the server's output (appended)
    prefect.db    Prefect's SQLite database (the server's own PREFECT_HOME)

Concurrent callers: the fast path (state file, pid alive with the same start
time, same Prefect version, ``/api/health``) takes no lock; otherwise callers
queue on server.lock and check again under it, so exactly one of them starts a
server and the others reuse it. A server that is alive but does not answer for
``UNHEALTHY_GRACE`` seconds is replaced. Standard library only: Prefect itself
is not imported here.
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from flows.errors import PrefectServerError

__all__ = [
    "DEFAULT_PORT",
    "ServerInfo",
    "default_home",
    "ensure_server",
    "status",
    "stop_server",
]

STATE_FILE = "server.json"
LOCK_FILE = "server.lock"
PID_FILE = "server.pid"
LOG_FILE = "server.log"
HOST = "127.0.0.1"
DEFAULT_PORT = 4200  # Prefect's own default: the UI's usual address, when the port is free
START_TIMEOUT = 120.0  # a first start on a loaded 2-core machine: migrations take ~6 s of CPU
HEALTH_TIMEOUT = 2.0
UNHEALTHY_GRACE = 30.0  # an alive server that does not answer this long is restarted


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """A home's running server: where it answers, its process, whether this call started it."""

    api_url: str
    port: int
    pid: int
    pid_start: int | None  # /proc start time (clock ticks): tells a reused pid apart
    prefect_version: str
    started_at: float
    reused: bool = True  # False when this call started it

    @property
    def ui_url(self) -> str:
        """Where Prefect's UI of this server is."""
        return self.api_url.removesuffix("/api")


def default_home() -> Path:
    """$NEWS_INGEST_PREFECT_HOME, else $XDG_STATE_HOME/news-ingest/prefect (~/.local/state/...)."""
    explicit = os.environ.get("NEWS_INGEST_PREFECT_HOME")
    if explicit:
        return Path(explicit).expanduser()
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "news-ingest" / "prefect"


def ensure_server(
    home: Path | None = None,
    *,
    port: int | None = None,
    timeout: float = START_TIMEOUT,
    extra_env: dict[str, str] | None = None,
) -> ServerInfo:
    """The running server of ``home``, started (detached) when there is none or it is stale.

    ``port``: preferred port when one is started (a free one if it is taken or None).
    """
    home = (home or default_home()).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    version = _prefect_version()
    current = _healthy_state(home, version)  # fast path: no lock
    if current is not None:
        return current
    with _locked(home, time.monotonic() + timeout):
        state = _read_state(home)
        holder = _lifetime_holder(home)  # pid of a live server of this home, state file or not
        if holder is not None and (state is None or state.pid != holder):
            state = _recover(home, holder, version)  # state lost: find the server's port again
            if state is None:
                _terminate(holder)  # a server of this home we cannot use: replace it
                _wait_released(home, time.monotonic() + 20)
        if state is not None and _alive(state):
            # A busy server can miss one 2 s health check: give it a grace period first.
            grace = time.monotonic() + min(timeout, UNHEALTHY_GRACE)
            if state.prefect_version == version and _wait_healthy(state, None, grace, home):
                return state  # started meanwhile by the lock holder before us, or recovered
            _terminate(state.pid)  # alive but not answering, or from another Prefect version
        (home / STATE_FILE).unlink(missing_ok=True)
        return _start(home, version, port, time.monotonic() + timeout, extra_env)


def status(home: Path | None = None) -> ServerInfo | None:
    """The running, healthy server of ``home``; None if there is none (nothing is started)."""
    home = (home or default_home()).expanduser().resolve()
    return _healthy_state(home, None)


def stop_server(home: Path | None = None, *, timeout: float = 15.0) -> bool:
    """Stop the server of ``home`` (its whole process group); True if one was running."""
    home = (home or default_home()).expanduser().resolve()
    if not home.exists():
        return False
    with _locked(home, time.monotonic() + timeout + 30):
        state = _read_state(home)
        (home / STATE_FILE).unlink(missing_ok=True)
        pids = {state.pid} if state is not None and _alive(state) else set()
        holder = _lifetime_holder(home)
        if holder is not None:
            pids.add(holder)
        for pid in pids:
            _terminate(pid, timeout=timeout)
        return bool(pids)


# ---------------------------------------------------------------- internals


def _prefect_version() -> str:
    try:
        return metadata.version("prefect")
    except metadata.PackageNotFoundError:
        return "unknown"


def _healthy_state(home: Path, version: str | None) -> ServerInfo | None:
    state = _read_state(home)
    if state is None or not _alive(state):
        return None
    if version is not None and state.prefect_version != version:
        return None
    return state if _health(state.port) else None


def _read_state(home: Path) -> ServerInfo | None:
    try:
        data = json.loads((home / STATE_FILE).read_text())
        return ServerInfo(**{**data, "reused": True})
    except (OSError, ValueError, TypeError):
        return None


def _write_state(home: Path, info: ServerInfo) -> None:
    path = home / STATE_FILE
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    data = asdict(info)
    data.pop("reused")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)  # readers never see a half-written file


def _proc_start(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _alive(state: ServerInfo) -> bool:
    try:
        os.kill(state.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # someone else's process: our pid was reused
    if state.pid_start is not None:
        started = _proc_start(state.pid)
        if started is not None and started != state.pid_start:
            return False  # the pid now belongs to another process
        with contextlib.suppress(OSError), open(f"/proc/{state.pid}/stat") as handle:
            if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False  # exited, not reaped yet
    return True


def _health(port: int, timeout: float = HEALTH_TIMEOUT) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", "/api/health")
        response = connection.getresponse()
        return response.status == 200 and response.read().strip() == b"true"
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


@contextlib.contextmanager
def _locked(home: Path, deadline: float) -> Iterator[None]:
    with open(home / LOCK_FILE, "a+") as handle:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise PrefectServerError(
                        f"another process holds {home / LOCK_FILE} (starting the Prefect server?)"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _start(
    home: Path,
    version: str,
    preferred: int | None,
    deadline: float,
    extra_env: dict[str, str] | None,
) -> ServerInfo:
    _wait_released(home, deadline)  # a server just told to stop may still be exiting
    attempts = 3  # the port can be taken between our check and the server's bind
    for attempt in range(attempts):
        port = preferred if preferred and attempt == 0 and _port_free(preferred) else _free_port()
        process = _spawn(home, port, extra_env)
        info = ServerInfo(
            api_url=f"http://{HOST}:{port}/api",
            port=port,
            pid=process.pid,
            pid_start=_proc_start(process.pid),
            prefect_version=version,
            started_at=time.time(),
            reused=False,
        )
        if _wait_healthy(info, process, deadline, home):
            _write_state(home, info)
            return info
        if process.poll() is None:  # still alive: too slow, not a port clash
            _terminate(process.pid)
            raise PrefectServerError(
                f"the Prefect server did not answer in time (log {home / LOG_FILE})"
            )
        if time.monotonic() > deadline:
            break
    raise PrefectServerError(f"the Prefect server exited at start (log {home / LOG_FILE})")


def _lifetime_holder(home: Path) -> int | None:
    """The pid in server.pid if a live process holds its lock (the server), else None."""
    try:
        fd = os.open(home / PID_FILE, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        try:
            return int(os.pread(fd, 32, 0).decode().strip() or 0) or None
        except ValueError:
            return None
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _recover(home: Path, pid: int, version: str) -> ServerInfo | None:
    """Rebuild the state of the live server ``pid`` from its command line (Linux /proc)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        port = int(args[args.index("--port") + 1])
    except (OSError, ValueError, IndexError):
        return None
    info = ServerInfo(
        api_url=f"http://{HOST}:{port}/api",
        port=port,
        pid=pid,
        pid_start=_proc_start(pid),
        prefect_version=version,  # same interpreter and site-packages as ours (checked below)
        started_at=time.time(),
    )
    if not args or args[0] != sys.executable or not _health(info.port):
        return None
    _write_state(home, info)
    return info


def _wait_released(home: Path, deadline: float) -> None:
    while _lifetime_holder(home) is not None and time.monotonic() < deadline:
        time.sleep(0.1)


def _spawn(home: Path, port: int, extra_env: dict[str, str] | None) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_PROFILES_PATH=str(home / "profiles.toml"),  # not the user's profiles
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_LOGGING_LEVEL="WARNING",
        # The UI asks the API here; left alone it says port 4200 whatever --port is.
        PREFECT_UI_API_URL=f"http://{HOST}:{port}/api",
    )
    env.update(extra_env or {})
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", HOST]
    command += ["--port", str(port)]
    pid_fd = os.open(home / PID_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        # Free here: _lifetime_holder() found no server. The child inherits this open file
        # description, so the lock stays held until the server (and anything it forked) exits.
        try:
            fcntl.flock(pid_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PrefectServerError(
                f"a Prefect server of {home} is still running (see {PID_FILE})"
            ) from None
        with open(home / LOG_FILE, "ab") as log:
            log.write(f"--- {time.strftime('%F %T')} starting: {' '.join(command)}\n".encode())
            log.flush()
            process = subprocess.Popen(  # noqa: S603 (our interpreter, fixed arguments)
                command,
                env=env,
                cwd=home,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # no SIGINT/SIGHUP from the starting terminal
                close_fds=True,
                pass_fds=(pid_fd,),
            )
        os.ftruncate(pid_fd, 0)
        os.pwrite(pid_fd, str(process.pid).encode(), 0)
        return process
    finally:
        os.close(pid_fd)  # our reference only: the child keeps the lock


def _wait_healthy(
    info: ServerInfo,
    process: subprocess.Popen[bytes] | None,
    deadline: float,
    home: Path,
) -> bool:
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        if process is None and not _alive(info):
            return False
        if _health(info.port):
            return True
        time.sleep(0.1)
    return False


def _terminate(pid: int, *, timeout: float = 15.0) -> None:
    """SIGTERM the server's process group (it leads its own session), SIGKILL after ``timeout``."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
        os.killpg(pid, signal.SIGCONT)  # a stopped (SIGSTOP/^Z) server handles SIGTERM only now
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return  # our child: reaped
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
