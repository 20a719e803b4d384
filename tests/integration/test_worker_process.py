"""The background worker as a deployment runs it: a real ``flask worker`` process beside a real
redis-server and a real SMTP server (aiosmtpd), with the web side in this process.

Nothing here reaches into the worker: it is started, stopped, killed and starved of Redis or of its mail
server from outside, as an operator (or a crash) would, and what it did is read back from the database
and the SMTP sink. Every wait polls against a deadline.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest

from tests.conftest import ROOT, free_port
from tests.helpers import ApiClient, WebClient, commune_accept, walk
from tests.smtp_sink import SmtpSink

pytestmark = pytest.mark.redis

TICK = 1.0
LEASE = 5.0
MAX_ATTEMPTS = 3
RETRY = 0.2
PUBLIC_URL = "https://hoctap.example.vn"
# Config shared by the web side and every worker: the dispatching side derives RQ's job timeout from the
# lease, so both must agree.
JOB_CONFIG = {
    "WORKER_TICK_SECONDS": TICK,
    "JOB_RETRY_SECONDS": RETRY,
    "JOB_LEASE_SECONDS": LEASE,
    "JOB_MAX_ATTEMPTS": MAX_ATTEMPTS,
    "PUBLIC_URL": PUBLIC_URL,
    # The daily digest goes out at the first tick after its hour, which on the real clock depends on when
    # the tests run; an hour that never comes keeps the counts here exact (the digest has its own tests).
    "DIGEST_HOUR": 24,
}


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1, alive=()):
    """The first truthy value of ``predicate()``; fails after ``timeout`` seconds, saying what was awaited,
    or at once when one of the ``alive`` workers has exited."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        for worker in alive:
            if worker.proc.poll() is not None:
                raise AssertionError(
                    f"{worker.log_path.name} exited ({worker.proc.returncode}) before: {what}"
                )
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what} (last: {value!r})")
        time.sleep(interval)


# ------------------------------------------------------------------------------------------ processes


class RedisProcess:
    """A redis-server of this test alone, stopped and started again on the same port (the session's
    shared one is never stopped)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "RedisProcess":
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (scripts/test installs it)")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        from redis import Redis

        def answers():
            try:
                return Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
            except Exception:
                return False

        wait_until(answers, 10, f"redis-server on port {self.port} answers")
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


class Worker:
    """One ``flask --app wsgi worker`` process, its output in a log file."""

    def __init__(self, env: dict, log_path):
        self.log_path = log_path
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            # Its own process group: RQ's scheduler is a child process, and a kill must take both, as
            # the end of a container or a systemd unit does.
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ticks(self) -> int:
        return self.output().count("hoctap.worker INFO tick ")

    def jobs_run(self) -> int:
        return self.output().count(": app.jobs.run_outbox_message(")

    def _kill_group(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is cleaned up, as when the machine or the OOM killer ends it."""
        self._kill_group()
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        # Whatever of its group is left (the worker itself past its warm shutdown, its scheduler).
        self._kill_group()
        self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture
def sink():
    smtp = SmtpSink().start()
    yield smtp
    smtp.stop()


@pytest.fixture
def start_worker(app_config, sink, tmp_path):
    """``start_worker(redis_url, **settings)`` starts one more worker; all are stopped (and reaped) at
    teardown, and their logs printed, which pytest shows when the test failed."""
    workers: list[Worker] = []

    def start(redis_url: str, **settings) -> Worker:
        env = {
            **os.environ,
            "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
            "DATA_DIR": app_config["DATA_DIR"],
            "REDIS_URL": redis_url,
            "SECRET_KEY": app_config["SECRET_KEY"],
            **sink.env(),
            **{key: str(value) for key, value in {**JOB_CONFIG, **settings}.items()},
        }
        workers.append(Worker(env, tmp_path / f"worker-{len(workers) + 1}.log"))
        return workers[-1]

    yield start
    for worker in workers:
        worker.stop()
    for worker in workers:
        print(f"===== {worker.log_path.name} (exit {worker.proc.returncode}) =====")
        print(worker.output()[-20000:])


