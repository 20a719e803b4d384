"""The production server as ``make run`` starts it: gunicorn with gunicorn.conf.py and wsgi:app, in its own
processes, two workers, on the test's own database (the demo loaded) and DATA_DIR; a whole two-tier family
dossier walks through the HTTP API over loopback."""

import http.client
import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.gunicorn_server import children, environment, free_port, serve, stop

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Http:
    """JSON over loopback with http.client, as any API client would; one bearer token per account."""

    def __init__(self, port: int):
        self.port = port
        self.tokens: dict[str, str] = {}

    def request(self, method: str, path: str, *, body=None, headers=None) -> tuple[int, dict]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            raw = response.read()
            if response.getheader("Content-Type", "").startswith("application/json"):
                return response.status, json.loads(raw)
            return response.status, {}
        finally:
            connection.close()

    def token(self, user: str) -> str:
        if user not in self.tokens:
            status, body = self.post_json(
                None, "/api/v1/auth/token", {"username": user, "password": "demo1234"}
            )
            assert status == 200, body
            self.tokens[user] = body["token"]
        return self.tokens[user]

    def _auth(self, user: str | None) -> dict:
        return {"Authorization": f"Bearer {self.token(user)}"} if user else {}

    def get(self, user: str, path: str) -> tuple[int, dict]:
        return self.request("GET", path, headers=self._auth(user))

    def post_json(self, user: str | None, path: str, data: dict) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json", **self._auth(user)}
        return self.request("POST", path, body=json.dumps(data).encode(), headers=headers)

    def upload(self, user: str, path: str, name: str, content: bytes) -> tuple[int, dict]:
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                f"Content-Type: application/pdf\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", **self._auth(user)}
        return self.request("POST", path, body=body, headers=headers)

    def complete(self, user: str, dossier_id: int, name: str, data: dict) -> dict:
        status, tasks = self.get(user, "/api/v1/tasks?per_page=200")
        assert status == 200, tasks
        task = next(t for t in tasks["items"] if t["dossier_id"] == dossier_id and t["name"] == name)
        status, body = self.post_json(user, f"/api/v1/tasks/{task['id']}/complete", {"data": data})
        assert status == 200, body
        return body


@pytest.fixture
def production_server(database_url, tmp_path):
    """gunicorn in its own processes (2 workers) on the test's database, as scripts/run starts it."""
    port = free_port()
    data_dir = tmp_path / "data"
    env = environment(
        DATABASE_URL=database_url,
        DATA_DIR=str(data_dir),
        REDIS_URL="",
        SECRET_KEY="test-secret",
        DEMO="1",
        WEB_WORKERS="2",
    )
    process = serve(env, port=port, log=tmp_path / "gunicorn.log")
    yield process, Http(port), data_dir
    stop(process)


def test_a_two_tier_family_dossier_goes_all_the_way_through_the_production_server(production_server):
    from tests.helpers import commune_accept, self_report

    process, http_, data_dir = production_server
    status, opened = http_.post_json(
        "demo-household-ck", "/api/v1/dossiers", {"title": "gia_dinh_hoc_tap", "year": 2026}
    )
    assert status == 201, opened
    dossier_id = opened["id"]

    http_.complete("demo-household-ck", dossier_id, "self_report", self_report(9))
    status, minutes = http_.upload(
        "demo-village-ck1", f"/api/v1/dossiers/{dossier_id}/evidence", "bien-ban.pdf", PDF
    )
    assert status == 201, minutes
    http_.complete(
        "demo-village-ck1",
        dossier_id,
        "village_review",
        {
            "decision": "propose",
            "meeting_date": "2026-11-20",
            "households_present": 41,
            "minutes": [minutes["id"]],
        },
    )
    http_.complete(
        "demo-commune-ck", dossier_id, "commune_scoring", {**commune_accept(9), "law_violation": False}
    )
    result = http_.complete(
        "demo-chairman-ck",
        dossier_id,
        "recognition_decision",
        {
            "decision": "approve",
            "decision_number": "125/QĐ-UBND",
            "decision_date": "2026-12-15",
            "signer": "Trần Văn Chủ tịch",
        },
    )
    assert result["status"] == "recognized" and result["score"] == 90

    status, dossier = http_.get("demo-household-ck", f"/api/v1/dossiers/{dossier_id}")
    assert status == 200 and dossier["status"] == "recognized"
    assert {e["action"] for e in dossier["history"]} >= {"dossier.opened", "dossier.recognized"}
    # The access log, in DATA_DIR as gunicorn.conf.py puts it, has every request of the walk.
    assert f"/api/v1/dossiers/{dossier_id}" in (data_dir / "access.log").read_text()


def test_the_production_server_runs_two_workers_that_both_answer(production_server):
    process, http_, data_dir = production_server
    # The master forks its workers one after the other; the first may answer before the second is up.
    deadline = time.monotonic() + 30
    while len(workers := children(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(workers) == 2, workers

    # Which worker takes a connection is up to the kernel; concurrent requests reach both soon enough.
    def answered_by() -> set[int]:
        return {int(pid) for pid in re.findall(r"pid=<(\d+)>", (data_dir / "access.log").read_text())}

    with ThreadPoolExecutor(8) as pool:
        for _ in range(50):
            if len(answered_by()) == 2:
                break
            list(pool.map(lambda _: http_.request("GET", "/login"), range(16)))
    assert answered_by() == workers
