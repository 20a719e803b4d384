"""Reading the audit log: who did what, when, on which dossier. Admins read all of it; an inspector reads
the events of dossiers in its units' subtrees. Filters are shared by the page, its CSV export and the API."""

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import wraps
from zoneinfo import ZoneInfo

from flask import abort, current_app
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import false, func, or_, select, true
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.labels import ACTION, label
from app.models import AdminUnit, AuditEvent, Dossier, User
from app.services.bounds import length_errors
from app.services.errors import InvalidInput
from app.web import format_datetime

MAX_EXPORT_ROWS = 100_000
MAX_PER_PAGE = 200
# Far beyond any real log, small enough that the offset never overflows the database's integer.
MAX_PAGE = 1_000_000
MAX_TEXT = 64
# A wider range than any audit row can have, narrow enough that a local midnight never overflows.
MIN_YEAR, MAX_YEAR = 2000, 2100
# Excel runs a cell that starts with one of these as a formula; names and details are typed by people.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditFilter:
    user: str = ""
    unit: str = ""
    action: str = ""
    dossier: str = ""
    since: date | None = None
    until: date | None = None

    def as_args(self) -> dict:
        """The filter as query arguments, for the export link beside the page."""
        args = {"user": self.user, "unit": self.unit, "action": self.action, "dossier": self.dossier}
        args |= {
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return {key: value for key, value in args.items() if value}


def audit_reader_required(view):
    """Like ``admin_required``: a page that is not yours does not exist (404)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.reads_audit:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def parse_filter(args) -> AuditFilter:
    """Read the filter from query arguments; every bad field is named at once (InvalidInput)."""
    texts = {name: (args.get(name) or "").strip() for name in ("user", "unit", "action", "dossier")}
    errors = length_errors({name: (text, MAX_TEXT) for name, text in texts.items()})
    dates = {name: _parse_date(args.get(name) or "", name, errors) for name in ("since", "until")}
    if dates["since"] and dates["until"] and dates["since"] > dates["until"]:
        errors["until"] = [_("Ngày kết thúc phải từ ngày bắt đầu trở đi.")]
    if texts["unit"] and "unit" not in errors and _unit(texts["unit"]) is None:
        errors["unit"] = [_("Không có đơn vị hành chính mã %(code)s.", code=texts["unit"])]
    if errors:
        raise InvalidInput(errors, _("Bộ lọc chưa hợp lệ."))
    return AuditFilter(**texts, **dates)


def _parse_date(text: str, name: str, errors: dict) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or len(text) != 10 or not MIN_YEAR <= value.year <= MAX_YEAR:
        errors[name] = [_("Ngày phải theo dạng YYYY-MM-DD, từ năm %(a)s đến %(b)s.", a=MIN_YEAR, b=MAX_YEAR)]
        return None
    return value


def _unit(code: str) -> AdminUnit | None:
    return db.session.scalar(select(AdminUnit).where(AdminUnit.code == code))


def _local_midnight(day: date) -> datetime:
    """Dates are typed in Vietnam time: a day starts at local midnight, whatever the server's zone."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))


def _dossiers_under(paths: list[str]):
    return select(Dossier.id).where(or_(*(Dossier.unit_path.startswith(p, autoescape=True) for p in paths)))


def reader_scope(user: User):
    """SQL condition on the events ``user`` may read: all for an admin; for an inspector, the events of
    dossiers under its units (events without a dossier, such as account changes, are the admins')."""
    if user.is_admin:
        return true()
    paths = [a.unit.path for a in user.roles if a.role == "inspector"]
    return AuditEvent.dossier_id.in_(_dossiers_under(paths)) if paths else false()


def _conditions(reader: User, flt: AuditFilter) -> list:
    conditions = [reader_scope(reader)]
    if flt.user:
        conditions.append(
            AuditEvent.actor_id.in_(select(User.id).where(func.lower(User.username) == flt.user.lower()))
        )
    if flt.unit:
        conditions.append(AuditEvent.dossier_id.in_(_dossiers_under([_unit(flt.unit).path])))
    if flt.action:
        conditions.append(AuditEvent.action == flt.action)
    if flt.dossier:
        by_code = AuditEvent.dossier_id.in_(select(Dossier.id).where(Dossier.code == flt.dossier))
        conditions.append(
            or_(AuditEvent.dossier_id == int(flt.dossier), by_code) if flt.dossier.isdigit() else by_code
        )
    if flt.since:
        conditions.append(AuditEvent.at >= _local_midnight(flt.since))
    if flt.until:
        conditions.append(AuditEvent.at < _local_midnight(flt.until + timedelta(days=1)))
    return conditions


NEWEST_FIRST = (AuditEvent.at.desc(), AuditEvent.id.desc())


def audit_page(reader: User, flt: AuditFilter, *, page: int, per_page: int):
    """One page of matching events, newest first, actors loaded; and the codes of their dossiers."""
    query = (
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(*_conditions(reader, flt))
        .order_by(*NEWEST_FIRST)
    )
    result = db.paginate(query, page=page, per_page=per_page, error_out=False)
    ids = {event.dossier_id for event in result.items} - {None}
    codes = dict(db.session.execute(select(Dossier.id, Dossier.code).where(Dossier.id.in_(ids))).all())
    return result, codes


def csv_header() -> list[str]:
    return [
        _("Thời điểm (ISO, UTC)"),
        _("Thời điểm"),
        _("Tài khoản"),
        _("Họ và tên"),
        _("Mã hành động"),
        _("Hành động"),
        _("Hồ sơ"),
        _("Đối tượng"),
        _("Chi tiết (JSON)"),
    ]


def export_csv(reader: User, flt: AuditFilter) -> Iterator[bytes]:
    """The same events as the page, newest first, at most MAX_EXPORT_ROWS, as UTF-8 CSV chunks. The byte
    order mark makes Excel read the file as UTF-8 (without it Vietnamese letters come out garbled).

    The query is built now, while the reader's roles can still be loaded: the chunks are produced after the
    view has returned, when the request's session has let go of the reader."""
    query = (
        select(
            AuditEvent.at,
            User.username,
            User.full_name,
            AuditEvent.action,
            Dossier.code,
            AuditEvent.object_type,
            AuditEvent.object_id,
            AuditEvent.details,
        )
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .outerjoin(Dossier, Dossier.id == AuditEvent.dossier_id)
        .where(*_conditions(reader, flt))
        .order_by(*NEWEST_FIRST)
        .limit(MAX_EXPORT_ROWS)
        .execution_options(yield_per=1000)
    )
    return _csv_chunks(query)


def _csv_chunks(query) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(csv_header())
    for count, (at, username, full_name, action, code, object_type, object_id, details) in enumerate(
        db.session.execute(query), start=1
    ):
        writer.writerow(
            _cell(value)
            for value in (
                at.isoformat(),
                format_datetime(at),
                username or "",
                full_name or "",
                action,
                label(ACTION, action),
                code or "",
                f"{object_type}:{object_id}" if object_type else "",
                details_json(details),
            )
        )
        if count % 1000 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def details_json(details: dict | None) -> str:
    """Vietnamese stays readable (no \\u escapes); sorted keys make rows comparable."""
    return json.dumps(details or {}, ensure_ascii=False, sort_keys=True)


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_START) else value