@pytest.fixture
def shared_redis(redis_server):
    from redis import Redis

    Redis.from_url(redis_server).flushdb()
    return redis_server


@pytest.fixture
def own_redis():
    server = RedisProcess().start()
    yield server
    server.stop()


@pytest.fixture
def web_app(make_app, sink):
    """The web side on the test database, for a given Redis."""

    def build(redis_url: str, **overrides):
        return make_app(REDIS_URL=redis_url, **sink.config(), **JOB_CONFIG, **overrides)

    return build


class HoldingProxy:
    """A TCP relay in front of the SMTP sink. While held, it accepts connections and sends nothing either
    way, so a worker sending mail through it waits for the server's greeting, in the middle of its SMTP
    conversation; once released, held and new connections are relayed to the sink."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.released = threading.Event()
        self.accepted = threading.Semaphore(0)
        self.sockets: list[socket.socket] = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            self.accepted.release()
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        self.released.wait()
        if self.closed:
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
        except OSError:
            client.close()
            return
        self.sockets.append(upstream)
        threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()
        self._pipe(client, upstream)

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def wait_for_connection(self, timeout: float) -> None:
        assert self.accepted.acquire(timeout=timeout), f"no SMTP connection reached the relay in {timeout} s"

    def release(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.closed = True
        self.released.set()
        self.listener.close()
        for sock in self.sockets:
            sock.close()


@pytest.fixture
def proxy(sink):
    relay = HoldingProxy(sink.port)
    yield relay
    relay.close()


# ------------------------------------------------------------------------------------------ app reads


def _user(username):
    from app.extensions import db
    from app.models import User

    return db.session.scalar(db.select(User).where(User.username == username))


def read(app, fn):
    """Run ``fn()`` in a fresh app context (a fresh session: what the worker committed is seen)."""
    with app.app_context():
        return fn()


def outbox(app, kind=None):
    """[(id, kind, status, attempts, last_error, processed_at)] of the outbox, oldest first."""
    from app.extensions import db
    from app.models import OutboxMessage

    def rows():
        query = db.select(
            OutboxMessage.id,
            OutboxMessage.kind,
            OutboxMessage.status,
            OutboxMessage.attempts,
            OutboxMessage.last_error,
            OutboxMessage.processed_at,
        ).order_by(OutboxMessage.id)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        return [tuple(row) for row in db.session.execute(query)]

    return read(app, rows)


def all_done(app) -> bool:
    rows = outbox(app)
    return bool(rows) and all(row[2] == "done" for row in rows)


def notifications(app, username=None, kind=None):
    """[(username, kind, dedupe_key, params, human_task_id)] of the notifications, oldest first."""
    from app.extensions import db
    from app.models import Notification, User

    def rows():
        query = (
            db.select(
                User.username,
                Notification.kind,
                Notification.dedupe_key,
                Notification.params,
                Notification.human_task_id,
            )
            .join(User, User.id == Notification.user_id)
            .order_by(Notification.id)
        )
        if username:
            query = query.where(User.username == username)
        if kind:
            query = query.where(Notification.kind == kind)
        return [tuple(row) for row in db.session.execute(query)]

    return read(app, rows)


def prefer_email(api: ApiClient, username: str, *kinds: str) -> None:
    """The user's own choice, made through the API as they would make it."""
    response = api.client.put(
        "/api/v1/me/notification-preferences",
        json={"preferences": dict.fromkeys(kinds, "email")},
        headers=api.headers(username),
    )
    assert response.status_code == 200, response.get_json()


