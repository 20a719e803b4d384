"""Importing the subject registry from XLSX or CSV: every row checked first, then all written or none.

``start_import`` (the request) checks who uploads, the kind and the file's type, encoding and headers,
keeps the file in the blob store and writes a ``run_import`` job; ``run_import`` (the job, on a thread of
its own or an RQ worker) reads the file back from the store and

1. validates every row (status ``validating``), committing ``processed_rows`` every ``PROGRESS_EVERY``
   rows in short transactions so a page can draw a progress bar; any bad row → status ``rejected`` with
   the per-row report (``[{"row", "column", "error"}]``, row numbers as the spreadsheet shows them), and
   nothing written;
2. otherwise writes everything in ONE transaction (status ``writing``) with bulk Core statements
   (executemany), keyed by subject code: a code already in the registry is updated in place, its members,
   staff or member households replaced only when they changed; then recounts the report counts
   (``app.models.recount``), records one audit event and sets status ``done`` with the created / updated /
   unchanged counts.

A crash at any point rolls the write back: status ``failed`` with the error, nothing half-written.
File layouts are in ``app/services/registry_layouts.py``.
"""

import csv
import io
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, insert, or_, select, true, update

from app.extensions import db
from app.models import (
    AdminUnit,
    HouseholdMember,
    RegistryImport,
    Subject,
    SubjectLink,
    User,
    recount,
    utcnow,
)
from app.services import audit
from app.services.blobs import blob_path, store_blob
from app.services.errors import InvalidInput, NotFound, ServiceError
from app.services.outbox import add_job
from app.services.registry_layouts import (
    CITIZEN_GROUPS,
    GENDER_LABELS,
    GENDERS,
    HEAD,
    KINDS,
    LAYOUTS,
    ORGANISATION_CATEGORIES,
    RELATIONS,
    SUBJECT_KIND,
    header_of,
)
from app.services.uow import commit, rollback
from app.services.xlsx_reader import Sheet, XlsxError

BLOB_FOLDER = "imports"
# Who imports: administrators anywhere, commune officers and village heads in their unit's subtree.
IMPORT_ROLES = ("commune_officer", "village_head")
PROGRESS_EVERY = 500
MIN_BIRTH_YEAR = 1900
CHUNK = 500
CODE_MAX, NAME_MAX, TEXT_MAX = 64, 200, 255
FINISHED = ("done", "rejected", "failed")
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class NotAllowed(ServiceError):
    status = 403


class FileProblem(Exception):
    """The file as a whole cannot be read as a registry table (type, encoding, headers, size)."""


# Who and where.


def may_import(user: User) -> bool:
    return user.is_admin or any(a.role in IMPORT_ROLES for a in user.roles)


def scope_paths(user: User) -> list[str] | None:
    """The unit paths whose subtrees ``user`` imports into; None: anywhere (an administrator)."""
    if user.is_admin:
        return None
    return [a.unit.path for a in user.roles if a.role in IMPORT_ROLES]


def scope_condition(user: User):
    """SQL condition on ``AdminUnit`` selecting the units in ``user``'s registry jurisdiction."""
    paths = scope_paths(user)
    if paths is None:
        return true()
    return or_(*[AdminUnit.path.startswith(path, autoescape=True) for path in paths]) if paths else ~true()


def _in_scope(paths: list[str] | None, unit_path: str) -> bool:
    return paths is None or any(unit_path.startswith(path) for path in paths)


def refused_message() -> str:
    return _("Chỉ quản trị hệ thống, cán bộ xã và trưởng thôn, tổ trưởng dân phố được nhập sổ đối tượng.")


def get_import(import_id: int, user: User) -> RegistryImport:
    """An import its uploader (or an administrator) may follow; someone else's is 404, and a user who may
    not import at all is refused (403)."""
    if not may_import(user):
        raise NotAllowed(refused_message())
    record = db.session.get(RegistryImport, import_id)
    if record is None or not (user.is_admin or record.created_by_id == user.id):
        raise NotFound(_("Không tìm thấy lần nhập dữ liệu này."))
    return record


# Reading a file.


