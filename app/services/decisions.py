"""Decisions with an annexed list: recognition (Quyết định công nhận) and commendation (Giấy khen, Bằng khen).

A recognition decision completes the step that the procedure's manifest marks ``decides`` for every dossier
it lists, through the same single-task service a click on the task runs (``submit_task``), all in one
transaction: every listed dossier is recognised, or none is and the caller learns which dossiers blocked it
and why. A commendation is a separate, selective act over dossiers already recognised; it runs no step.

Who decides is the procedure's word, not a list kept here: the role of the lane of the ``decides`` task
(the city emulation committee in the four-level procedure, the commune chairman in the two-tier one), at
the unit that holds that task. Commendations are made by the same roles.
"""

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import APPLICANT_ROLES, AdminUnit, Dossier, HumanTask, ProcessDefinition, Subject, User
from app.models.decision import DECISION_KINDS, Decision, DecisionEntry
from app.services import audit
from app.services.dossiers import MAX_YEAR, MIN_YEAR, submit_task
from app.services.errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceError
from app.services.jurisdiction import OBSERVER_ROLES, dossier_scope, task_scope
from app.services.outbox import add_job
from app.services.streaks import at_least_in_a_row
from app.services.uow import commit, one_transaction
from forms import MultiDict
from workflow import decides_tasks

# One decision's annex at its largest: what "select all matching" can reach.
MAX_DOSSIERS = 1000
MAX_YEARS_IN_A_ROW = 10
_TEXT_LIMITS = {
    "number": 64,
    "signer": 200,
    "position": 200,
    "legal_basis": 4000,
    "name": 200,
    "reason": 2000,
}
# The decision's own particulars, written into the step's form when it has fields of these names and the
# manifest's answers leave them out: the submission then records which decision recognised the dossier.
_PARTICULARS = ("decision_number", "decision_date", "signer")


@dataclass(frozen=True)
class Blocker:
    dossier_id: int
    code: str | None
    message: str


class DecisionRefused(Conflict):
    """Nothing was issued; ``blockers`` names every dossier that could not be decided, and why."""

    def __init__(self, message: str, blockers: list[Blocker]):
        super().__init__(message)
        self.blockers = blockers


# --------------------------------------------------------------------------------------------- who decides


def _decides_steps(kind: str = "recognition") -> dict[int, tuple[str, str, dict]]:
    """process definition id → (task name, lane role, answers) of its step marked ``decides`` ``kind``."""
    found = {}
    for definition in db.session.scalars(select(ProcessDefinition)):
        for name, decides in decides_tasks(definition.manifest).items():
            if decides.get("kind") != kind:
                continue
            task = definition.manifest.get("tasks", {}).get(name, {})
            lane = _lane_of(definition, name)
            role = definition.manifest.get("lanes", {}).get(lane, {}).get("role") if lane else None
            found[definition.id] = (name, role or task.get("role", ""), decides.get("answers") or {})
    return found


def _lane_of(definition: ProcessDefinition, task_name: str) -> str | None:
    from app.services.procedures import compiled_for

    info = compiled_for(definition).user_tasks.get(task_name)
    return info.lane if info is not None else None


def deciding_roles() -> frozenset[str]:
    """The roles of the lanes whose step a recognition decision completes, in any deployed procedure."""
    return frozenset(role for _name, role, _answers in _decides_steps().values() if role)


def deciding_assignments(user: User) -> list:
    roles = deciding_roles() - set(OBSERVER_ROLES)
    return [a for a in user.roles if a.role in roles]


def may_decide(user: User) -> bool:
    return bool(deciding_assignments(user))


def require_decider(user: User) -> None:
    if not may_decide(user):
        raise Forbidden(_("Bạn không có thẩm quyền ban hành quyết định công nhận hoặc khen thưởng."))


# --------------------------------------------------------------------------------------------- candidates


