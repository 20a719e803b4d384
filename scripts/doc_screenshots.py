"""Screenshots for docs/procedures.md, taken from the demo app in Debian's Chromium with Playwright.

    .venv/bin/python scripts/doc_screenshots.py [--out docs/images]

Builds a throwaway demo (migrated SQLite database in a temporary folder, `seed_demo`), then sets the
scene an admin meets before changing a procedure: two finished 2026 dossiers of the four-level
procedure (one strong, one whose criterion 2 is above half but below 60 %), two dossiers still running
in 2027 (one at commune scoring, one at district verification), and a version 2 with criterion floors
raised to 60 % and the commune step renamed. The app is served on a loopback port and these pages are
captured at 1280 px wide:

- procedure-modeler-settings.png    the modeler's settings beside the diagram (lanes, tasks and forms)
- procedure-activate-control.png    a procedure's versions in the library, with the "Áp dụng…" control
- procedure-activate-confirm.png    the confirmation page activation asks first
- procedure-migrate-dry-run.png     moving running dossiers from version 1 to 2: the per-dossier dry run
- procedure-replay-report.png       version 2 replayed over the 2026 dossiers: which outcome changes, why

Nothing outside the temporary folder and the output folder is written.
"""

import argparse
import dataclasses
import json
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 900}
KEY = "gia_dinh_hoc_tap"
PASSWORD = "demo1234"  # noqa: S105  (the demo accounts' password, printed in the README)
ITEMS = ("c1a", "c1b", "c1c", "c2a", "c2b", "c2c", "c3a", "c3b", "c4a", "c4b")
RENAMED_STEP = "Chấm điểm và bình xét cấp xã"
MAX_BYTES = 200_000
NO_DNS = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
EDGES = "e => { const r = e.getBoundingClientRect(); return [r.top + scrollY, r.bottom + scrollY]; }"


def build_app(workdir: Path):
    from flask_migrate import upgrade

    from app import create_app
    from app.demo import seed_demo
    from app.models import utcnow

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'demo.sqlite'}",
            "DATA_DIR": str(workdir / "data"),
            "REDIS_URL": "",
            "SECRET_KEY": "doc-screenshots",
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        upgrade()
        seed_demo(now=utcnow())
    return app


class Api:
    """/api/v1 through the test client, as named demo accounts."""

    def __init__(self, app):
        self.client = app.test_client()
        self.tokens: dict[str, str] = {}

    def _headers(self, user: str) -> dict:
        if user not in self.tokens:
            response = self.client.post("/api/v1/auth/token", json={"username": user, "password": PASSWORD})
            self.tokens[user] = response.get_json()["token"]
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def call(self, method: str, user: str, path: str, expect: int = 200, **kwargs) -> dict:
        response = self.client.open(f"/api/v1{path}", method=method, headers=self._headers(user), **kwargs)
        if response.status_code != expect:
            raise RuntimeError(f"{method} {path} as {user}: {response.status_code} {response.get_data(True)}")
        return response.get_json()

    def open_dossier(self, user: str, year: int) -> int:
        body = {"title": KEY, "year": year}
        return self.call("POST", user, "/dossiers", expect=201, json=body)["id"]

    def complete(self, user: str, dossier_id: int, name: str, data: dict) -> dict:
        tasks = self.call("GET", user, "/tasks", query_string={"per_page": 200})["items"]
        task = next(t for t in tasks if t["dossier_id"] == dossier_id and t["name"] == name)
        return self.call("POST", user, f"/tasks/{task['id']}/complete", json={"data": data})


def walk(api: Api, household: str, commune: str, district: str, *, year: int, to: str | None, **points):
    """Open a dossier and complete its steps until ``to`` is open (to the end when None)."""
    scores = {item: points.get(item, 9) for item in ITEMS}
    steps = [
        ("self_report", household, dict(scores)),
        ("commune_scoring", commune, {"decision": "accept", **scores}),
        ("district_verification", district, {"decision": "approve"}),
        (
            "city_commendation",
            "demo-city",
            {
                "decision": "approve",
                "decision_number": "123/QĐ-HĐTĐKT",
                "decision_date": f"{year}-12-20",
                "signer": "Nguyễn Văn Chủ tịch",
            },
        ),
    ]
    dossier_id = api.open_dossier(household, year)
    for name, user, data in steps:
        if name == to:
            break
        api.complete(user, dossier_id, name, data)
    return dossier_id


def deploy_version_2(app) -> int:
    """The shipped four-level procedure with criterion floors at 60 % and the commune step renamed."""
    from app.models import utcnow
    from app.services.procedures import deploy_procedure
    from workflow import load_procedure_folder

    package = load_procedure_folder(ROOT / "bpmn" / KEY)
    form = json.loads(package.forms["commune_scoring"])
    form["scoring"]["criterion_floor_ratio"] = 0.6
    bpmn = package.bpmn["process.bpmn"].decode()
    old = 'id="commune_scoring" name="Chấm điểm cấp xã"'
    assert old in bpmn, "the shipped BPMN changed; update scripts/doc_screenshots.py"
    bpmn = bpmn.replace(old, f'id="commune_scoring" name="{RENAMED_STEP}"')
    manifest = json.loads(json.dumps(package.manifest))
    manifest["tasks"]["commune_scoring"]["label"]["vi"] = RENAMED_STEP
    changed = dataclasses.replace(
        package,
        manifest=manifest,
        bpmn={**package.bpmn, "process.bpmn": bpmn.encode()},
        forms={**package.forms, "commune_scoring": json.dumps(form, ensure_ascii=False).encode()},
    )
    with app.app_context():
        definition, created = deploy_procedure(changed, actor=None, now=utcnow())
        assert created
        return definition.version