def _clean(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        value = str(value)
    elif isinstance(value, float) and value.is_integer():
        value = str(int(value))
    elif not isinstance(value, str):
        value = str(value)
    # Excel on some machines writes decomposed diacritics; compare and store the composed form.
    if not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    return " ".join(value.split())


def _fold(text: str) -> str:
    return _clean(text).casefold()


@dataclass
class Table:
    headers: dict[str, int]  # folded header → column index
    rows: object  # iterator of (row number, tuple of raw values)
    total: int | None  # data rows, when the file says so up front


def _open_xlsx(content: bytes) -> Table:
    try:
        sheet = Sheet(content)
        rows = sheet.rows()
        first = next(rows, None)
    except XlsxError as exc:
        raise FileProblem(_unreadable_xlsx()) from exc
    if first is None:
        raise FileProblem(_("Tệp trống: không có dòng tiêu đề."))
    return Table(_header_map(first[1]), rows, max(sheet.total - 1, 0))


def _unreadable_xlsx() -> str:
    return _("Không đọc được tệp XLSX (tệp hỏng hoặc không phải bảng tính Excel).")


def _open_csv(content: bytes) -> Table:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileProblem(
            _("Tệp CSV phải được lưu với bảng mã UTF-8 (trong Excel: Lưu thành › CSV UTF-8).")
        ) from exc
    if "\x00" in text:
        raise FileProblem(_("Tệp không phải bảng tính XLSX hay tệp CSV dạng văn bản."))
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise FileProblem(_("Không đọc được tệp CSV: %(error)s", error=str(exc))) from exc
    while records and not any(_clean(value) for value in records[-1]):
        records.pop()
    if not records:
        raise FileProblem(_("Tệp trống: không có dòng tiêu đề."))
    numbered = ((number, tuple(values)) for number, values in enumerate(records[1:], start=2))
    return Table(_header_map(records[0]), numbered, len(records) - 1)


def _header_map(header) -> dict[str, int]:
    mapped = {}
    for index, value in enumerate(header):
        name = _fold(value)
        if name and name not in mapped:
            mapped[name] = index
    return mapped


def open_table(kind: str, content: bytes) -> Table:
    """The file as a table of ``kind``'s layout; raises FileProblem with the reason it cannot be."""
    if not content or not content.strip():
        raise FileProblem(_("Tệp trống."))
    if content.startswith(OLE_MAGIC):
        raise FileProblem(
            _("Tệp Excel dạng .xls cũ chưa được hỗ trợ: hãy lưu lại thành .xlsx hoặc CSV (UTF-8).")
        )
    table = _open_xlsx(content) if content.startswith(XLSX_MAGIC) else _open_csv(content)
    missing = [c.header for c in LAYOUTS[kind] if c.required and _fold(c.header) not in table.headers]
    if missing:
        raise FileProblem(
            _(
                "Thiếu cột: %(columns)s. Dòng đầu tiên của tệp phải là tiêu đề cột như tệp mẫu.",
                columns=", ".join(missing),
            )
        )
    return table


def _records(kind: str, table: Table):
    """(row number, {column key: cleaned text}) for each row that is not blank."""
    positions = [(c.key, table.headers.get(_fold(c.header))) for c in LAYOUTS[kind]]
    for number, values in table.rows:
        record = {
            key: (_clean(values[index]) if index is not None and index < len(values) else "")
            for key, index in positions
        }
        if any(record.values()):
            yield number, record


def check_upload(kind: str, content: bytes, max_rows: int) -> None:
    """What can be told at once, before a job is written: the kind, the file type, encoding and headers, and
    a row count over the cap when the file states it. Raises InvalidInput."""
    if kind not in KINDS:
        raise InvalidInput({"kind": [_("Loại dữ liệu không hợp lệ.")]}, _("Loại dữ liệu không hợp lệ."))
    try:
        table = open_table(kind, content)
    except FileProblem as problem:
        raise InvalidInput({"file": [str(problem)]}, str(problem)) from None
    if table.total is not None and table.total > max_rows:
        message = _too_many(max_rows)
        raise InvalidInput({"file": [message]}, message)


def _too_many(max_rows: int) -> str:
    return _(
        "Tệp có quá %(max)s dòng dữ liệu; hãy chia thành nhiều tệp.", max=f"{max_rows:,}".replace(",", ".")
    )


# Starting an import.


def start_import(user: User, kind: str, filename: str, content: bytes, *, now: datetime) -> RegistryImport:
    if not may_import(user):
        raise NotAllowed(refused_message())
    check_upload(kind, content, current_app.config["IMPORT_MAX_ROWS"])
    sha256 = store_blob(BLOB_FOLDER, content)
    own = [a.unit for a in user.roles if a.role in IMPORT_ROLES]
    record = RegistryImport(
        kind=kind,
        filename=(filename or "")[:255] or "import",
        sha256=sha256,
        unit_id=None if user.is_admin or not own else own[0].id,
        status="queued",
        processed_rows=0,
        report=[],
        created_by_id=user.id,
        created_at=now,
    )
    db.session.add(record)
    db.session.flush()
    add_job("run_import", {"import_id": record.id}, at=now)
    commit()
    return record


# Validating.


@dataclass
class Problem:
    row: int | None
    column: str | None
    error: str

    def as_json(self) -> dict:
        return {"row": self.row, "column": self.column, "error": self.error}


@dataclass
class Plan:
    """One subject the file describes, gathered from its rows."""

    code: str
    first_row: int
    name: str = ""
    address: str | None = None
    unit: AdminUnit | None = None
    unit_code: str = ""
    category: str | None = None
    items: list = field(default_factory=list)  # members, staff rows or member household codes


class Checker:
    """Checks a kind's rows one by one, then across rows and against the registry."""

    def __init__(self, kind: str, user: User, present: set[str]):
        self.kind = kind
        self.paths = scope_paths(user)
        self.present = present
        self.problems: list[Problem] = []
        self.plans: dict[str, Plan] = {}
        self._units: dict[str, AdminUnit | None] = {}
        self._citizens: dict[str, int] = {}  # citizen code → its row (organisations)
        self.this_year = utcnow().year

    # helpers

    def bad(self, row: int | None, key: str | None, message: str) -> None:
        self.problems.append(Problem(row, header_of(self.kind, key) if key else None, message))

    def unit(self, code: str) -> AdminUnit | None:
        if code not in self._units:
            self._units[code] = db.session.scalar(select(AdminUnit).where(AdminUnit.code == code))
        return self._units[code]

    def text(self, row: int, record: dict, key: str, limit: int, missing=None) -> str:
        """The cell's text; ``missing`` (a function giving the message: built only when needed) makes it
        required."""
        value = record[key]
        if not value:
            if missing:
                self.bad(row, key, missing())
        elif len(value) > limit:
            self.bad(row, key, _("Dài quá %(limit)s ký tự.", limit=limit))
        return value

    def gender(self, row: int, record: dict) -> str | None:
        value = GENDERS.get(record["gender"].casefold())
        if value is None:
            self.bad(row, "gender", _("Giới tính phải là «Nam» hoặc «Nữ»."))
        return value

    def birth_year(self, row: int, record: dict) -> int | None:
        raw = record["birth_year"]
        year = int(raw) if re.fullmatch(r"\d{4}", raw) else None
        if year is None or not MIN_BIRTH_YEAR <= year <= self.this_year:
            self.bad(
                row,
                "birth_year",
                _("Năm sinh phải là số từ %(low)s đến %(high)s.", low=MIN_BIRTH_YEAR, high=self.this_year),
            )
            return None
        return year

    def place(self, row: int, record: dict, levels: tuple[str, ...] | None) -> AdminUnit | None:
        code = record["unit"]
        if not code:
            self.bad(row, "unit", _("Thiếu mã đơn vị hành chính."))
            return None
        unit = self.unit(code)
        if unit is None:
            self.bad(row, "unit", _("Không có đơn vị hành chính mã «%(code)s».", code=code))
            return None
        if levels is not None and unit.level_code not in levels:
            message = (
                _("«%(code)s» không phải thôn, ấp hay tổ dân phố.", code=code)
                if levels == ("village",)
                else _("«%(code)s» không phải xã, phường hay thôn.", code=code)
            )
            self.bad(row, "unit", message)
            return None
        if not _in_scope(self.paths, unit.path):
            self.bad(row, "unit", _("«%(code)s» ngoài phạm vi quản lý của bạn.", code=code))
            return None
        return unit

    def subject(self, row: int, record: dict, missing_code) -> Plan | None:
        """The plan of the row's subject (the first of its rows sets name and unit; later rows must agree
        on the unit)."""
        code = self.text(row, record, "code", CODE_MAX, missing_code)
        if not code or len(code) > CODE_MAX:
            return None
        plan = self.plans.get(code)
        if plan is None:
            plan = self.plans[code] = Plan(code=code, first_row=row, unit_code=record["unit"])
            return plan
        if record["unit"] and plan.unit_code and record["unit"] != plan.unit_code:
            self.bad(
                row,
                "unit",
                _(
                    "Mã «%(code)s» đã ghi ở đơn vị «%(unit)s» (dòng %(row)s); một đối tượng chỉ thuộc một "
                    "đơn vị.",
                    code=code,
                    unit=plan.unit_code,
                    row=plan.first_row,
                ),
            )
        return plan

    # per row

    def check(self, row: int, record: dict) -> None:
        getattr(self, f"_row_{self.kind}")(row, record)

    def _row_households(self, row: int, record: dict) -> None:
        plan = self.subject(row, record, lambda: _("Thiếu mã hộ."))
        name = self.text(row, record, "name", NAME_MAX, None)
        address = self.text(row, record, "address", TEXT_MAX, None)
        unit = self.place(row, record, ("village",))
        full_name = self.text(row, record, "full_name", NAME_MAX, lambda: _("Thiếu họ và tên."))
        gender = self.gender(row, record)
        year = self.birth_year(row, record)
        relation = next((r for r in RELATIONS if r.casefold() == record["relation"].casefold()), None)
        if relation is None:
            self.bad(
                row,
                "relation",
                _(
                    "Quan hệ với chủ hộ «%(value)s» không có trong danh sách: %(allowed)s.",
                    value=record["relation"],
                    allowed=", ".join(RELATIONS),
                ),
            )
        if plan is None:
            return
        if row == plan.first_row:
            plan.name, plan.address, plan.unit = name, address or None, unit
        if full_name and year is not None:
            for other in plan.items:
                if other["full_name"].casefold() == full_name.casefold() and other["birth_year"] == year:
                    self.bad(
                        row,
                        "full_name",
                        _(
                            "Trùng với dòng %(row)s: cùng hộ, cùng họ tên và năm sinh.",
                            row=other["row"],
                        ),
                    )
                    return
        plan.items.append(
            {
                "row": row,
                "full_name": full_name,
                "gender": gender,
                "birth_year": year,
                "relation": relation,
                "is_head": relation == HEAD,
            }
        )

    def _row_clans(self, row: int, record: dict) -> None:
        plan = self.subject(row, record, lambda: _("Thiếu mã dòng họ."))
        name = self.text(row, record, "name", NAME_MAX, lambda: _("Thiếu tên dòng họ."))
        unit = self.place(row, record, ("commune", "village"))
        member = self.text(row, record, "member", CODE_MAX, None)
        if plan is None:
            return
        if row == plan.first_row:
            plan.name, plan.unit = name, unit
        if member:
            earlier = next((item for item in plan.items if item["code"] == member), None)
            if earlier is not None:
                self.bad(
                    row,
                    "member",
                    _(
                        "Hộ «%(code)s» đã ghi ở dòng %(row)s của dòng họ này.",
                        code=member,
                        row=earlier["row"],
                    ),
                )
                return
            plan.items.append({"row": row, "code": member})

    def _row_organisations(self, row: int, record: dict) -> None:
        plan = self.subject(row, record, lambda: _("Thiếu mã cơ quan, đơn vị."))
        name = self.text(row, record, "name", NAME_MAX, lambda: _("Thiếu tên cơ quan, đơn vị."))
        category = next(
            (
                key
                for key, label in ORGANISATION_CATEGORIES.items()
                if label.casefold() == record["category"].casefold()
            ),
            None,
        )
        if category is None:
            self.bad(
                row,
                "category",
                _(
                    "Loại phải là một trong: %(allowed)s.",
                    allowed=", ".join(ORGANISATION_CATEGORIES.values()),
                ),
            )
        unit = self.place(row, record, None)
        if plan is not None and row == plan.first_row:
            plan.name, plan.unit, plan.category = name, unit, category
        staff_keys = ("citizen_code", "full_name", "gender", "birth_year", "group", "position")
        if not any(record[key] for key in staff_keys):
            return
        citizen = self.text(row, record, "citizen_code", CODE_MAX, lambda: _("Thiếu mã công dân."))
        full_name = self.text(row, record, "full_name", NAME_MAX, lambda: _("Thiếu họ và tên."))
        gender = self.gender(row, record)
        year = self.birth_year(row, record)
        group = next(
            (key for key, label in CITIZEN_GROUPS.items() if label.casefold() == record["group"].casefold()),
            None,
        )
        if group is None:
            self.bad(
                row,
                "group",
                _("Nhóm phải là một trong: %(allowed)s.", allowed="; ".join(CITIZEN_GROUPS.values())),
            )
        position = self.text(row, record, "position", NAME_MAX, None)
        if not citizen or len(citizen) > CODE_MAX:
            return
        if citizen in self._citizens:
            self.bad(
                row,
                "citizen_code",
                _("Mã công dân «%(code)s» đã ghi ở dòng %(row)s.", code=citizen, row=self._citizens[citizen]),
            )
            return
        self._citizens[citizen] = row
        if plan is not None:
            plan.items.append(
                {
                    "row": row,
                    "code": citizen,
                    "full_name": full_name,
                    "gender": gender,
                    "birth_year": year,
                    "group": group,
                    "position": position or None,
                }
            )

    # across rows and against the registry

    def finish(self, existing: dict[str, "Existing"]) -> None:
        kind = SUBJECT_KIND[self.kind]
        for code, plan in self.plans.items():
            self._against_registry(plan.first_row, code, kind, existing)
        if self.kind == "households":
            for plan in self.plans.values():
                heads = [item for item in plan.items if item["is_head"]]
                if not heads and plan.items:
                    self.bad(
                        plan.first_row,
                        "relation",
                        _("Hộ «%(code)s» chưa có chủ hộ: cần đúng một người «Chủ hộ».", code=plan.code),
                    )
                for extra in heads[1:]:
                    self.bad(
                        extra["row"],
                        "relation",
                        _(
                            "Hộ «%(code)s» đã có chủ hộ ở dòng %(row)s: mỗi hộ chỉ một chủ hộ.",
                            code=plan.code,
                            row=heads[0]["row"],
                        ),
                    )
        elif self.kind == "clans":
            for plan in self.plans.values():
                for item in plan.items:
                    found = existing.get(item["code"])
                    if found is None or found.kind != "household":
                        self.bad(
                            item["row"],
                            "member",
                            _("Không có hộ mã «%(code)s» trong sổ đối tượng.", code=item["code"]),
                        )
        else:
            for code, row in self._citizens.items():
                if code in self.plans:
                    self.bad(
                        row,
                        "citizen_code",
                        _("Mã «%(code)s» đã dùng cho cơ quan, đơn vị trong tệp.", code=code),
                    )
                else:
                    self._against_registry(row, code, "citizen", existing, key="citizen_code")
        self.problems.sort(key=lambda p: (p.row or 0, p.column or ""))

    def _against_registry(self, row: int, code: str, kind: str, existing: dict, key: str = "code") -> None:
        found = existing.get(code)
        if found is None:
            return
        if found.kind != kind:
            self.bad(row, key, _("Mã «%(code)s» đã dùng cho một đối tượng loại khác trong sổ.", code=code))
        elif not _in_scope(self.paths, found.unit_path):
            self.bad(
                row,
                key,
                _("«%(code)s» đã có trong sổ ở đơn vị ngoài phạm vi quản lý của bạn.", code=code),
            )

    def codes(self) -> set[str]:
        wanted = set(self.plans)
        for plan in self.plans.values():
            wanted.update(item["code"] for item in plan.items if "code" in item)
        return wanted


@dataclass
class Existing:
    id: int
    kind: str
    name: str
    address: str | None
    unit_id: int
    unit_path: str
    category: str | None
    gender: str | None
    birth_year: int | None


def _existing(codes: set[str]) -> dict[str, Existing]:
    found: dict[str, Existing] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), CHUNK):
        rows = db.session.execute(
            select(
                Subject.code,
                Subject.id,
                Subject.kind,
                Subject.name,
                Subject.address,
                Subject.unit_id,
                AdminUnit.path,
                Subject.category,
                Subject.gender,
                Subject.birth_year,
            )
            .join(AdminUnit, AdminUnit.id == Subject.unit_id)
            .where(Subject.code.in_(ordered[start : start + CHUNK]))
        )
        for code, *rest in rows:
            found[code] = Existing(*rest)
    return found


