"""Backups: a consistent snapshot of the database and the data folder, checked by sha256, restored whole.

A backup is a directory::

    manifest.json        sha256 and size of every other file, alembic revision, row counts, created (UTC)
    database.sqlite      SQLite: the online-backup copy, one self-contained file
    database.pgdump      PostgreSQL: ``pg_dump`` custom format (compressed; ``pg_restore`` reads it)
    data/evidence/…      the files of DATA_DIR worth keeping, in their own layout

A directory rather than one .tar: verify and restore read each file where it lies, with no unpacking
into a second copy; evidence blobs never change once written, so copying nightly backups off the machine
(``rsync --link-dest``, hard links between days) moves only the new ones; and the dump is compressed
already. Whoever wants one file to ship can ``tar`` the directory.

The functions take the database URL, the folders and the time as arguments; ``app/cli.py`` (``flask
backup``) passes the configured ones.
"""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import psycopg
from flask_babel import gettext as _
from sqlalchemy.engine import URL, make_url

from app.models import (
    AdminUnit,
    AuditEvent,
    Comment,
    Dossier,
    EvidenceFile,
    FormVersion,
    HumanTask,
    Notification,
    ProcessDefinition,
    RoleAssignment,
    Subject,
    Submission,
    User,
)
from app.services import accounts, audit, blobs, sessions
from app.services.errors import ServiceError
from app.services.uow import commit

FORMAT = 1
MANIFEST = "manifest.json"
DATA = "data"
DUMP_FILES = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
CHUNK = 1024 * 1024
SHA256 = re.compile(r"[0-9a-f]{64}")
# The tables that hold what the system knows, counted into the manifest so that a restore can be checked
# against the snapshot at a glance (and the restore test does).
COUNTED_TABLES = tuple(
    model.__tablename__
    for model in (
        AdminUnit,
        Subject,
        User,
        RoleAssignment,
        ProcessDefinition,
        FormVersion,
        Dossier,
        HumanTask,
        Submission,
        EvidenceFile,
        Comment,
        AuditEvent,
        Notification,
    )
)


class BackupError(ServiceError):
    """A backup could not be written, verified or restored; the message says why."""


@dataclass(frozen=True)
class Database:
    kind: str  # a key of DUMP_FILES
    url: URL

    @classmethod
    def from_url(cls, url: str) -> "Database":
        parsed = make_url(url)
        kind = parsed.get_backend_name()
        if kind not in DUMP_FILES or (kind == "sqlite" and parsed.database in (None, "", ":memory:")):
            raise BackupError(
                _(
                    "Sao lưu và khôi phục chỉ hỗ trợ SQLite (một tệp) và PostgreSQL, không hỗ trợ %(kind)s.",
                    kind=parsed.drivername,
                )
            )
        return cls(kind, parsed)

    @property
    def path(self) -> Path:
        """The SQLite file."""
        return Path(self.url.database).resolve()

    @property
    def libpq_uri(self) -> str:
        """The URL for psycopg and the PostgreSQL tools, without the password (given apart, never in argv)."""
        return self.url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


@dataclass(frozen=True)
class Snapshot:
    """What a database snapshot says about itself, read inside the snapshot."""

    revision: str
    row_counts: dict[str, int]
    evidence: set[str]  # the sha256 of every evidence file a row refers to