def set_the_scene(app) -> int:
    api = Api(app)
    a = ("demo-household", "demo-commune", "demo-district")
    b = ("demo-household-b", "demo-commune-b", "demo-district-b")
    # 2026, finished: one strong family, one recognised with criterion 2 at 17 of 30 (above half).
    walk(api, *a, year=2026, to=None)
    walk(api, *b, year=2026, to=None, c2a=5, c2b=6, c2c=6, **{i: 10 for i in ITEMS if not i.startswith("c2")})
    # 2027, running: one waiting for the commune, one for the district.
    walk(api, *a, year=2027, to="commune_scoring")
    walk(api, *b, year=2027, to="district_verification")
    return deploy_version_2(app)


def serve(app):
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args):
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def capture(base_url: str, version: int, out: Path) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    shots: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            # No DNS: the pages load nothing but the loopback server (as in tests/browser/conftest.py).
            args=["--no-sandbox", "--disable-gpu", f"--host-resolver-rules={NO_DNS}"],
        )
        page = browser.new_context(base_url=base_url, viewport=VIEWPORT, locale="vi-VN").new_page()
        page.goto("/login")
        page.locator("#username").fill("demo-admin")
        page.locator("#password").fill(PASSWORD)
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("logout")).to_be_attached()

        def shoot(name: str, *parts, top=None) -> None:
            """The page at full width, from the top (or from the top of ``top``) to just below the last
            of ``parts``."""

            def edges(locator) -> tuple[float, float]:
                return locator.evaluate(EDGES)

            start = max(edges(top)[0] - 16, 0) if top is not None else 0
            bottom = max(edges(part)[1] for part in parts) + 16
            path = out / name
            page.screenshot(
                path=path,
                full_page=True,
                animations="disabled",
                clip={"x": 0, "y": start, "width": VIEWPORT["width"], "height": bottom - start},
            )
            shots.append(path)

        # Modelling: the settings the diagram cannot hold (lanes, end events, each task's form).
        page.goto(f"/admin/procedures/{KEY}/versions/1/edit")
        expect(page.locator("body[data-modeler-ready]")).to_be_attached()
        expect(page.get_by_test_id("lane-row")).to_have_count(4)
        # The diagram above is cut off; the three cards beside it (not the package's file list) are shown.
        settings = page.locator("#settings > div")
        shoot("procedure-modeler-settings.png", *(settings.nth(i) for i in range(3)), top=settings.first)

        # Activation: the versions of one procedure, each with its "Áp dụng…" control, then the question.
        page.goto(f"/admin/procedures/{KEY}")
        latest = page.locator(f'[data-testid="version"][data-version="{version}"]')
        latest.get_by_test_id("activate-scope").select_option("DEMO-CT")
        shoot("procedure-activate-control.png", page.locator("main ul.list-group"))
        latest.get_by_test_id("activate").click()
        expect(page.get_by_test_id("activate-question")).to_be_visible()
        shoot("procedure-activate-confirm.png", page.get_by_test_id("activate-confirm"))

        # Migration: the dry run of moving every running dossier of version 1.
        page.goto(f"/admin/procedures/{KEY}")
        page.locator(f'[data-testid="version"][data-version="{version}"]').get_by_test_id("migrate").click()
        expect(page.get_by_test_id("migrate-plan")).to_be_visible()
        shoot("procedure-migrate-dry-run.png", page.get_by_test_id("confirm-migrate"))

        # What-if: the 2026 dossiers replayed through version 2.
        page.goto(f"/admin/procedures/{KEY}")
        page.locator(f'[data-testid="version"][data-version="{version}"]').get_by_test_id("replay").click()
        page.locator("#year").fill("2026")
        page.get_by_test_id("run-replay").click()
        expect(page.get_by_test_id("replay-summary")).to_be_visible()
        shoot("procedure-replay-report.png", page.get_by_test_id("replay-changes"))
        browser.close()
    return shots


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hoctap-doc-") as tmp:
        app = build_app(Path(tmp))
        version = set_the_scene(app)
        server, base_url = serve(app)
        try:
            shots = capture(base_url, version, args.out)
        finally:
            server.shutdown()
            server.server_close()
    too_big = []
    for path in shots:
        size = path.stat().st_size
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {size // 1024} kB")
        if size > MAX_BYTES:
            too_big.append(path.name)
    if too_big:
        print(f"over {MAX_BYTES // 1000} kB: {', '.join(too_big)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