def _decides_condition():
    steps = _decides_steps()
    if not steps:
        return false()
    return or_(
        *(
            and_(Dossier.process_definition_id == definition_id, HumanTask.name == name)
            for definition_id, (name, _role, _answers) in steps.items()
        )
    )


def _commended(year_column):
    return exists().where(
        DecisionEntry.dossier_id == Dossier.id,
        Decision.id == DecisionEntry.decision_id,
        Decision.kind == "commendation",
        Decision.status == "issued",
        Decision.year == year_column,
    )


def candidates(
    user: User,
    *,
    kind: str,
    title: str | None = None,
    year: int | None = None,
    unit_id: int | None = None,
    score_min: int | None = None,
    rating: str | None = None,
    years_in_a_row: int | None = None,
) -> Select:
    """The dossiers ``user`` may list in a decision of ``kind``: a ``select(Dossier)`` to page or count.

    Recognition: dossiers whose open task is the step marked ``decides`` and that task is the user's to
    act on (the same scope as the inbox). Commendation: recognised dossiers the user may see, not yet in
    an issued commendation of that year.
    """
    if kind not in DECISION_KINDS:
        raise InvalidInput({"kind": [_("Loại quyết định không hợp lệ.")]}, _("Loại quyết định không hợp lệ."))
    query = select(Dossier).join(Subject, Subject.id == Dossier.subject_id)
    if not may_decide(user):
        return query.where(false())
    if kind == "recognition":
        query = query.where(
            exists().where(
                HumanTask.dossier_id == Dossier.id,
                HumanTask.state == "open",
                _decides_condition(),
                task_scope(user),
            )
        )
    else:
        # Only where the user decides: a commune chairman commends in the commune, not in a neighbour.
        reach = or_(
            *(Dossier.unit_path.startswith(a.unit.path, autoescape=True) for a in deciding_assignments(user))
        )
        query = query.where(
            Dossier.status == "recognized", dossier_scope(user), reach, ~_commended(year or Dossier.year)
        )
    if title:
        query = query.where(Dossier.title == title)
    if year is not None:
        query = query.where(Dossier.year == year)
    if unit_id:
        unit_path = select(AdminUnit.path).where(AdminUnit.id == unit_id).scalar_subquery()
        query = query.where(Dossier.unit_path.startswith(unit_path))
    if score_min is not None:
        query = query.where(Dossier.score >= score_min)
    if rating:
        query = query.where(Dossier.rating == rating)
    if years_in_a_row:
        query = query.where(at_least_in_a_row(min(years_in_a_row, MAX_YEARS_IN_A_ROW)))
    return query


# --------------------------------------------------------------------------------------------- drafting


def _text(value, field: str, errors: dict, *, required: bool = True) -> str | None:
    text = (value or "").strip() if isinstance(value, str | type(None)) else None
    if text is None:
        errors[field] = [_("Giá trị không hợp lệ.")]
        return None
    if required and not text:
        errors[field] = [_("Vui lòng nhập thông tin này.")]
    elif len(text) > _TEXT_LIMITS.get(field, 200):
        errors[field] = [_("Tối đa %(n)s ký tự.", n=_TEXT_LIMITS.get(field, 200))]
    return text or None


def _dossier_ids(value, errors: dict) -> list[int]:
    try:
        ids = list(dict.fromkeys(int(v) for v in value or ()))
    except (TypeError, ValueError, OverflowError):
        ids = None
    if ids is None or any(not 0 < v < 2**31 for v in ids) or isinstance(value, str | bytes):
        errors["dossier_ids"] = [_("Danh sách hồ sơ không hợp lệ.")]
        return []
    if not ids:
        errors["dossier_ids"] = [_("Vui lòng chọn ít nhất một hồ sơ.")]
    elif len(ids) > MAX_DOSSIERS:
        errors["dossier_ids"] = [_("Một quyết định kèm tối đa %(n)s hồ sơ.", n=MAX_DOSSIERS)]
    return ids


