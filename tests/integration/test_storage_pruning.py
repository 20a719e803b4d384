"""Finished work kept small (app/services/storage.py): a finished dossier's engine state is stored
deflated, delivered jobs and read notices are pruned after their retention, and nothing a user or an
auditor sees changes: the dossier page, its history and the audit log read the same before and after."""

import re
from datetime import timedelta

from sqlalchemy import select, update

from tests.helpers import walk

CSRF = re.compile(r'(name="csrf-token" content=|name="csrf_token"[^>]*value=)"[^"]+"')


def _views(api, web, dossier_id: int) -> dict:
    page = web.get(f"/dossiers/{dossier_id}")
    assert page.status_code == 200
    audit = api.get("demo-admin", "/audit", query_string={"per_page": 200})
    assert audit.status_code == 200, audit.get_json()
    return {
        # The page as HTML, without its CSRF token (fresh per session, not content).
        "page": CSRF.sub("", page.get_data(as_text=True)),
        "api": api.dossier("demo-household", dossier_id),
        "audit": [e for e in audit.get_json()["items"] if e["dossier_id"] == dossier_id],
    }


def _age_everything(days: int) -> None:
    """Move every delivered job and notice ``days`` into the past, and mark the notices read."""
    from app.extensions import db
    from app.models import Notification, OutboxMessage, utcnow

    then = utcnow() - timedelta(days=days)
    db.session.execute(update(OutboxMessage).where(OutboxMessage.status == "done").values(processed_at=then))
    db.session.execute(update(Notification).values(created_at=then, read_at=then))
    db.session.commit()


def test_a_finished_dossier_reads_the_same_after_compaction_and_pruning(app, api, web):
    from app.extensions import db
    from app.models import Dossier, Notification, OutboxMessage, utcnow
    from app.services.storage import compact_finished_states, prune_delivered
    from workflow.serialization import expand_state, is_compact

    dossier_id = walk(api, to="done")
    assert web.login("demo-household").status_code == 302
    with app.app_context():
        dossier = db.session.get(Dossier, dossier_id)
        assert dossier.status == "recognized" and is_compact(dossier.state)
        # A dossier finished before states were compacted on completion.
        version = dossier.row_version
        db.session.execute(
            update(Dossier.__table__)
            .where(Dossier.__table__.c.id == dossier_id)
            .values(state=expand_state(dossier.state))
        )
        db.session.commit()
        _age_everything(days=200)
        outbox_rows = db.session.scalar(select(db.func.count(OutboxMessage.id)))
        assert outbox_rows and db.session.scalar(select(db.func.count(Notification.id)))

    before = _views(api, web, dossier_id)
    with app.app_context():
        assert compact_finished_states() == 1
        pruned = prune_delivered(now=utcnow())
        assert pruned["outbox_deleted"] == outbox_rows and pruned["notifications_deleted"] > 0
        dossier = db.session.get(Dossier, dossier_id)
        assert is_compact(dossier.state) and dossier.row_version == version
    after = _views(api, web, dossier_id)

    assert after["api"] == before["api"]
    assert after["audit"] == before["audit"]
    assert after["page"] == before["page"]


def test_pruning_twice_deletes_nothing_more_and_the_job_is_planned_once_a_day(app_ctx, api):
    from app.extensions import db
    from app.jobs import tick
    from app.models import OutboxMessage, utcnow
    from app.services.storage import JOB, prune_delivered

    walk(api, to="done")
    _age_everything(days=200)
    now = utcnow()
    first = prune_delivered(now=now)
    assert first["outbox_deleted"] > 0
    assert prune_delivered(now=now) == {
        "outbox_deleted": 0,
        "notifications_deleted": 0,
        "states_compacted": 0,
    }

    assert tick(now=now)["pruning_planned"] == 1
    assert tick(now=now + timedelta(minutes=5))["pruning_planned"] == 0
    assert tick(now=now + timedelta(days=1))["pruning_planned"] == 1
    jobs = db.session.execute(select(OutboxMessage.status).where(OutboxMessage.kind == JOB)).scalars().all()
    assert jobs == ["done", "done"]  # in-process, each ran after its commit


