"""The production server for the benchmarks, started as scripts/run starts it (bench/load.py and
bench/recognition_loop.py share it)."""

import contextlib
import http.client
import os
import pstats
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKED = "database is locked"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> set[int]:
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


class Server:
    """``gunicorn -c gunicorn.conf.py wsgi:app`` from the project root on a free loopback port, its output in
    ``log`` and its access log in ``data_dir/access.log``; returns once it answers. ``env`` adds settings
    such as DEMO and SECRET_KEY; workers and threads left None keep gunicorn.conf.py's defaults. With
    ``profile_dir`` it runs with bench/gunicorn_profile.py instead: the same settings, and the requests that
    come while ``profiling()`` is on are profiled (``merged_profile()`` once stopped)."""

    def __init__(
        self,
        url: str,
        data_dir: Path,
        *,
        log: Path,
        workers: int | None = None,
        threads: int | None = None,
        env: dict | None = None,
        profile_dir: Path | None = None,
    ):
        self.port = free_port()
        self.log, self.data_dir, self.profile_dir = log, data_dir, profile_dir
        self.stop_s = float("nan")
        # The developer's own server, database or Redis settings must not leak into the benchmark's server.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("WEB_", "DATABASE_", "REDIS_"))}
        self.env.update(
            DATABASE_URL=url, DATA_DIR=str(data_dir), REDIS_URL="", WEB_BIND=f"127.0.0.1:{self.port}"
        )
        if workers is not None:
            self.env["WEB_WORKERS"] = str(workers)
        if threads is not None:
            self.env["WEB_THREADS"] = str(threads)
        self.env.update(env or {})
        config = "gunicorn.conf.py"
        if profile_dir is not None:
            profile_dir.mkdir(parents=True, exist_ok=True)
            self.env["BENCH_PROFILE_DIR"] = str(profile_dir)
            config = "bench/gunicorn_profile.py"
        script = Path(sys.executable).with_name("gunicorn")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "gunicorn"]
        with log.open("wb") as out:  # the child keeps its own copy of the descriptor
            # Its own session, so that a kill after a stuck stop reaches the workers too.
            self.process = subprocess.Popen(
                [*command, "-c", config, "wsgi:app"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_until_answering()
        except BaseException:
            self.stop()
            raise

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/login")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(
                        f"gunicorn did not answer within a minute:\n{self.log.read_text()}"
                    ) from None
                time.sleep(0.1)

    def stop(self, timeout: float = 60) -> None:
        """SIGTERM to the master, gunicorn's graceful stop (it ends its workers itself)."""
        if self.process.poll() is not None:
            return
        t0 = time.perf_counter()
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.stop_s = time.perf_counter() - t0

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @contextlib.contextmanager
    def profiling(self):
        """The workers profile the requests that arrive inside this block."""
        switch = self.profile_dir / "on"
        switch.touch()
        try:
            yield
        finally:
            switch.unlink()

    def merged_profile(self) -> pstats.Stats:
        """Every request thread's profile, added up; the workers write them when they exit (after stop())."""
        files = sorted(self.profile_dir.glob("worker-*.prof"))
        if not files:
            raise SystemExit(f"no profile was written to {self.profile_dir}; see {self.log}")
        return pstats.Stats(*map(str, files))

    def workers(self) -> set[int]:
        return children(self.process.pid)

    def cpu_ms(self) -> float:
        """User + system CPU milliseconds of the master and its live workers, plus the workers the master
        has reaped (its cutime/cstime), from /proc/<pid>/stat (clock ticks, 10 ms each as a rule)."""
        ticks = 0
        for pid in {self.process.pid, *self.workers()}:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # a worker that just ended: its time is in the master's cutime
            # fields[0] is stat field 3 (state): utime, stime, cutime, cstime are fields 14-17.
            ticks += int(fields[11]) + int(fields[12])
            if pid == self.process.pid:
                ticks += int(fields[13]) + int(fields[14])
        return ticks * 1000 / os.sysconf("SC_CLK_TCK")

    def workers_answering(self) -> int:
        """Worker processes that answered at least one request (gunicorn.conf.py logs the pid per request)."""
        access = self.data_dir / "access.log"
        if not access.exists():
            return 0
        return len(set(re.findall(r"pid=<?(\d+)", access.read_text(errors="replace"))))

    def locked_in_log(self) -> int:
        """Tracebacks whose SQLAlchemy error says the database was locked (one line per failure)."""
        text = self.log.read_text(errors="replace")
        return sum(
            1 for line in text.splitlines() if "sqlalchemy.exc.OperationalError" in line and LOCKED in line
        )

    def tracebacks_in_log(self) -> int:
        return self.log.read_text(errors="replace").count("Traceback (most recent call last)")