# The job.


def _set(import_id: int, **values) -> None:
    db.session.execute(update(RegistryImport).where(RegistryImport.id == import_id).values(**values))
    db.session.commit()


def run_import(import_id: int, *, now: datetime) -> None:
    """The body of the ``run_import`` job; never raises for a bad file or a crash (the import records it)."""
    record = db.session.get(RegistryImport, import_id)
    if record is None or record.status in FINISHED:
        return
    try:
        _run(record, now)
    except Exception as exc:
        rollback()
        current_app.logger.exception("registry import %s failed", import_id)
        record = db.session.get(RegistryImport, import_id)
        record.status, record.error, record.finished_at = (
            "failed",
            f"{type(exc).__name__}: {exc}"[:4000],
            utcnow(),
        )
        _audit(record, now)
        commit()


def _audit(record: RegistryImport, now: datetime) -> None:
    audit.record(
        "registry.imported",
        actor=record.created_by,
        at=now,
        obj=record,
        details={
            "kind": record.kind,
            "filename": record.filename,
            "sha256": record.sha256,
            "status": record.status,
            "rows": record.total_rows,
            "created": record.created_count,
            "updated": record.updated_count,
            "unchanged": record.unchanged_count,
            "problems": len(record.report or []),
            "error": record.error,
        },
    )