def _issuing_unit(user: User, issuing_unit_id, dossiers: list[Dossier], kind: str) -> AdminUnit:
    """The unit in whose name the decision is made: one where the user holds a deciding role (the one
    given, else the one that reaches the listed dossiers)."""
    assignments = deciding_assignments(user)
    if issuing_unit_id not in (None, ""):
        try:
            wanted = int(issuing_unit_id)
        except (TypeError, ValueError):
            wanted = None
        chosen = next((a for a in assignments if a.unit_id == wanted), None)
        if chosen is None:
            raise InvalidInput(
                {"issuing_unit_id": [_("Bạn không có thẩm quyền ban hành quyết định nhân danh đơn vị này.")]},
                _("Dữ liệu chưa hợp lệ."),
            )
        return chosen.unit
    for assignment in assignments:
        if dossiers and all(d.unit_path.startswith(assignment.unit.path) for d in dossiers):
            return assignment.unit
    return assignments[0].unit


def _validated(user: User, values: dict) -> tuple[dict, list[Dossier]]:
    errors: dict[str, list[str]] = {}
    kind = values.get("kind")
    if kind not in DECISION_KINDS:
        errors["kind"] = [_("Loại quyết định không hợp lệ.")]
    title = values.get("title")
    if not isinstance(title, str) or not title.strip():
        errors["title"] = [_("Vui lòng chọn danh hiệu.")]
    year = values.get("year")
    try:
        year = int(year)
    except (TypeError, ValueError, OverflowError):
        year = None
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        errors["year"] = [_("Năm đánh giá phải từ %(a)s đến %(b)s.", a=MIN_YEAR, b=MAX_YEAR)]
    number = _text(values.get("number"), "number", errors)
    signed_on = values.get("signed_on")
    if isinstance(signed_on, str):
        try:
            signed_on = date.fromisoformat(signed_on.strip())
        except ValueError:
            signed_on = None
    if not isinstance(signed_on, date):
        errors["signed_on"] = [_("Vui lòng nhập ngày ký (yyyy-mm-dd).")]
    signer = _text(values.get("signer"), "signer", errors)
    position = _text(values.get("position"), "position", errors)
    legal_basis = _text(values.get("legal_basis"), "legal_basis", errors, required=False)
    ids = _dossier_ids(values.get("dossier_ids"), errors)
    names = values.get("names") or {}
    if not isinstance(names, dict):
        errors["names"] = [_("Tên in trên giấy không hợp lệ.")]
        names = {}
    if errors:
        raise InvalidInput(errors, _("Dữ liệu chưa hợp lệ, vui lòng kiểm tra lại."))
    eligible = {
        d.id: d
        for d in db.session.scalars(
            candidates(user, kind=kind, title=title, year=year)
            .where(Dossier.id.in_(ids))
            .options(selectinload(Dossier.subject))
        )
    }
    missing = [i for i in ids if i not in eligible]
    if missing:
        visible = dict(
            db.session.execute(
                select(Dossier.id, Dossier.code).where(Dossier.id.in_(missing), dossier_scope(user))
            ).all()
        )
        named = ", ".join(visible.get(i) or f"#{i}" for i in missing)
        message = _(
            "Các hồ sơ sau không chờ quyết định này hoặc ngoài thẩm quyền của bạn: %(codes)s.", codes=named
        )
        raise InvalidInput({"dossier_ids": [message]}, message)
    printed = {}
    for key, name in names.items():
        text = _text(name, "name", errors, required=False)
        if text:
            printed[str(key)] = text
    if errors:
        raise InvalidInput(errors, _("Dữ liệu chưa hợp lệ, vui lòng kiểm tra lại."))
    cleaned = {
        "kind": kind,
        "title": title.strip(),
        "year": year,
        "number": number,
        "signed_on": signed_on,
        "signer": signer,
        "position": position,
        "legal_basis": legal_basis,
        "names": printed,
    }
    return cleaned, [eligible[i] for i in ids]


