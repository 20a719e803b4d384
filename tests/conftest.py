"""Shared fixtures: a migrated, seeded database per test on SQLite (default) or PostgreSQL (--db=postgres)."""

import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The real SMTP server mail tests send to, as the ``smtp_sink`` fixture.
pytest_plugins = ["tests.smtp_sink"]


def pytest_addoption(parser):
    parser.addoption(
        "--db",
        default=os.environ.get("TEST_DB", "sqlite"),
        choices=("sqlite", "postgres"),
        help="database backend for the app tests",
    )
    parser.addoption(
        "--server",
        default=os.environ.get("TEST_SERVER", "werkzeug"),
        choices=("werkzeug", "gunicorn"),
        help="what serves the app to the browser tests: werkzeug in a thread, or gunicorn (gunicorn.conf.py, "
        "two workers) in its own processes",
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres_user(cmd: list[str]) -> list[str]:
    # initdb refuses to run as root; CI runs as root, developers usually do not.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    """A throwaway PostgreSQL cluster on loopback, removed at the end of the session."""
    base = Path(f"/tmp/hoctap-pg-{uuid.uuid4().hex[:8]}")
    data = base / "data"
    base.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    port = free_port()
    subprocess.run(
        _as_postgres_user(
            ["initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"]
        ),
        check=True,
        capture_output=True,
    )
    subprocess.run(
        _as_postgres_user(
            [
                "pg_ctl",
                "-D",
                str(data),
                "-l",
                str(base / "log"),
                "-w",
                "-o",
                f"-p {port} -k {base} -h 127.0.0.1 -c fsync=off -c full_page_writes=off",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    subprocess.run(
        _as_postgres_user(["pg_ctl", "-D", str(data), "-m", "immediate", "stop"]),
        capture_output=True,
        check=False,
    )
    shutil.rmtree(base, ignore_errors=True)


def _build_template(url: str, data_dir: Path) -> None:
    """Migrate with Alembic (the real migrations, not create_all) and load the demo."""
    from flask_migrate import upgrade

    from app import create_app
    from app.demo import seed_demo
    from app.models import utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DATA_DIR": str(data_dir), "REDIS_URL": ""})
    with app.app_context():
        upgrade()
        seed_demo(now=utcnow())
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(request, tmp_path_factory):
    backend = request.config.getoption("--db")
    data_dir = tmp_path_factory.mktemp("template-data")
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.sqlite"
        _build_template(f"sqlite:///{path}", data_dir)
        return {"backend": "sqlite", "path": path}
    server = request.getfixturevalue("postgres_server")
    import psycopg

    with psycopg.connect(f"{server.replace('+psycopg', '')}/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE hoctap_template")
    _build_template(f"{server}/hoctap_template", data_dir)
    return {"backend": "postgres", "server": server}


@pytest.fixture
def database_url(database_template, tmp_path):
    if database_template["backend"] == "sqlite":
        path = tmp_path / "hoctap.sqlite"
        shutil.copy(database_template["path"], path)
        yield f"sqlite:///{path}"
        return
    import psycopg

    server = database_template["server"]
    name = f"hoctap_{uuid.uuid4().hex[:12]}"
    admin = f"{server.replace('+psycopg', '')}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE hoctap_template')
    yield f"{server}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def app_config(database_url, tmp_path):
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "REDIS_URL": "",
        "SECRET_KEY": "test-secret",
        "TESTING": True,
        # Tests log in many times a minute from one address; test_login_is_rate_limited turns it on.
        "RATELIMIT_ENABLED": False,
    }


@pytest.fixture
def make_app(app_config):
    """Build apps on the test database (with config overrides); their connections close at teardown."""
    from app import create_app
    from app.extensions import db

    built = []

    def make(**overrides):
        built.append(create_app({**app_config, **overrides}))
        # What the app was built from, so a server in another process can build the same one.
        built[-1].test_overrides = {**app_config, **overrides}
        return built[-1]

    yield make
    for app in built:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(client):
    from tests.helpers import ApiClient

    return ApiClient(client)


@pytest.fixture
def web(app):
    from tests.helpers import WebClient

    return WebClient(app)


@pytest.fixture(scope="session")
def redis_server():
    """A real redis-server on a free loopback port."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (scripts/test installs it)")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    from redis import Redis

    deadline = time.monotonic() + 10
    while True:
        try:
            Redis.from_url(url).ping()
            break
        except Exception:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
