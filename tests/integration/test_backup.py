"""Backup and restore (``flask backup``): a backup taken mid-run restores whole into an empty system; a
damaged backup, or a target that is not empty, is refused and nothing changes."""

import hashlib
import io
import json
import shutil
import uuid
from pathlib import Path

import pytest

from tests.factories import png_bytes
from tests.helpers import ApiClient, WebClient, city, commune_accept, commune_return, district, self_report


def png(tag: bytes = b"") -> bytes:
    """A PNG the upload checks accept; ``tag`` (after the image end) makes another file of it."""
    return png_bytes() + tag


@pytest.fixture
def run_backup(database_template):
    """``flask backup ...`` on an app; on PostgreSQL with the tools of the test cluster."""
    env = {}
    if database_template["backend"] == "postgres":
        # The binaries of the cluster the tests run (conftest finds initdb on PATH), not whichever
        # pg_dump the PATH offers first.
        env["PG_BIN_DIR"] = str(Path(shutil.which("initdb")).resolve().parent)

    def run(app, *args):
        return app.test_cli_runner().invoke(args=["backup", *map(str, args)], env=env)

    return run


@pytest.fixture
def empty_database_url(database_template, tmp_path):
    """A new, empty database beside the test database: on SQLite a new file inside the new data folder
    (the default layout), on PostgreSQL a new database in the same cluster."""
    if database_template["backend"] == "sqlite":
        (tmp_path / "restored").mkdir()
        yield f"sqlite:///{tmp_path / 'restored' / 'hoctap.sqlite'}"
        return
    import psycopg

    server = database_template["server"]
    name = f"hoctap_restore_{uuid.uuid4().hex[:12]}"
    admin = f"{server.replace('+psycopg', '')}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{server}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def restored_app(make_app, empty_database_url, tmp_path):
    return make_app(SQLALCHEMY_DATABASE_URI=empty_database_url, DATA_DIR=str(tmp_path / "restored"))