def add_officials(app, api, role: str, unit: str, count: int, prefix: str) -> list[str]:
    """``count`` more officials of ``role`` at ``unit``, with an address and e-mail chosen for new tasks."""
    from app.models import utcnow
    from app.services import accounts

    names = [f"{prefix}-{i}" for i in range(1, count + 1)]
    with app.app_context():
        for name in names:
            user = accounts.create_user(
                name, f"Cán bộ {name}", "matkhau123", email=f"{name}@example.org", actor=None, now=utcnow()
            )
            accounts.assign_role(user.id, role, unit, actor=None, now=utcnow())
    for name in names:
        api.token(name, "matkhau123")
        prefer_email(api, name, "task_opened")
    return names


def assert_each_once(messages) -> None:
    ids = [m.message["Message-ID"] for m in messages]
    assert len(ids) == len(set(ids)), f"a message arrived twice: {sorted(ids)}"


def _open_dossier_at(app, now, title="gia_dinh_hoc_tap", data=None):
    """demo-household opens a dossier and submits its first task with the clock at ``now`` (the service
    layer takes the time as a parameter, so the dossier honestly dates from then)."""
    from app.extensions import db
    from app.models import Subject
    from app.services.dossiers import open_dossier, submit_task
    from forms import MultiDict
    from tests.helpers import self_report

    with app.app_context():
        household = _user("demo-household")
        subject = db.session.scalar(db.select(Subject).where(Subject.account_id == household.id))
        dossier = open_dossier(subject, title, 2026, actor=household, now=now)
        task = next(t for t in dossier.tasks if t.state == "open")
        formdata = MultiDict()
        for key, value in (data or self_report(9)).items():
            formdata.add(key, str(value))
        submit_task(task.id, formdata, actor=household, now=now)
        return dossier.id


# ------------------------------------------------------------------------------------------ tests


def test_an_opened_task_reaches_the_officer_in_the_app_and_by_email(
    web_app, shared_redis, start_worker, sink
):
    app = web_app(shared_redis)
    api = ApiClient(app.test_client())
    prefer_email(api, "demo-commune", "task_opened")
    start_worker(shared_redis)

    # The household's self-report opens the commune's task.
    dossier_id = walk(api, to="commune_scoring")
    opened = time.monotonic()
    received = sink.wait_for(1, timeout=15)
    seconds = time.monotonic() - opened
    assert seconds < 5, f"the e-mail took {seconds:.1f} s"

    task = api.task_for("demo-commune", dossier_id, "commune_scoring")
    code = api.dossier("demo-commune", dossier_id)["code"]
    listing = api.get("demo-commune", "/notifications").get_json()
    assert listing["unread"] == 1
    [notice] = listing["items"]
    assert notice["kind"] == "task_opened" and code in notice["text"]
    assert notice["text"].startswith("Có công việc mới: Chấm điểm cấp xã")
    assert notice["url"].endswith(f"/tasks/{task['id']}")

    [mail] = received
    assert mail.rcpt_tos == ["demo-commune@example.org"]
    subject = str(mail.message["Subject"])
    assert subject.startswith("Có công việc mới: Chấm điểm cấp xã") and code in subject
    link = f"{PUBLIC_URL}/tasks/{task['id']}"
    assert "Kính gửi Cán bộ xã An Hòa," in mail.text
    assert f"Mở công việc: {link}" in mail.text
    assert f'href="{link}"' in mail.html
    assert "Chấm điểm cấp xã" in mail.html and code in mail.html
    assert mail.message["Message-ID"].endswith("@hoctap.example.vn>")
    # Nobody else chose e-mail for new tasks: one message in all.
    wait_until(lambda: all_done(app), 10, "every job done")
    assert len(sink.messages) == 1