def _reject(record: RegistryImport, problems: list[Problem], now: datetime) -> None:
    record.status, record.report, record.finished_at = "rejected", [p.as_json() for p in problems], utcnow()
    _audit(record, now)
    commit()


def _run(record: RegistryImport, now: datetime) -> None:
    import_id, kind, user = record.id, record.kind, record.created_by
    max_rows = current_app.config["IMPORT_MAX_ROWS"]
    content = blob_path(BLOB_FOLDER, record.sha256).read_bytes()
    _set(import_id, status="validating", processed_rows=0)
    try:
        table = open_table(kind, content)
    except FileProblem as problem:
        _reject(record, [Problem(None, None, str(problem))], now)
        return
    if table.total is not None and table.total > max_rows:
        _reject(record, [Problem(None, None, _too_many(max_rows))], now)
        return
    present = {c.key for c in LAYOUTS[kind] if _fold(c.header) in table.headers}
    checker = Checker(kind, user, present)
    _set(import_id, total_rows=table.total)
    processed = 0
    try:
        for number, row in _records(kind, table):
            processed += 1
            if processed > max_rows:
                _reject(record, [Problem(None, None, _too_many(max_rows))], now)
                return
            checker.check(number, row)
            if processed % PROGRESS_EVERY == 0:
                _set(import_id, processed_rows=processed)
    except XlsxError:
        _reject(record, [Problem(None, None, _unreadable_xlsx())], now)
        return
    if processed == 0:
        _reject(record, [Problem(None, None, _("Tệp không có dòng dữ liệu nào dưới dòng tiêu đề."))], now)
        return
    existing = _existing(checker.codes())
    checker.finish(existing)
    _set(import_id, processed_rows=processed, total_rows=processed)
    if checker.problems:
        _reject(record, checker.problems, now)
        return
    _set(import_id, status="writing")
    counts = WRITERS[kind](checker, existing)
    recount(db.session)
    record = db.session.get(RegistryImport, import_id)
    record.status, record.finished_at, record.report = "done", utcnow(), []
    record.created_count, record.updated_count, record.unchanged_count = counts
    _audit(record, now)
    commit()