def upload(api, username, dossier_id, content, name):
    response = api.post(
        username, f"/dossiers/{dossier_id}/evidence", data={"file": (io.BytesIO(content), name)}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def mid_run(api) -> dict[str, tuple[str, int]]:
    """Dossiers at several points, each with evidence (one file in two dossiers, so stored once): one
    recognized, one returned to its household, one being scored. Name → (an account that sees it, id)."""
    recognized = api.open_dossier()
    upload(api, "demo-household", recognized, png(), "goc-hoc-tap.png")
    for user, step, data in (
        ("demo-household", "self_report", self_report(9)),
        ("demo-commune", "commune_scoring", commune_accept(9)),
        ("demo-district", "district_verification", district("approve")),
        ("demo-city", "city_commendation", city()),
    ):
        api.complete(user, recognized, step, data)

    returned = api.open_dossier("demo-household-b")
    upload(api, "demo-household-b", returned, png(b"hoc-ba"), "hoc-ba.png")
    upload(api, "demo-household-b", returned, png(), "cung-anh.png")
    api.complete("demo-household-b", returned, "self_report", self_report(9))
    api.complete("demo-commune-b", returned, "commune_scoring", commune_return("Thiếu giấy khen"))

    scoring = api.open_dossier(year=2027)
    upload(api, "demo-household", scoring, png(b"2027"), "thu-vien-2027.png")
    api.complete("demo-household", scoring, "self_report", self_report(10))
    upload(api, "demo-commune", scoring, png(b"bien-ban"), "bien-ban-xa.png")
    return {
        "recognized": ("demo-household", recognized),
        "returned": ("demo-household-b", returned),
        "scoring": ("demo-commune", scoring),
    }


def system_state(app) -> dict:
    """Everything the restore must bring back, read from the app's database and data folder."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import AuditEvent, Dossier, EvidenceFile, HumanTask, Submission
    from app.services.evidence import blob_path

    def rows(model, *columns):
        return [
            tuple(getattr(row, column) for column in columns)
            for row in db.session.scalars(select(model).order_by(model.id))
        ]

    with app.app_context():
        evidence = rows(EvidenceFile, *"id dossier_id criterion sha256 size mime_type original_name".split())
        state = {
            "dossiers": rows(
                Dossier,
                *"id code status status_reason current_step self_score score rating row_version".split(),
                *"completed_at state".split(),
            ),
            "tasks": rows(
                HumanTask, *"id dossier_id name state claimed_by_id completed_by_id completed_at".split()
            ),
            "submissions": rows(Submission, *"id human_task_id task_name data score actor_id".split()),
            "audit": rows(
                AuditEvent, *"id at actor_id action dossier_id object_type object_id details".split()
            ),
            "evidence": evidence,
            "blobs": {
                sha: hashlib.sha256(blob_path(sha).read_bytes()).hexdigest()
                for _id, _d, _c, sha, *_ in evidence
            },
        }
        db.session.remove()
    return state


def test_a_backup_taken_mid_run_restores_into_an_empty_system(app, api, restored_app, run_backup, tmp_path):
    dossiers = mid_run(api)
    histories = {name: api.dossier(*seen_by) for name, seen_by in dossiers.items()}
    before = system_state(app)
    data_dir = Path(app.config["DATA_DIR"])
    # A key file and a log in the data folder: neither belongs in a backup.
    (data_dir / "secret_key").write_text("not-for-backups")
    (data_dir / "worker.log").write_text("log")
    # Files still being written into a blob folder belong to no row yet and stay out; a stored registry
    # import (the file an import's report and errors refer to) goes in.
    for folder in ("evidence", "documents", "imports"):
        (data_dir / folder / "ab").mkdir(parents=True, exist_ok=True)
        (data_dir / folder / "ab" / ".upload.part").write_bytes(b"half")
    with app.app_context():
        from app.services.blobs import store_blob

        imported = store_blob("imports", "ma_ho,chu_ho\nHO-1,Nguyễn Văn A\n".encode())

    created = run_backup(app, "create", tmp_path / "backup")
    assert created.exit_code == 0, created.output
    # The run goes on after the backup; none of this may come back with the restore.
    api.complete("demo-commune", dossiers["scoring"][1], "commune_scoring", commune_accept(9))
    upload(api, "demo-household-b", dossiers["returned"][1], png(b"later"), "sau.png")

    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    kind = "sqlite" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else "postgresql"
    assert manifest["database"]["kind"] == kind
    assert manifest["created_at"].endswith("Z")
    assert manifest["row_counts"]["dossier"] == 3
    assert manifest["row_counts"]["evidence_file"] == len(before["evidence"]) == 5
    assert manifest["missing_evidence"] == manifest["damaged_evidence"] == []
    paths = {entry["path"] for entry in manifest["files"]}
    assert {f"data/evidence/{sha[:2]}/{sha}" for sha in before["blobs"]} <= paths
    assert len(before["blobs"]) == 4, "the shared file is stored once"
    assert not any(path.endswith(("secret_key", ".log", ".sqlite-wal", ".part")) for path in paths)
    assert f"data/imports/{imported[:2]}/{imported}" in paths
    assert [path for path in paths if not path.startswith("data/")] == [manifest["database"]["file"]]
    verified = run_backup(app, "verify", tmp_path / "backup")
    assert verified.exit_code == 0 and f"{len(manifest['files'])} tệp" in verified.output, verified.output

    restored = run_backup(restored_app, "restore", tmp_path / "backup")
    assert restored.exit_code == 0, restored.output

    after = system_state(restored_app)
    restore_events = [event for event in after["audit"] if event[3] == "backup.restored"]
    assert len(restore_events) == 1 and restore_events[0][7]["created_at"] == manifest["created_at"]
    after["audit"] = [event for event in after["audit"] if event[3] != "backup.restored"]
    assert after == before
    assert all(sha == content for sha, content in after["blobs"].items())
    # A backup of the restored system holds the same rows (and the restore's audit event) and the same
    # files; on SQLite its database lives inside its data folder and stays out of the file list.
    again = run_backup(restored_app, "create", tmp_path / "again")
    assert again.exit_code == 0, again.output
    manifest_again = json.loads((tmp_path / "again" / "manifest.json").read_text())
    assert {entry["path"] for entry in manifest_again["files"]} == paths
    counts = manifest["row_counts"]
    assert manifest_again["row_counts"] == {**counts, "audit_event": counts["audit_event"] + 1}

    # The restored system shows the same dossiers and histories, and serves the same evidence bytes.
    restored_api = ApiClient(restored_app.test_client())
    for name, seen_by in dossiers.items():
        assert restored_api.dossier(*seen_by) == histories[name]
    web = WebClient(restored_app)
    web.login("demo-admin")
    for evidence_id, _dossier, _criterion, sha, *_rest in after["evidence"]:
        response = web.get(f"/evidence/{evidence_id}")
        assert response.status_code == 200
        assert hashlib.sha256(response.data).hexdigest() == sha
        response.close()


def test_a_restore_ends_every_session_and_token_the_backup_holds(
    app, api, restored_app, run_backup, tmp_path
):
    """Signed in and holding a token when the backup was taken: the cookie and the token would work again
    in the restored system even if they had been ended since, so the restore ends them all; a new sign-in
    and a new token work."""
    web = WebClient(app)
    web.login("demo-commune")
    assert web.get("/inbox").status_code == 200
    token = api.token("demo-commune")
    created = run_backup(app, "create", tmp_path / "backup")
    assert created.exit_code == 0, created.output

    restored = run_backup(restored_app, "restore", tmp_path / "backup")
    assert restored.exit_code == 0, restored.output
    assert "Đã kết thúc 1 phiên đăng nhập và thu hồi 1 mã API" in restored.output

    cookie_name = app.config["SESSION_COOKIE_NAME"]
    browser = restored_app.test_client()
    browser.set_cookie(cookie_name, web.client.get_cookie(cookie_name).value)
    assert browser.get("/inbox").status_code == 302
    old_token = ApiClient(restored_app.test_client())
    old_token.tokens["demo-commune"] = token
    assert old_token.get("demo-commune", "/tasks").status_code == 401

    with restored_app.app_context():
        from sqlalchemy import select

        from app.extensions import db
        from app.models import AuditEvent

        details = db.session.scalar(select(AuditEvent.details).where(AuditEvent.action == "backup.restored"))
        db.session.remove()
    assert details["sessions_ended"] == 1 and details["tokens_revoked"] == 1
    again = WebClient(restored_app)
    again.login("demo-commune")
    assert again.get("/inbox").status_code == 200
    assert ApiClient(restored_app.test_client()).get("demo-commune", "/tasks").status_code == 200


def _one_dossier_backup(api, app, run_backup, path):
    dossier_id = api.open_dossier()
    upload(api, "demo-household", dossier_id, png(), "goc-hoc-tap.png")
    result = run_backup(app, "create", path)
    assert result.exit_code == 0, result.output
    return json.loads((path / "manifest.json").read_text())


def _is_empty(app) -> bool:
    from sqlalchemy import inspect

    from app.extensions import db

    with app.app_context():
        tables = inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()
    data_dir = Path(app.config["DATA_DIR"])
    files = [
        path for path in data_dir.rglob("*") if path.is_file() and not path.name.startswith("hoctap.sqlite")
    ]
    return tables == [] and files == []


@pytest.mark.parametrize("tampered", ["database", "evidence"])
def test_a_tampered_backup_is_refused_and_changes_nothing(
    app, api, restored_app, run_backup, tmp_path, tampered
):
    manifest = _one_dossier_backup(api, app, run_backup, tmp_path / "backup")
    name = next(
        entry["path"]
        for entry in manifest["files"]
        if entry["path"].startswith("data/evidence/" if tampered == "evidence" else "database.")
    )
    with (tmp_path / "backup" / name).open("ab") as handle:
        handle.write(b"\0")

    verified = run_backup(app, "verify", tmp_path / "backup")
    assert verified.exit_code != 0 and name in verified.output and "sha256" in verified.output

    restored = run_backup(restored_app, "restore", tmp_path / "backup")
    assert restored.exit_code != 0
    assert "bị hỏng hoặc đã bị sửa" in restored.output and name in restored.output
    assert _is_empty(restored_app)


def test_restore_is_refused_unless_database_and_data_folder_are_empty(
    app, api, restored_app, run_backup, tmp_path
):
    _one_dossier_backup(api, app, run_backup, tmp_path / "backup")
    before = system_state(app)

    into_live = run_backup(app, "restore", tmp_path / "backup")
    assert into_live.exit_code != 0
    assert "Cơ sở dữ liệu đích đã có dữ liệu" in into_live.output and "admin_unit" in into_live.output
    assert system_state(app) == before

    # An empty database but a data folder that holds files: refused too, and the database stays empty.
    stray = Path(restored_app.config["DATA_DIR"]) / "evidence" / "ab" / ("ab" + "0" * 62)
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"old")
    into_used_folder = run_backup(restored_app, "restore", tmp_path / "backup")
    assert into_used_folder.exit_code != 0
    assert "Thư mục dữ liệu" in into_used_folder.output and stray.name in into_used_folder.output
    stray.unlink()
    assert _is_empty(restored_app)

    # A backup made by newer code (a schema revision this code does not know) is refused as well.
    manifest_path = tmp_path / "backup" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["database"]["alembic_revision"] = "f00000000000"
    manifest_path.write_text(json.dumps(manifest))
    from_newer_code = run_backup(restored_app, "restore", tmp_path / "backup")
    assert from_newer_code.exit_code != 0 and "f00000000000" in from_newer_code.output
    assert _is_empty(restored_app)


def test_a_backup_names_the_evidence_it_could_not_keep_and_fails_loudly(app, api, run_backup):
    from app.services.evidence import blob_path

    dossier_id = api.open_dossier()
    gone = upload(api, "demo-household", dossier_id, png(), "goc-hoc-tap.png")["sha256"]
    changed = upload(api, "demo-household", dossier_id, png(b"hoc-ba"), "hoc-ba.png")["sha256"]
    with app.app_context():
        blob_path(gone).unlink()
        blob_path(changed).write_bytes(b"changed on disk")
    backups = Path(app.config["DATA_DIR"]) / "backups"
    (backups / "older").mkdir(parents=True)
    (backups / "older" / "manifest.json").write_text("{}")

    result = run_backup(app, "create")
    assert result.exit_code != 0
    assert "1 tệp minh chứng hồ sơ cần mà không còn, 1 tệp minh chứng không khớp sha256" in result.output
    # Still written, under DATA_DIR/backups/<UTC time>, without the older backups in it.
    (written,) = [path for path in backups.iterdir() if path.name != "older"]
    manifest = json.loads((written / "manifest.json").read_text())
    assert manifest["missing_evidence"] == [gone] and manifest["damaged_evidence"] == [changed]
    assert [entry["path"] for entry in manifest["files"]] == [
        manifest["database"]["file"],
        f"data/evidence/{changed[:2]}/{changed}",
    ]
    assert run_backup(app, "verify", written).exit_code == 0
