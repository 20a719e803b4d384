"""Demo and production starts: ``DEMO=0`` needs ``SECRET_KEY`` from the environment and loads no demo data;
a demo start keeps a random key of its own in ``DATA_DIR/secret_key``."""

import stat

import pytest

from app import create_app
from app.config import MissingSecretKey


@pytest.fixture
def bare_config(tmp_path, monkeypatch):
    """What a start reads besides the environment: a data folder and an (unused) database."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DEMO", raising=False)
    data = tmp_path / "data"
    return {
        "DATA_DIR": str(data),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data / 'x.sqlite'}",
        "REDIS_URL": "",
    }


def test_a_production_start_without_secret_key_refuses_clearly(bare_config, monkeypatch, tmp_path):
    monkeypatch.setenv("DEMO", "0")
    with pytest.raises(MissingSecretKey) as refused:
        create_app(bare_config)
    assert "DEMO=0" in str(refused.value) and "SECRET_KEY" in str(refused.value)
    assert not (tmp_path / "data" / "secret_key").exists()


@pytest.mark.parametrize("spelling", ["0", "false", "Off"])
def test_a_production_start_with_secret_key_runs_on_it(bare_config, monkeypatch, tmp_path, spelling):
    monkeypatch.setenv("DEMO", spelling)
    monkeypatch.setenv("SECRET_KEY", "a-managed-production-secret")
    app = create_app(bare_config)
    assert app.config["DEMO"] is False
    assert app.config["SECRET_KEY"] == "a-managed-production-secret"
    assert not (tmp_path / "data" / "secret_key").exists()


def test_a_demo_start_keeps_one_random_key_in_the_data_folder(bare_config, tmp_path):
    first = create_app(bare_config)
    stored = tmp_path / "data" / "secret_key"
    assert first.config["DEMO"] is True
    assert first.config["SECRET_KEY"] == stored.read_text().strip() and len(first.config["SECRET_KEY"]) == 64
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert create_app(bare_config).config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_seed_demo_refuses_in_production_mode(make_app):
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import User

    app = make_app(DEMO=False)
    with app.app_context():
        users = db.session.scalar(select(func.count()).select_from(User))
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "DEMO=0" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == users