def _check_number_free(unit_id: int, number: str, *, but: int | None = None) -> None:
    taken = db.session.scalar(
        select(Decision.id).where(Decision.issuing_unit_id == unit_id, Decision.number == number)
    )
    if taken is not None and taken != but:
        message = _("Đơn vị đã có quyết định số %(number)s.", number=number)
        raise InvalidInput({"number": [message]}, message)


def _fill(decision: Decision, cleaned: dict, dossiers: list[Dossier]) -> None:
    for key in ("kind", "title", "year", "number", "signed_on", "signer", "position", "legal_basis"):
        setattr(decision, key, cleaned[key])
    kept = {entry.dossier_id: entry for entry in decision.entries}
    entries = []
    for position, dossier in enumerate(dossiers, start=1):
        entry = kept.get(dossier.id) or DecisionEntry(
            dossier_id=dossier.id, subject_id=dossier.subject_id, verify_code=secrets.token_urlsafe(12)
        )
        entry.position = position
        entry.name_as_printed = cleaned["names"].get(str(dossier.id)) or dossier.subject.name
        entries.append(entry)
    decision.entries = entries


def draft_decision(
    user: User,
    *,
    kind,
    title,
    year,
    number,
    signed_on,
    signer,
    position,
    legal_basis=None,
    issuing_unit_id=None,
    dossier_ids,
    names=None,
    now: datetime,
) -> Decision:
    """Lập dự thảo: a draft decision listing dossiers that are all candidates for ``user``."""
    require_decider(user)
    cleaned, dossiers = _validated(user, locals())
    unit = _issuing_unit(user, issuing_unit_id, dossiers, cleaned["kind"])
    _check_number_free(unit.id, cleaned["number"])
    decision = Decision(issuing_unit_id=unit.id, status="draft", created_by_id=user.id, created_at=now)
    _fill(decision, cleaned, dossiers)
    db.session.add(decision)
    db.session.flush()
    audit.record(
        "decision.drafted",
        actor=user,
        at=now,
        obj=decision,
        details={"kind": decision.kind, "number": decision.number, "dossiers": len(dossiers)},
    )
    commit()
    return decision


def can_see_decision(user: User, decision: Decision) -> bool:
    """Admins; officials at the issuing unit or above it (who oversee it); once issued, also officials of
    the units under it, whose families its annex lists. Applicants see only their own certificate, through
    their dossier; a draft stays with those who may issue it."""
    if user.is_admin:
        return True
    issuing = decision.issuing_unit.path
    return any(
        issuing.startswith(a.unit.path) or (decision.status != "draft" and a.unit.path.startswith(issuing))
        for a in user.roles
        if a.role not in APPLICANT_ROLES
    )


def visible_decision(decision_id: int, user: User) -> Decision:
    """A decision the user may see (``can_see_decision``); 404 otherwise, so nothing leaks."""
    decision = db.session.get(Decision, decision_id)
    if decision is None or not can_see_decision(user, decision):
        raise NotFound(_("Không tìm thấy quyết định."))
    return decision


def _own_decision(decision_id: int, user: User) -> Decision:
    """A decision the user may act on: they hold a deciding role at its issuing unit (or above)."""
    decision = visible_decision(decision_id, user)
    require_decider(user)
    if not any(decision.issuing_unit.path.startswith(a.unit.path) for a in deciding_assignments(user)):
        raise Forbidden(_("Bạn không có thẩm quyền với quyết định của đơn vị này."))
    return decision