def test_without_redis_people_log_in_and_work_and_every_notice_arrives_once_when_it_returns(
    web_app, own_redis, start_worker, sink
):
    # The login limiter counts in this Redis too: it must not turn a dead Redis into failed sign-ins.
    app = web_app(own_redis.url, RATELIMIT_ENABLED=True)
    api = ApiClient(app.test_client())
    district = ["demo-district", *add_officials(app, api, "district_officer", "DEMO-NK", 3, "can-bo-quan")]
    prefer_email(api, "demo-district", "task_opened")
    for name in ("demo-commune", "demo-household"):
        api.token(name)
    worker = start_worker(own_redis.url)
    dossier_id = walk(api, to="commune_scoring")
    wait_until(lambda: all_done(app), 15, "the jobs of the first steps ran while Redis was up")
    assert sink.messages == [], "nobody chose e-mail for the tasks opened so far"

    own_redis.stop()
    web = WebClient(app)
    refused = web.login("demo-commune", "sai-mat-khau")
    assert refused.status_code == 200 and "không đúng" in refused.get_data(as_text=True)
    signed_in = web.login("demo-commune")
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)[:500]
    assert web.get("/inbox").status_code == 200
    token = app.test_client().post(
        "/api/v1/auth/token", json={"username": "demo-city", "password": "demo1234"}
    )
    assert token.status_code == 200, token.get_json()
    bad = app.test_client().post("/api/v1/auth/token", json={"username": "demo-city", "password": "sai"})
    assert bad.status_code == 401, bad.get_json()

    done = api.complete("demo-commune", dossier_id, "commune_scoring", commune_accept(9))
    assert [t["name"] for t in done["current_tasks"]] == ["district_verification"]
    [job] = [row for row in outbox(app) if row[2] != "done"]
    # The worker lives on without Redis, ticking; what the step wrote stays pending, not lost or failed.
    ticks = worker.ticks()
    wait_until(
        lambda: worker.ticks() >= ticks + 2, 10 * TICK, "the worker ticks on without Redis", alive=[worker]
    )
    assert worker.proc.poll() is None
    [job] = [row for row in outbox(app) if row[2] != "done"]
    assert job[1:4] == ("task_opened", "pending", 0), "the step committed; its job waits for Redis"
    assert notifications(app, kind="task_opened", username="demo-district") == []

    own_redis.start()
    returned = time.monotonic()
    received = sink.wait_for(len(district), timeout=60)
    wait_until(
        lambda: all_done(app), 60 - (time.monotonic() - returned), "every job done after Redis returned"
    )
    seconds = time.monotonic() - returned
    # Two more periods: a late duplicate (a re-dispatch, a second run) would show up by then.
    ticks = worker.ticks()
    wait_until(lambda: worker.ticks() >= ticks + 2, 10 * TICK, "two more ticks", alive=[worker])

    task = api.task_for("demo-district", dossier_id, "district_verification")
    notices = [n for n in notifications(app, kind="task_opened") if n[4] == task["id"]]
    assert sorted(n[0] for n in notices) == sorted(district)
    assert len({(n[0], n[2]) for n in notices}) == len(notices)
    received = list(sink.messages)
    assert sorted(r for m in received for r in m.rcpt_tos) == sorted(
        f"{name}@example.org" for name in district
    )
    assert_each_once(received)
    print(f"all notices delivered {seconds:.1f} s after Redis returned")


def test_a_worker_killed_in_the_middle_of_sending_leaves_the_mail_to_the_next_one_which_sends_it_once(
    web_app, shared_redis, start_worker, sink, proxy
):
    app = web_app(shared_redis)
    api = ApiClient(app.test_client())
    prefer_email(api, "demo-commune", "task_opened")
    # Mail goes through the relay, which holds the connection: the worker waits for the greeting.
    through_relay = {"MAIL_PORT": proxy.port, "MAIL_TIMEOUT_SECONDS": 30}
    first = start_worker(shared_redis, **through_relay)
    walk(api, to="commune_scoring")
    proxy.wait_for_connection(timeout=20)
    [(email_id, _, status, attempts, _, _)] = outbox(app, "send_email")
    assert (status, attempts) == ("running", 1)
    first.kill()
    killed = time.monotonic()
    assert first.proc.returncode == -signal.SIGKILL
    proxy.release()
    assert sink.messages == [], "nothing was sent before the kill"

    second = start_worker(shared_redis, **through_relay)
    wait_until(lambda: sink.messages, LEASE + 20, "the e-mail sent by the new worker", alive=[second])
    [received] = sink.messages
    seconds = time.monotonic() - killed
    # The dead worker's lease had to run out first: the job was not run again while it might still be
    # running somewhere.
    assert seconds >= LEASE - 1, f"sent again {seconds:.1f} s after the kill, inside the lease"
    wait_until(lambda: outbox(app, "send_email")[0][2] == "done", 10, "the e-mail job is done")
    ticks = second.ticks()
    wait_until(lambda: second.ticks() >= ticks + 2, 10 * TICK, "two more ticks", alive=[second])
    assert received.rcpt_tos == ["demo-commune@example.org"]
    assert len(sink.messages) == 1
    [(row_id, _, status, attempts, _, _)] = outbox(app, "send_email")
    assert (row_id, status, attempts) == (email_id, "done", 2)