# Writing (one transaction, bulk statements).

SUBJECT = Subject.__table__
MEMBER = HouseholdMember.__table__
LINK = SubjectLink.__table__


def _chunks(items: list):
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _insert_subjects(rows: list[dict]) -> dict[str, int]:
    """Insert subject rows; returns code → new id."""
    ids: dict[str, int] = {}
    if not rows:
        return ids
    for part in _chunks(rows):
        result = db.session.execute(
            insert(SUBJECT).returning(SUBJECT.c.id, SUBJECT.c.code, sort_by_parameter_order=True), part
        )
        ids.update({code: id_ for id_, code in result})
    return ids


def _update_subjects(rows: list[dict]) -> None:
    """Update changed subjects in place; each row has ``_id`` and every column written."""
    if not rows:
        return
    columns = [key for key in rows[0] if key != "_id"]
    statement = (
        update(SUBJECT)
        .where(SUBJECT.c.id == bindparam("_id"))
        .values({column: bindparam(column) for column in columns})
    )
    db.session.connection().execute(statement, rows)


def _subject_row(fields: dict, found: Existing | None) -> tuple[str, dict | None]:
    """("created" | "updated" | "unchanged", the row to write or None)."""
    if found is None:
        return "created", fields
    changed = {
        key: value
        for key, value in fields.items()
        if key not in ("code", "kind") and getattr(found, key) != value
    }
    if not changed:
        return "unchanged", None
    return "updated", {"_id": found.id, **{k: v for k, v in fields.items() if k not in ("code", "kind")}}


