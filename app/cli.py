"""Command-line operations: ``flask --app wsgi <group> <command>``."""

import json
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import User, utcnow
from app.services import accounts
from app.services.errors import ServiceError
from app.services.uow import commit

users_cli = AppGroup("users", help="Tài khoản người dùng (accounts).")
units_cli = AppGroup("units", help="Đơn vị hành chính (administrative units).")
procedures_cli = AppGroup("procedures", help="Quy trình BPMN (procedures).")
forms_cli = AppGroup("forms", help="Bộ tiêu chí, biểu mẫu (forms).")
jobs_cli = AppGroup("jobs", help="Xử lý nền (background jobs).")
backup_cli = AppGroup("backup", help="Sao lưu và khôi phục (backup and restore).")


def _user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username.lower()))
    if user is None:
        raise click.ClickException(f"Không tìm thấy người dùng {username}")
    return user


def _run(operation):
    try:
        return operation()
    except ServiceError as exc:
        details = getattr(exc, "errors", None)
        raise click.ClickException(
            f"{exc.message} {json.dumps(details, ensure_ascii=False) if details else ''}"
        ) from exc


@users_cli.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Họ và tên")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--email")
def users_create(username, full_name, password, email):
    user = _run(
        lambda: accounts.create_user(username, full_name, password, email=email, actor=None, now=utcnow())
    )
    click.echo(f"Đã tạo {user.username} (id {user.id})")


@users_cli.command("deactivate")
@click.argument("username")
def users_deactivate(username):
    _run(lambda: accounts.set_active(_user(username).id, False, actor=None, now=utcnow()))
    click.echo(f"Đã khóa {username}")


@users_cli.command("activate")
@click.argument("username")
def users_activate(username):
    _run(lambda: accounts.set_active(_user(username).id, True, actor=None, now=utcnow()))
    click.echo(f"Đã mở khóa {username}")