def test_two_workers_side_by_side_send_each_email_once(web_app, shared_redis, start_worker, sink):
    app = web_app(shared_redis)
    api = ApiClient(app.test_client())
    officers = ["demo-commune", *add_officials(app, api, "commune_officer", "DEMO-AH", 10, "can-bo-xa")]
    prefer_email(api, "demo-commune", "task_opened")
    workers = [start_worker(shared_redis), start_worker(shared_redis)]
    walk(api, to="commune_scoring")

    sink.wait_for(len(officers), timeout=30)
    wait_until(lambda: all_done(app), 15, "every job done")
    ticks = sum(w.ticks() for w in workers)
    wait_until(
        lambda: sum(w.ticks() for w in workers) >= ticks + 3, 10 * TICK, "three more ticks", alive=workers
    )

    received = list(sink.messages)
    assert sorted(r for m in received for r in m.rcpt_tos) == sorted(
        f"{name}@example.org" for name in officers
    )
    assert_each_once(received)
    emails = outbox(app, "send_email")
    assert len(emails) == len(officers)
    assert {(status, attempts) for _, _, status, attempts, _, _ in emails} == {("done", 1)}
    assert all(w.proc.poll() is None for w in workers)
    print("jobs run per worker:", [w.jobs_run() for w in workers])


def test_a_timer_due_before_the_worker_started_fires_at_its_first_tick(
    web_app, shared_redis, start_worker, sink
):
    from app.extensions import db
    from app.models import AuditEvent, Dossier, utcnow

    app = web_app(shared_redis)
    # Opened eleven days ago: the commune's ten-day reminder fell due yesterday, while no worker ran.
    opened = utcnow() - timedelta(days=11)
    dossier_id = _open_dossier_at(app, opened)
    due = read(app, lambda: db.session.get(Dossier, dossier_id).next_timer_at)
    assert abs(due - (opened + timedelta(days=10))) < timedelta(seconds=1)

    period = 15
    worker = start_worker(shared_redis, WORKER_TICK_SECONDS=period)
    reminders = wait_until(
        lambda: notifications(app, "demo-commune", "task_reminder"), period, "the reminder within one period"
    )
    seconds = time.monotonic() - worker.started
    assert len(reminders) == 1
    assert read(app, lambda: db.session.get(Dossier, dossier_id).next_timer_at) is None
    fired = read(
        app,
        lambda: db.session.scalar(
            db.select(db.func.count(AuditEvent.id)).where(
                AuditEvent.dossier_id == dossier_id, AuditEvent.action == "timer.fired"
            )
        ),
    )
    assert fired == 1
    print(f"timer fired {seconds:.1f} s after the worker was started (period {period} s)")