def _existing_members(subject_ids: list[int]) -> dict[int, list[tuple]]:
    grouped: dict[int, list] = defaultdict(list)
    for part in _chunks(subject_ids):
        rows = db.session.execute(
            select(
                MEMBER.c.subject_id,
                MEMBER.c.full_name,
                MEMBER.c.gender,
                MEMBER.c.birth_year,
                MEMBER.c.relation,
                MEMBER.c.is_head,
            )
            .where(MEMBER.c.subject_id.in_(part))
            .order_by(MEMBER.c.subject_id, MEMBER.c.id)
        )
        for subject_id, *rest in rows:
            grouped[subject_id].append(tuple(rest))
    return grouped


def _existing_links(parent_ids: list[int], relation: str) -> dict[int, set[tuple]]:
    grouped: dict[int, set] = defaultdict(set)
    for part in _chunks(parent_ids):
        rows = db.session.execute(
            select(LINK.c.parent_id, LINK.c.child_id, LINK.c.position).where(
                LINK.c.parent_id.in_(part), LINK.c.relation == relation
            )
        )
        for parent_id, child_id, position in rows:
            grouped[parent_id].add((child_id, position))
    return grouped


def _delete_where(column, ids: list[int], *extra) -> None:
    for part in _chunks(ids):
        db.session.execute(delete(column.table).where(column.in_(part), *extra))