@users_cli.command("reset-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def users_reset_password(username, password):
    _run(lambda: accounts.reset_password(_user(username).id, password, actor=None, now=utcnow()))
    click.echo(f"Đã đặt lại mật khẩu cho {username}")


@users_cli.command("assign-role")
@click.argument("username")
@click.argument("role")
@click.argument("unit_code")
def users_assign_role(username, role, unit_code):
    _run(lambda: accounts.assign_role(_user(username).id, role, unit_code, actor=None, now=utcnow()))
    click.echo(f"{username}: {role} @ {unit_code}")


@users_cli.command("list")
def users_list():
    for user in db.session.scalars(select(User).order_by(User.username)):
        roles = ", ".join(f"{r.role}@{r.unit.code}" for r in user.roles)
        click.echo(
            f"{user.username:20} {'active' if user.active else 'INACTIVE':8} {user.full_name} [{roles}]"
        )


@units_cli.command("import")
@click.option("--province", type=int, help="Chỉ nhập một tỉnh (mã thống kê, ví dụ 92)")
def units_import(province):
    from app.services.units import import_official_units

    result = import_official_units(province_code=province)
    commit()
    click.echo(f"Đã nhập {result['provinces']} tỉnh/thành và {result['communes']} xã/phường/đặc khu.")


@procedures_cli.command("deploy")
@click.argument("path", required=False)
def procedures_deploy(path):
    """Deploy the shipped procedures (or the one folder at PATH)."""
    from app.services.procedures import deploy_procedure, deploy_shipped
    from workflow import ProcedureError, load_procedure_folder

    try:
        results = (
            [deploy_procedure(load_procedure_folder(path), actor=None, now=utcnow())]
            if path
            else deploy_shipped(actor=None, now=utcnow())
        )
    except ProcedureError as exc:
        raise click.ClickException("\n".join(exc.errors)) from exc
    for definition, created in results:
        state = "đã triển khai" if created else "không đổi"
        click.echo(f"{definition.key} v{definition.version} ({definition.sha256[:12]}): {state}")


@forms_cli.command("publish")
def forms_publish():
    """Publish the shipped criteria sets (CRITERIA_DIR) as library forms; unchanged ones are kept."""
    from app.services.errors import ServiceError
    from app.services.forms import publish_shipped

    try:
        results = publish_shipped(actor=None, now=utcnow())
    except ServiceError as exc:
        raise click.ClickException(exc.message or str(exc)) from exc
    for version, created in results:
        state = "đã xuất bản" if created else "không đổi"
        click.echo(f"{version.form_definition.key} v{version.version}: {state}")


@jobs_cli.command("tick")
def jobs_tick():
    """Run the periodic work once: due timers, escalation, digests, stranded jobs."""
    from app.jobs import tick

    click.echo(json.dumps(tick()))


@jobs_cli.command("compact-states")
def jobs_compact_states():
    """Deflate the stored engine state of every finished dossier not yet compact (once, after upgrading)."""
    from app.services.storage import compact_finished_states

    click.echo(json.dumps({"states_compacted": compact_finished_states()}))


@jobs_cli.command("prune")
def jobs_prune():
    """Run the daily pruning now: delivered jobs and read notices past their retention."""
    from app.services.storage import prune_delivered

    click.echo(json.dumps(prune_delivered(now=utcnow())))


pg_bin_dir_option = click.option(
    "--pg-bin-dir",
    envvar="PG_BIN_DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Thư mục có pg_dump/pg_restore (mặc định: tìm trong PATH)",
)


@backup_cli.command("create")
@click.argument("destination", required=False, type=click.Path(path_type=Path))
@pg_bin_dir_option
def backup_create(destination, pg_bin_dir):
    """Snapshot the database and the data folder into DESTINATION (default DATA_DIR/backups/<UTC time>)."""
    from app.services import backup

    now = utcnow()
    data_dir = current_app.config["DATA_DIR"]
    target = destination or backup.default_destination(data_dir, now)
    manifest = _run(
        lambda: backup.create_backup(
            current_app.config["SQLALCHEMY_DATABASE_URI"], data_dir, target, now=now, pg_bin_dir=pg_bin_dir
        )
    )
    click.echo(_("Đã sao lưu vào %(path)s (%(files)s tệp).", path=target, files=len(manifest["files"])))
    missing, damaged = manifest["missing_evidence"], manifest["damaged_evidence"]
    if missing or damaged:
        # The backup is kept (it is the best copy there is), but a scheduled run must not pass as fine.
        raise click.ClickException(
            _(
                "Dữ liệu đang chạy có lỗi: %(missing)s tệp minh chứng hồ sơ cần mà không còn, %(damaged)s "
                "tệp minh chứng không khớp sha256 (danh sách trong manifest.json).",
                missing=len(missing),
                damaged=len(damaged),
            )
        )


@backup_cli.command("verify")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
def backup_verify(source):
    """Check every file of the backup at SOURCE against the sha256 sums of its manifest."""
    from app.services import backup

    manifest = _run(lambda: backup.verify_backup(source))
    click.echo(
        _(
            "Bản sao lưu %(path)s nguyên vẹn: %(files)s tệp khớp sha256 (tạo lúc %(created)s).",
            path=source,
            files=len(manifest["files"]),
            created=manifest["created_at"],
        )
    )


@backup_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@pg_bin_dir_option
def backup_restore(source, pg_bin_dir):
    """Restore the backup at SOURCE into the configured database and DATA_DIR, both empty."""
    from app.services import backup

    revisions = backup.schema_revisions(current_app.extensions["migrate"].directory)
    manifest = _run(
        lambda: backup.restore_backup(
            source,
            current_app.config["SQLALCHEMY_DATABASE_URI"],
            current_app.config["DATA_DIR"],
            known_revisions=revisions,
            pg_bin_dir=pg_bin_dir,
        )
    )
    ended = backup.record_restore(manifest, source, now=utcnow())
    click.echo(
        _(
            "Đã khôi phục bản sao lưu tạo lúc %(created)s (%(files)s tệp) vào %(path)s và cơ sở dữ liệu.",
            created=manifest["created_at"],
            files=len(manifest["files"]),
            path=current_app.config["DATA_DIR"],
        )
    )
    click.echo(
        _(
            "Đã kết thúc %(sessions)s phiên đăng nhập và thu hồi %(tokens)s mã API có trong bản sao lưu: mọi "
            "người đăng nhập lại, các hệ thống kết nối xin mã API mới.",
            sessions=ended["sessions_ended"],
            tokens=ended["tokens_revoked"],
        )
    )
    if manifest["database"]["alembic_revision"] != revisions[0]:
        click.echo(_("Bản sao lưu có lược đồ cũ hơn phần mềm: chạy `flask db upgrade` trước khi khởi động."))


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Load the demo data (idempotent); refused in production mode (DEMO=0)."""
        # The demo accounts share a published password: a production database must never get them.
        if not app.config["DEMO"]:
            raise click.ClickException(
                "DEMO=0 (vận hành thật): không nạp dữ liệu mẫu. Production mode: no demo data."
            )
        from app.demo import seed_demo

        click.echo(json.dumps(seed_demo(now=utcnow()), ensure_ascii=False))

    @app.cli.command("worker")
    @click.option(
        "--burst", is_flag=True, help="Một lượt rồi dừng (one tick, then the queued jobs, then exit)"
    )
    def worker_command(burst):
        """Run the background worker: RQ jobs, timers, escalation, digests (any number may run)."""
        import logging

        from app.jobs.worker import run_worker

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        run_worker(app, burst=burst)

    for group in (users_cli, units_cli, procedures_cli, forms_cli, jobs_cli, backup_cli):
        app.cli.add_command(group)