def update_draft(decision_id: int, *, actor: User, now: datetime, **values) -> Decision:
    decision = _own_decision(decision_id, actor)
    if decision.status != "draft":
        raise Conflict(_("Chỉ sửa được quyết định ở trạng thái dự thảo."))
    merged = {
        "kind": decision.kind,
        "title": decision.title,
        "year": decision.year,
        "number": decision.number,
        "signed_on": decision.signed_on,
        "signer": decision.signer,
        "position": decision.position,
        "legal_basis": decision.legal_basis,
        "dossier_ids": [e.dossier_id for e in decision.entries],
        "names": {str(e.dossier_id): e.name_as_printed for e in decision.entries},
        **values,
    }
    cleaned, dossiers = _validated(actor, merged)
    _check_number_free(decision.issuing_unit_id, cleaned["number"], but=decision.id)
    _fill(decision, cleaned, dossiers)
    audit.record("decision.updated", actor=actor, at=now, obj=decision, details={"dossiers": len(dossiers)})
    commit()
    return decision


def delete_draft(decision_id: int, *, actor: User, now: datetime) -> None:
    decision = _own_decision(decision_id, actor)
    if decision.status != "draft":
        raise Conflict(_("Quyết định đã ban hành không xóa được; chỉ có thể thu hồi."))
    audit.record("decision.deleted", actor=actor, at=now, obj=decision, details={"number": decision.number})
    db.session.delete(decision)
    commit()


# --------------------------------------------------------------------------------------------- issuing


def _answers(task: HumanTask, answers: dict, decision: Decision) -> MultiDict:
    from app.services.procedures import task_form

    form = task_form(task)
    names = {field.name for field in form.value_fields}
    particulars = {
        "decision_number": decision.number,
        "decision_date": decision.signed_on.isoformat() if decision.signed_on else None,
        "signer": ", ".join(p for p in (decision.signer, decision.position) if p),
    }
    data = MultiDict()
    for key, value in answers.items():
        data.add(key, str(value))
    for key in _PARTICULARS:
        if key in names and key not in answers and particulars[key]:
            data.add(key, particulars[key][:120])
    return data


def _issue_recognition(decision: Decision, *, actor: User, now: datetime) -> None:
    steps = _decides_steps()
    blockers: list[Blocker] = []
    with one_transaction():
        for entry in decision.entries:
            dossier = entry.dossier
            step = steps.get(dossier.process_definition_id)
            task = (
                next((t for t in dossier.tasks if t.state == "open" and t.name == step[0]), None)
                if step
                else None
            )
            if task is None:
                blockers.append(
                    Blocker(dossier.id, dossier.code, _("Hồ sơ không còn chờ quyết định công nhận."))
                )
                continue
            try:
                submit_task(task.id, _answers(task, step[2], decision), actor=actor, now=now)
            except InvalidInput as exc:
                reasons = "; ".join(m for messages in exc.errors.values() for m in messages)
                blockers.append(Blocker(dossier.id, dossier.code, reasons or exc.message))
            except ServiceError as exc:
                blockers.append(Blocker(dossier.id, dossier.code, exc.message))
        if blockers:
            raise DecisionRefused(_refused_message(blockers, len(decision.entries)), blockers)
        _mark_issued(decision, actor=actor, now=now)


def _refused_message(blockers: list[Blocker], total: int) -> str:
    listed = "; ".join(f"{b.code or '#' + str(b.dossier_id)}: {b.message}" for b in blockers[:20])
    more = len(blockers) - 20
    text = _(
        "Chưa ban hành: %(n)s trong %(total)s hồ sơ không hoàn thành được bước quyết định — %(list)s",
        n=len(blockers),
        total=total,
        list=listed,
    )
    return text + (_(" (và %(n)s hồ sơ khác)", n=more) if more > 0 else "")


def _mark_issued(decision: Decision, *, actor: User, now: datetime) -> None:
    decision.status = "issued"
    decision.issued_by_id = actor.id
    decision.issued_at = now
    details = {"kind": decision.kind, "number": decision.number, "decision_id": decision.id}
    audit.record(
        "decision.issued",
        actor=actor,
        at=now,
        obj=decision,
        details={**details, "dossiers": len(decision.entries)},
    )
    # One line per dossier too, so that each dossier's history says which decision decided it.
    for entry in decision.entries:
        audit.record(
            "decision.listed", actor=actor, at=now, dossier_id=entry.dossier_id, obj=decision, details=details
        )
    add_job(
        "render_decision_documents",
        {"decision_id": decision.id},
        at=now,
        dedupe_key=f"documents:{decision.id}:issued",
    )
    commit()