def test_an_overdue_task_notifies_the_unit_above_once_across_ticks_and_workers(
    web_app, shared_redis, start_worker, sink
):
    from app.extensions import db
    from app.models import AdminUnit, HumanTask, utcnow

    app = web_app(shared_redis)
    api = ApiClient(app.test_client())
    dossier_id = walk(api, to="commune_scoring")
    task_id = api.task_for("demo-commune", dossier_id, "commune_scoring")["id"]

    def make_late():
        db.session.get(HumanTask, task_id).due_at = utcnow() - timedelta(hours=1)
        db.session.commit()

    read(app, make_late)
    workers = [start_worker(shared_redis), start_worker(shared_redis)]
    wait_until(
        lambda: notifications(app, "demo-district", "task_overdue"),
        15,
        "the district is told of the late task",
    )
    ticks = sum(w.ticks() for w in workers)
    wait_until(
        lambda: sum(w.ticks() for w in workers) >= ticks + 3, 10 * TICK, "three more ticks", alive=workers
    )
    wait_until(lambda: all_done(app), 10, "every job done")

    district_unit = read(
        app, lambda: db.session.scalar(db.select(AdminUnit.id).where(AdminUnit.code == "DEMO-NK"))
    )
    [(_, _, key, params, notified_task)] = notifications(app, "demo-district", "task_overdue")
    assert (key, params["escalated_to"], notified_task) == (
        f"task_escalated:{task_id}",
        district_unit,
        task_id,
    )
    assert params["unit_name"] == "Phường An Hòa"
    [(_, _, key, params, _)] = notifications(app, "demo-commune", "task_overdue")
    assert key == f"task_overdue:{task_id}" and "escalated_to" not in params
    assert [row[2] for row in outbox(app, "task_overdue")] == ["done"]
    assert read(app, lambda: db.session.get(HumanTask, task_id).escalated_at) is not None

    # Officials hear of lateness by e-mail by default: each once.
    received = list(sink.messages)
    assert sorted(r for m in received for r in m.rcpt_tos) == [
        "demo-commune@example.org",
        "demo-district@example.org",
    ]
    [escalated] = sink.to("demo-district@example.org")
    assert str(escalated.message["Subject"]).startswith("Quá hạn ở Phường An Hòa: Chấm điểm cấp xã")
    assert f"{PUBLIC_URL}/dossiers/{dossier_id}" in escalated.text


def test_a_mail_the_server_always_refuses_becomes_an_incident_and_runs_again_when_retried(
    web_app, shared_redis, start_worker, sink
):
    from app.extensions import db
    from app.models import AuditEvent

    sink.refuse("demo-commune@example.org")
    app = web_app(shared_redis)
    api = ApiClient(app.test_client())
    prefer_email(api, "demo-commune", "task_opened")
    worker = start_worker(shared_redis)
    walk(api, to="commune_scoring")

    wait_until(
        lambda: outbox(app, "send_email")[-1:] and outbox(app, "send_email")[-1][2] == "failed",
        20,
        "the refused e-mail becomes an incident",
        alive=[worker],
    )
    [(email_id, _, status, attempts, error, _)] = outbox(app, "send_email")
    assert attempts == MAX_ATTEMPTS
    assert "550" in error
    assert sink.messages == []
    incidents = api.get("demo-admin", "/incidents").get_json()["items"]
    assert [(i["id"], i["kind"], i["attempts"]) for i in incidents] == [
        (email_id, "send_email", MAX_ATTEMPTS)
    ]

    # The mailbox is fixed; the admin runs the job again.
    sink.refused.clear()
    response = api.post("demo-admin", f"/incidents/{email_id}/retry")
    assert response.status_code == 200, response.get_json()
    wait_until(lambda: sink.messages, 15, "the retried e-mail at the sink", alive=[worker])
    [received] = sink.messages
    assert received.rcpt_tos == ["demo-commune@example.org"]
    wait_until(lambda: outbox(app, "send_email")[0][2:4] == ("done", 1), 10, "the retried job is done")
    retried = read(
        app,
        lambda: db.session.scalars(
            db.select(AuditEvent.action).where(AuditEvent.action == "job.retried")
        ).all(),
    )
    assert retried == ["job.retried"]
    assert api.get("demo-admin", "/incidents").get_json()["items"] == []