def default_destination(data_dir: Path | str, now: datetime) -> Path:
    return Path(data_dir) / "backups" / now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def create_backup(
    database_url: str,
    data_dir: Path | str,
    destination: Path | str,
    *,
    now: datetime,
    pg_bin_dir: Path | str | None = None,
) -> dict:
    """Write a backup to ``destination`` (which must not exist yet) and return its manifest.

    Nothing is written to the database: a backup changes no state of the system, so it leaves no audit
    event, and it can run under a database role that may only read.
    """
    database = Database.from_url(database_url)
    data_dir = Path(data_dir).resolve()
    destination = Path(destination).resolve()
    if destination.exists():
        raise BackupError(_("%(path)s đã tồn tại; hãy chọn thư mục khác.", path=destination))
    destination.parent.mkdir(parents=True, exist_ok=True)
    # Written aside (owner-only, as mkdtemp makes it) and renamed at the end, so a directory under the
    # final name is always a complete backup, however the run ends.
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        dump = DUMP_FILES[database.kind]
        # Consistency: the database first, then the files. An evidence blob is written before the row that
        # refers to it is committed, under its sha256, and is never changed or deleted afterwards; so every
        # blob a row of the snapshot refers to was already on disk when the snapshot was taken and is still
        # there when the files are copied after it. Blobs uploaded meanwhile are copied too, unreferenced.
        if database.kind == "sqlite":
            snapshot = _snapshot_sqlite(database.path, staging / dump)
        else:
            snapshot = _snapshot_postgres(database, staging / dump, _tool("pg_dump", pg_bin_dir))
        files = [_entry(dump, *_hash(staging / dump))]
        copied, damaged = set(), []
        for relative in _data_files(data_dir, database, skip=(staging,)):
            digest, size = _copy(data_dir / relative, staging / DATA / relative)
            files.append(_entry(f"{DATA}/{relative}", digest, size))
            if _is_blob(relative):
                copied.add(relative.name)
                if digest != relative.name:
                    damaged.append(relative.name)
        manifest = {
            "format": FORMAT,
            "created_at": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "database": {"kind": database.kind, "file": dump, "alembic_revision": snapshot.revision},
            "row_counts": snapshot.row_counts,
            # Faults of the live data, found on the way: referenced blobs that are gone, and blobs whose
            # content no longer matches their name. The backup is still the best copy there is.
            "missing_evidence": sorted(snapshot.evidence - copied),
            "damaged_evidence": damaged,
            "files": files,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
        staging.rename(destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def verify_backup(source: Path | str) -> dict:
    """Check every file of a backup against its manifest; return the manifest or raise ``BackupError``."""
    source = Path(source)
    manifest = _read_manifest(source)
    problems = []
    expected = _entries(manifest)
    for relative, (digest, size) in expected.items():
        path = source / relative
        if not path.is_file():
            problems.append(_("thiếu %(file)s", file=relative))
        elif _hash(path) != (digest, size):
            problems.append(_("%(file)s không khớp sha256", file=relative))
    for path in sorted(source.rglob("*")):
        relative = PurePosixPath(path.relative_to(source).as_posix())
        if path.is_file() and relative != PurePosixPath(MANIFEST) and relative not in expected:
            problems.append(_("%(file)s không có trong manifest", file=relative))
    if problems:
        raise BackupError(
            _(
                "Bản sao lưu %(path)s bị hỏng hoặc đã bị sửa (%(count)s lỗi): %(problems)s",
                path=source,
                count=len(problems),
                problems="; ".join(problems[:10]) + ("; …" if len(problems) > 10 else ""),
            )
        )
    return manifest


def restore_backup(
    source: Path | str,
    database_url: str,
    data_dir: Path | str,
    *,
    known_revisions: list[str],
    pg_bin_dir: Path | str | None = None,
) -> dict:
    """Put a backup back into an empty database and an empty data folder; all of it or nothing.

    Every sha256 is checked before anything is written. There is no overwrite: replacing a live system's
    data cannot be undone, so whoever means it moves the old database and folder aside first (and keeps
    them). ``known_revisions`` are this code's migrations: a backup from newer code is refused.
    """
    source = Path(source).resolve()
    database = Database.from_url(database_url)
    data_dir = Path(data_dir).resolve()
    manifest = verify_backup(source)
    kind, revision = manifest["database"]["kind"], manifest["database"]["alembic_revision"]
    if kind != database.kind:
        raise BackupError(
            _(
                "Bản sao lưu là của %(backup)s, không khôi phục vào %(target)s được.",
                backup=kind,
                target=database.kind,
            )
        )
    if revision not in known_revisions:
        raise BackupError(
            _(
                "Bản sao lưu có cơ sở dữ liệu ở phiên bản %(revision)s mà phần mềm này không biết (phần "
                "mềm mới hơn đã tạo ra nó); hãy cập nhật phần mềm rồi khôi phục.",
                revision=revision,
            )
        )
    pg_restore = _tool("pg_restore", pg_bin_dir) if database.kind == "postgresql" else None
    _refuse_unless_empty(database, data_dir)
    data_files = {
        PurePosixPath(entry["path"]).relative_to(DATA): entry
        for entry in manifest["files"]
        if entry["path"].startswith(f"{DATA}/")
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    # Files are staged inside the data folder, so putting them in place is a rename on one file system.
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))
    try:
        for relative, entry in data_files.items():
            _copy_checked(source / entry["path"], staging / relative, entry)
        dump = source / manifest["database"]["file"]
        if pg_restore is None:
            listed = next(entry for entry in manifest["files"] if entry["path"] == dump.name)
            _restore_sqlite(dump, database.path, listed)
        else:
            # One transaction: a dump that fails half-way leaves the database as empty as it was.
            _run_tool(
                [
                    pg_restore,
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--exit-on-error",
                    f"--dbname={database.libpq_uri}",
                    str(dump),
                ],
                database.url.password,
            )
        for relative in data_files:
            target = data_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / relative, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def record_restore(manifest: dict, source: Path | str, *, now: datetime) -> dict:
    """After a restore, in the restored database and one transaction (app context needed): every session
    and API token the backup holds is ended, and the restore's audit event says how many.

    A restore brings the accounts back as they were when the backup was taken, so a session ended or a
    token revoked after that (a logout, a lost phone, a leaked token) would work again. Which of them were
    ended since cannot be known, so all are: everyone signs in again, and a connected system asks for a new
    token (``POST /api/v1/auth/token``). Returns the counts."""
    ended = {
        "sessions_ended": sessions.end_every_open(reason="restored", now=now),
        "tokens_revoked": accounts.revoke_every_token(now=now),
    }
    audit.record(
        "backup.restored",
        actor=None,
        at=now,
        details={
            "backup": str(source),
            "created_at": manifest["created_at"],
            "alembic_revision": manifest["database"]["alembic_revision"],
            "files": len(manifest["files"]),
            **ended,
        },
    )
    commit()
    return ended


def schema_revisions(migrations_dir: Path | str) -> list[str]:
    """The alembic revisions this code knows, newest first."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    return [script.revision for script in ScriptDirectory.from_config(config).walk_revisions()]


def _snapshot_sqlite(path: Path, target: Path) -> Snapshot:
    if not path.is_file():
        raise BackupError(_("Không tìm thấy cơ sở dữ liệu %(path)s.", path=path))
    try:
        with closing(sqlite3.connect(path, timeout=30)) as live, closing(sqlite3.connect(target)) as copy:
            # All pages in one step: one read transaction, so a consistent snapshot while the application
            # goes on writing (WAL lets it).
            live.backup(copy)
            # The copy leaves WAL mode so that it is one self-contained file, with no -wal beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
            return _read_snapshot(copy.cursor())
    except sqlite3.Error as exc:
        raise BackupError(_("Không sao lưu được cơ sở dữ liệu: %(error)s", error=exc)) from exc


def _snapshot_postgres(database: Database, target: Path, pg_dump: str) -> Snapshot:
    try:
        with psycopg.connect(database.libpq_uri, password=database.url.password) as connection:
            # pg_dump runs on the snapshot this transaction exports, so the revision and row counts read
            # here describe exactly the dumped data.
            connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            connection.read_only = True
            with connection.cursor() as cursor:
                exported = cursor.execute("SELECT pg_export_snapshot()").fetchone()[0]
                snapshot = _read_snapshot(cursor)
                _run_tool(
                    [
                        pg_dump,
                        "--format=custom",
                        f"--snapshot={exported}",
                        f"--file={target}",
                        f"--dbname={database.libpq_uri}",
                    ],
                    database.url.password,
                )
    except psycopg.Error as exc:
        raise BackupError(_("Không sao lưu được cơ sở dữ liệu: %(error)s", error=exc)) from exc
    return snapshot


def _read_snapshot(cursor) -> Snapshot:
    """The same SQL on a sqlite3 or a psycopg cursor; the table names come from the models."""
    (revision,) = cursor.execute("SELECT version_num FROM alembic_version").fetchone()
    counts = {
        table: cursor.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608  (model names)
        for table in COUNTED_TABLES
    }
    evidence = {row[0] for row in cursor.execute("SELECT DISTINCT sha256 FROM evidence_file").fetchall()}
    return Snapshot(revision, counts, evidence)


def _data_files(data_dir: Path, database: Database, *, skip: tuple[Path, ...] = ()) -> list[PurePosixPath]:
    """The files of the data folder that a backup keeps, relative to it, in a stable order.

    Left out: the SQLite database and its journal files (the snapshot has the database; a copy of the
    live files would not be consistent), ``backups/``, the ``*.log`` files of ``scripts/run``, and
    ``secret_key``. The key that signs sessions is a secret kept apart from the data (README, "Production
    start"): a copy in every backup would travel wherever the evidence goes, and a system restored without
    it only asks everyone to sign in again. Under the blob folders (``evidence/``, ``documents/``,
    ``imports/``) only stored blobs (``ab/<sha256>``) are taken: anything else there is a file still being
    written, which no row refers to.
    """
    leave_out = {data_dir / "backups", *(path.resolve() for path in skip)}
    if database.kind == "sqlite":
        leave_out |= {Path(f"{database.path}{suffix}") for suffix in ("", "-wal", "-shm", "-journal")}
    found = []
    for root, dirs, names in os.walk(data_dir):
        here = Path(root)
        dirs[:] = [name for name in dirs if here / name not in leave_out]
        for name in names:
            path = here / name
            relative = PurePosixPath(path.relative_to(data_dir).as_posix())
            if path in leave_out or name.startswith("secret_key") or name.endswith(".log"):
                continue
            if relative.parts[0] in blobs.FOLDERS and not _is_blob(relative):
                continue
            found.append(relative)
    return sorted(found)


def _is_blob(relative: PurePosixPath) -> bool:
    parts = relative.parts
    return (
        len(parts) == 3
        and parts[0] in blobs.FOLDERS
        and SHA256.fullmatch(parts[2]) is not None
        and parts[1] == parts[2][:2]
    )


def _refuse_unless_empty(database: Database, data_dir: Path) -> None:
    tables = _tables(database)
    if tables:
        raise BackupError(
            _(
                "Cơ sở dữ liệu đích đã có dữ liệu (bảng %(tables)s). Chỉ khôi phục vào cơ sở dữ liệu trống: "
                "hãy tạo cơ sở dữ liệu mới (hoặc dời cơ sở dữ liệu cũ đi) rồi chạy lại.",
                tables=", ".join(tables[:5]),
            )
        )
    files = _data_files(data_dir, database)
    if files:
        raise BackupError(
            _(
                "Thư mục dữ liệu %(path)s đã có tệp (%(files)s). Chỉ khôi phục vào thư mục dữ liệu trống: "
                "hãy dời các tệp cũ đi rồi chạy lại.",
                path=data_dir,
                files=", ".join(str(file) for file in files[:5]),
            )
        )


def _tables(database: Database) -> list[str]:
    if database.kind == "sqlite":
        if not database.path.exists():
            return []
        try:
            with closing(sqlite3.connect(database.path)) as connection:
                rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                return [name for (name,) in rows]
        except sqlite3.Error as exc:
            raise BackupError(_("Không mở được cơ sở dữ liệu đích: %(error)s", error=exc)) from exc
    try:
        with psycopg.connect(database.libpq_uri, password=database.url.password) as connection:
            rows = connection.execute(
                "SELECT c.relname FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')"
                " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
                " AND n.nspname NOT LIKE 'pg_toast%'"
                " ORDER BY 1"
            )
            return [name for (name,) in rows]
    except psycopg.Error as exc:
        raise BackupError(_("Không mở được cơ sở dữ liệu đích: %(error)s", error=exc)) from exc


def _restore_sqlite(dump: Path, target: Path, entry: dict) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # Beside the target, so that putting it in place is a rename; a leftover of an interrupted restore
    # under the same name is garbage.
    staged = target.with_name(f".{target.name}.restore")
    staged.unlink(missing_ok=True)
    try:
        _copy_checked(dump, staged, entry)
        # The journal files of the empty database being replaced belong to that file: left beside the
        # restored one, SQLite would read them as its own.
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(staged, target)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise


def _read_manifest(source: Path) -> dict:
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(_("%(path)s không phải bản sao lưu (không có manifest.json).", path=source))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        kind = manifest["database"]["kind"]
        if manifest["format"] != FORMAT or manifest["database"]["file"] != DUMP_FILES[kind]:
            raise ValueError(manifest["format"])
        if PurePosixPath(DUMP_FILES[kind]) not in _entries(manifest):
            raise ValueError(kind)
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(_("Không đọc được %(path)s, hoặc tệp không đúng định dạng.", path=path)) from exc
    return manifest


def _entries(manifest: dict) -> dict[PurePosixPath, tuple[str, int]]:
    """The files a manifest lists; a path that could point outside the backup is refused (ValueError)."""
    entries = {}
    for entry in manifest["files"]:
        relative = PurePosixPath(entry["path"])
        if relative.is_absolute() or any(part in ("", ".", "..") for part in relative.parts):
            raise ValueError(entry["path"])
        if relative.parts[0] != DATA and str(relative) not in DUMP_FILES.values():
            raise ValueError(entry["path"])
        entries[relative] = (entry["sha256"], entry["size"])
    return entries


def _entry(path: str, digest: str, size: int) -> dict:
    return {"path": path, "sha256": digest, "size": size}


def _hash(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as reader:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _copy(source: Path, target: Path) -> tuple[str, int]:
    """Copy a file to a new owner-only file, hashing what is written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with source.open("rb") as reader, os.fdopen(handle, "wb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _copy_checked(source: Path, target: Path, entry: dict) -> None:
    # Checked again while copying: the file must be the one verified, not one changed since.
    if _copy(source, target) != (entry["sha256"], entry["size"]):
        raise BackupError(
            _("%(file)s đã thay đổi trong lúc khôi phục; không khôi phục gì.", file=entry["path"])
        )


def _tool(name: str, pg_bin_dir: Path | str | None) -> str:
    found = str(Path(pg_bin_dir) / name) if pg_bin_dir else shutil.which(name)
    if not found or not os.access(found, os.X_OK):
        raise BackupError(
            _(
                "Không tìm thấy %(tool)s: cài gói postgresql-client (cùng phiên bản máy chủ PostgreSQL "
                "trở lên) hoặc đặt PG_BIN_DIR là thư mục chứa nó.",
                tool=name,
            )
        )
    return found


def _run_tool(args: list[str], password: str | None) -> None:
    env = {**os.environ, **({"PGPASSWORD": password} if password else {})}
    # An argument list, no shell: the URL and paths cannot become commands.
    result = subprocess.run(args, capture_output=True, text=True, env=env, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(
            _("%(tool)s thất bại: %(error)s", tool=Path(args[0]).name, error=result.stderr.strip())
        )