BLANK = {"category": None, "gender": None, "birth_year": None}


def _write_households(checker: Checker, existing: dict[str, Existing]) -> tuple[int, int, int]:
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    new_rows, changed_rows, plans = [], [], list(checker.plans.values())
    found_ids = [existing[p.code].id for p in plans if p.code in existing]
    old_members = _existing_members(found_ids)
    replace_ids: list[int] = []
    for plan in plans:
        found = existing.get(plan.code)
        head = next(item["full_name"] for item in plan.items if item["is_head"])
        name = plan.name or (found.name if found else _("Hộ %(name)s", name=head))
        address = plan.address if "address" in checker.present else (found.address if found else None)
        fields = {
            "code": plan.code,
            "kind": "household",
            "name": name,
            "address": address,
            "unit_id": plan.unit.id,
        }
        outcome, row = _subject_row(fields, found)
        members = [
            (m["full_name"], m["gender"], m["birth_year"], m["relation"], m["is_head"]) for m in plan.items
        ]
        if outcome == "created":
            new_rows.append({**row, **BLANK})
        else:
            if old_members.get(found.id, []) != members:
                replace_ids.append(found.id)
                outcome = "updated"
            if row is not None:
                changed_rows.append(row)
        counts[outcome] += 1
    new_ids = _insert_subjects(new_rows)
    _update_subjects(changed_rows)
    _delete_where(MEMBER.c.subject_id, replace_ids)
    replaced = set(replace_ids)
    member_rows = []
    for plan in plans:
        subject_id = new_ids.get(plan.code)
        if subject_id is None:
            subject_id = existing[plan.code].id
            if subject_id not in replaced:
                continue
        member_rows.extend(
            {
                "subject_id": subject_id,
                "full_name": m["full_name"],
                "gender": m["gender"],
                "birth_year": m["birth_year"],
                "relation": m["relation"],
                "is_head": m["is_head"],
            }
            for m in plan.items
        )
    for part in _chunks(member_rows):
        db.session.execute(insert(MEMBER), part)
    return counts["created"], counts["updated"], counts["unchanged"]


def _replace_links(relation: str, wanted: dict[int, set[tuple]], changed: list[int]) -> None:
    _delete_where(LINK.c.parent_id, changed, LINK.c.relation == relation)
    rows = [
        {"parent_id": parent, "child_id": child, "relation": relation, "position": position}
        for parent in changed
        for child, position in sorted(wanted[parent], key=lambda pair: pair[0])
    ]
    for part in _chunks(rows):
        db.session.execute(insert(LINK), part)


