"""Jobs through a real Redis and a real RQ worker; a dead Redis delays work but never drops it."""

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.helpers import walk

pytestmark = pytest.mark.redis


def _run_worker(app_config, redis_url):
    env = {
        **os.environ,
        "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
        "DATA_DIR": app_config["DATA_DIR"],
        "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret",
    }
    rq = [sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", redis_url, "hoctap"]
    done = subprocess.run(rq, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr


def _counts(app):
    from app.extensions import db
    from app.models import Notification, OutboxMessage

    with app.app_context():
        statuses = dict(
            db.session.execute(
                db.select(OutboxMessage.status, db.func.count()).group_by(OutboxMessage.status)
            ).all()
        )
        return statuses, db.session.scalar(db.select(db.func.count(Notification.id)))


@pytest.fixture
def redis_app(make_app, redis_server):
    from redis import Redis

    Redis.from_url(redis_server).flushdb()
    return make_app(REDIS_URL=redis_server)


def test_notifications_are_delivered_by_an_rq_worker_after_commit(redis_app, app_config, redis_server):
    from tests.helpers import ApiClient

    api = ApiClient(redis_app.test_client())
    walk(api, to="district_verification")
    statuses, notifications = _counts(redis_app)
    assert notifications == 0, "nothing runs in the web process when Redis is configured"
    assert statuses == {"pending": 3}

    _run_worker(app_config, redis_server)
    statuses, notifications = _counts(redis_app)
    assert statuses == {"done": 3}
    # Tasks already completed by the time the job runs are not announced: only the district's is open.
    assert notifications == 1


def test_a_dead_redis_delays_jobs_and_the_sweep_delivers_them(make_app, app_config, redis_server):
    from app.jobs import sweep_outbox
    from tests.helpers import ApiClient

    dead = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    api = ApiClient(dead.test_client())
    dossier_id = walk(api, to="commune_scoring")
    assert api.dossier("demo-household", dossier_id)["status"] == "in_progress", "the step itself committed"
    statuses, notifications = _counts(dead)
    assert statuses == {"pending": 2} and notifications == 0

    alive = make_app(REDIS_URL=redis_server)
    with alive.app_context():
        assert sweep_outbox() == 2
    _run_worker(app_config, redis_server)
    statuses, notifications = _counts(alive)
    assert statuses == {"done": 2} and notifications == 1


def test_a_job_delivered_twice_notifies_once(app_ctx):
    from app.extensions import db
    from app.jobs import process_outbox_message
    from app.models import Notification, OutboxMessage
    from tests.helpers import ApiClient

    api = ApiClient(app_ctx.test_client())
    walk(api, to="commune_scoring")
    message = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    before = db.session.scalar(db.select(db.func.count(Notification.id)))
    message.status = "pending"
    db.session.commit()
    process_outbox_message(message.id)
    assert db.session.scalar(db.select(db.func.count(Notification.id))) == before