FAILING_TIMER = (
    '<bpmn:endEvent id="end_star" />'
    '<bpmn:boundaryEvent id="books_timer" attachedToRef="confirm_books" cancelActivity="false">'
    '<bpmn:timerEventDefinition><bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition>'
    "</bpmn:boundaryEvent>"
    '<bpmn:scriptTask id="broken_reminder" scriptFormat="python">'
    '<bpmn:script>raise ValueError("lỗi trong kịch bản nhắc việc")</bpmn:script></bpmn:scriptTask>'
    '<bpmn:endEvent id="end_reminded" />'
    '<bpmn:sequenceFlow id="flow_timer" sourceRef="books_timer" targetRef="broken_reminder" />'
    '<bpmn:sequenceFlow id="flow_reminded" sourceRef="broken_reminder" targetRef="end_reminded" />'
)


def test_a_timer_that_always_fails_becomes_an_incident_and_runs_again_when_retried(
    web_app, shared_redis, start_worker, sink
):
    from app.extensions import db
    from app.jobs import retry_incident
    from app.models import Dossier, utcnow
    from tests.integration.test_procedure_library_api import _with_bpmn, upload
    from tests.procedure_factory import TITLE

    app = web_app(shared_redis)
    api = ApiClient(app.test_client())
    # A procedure whose one-day reminder runs a script that raises, as a faulty upload would.
    deployed = upload(api, _with_bpmn('<bpmn:endEvent id="end_star" />', FAILING_TIMER))
    assert deployed.status_code == 201, deployed.get_json()
    dossier_id = _open_dossier_at(app, utcnow() - timedelta(days=2), title=TITLE, data={"books": 5})

    def dossier_state():
        dossier = db.session.get(Dossier, dossier_id)
        return dossier.state, dossier.row_version, dossier.next_timer_at

    before = read(app, dossier_state)
    assert before[2] is not None and before[2] < utcnow()

    worker = start_worker(shared_redis)
    wait_until(
        lambda: [r[2] for r in outbox(app, "fire_timer")] == ["failed"],
        20,
        "the timer becomes an incident",
        alive=[worker],
    )
    [(timer_id, _, _, attempts, error, failed_at)] = outbox(app, "fire_timer")
    assert attempts == MAX_ATTEMPTS
    assert "broken_reminder" in error and "lỗi trong kịch bản nhắc việc" in error, error
    # Still due, but not tried on every tick forever: the incident waits for an admin.
    ticks = worker.ticks()
    wait_until(lambda: worker.ticks() >= ticks + 2, 10 * TICK, "two more ticks", alive=[worker])
    assert [r[:4] for r in outbox(app, "fire_timer")] == [(timer_id, "fire_timer", "failed", MAX_ATTEMPTS)]
    assert read(app, dossier_state) == before, "a failed firing changes nothing"

    def retry():
        from app.models import User

        admin = db.session.scalar(db.select(User).where(User.username == "demo-admin"))
        retry_incident(timer_id, actor=admin, now=utcnow())

    read(app, retry)
    wait_until(
        lambda: (
            [(r[2], r[3], r[5] is not None and r[5] > failed_at) for r in outbox(app, "fire_timer")]
            == [("failed", MAX_ATTEMPTS, True)]
        ),
        20,
        "the retried timer runs its attempts again",
        alive=[worker],
    )
    assert read(app, dossier_state) == before


def test_a_worker_left_idle_stays_up_and_takes_the_next_job(web_app, shared_redis, start_worker, sink):
    # A deployment's worker waits for work far longer than any Redis command takes: waiting must not
    # read as a dead Redis.
    app = web_app(shared_redis)
    api = ApiClient(app.test_client())
    worker = start_worker(shared_redis)
    wait_until(
        lambda: worker.proc.poll() is not None or worker.ticks() >= 8, 20, "eight ticks of an idle worker"
    )
    assert worker.proc.poll() is None, f"the idle worker exited (code {worker.proc.returncode})"
    assert "quitting" not in worker.output()
    walk(api, to="commune_scoring")
    wait_until(
        lambda: notifications(app, "demo-commune", "task_opened"), 10, "the idle worker ran the new job"
    )