def _write_clans(checker: Checker, existing: dict[str, Existing]) -> tuple[int, int, int]:
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    plans = list(checker.plans.values())
    new_rows, changed_rows, outcomes = [], [], {}
    for plan in plans:
        found = existing.get(plan.code)
        fields = {"code": plan.code, "kind": "clan", "name": plan.name, "unit_id": plan.unit.id}
        outcome, row = _subject_row(fields, found)
        outcomes[plan.code] = outcome
        if outcome == "created":
            new_rows.append({**row, "address": None, **BLANK})
        elif row is not None:
            changed_rows.append(row)
    new_ids = _insert_subjects(new_rows)
    _update_subjects(changed_rows)
    ids = {plan.code: new_ids.get(plan.code) or existing[plan.code].id for plan in plans}
    old = _existing_links([existing[p.code].id for p in plans if p.code in existing], "clan_member")
    wanted = {ids[p.code]: {(existing[item["code"]].id, None) for item in p.items} for p in plans}
    changed = [ids[p.code] for p in plans if wanted[ids[p.code]] != old.get(ids[p.code], set())]
    for plan in plans:
        if outcomes[plan.code] == "unchanged" and ids[plan.code] in changed:
            outcomes[plan.code] = "updated"
        counts[outcomes[plan.code]] += 1
    _replace_links("clan_member", wanted, changed)
    return counts["created"], counts["updated"], counts["unchanged"]


def _write_organisations(checker: Checker, existing: dict[str, Existing]) -> tuple[int, int, int]:
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    plans = list(checker.plans.values())
    new_rows, changed_rows, outcomes = [], [], {}
    for plan in plans:
        found = existing.get(plan.code)
        fields = {
            "code": plan.code,
            "kind": "organisation",
            "name": plan.name,
            "unit_id": plan.unit.id,
            "category": plan.category,
        }
        outcome, row = _subject_row(fields, found)
        outcomes[plan.code] = outcome
        if outcome == "created":
            new_rows.append({**row, "address": None, "gender": None, "birth_year": None})
        elif row is not None:
            changed_rows.append(row)
        for item in plan.items:
            citizen = existing.get(item["code"])
            person = {
                "code": item["code"],
                "kind": "citizen",
                "name": item["full_name"],
                # A new staff member hangs on the organisation's unit; one already in the registry (where
                # they live) stays there.
                "unit_id": citizen.unit_id if citizen is not None else plan.unit.id,
                "category": item["group"],
                "gender": item["gender"],
                "birth_year": item["birth_year"],
            }
            person_outcome, person_row = _subject_row(person, citizen)
            if person_outcome == "created":
                new_rows.append({**person_row, "address": None})
            elif person_row is not None:
                changed_rows.append(person_row)
            if person_outcome != "unchanged" and outcome == "unchanged":
                outcome = outcomes[plan.code] = "updated"
    new_ids = _insert_subjects(new_rows)
    _update_subjects(changed_rows)

    def id_of(code: str) -> int:
        return new_ids.get(code) or existing[code].id

    old = _existing_links([existing[p.code].id for p in plans if p.code in existing], "staff")
    wanted = {id_of(p.code): {(id_of(item["code"]), item["position"]) for item in p.items} for p in plans}
    changed = [id_of(p.code) for p in plans if wanted[id_of(p.code)] != old.get(id_of(p.code), set())]
    for plan in plans:
        if outcomes[plan.code] == "unchanged" and id_of(plan.code) in changed:
            outcomes[plan.code] = "updated"
        counts[outcomes[plan.code]] += 1
    _replace_links("staff", wanted, changed)
    return counts["created"], counts["updated"], counts["unchanged"]


WRITERS = {"households": _write_households, "clans": _write_clans, "organisations": _write_organisations}


# The JSON shape of an import (API and the page's progress poll).


def import_json(record: RegistryImport) -> dict:
    return {
        "id": record.id,
        "kind": record.kind,
        "filename": record.filename,
        "status": record.status,
        "total_rows": record.total_rows,
        "processed_rows": record.processed_rows or 0,
        "created": record.created_count or 0,
        "updated": record.updated_count or 0,
        "unchanged": record.unchanged_count or 0,
        "error": record.error,
        "report": list(record.report or []),
    }


def gender_label(value: str | None) -> str:
    return GENDER_LABELS.get(value or "", "")
