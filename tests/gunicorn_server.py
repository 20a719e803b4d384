"""Starts and stops gunicorn as ``scripts/run`` does (``gunicorn -c gunicorn.conf.py <app>``), in its own
processes, for the tests that talk to the production server over loopback."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(**settings: str) -> dict:
    """The test process's environment without any server, database or Redis setting of the developer's,
    plus ``settings``."""
    prefixes = ("WEB_", "DATABASE_", "REDIS_", "HOCTAP_TEST_")
    return {**{k: v for k, v in os.environ.items() if not k.startswith(prefixes)}, **settings}


def serve(env: dict, *, port: int, log: Path, app: str = "wsgi:app") -> subprocess.Popen:
    """gunicorn with the project's gunicorn.conf.py on 127.0.0.1:``port``; returns once a worker answers."""
    env = {**env, "WEB_BIND": f"127.0.0.1:{port}"}
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [str(GUNICORN), "-c", "gunicorn.conf.py", app],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/login")
            connection.getresponse().read()
            connection.close()
            return process
        except OSError:
            time.sleep(0.1)
    stop(process)
    raise AssertionError(f"gunicorn did not answer within a minute:\n{log.read_text()}")


def stop(process: subprocess.Popen, *, graceful: bool = True) -> None:
    """SIGTERM, gunicorn's graceful stop (requests in progress finish; killed if it has not ended after
    its graceful timeout); or, when nothing is in progress any more, SIGKILL to the workers and the master
    (gunicorn's own stop takes several seconds, too many once per browser test)."""
    if not graceful:
        for pid in children(process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.kill()
        process.wait()
        return
    process.terminate()
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def children(pid: int) -> set[int]:
    """The live child processes of ``pid`` (gunicorn's workers, for its master)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name may hold spaces; the parent pid is the second field after it.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found