def test_pruning_never_lets_a_deduplicated_job_be_written_again(app_ctx, api):
    from app.extensions import db
    from app.models import Dossier, Notification, OutboxMessage, User, utcnow
    from app.services.outbox import add_job
    from app.services.storage import prune_delivered
    from app.services.timers import plan_due_timers

    running = api.open_dossier()
    finished = walk(api, to="done", year=2025)
    now = utcnow()
    long_ago = now - timedelta(days=400)
    due = now - timedelta(days=2)
    db.session.execute(update(Dossier).where(Dossier.id == running).values(next_timer_at=due))
    household = db.session.scalar(select(User).where(User.username == "demo-household"))
    unread = Notification(user_id=household.id, kind="task_opened", params={}, dedupe_key="unread-old")
    unread.created_at = long_ago
    db.session.add(unread)
    keys = {
        # Still writable: the running dossier waits on that timer date; a key this code does not know.
        "kept": [f"timer:{running}:{due.isoformat()}", "documents:7:issued", "someday:1"],
        # Never written again: a finished dossier's timer, a past day's digest, an e-mail per notice.
        "gone": [f"timer:{finished}:{due.isoformat()}", "digest:1:2025-01-01", "email:12345", None],
    }
    for key in keys["kept"] + keys["gone"]:
        dossier_id = finished if key and key.startswith(f"timer:{finished}") else running
        job = add_job(
            "fire_timer", {"dossier_id": dossier_id}, at=long_ago, dedupe_key=key, dossier_id=dossier_id
        )
        job.status, job.processed_at = "done", long_ago
    failed = add_job("send_email", {"notification_id": 1}, at=long_ago)
    failed.status, failed.processed_at = "failed", long_ago
    db.session.commit()

    prune_delivered(now=now)

    left = set(
        db.session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.created_at == long_ago))
    )
    assert set(keys["kept"]) <= left and not (set(keys["gone"]) - {None}) & left
    assert db.session.get(OutboxMessage, failed.id).status == "failed"  # incidents stay
    assert db.session.get(Notification, unread.id) is not None  # unread notices stay
    for key in keys["kept"]:
        assert add_job("fire_timer", {}, at=now, dedupe_key=key) is None
    db.session.rollback()
    # The running dossier's due timer date is planned already: the tick adds no second firing.
    assert plan_due_timers(now=now) == 0


def test_a_compacted_finished_dossier_replays_and_refuses_migration_as_before(app_ctx, api):
    from app.extensions import db
    from app.models import Dossier
    from workflow.serialization import is_compact

    dossier_id = walk(api, to="done")
    assert is_compact(db.session.get(Dossier, dossier_id).state)
    replay = api.post(
        "demo-admin", "/procedures/gia_dinh_hoc_tap/versions/1/replay", json={"year": 2026, "limit": 10}
    )
    assert replay.status_code == 200, replay.get_json()
    assert replay.get_json()["replayed"] == 1 and replay.get_json()["changed"] == []
    moved = api.post("demo-admin", f"/dossiers/{dossier_id}/migrate", json={"to_version": 1, "dry_run": True})
    assert moved.status_code in (400, 409, 422), moved.get_json()
    assert "đã kết thúc" in str(moved.get_json())


def test_the_commands_compact_old_states_and_prune_now(app, api):
    import json

    from app.extensions import db
    from app.models import Dossier
    from workflow.serialization import expand_state, is_compact

    dossier_id = walk(api, to="done")
    with app.app_context():
        state = db.session.get(Dossier, dossier_id).state
        db.session.execute(update(Dossier).where(Dossier.id == dossier_id).values(state=expand_state(state)))
        db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "compact-states"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"states_compacted": 1}
    with app.app_context():
        assert db.session.get(Dossier, dossier_id).state == state and is_compact(state)
    result = runner.invoke(args=["jobs", "prune"])
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.output)) == {"outbox_deleted", "notifications_deleted", "states_compacted"}