def issue_decision(decision_id: int, *, actor: User, now: datetime) -> Decision:
    """Ban hành: for a recognition, complete every listed dossier's ``decides`` step with the manifest's
    answers, all or none; raises ``DecisionRefused`` (409) naming the dossiers that block it."""
    decision = _own_decision(decision_id, actor)
    if decision.status != "draft":
        raise Conflict(_("Quyết định này đã được ban hành hoặc đã bị thu hồi."))
    if not decision.entries:
        raise Conflict(_("Quyết định chưa có hồ sơ nào trong danh sách."))
    if decision.kind == "recognition":
        _issue_recognition(decision, actor=actor, now=now)
    else:
        eligible = set(
            db.session.scalars(
                candidates(actor, kind="commendation", title=decision.title, year=decision.year)
                .with_only_columns(Dossier.id)
                .where(Dossier.id.in_([e.dossier_id for e in decision.entries]))
            )
        )
        blockers = [
            Blocker(
                e.dossier_id, e.dossier.code, _("Hồ sơ chưa được công nhận hoặc đã được khen thưởng năm này.")
            )
            for e in decision.entries
            if e.dossier_id not in eligible
        ]
        if blockers:
            raise DecisionRefused(_refused_message(blockers, len(decision.entries)), blockers)
        _mark_issued(decision, actor=actor, now=now)
    return decision


def revoke_decision(decision_id: int, reason, *, actor: User, now: datetime) -> Decision:
    """Thu hồi: the decision no longer stands; every listed dossier's history says so, with the reason.
    The dossiers' steps are not undone: revocation is a legal act recorded beside them."""
    decision = _own_decision(decision_id, actor)
    errors: dict[str, list[str]] = {}
    text = _text(reason if isinstance(reason, str) else None, "reason", errors)
    if errors:
        raise InvalidInput(errors, _("Vui lòng nhập lý do thu hồi."))
    if decision.status != "issued":
        raise Conflict(_("Chỉ thu hồi được quyết định đã ban hành."))
    decision.status = "revoked"
    decision.revoked_by_id = actor.id
    decision.revoked_at = now
    decision.revoke_reason = text
    details = {"kind": decision.kind, "number": decision.number, "decision_id": decision.id, "reason": text}
    audit.record("decision.revoked", actor=actor, at=now, obj=decision, details=details)
    for entry in decision.entries:
        audit.record(
            "decision.revoked",
            actor=actor,
            at=now,
            dossier_id=entry.dossier_id,
            obj=decision,
            details=details,
        )
    add_job(
        "render_decision_documents",
        {"decision_id": decision.id},
        at=now,
        dedupe_key=f"documents:{decision.id}:revoked",
    )
    commit()
    return decision


# --------------------------------------------------------------------------------------------- reads


def decisions_listing(dossier_id: int) -> list[Decision]:
    """The issued or revoked decisions that list a dossier (for its page), newest first."""
    return list(
        db.session.scalars(
            select(Decision)
            .join(DecisionEntry, DecisionEntry.decision_id == Decision.id)
            .where(DecisionEntry.dossier_id == dossier_id, Decision.status != "draft")
            .order_by(Decision.issued_at.desc(), Decision.id.desc())
        )
    )


def decisions_of_subject(subject_id: int) -> list[Decision]:
    return list(
        db.session.scalars(
            select(Decision)
            .join(DecisionEntry, DecisionEntry.decision_id == Decision.id)
            .where(DecisionEntry.subject_id == subject_id, Decision.status != "draft")
            .order_by(Decision.year.desc(), Decision.id.desc())
        )
    )


def count(query: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
