"""Campaigns (đợt đánh giá): a province's yearly round of one title, and the registrations made in it.

An admin creates a campaign in draft, opens it, and closes it; while it is open, subjects register
(themselves, or in bulk by their village head or commune officer) within its registration window, and
their dossiers open once its self-assessment window does: at once when it already has, else through the
``open_registered_dossiers`` job the worker's tick plans. What a campaign means for one dossier (window,
due dates) lives in app/services/campaign_rules.py, on the step path.
"""

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import exists, false, func, or_, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.labels import localized
from app.models import (
    AdminUnit,
    Campaign,
    Dossier,
    FormVersion,
    ProcessDefinition,
    Registration,
    Subject,
    User,
)
from app.services import audit
from app.services.campaign_rules import local_day, province_id_of
from app.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.services.outbox import add_job
from app.services.procedures import compiled_for, definition_for
from app.services.uow import commit, rollback

MIN_YEAR, MAX_YEAR = 2000, 2100
NAME_MAX = 200
# One call registers at most this many subjects (a large commune's households fit; a page sends 50).
MAX_REGISTRATIONS = 5000
# Who registers others in bulk: the village head for the village, the commune officer for the commune.
REGISTRAR_ROLES = ("village_head", "commune_officer")
DATE_FIELDS = (
    "registration_from",
    "registration_to",
    "evidence_from",
    "evidence_to",
    "assessment_from",
    "assessment_to",
)
JOB = "open_registered_dossiers"


def vn_day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def require_admin(actor: User | None) -> None:
    """Admins only; ``None`` is the system itself (the demo, a command), never a request's user."""
    if actor is not None and not actor.is_admin:
        raise Forbidden(_("Chỉ quản trị hệ thống được quản lý đợt đánh giá."))


# ------------------------------------------------------------------------------------------- reading


def get_campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id) if isinstance(campaign_id, int) else None
    if campaign is None:
        raise NotFound(_("Không tìm thấy đợt đánh giá."))
    return campaign


def procedure_of(campaign_or_title, province: AdminUnit | None = None) -> ProcessDefinition | None:
    """The procedure version a campaign's dossiers run: its own, else the one active for its province."""
    if isinstance(campaign_or_title, Campaign):
        campaign = campaign_or_title
        return campaign.process_definition or definition_for(campaign.title, campaign.province)
    return definition_for(campaign_or_title, province) if province is not None else None


def steps_of(definition: ProcessDefinition | None) -> list[tuple[str, dict]]:
    """The user tasks of a procedure version, in the manifest's order, with their labels."""
    if definition is None:
        return []
    declared = definition.manifest.get("tasks", {}) or {}
    user_tasks = compiled_for(definition).user_tasks
    ordered = [name for name in declared if name in user_tasks]
    ordered += sorted(name for name in user_tasks if name not in declared)
    return [(name, dict(user_tasks[name].label or {"vi": name})) for name in ordered]


def registration_open(campaign: Campaign, now: datetime) -> bool:
    today = local_day(now)
    return campaign.status == "open" and campaign.registration_from <= today <= campaign.registration_to


def assessment_open(campaign: Campaign, now: datetime) -> bool:
    today = local_day(now)
    return campaign.status == "open" and campaign.assessment_from <= today <= campaign.assessment_to


def counts(campaign: Campaign) -> dict:
    registered, opened = db.session.execute(
        select(func.count(Registration.id), func.count(Registration.dossier_id)).where(
            Registration.campaign_id == campaign.id
        )
    ).one()
    return {"registered": registered, "dossiers": opened}


# ------------------------------------------------------------------------------------------- writing


def _as_date(value, field: str, errors: dict) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors.setdefault(field, []).append(_("Ngày không hợp lệ (định dạng YYYY-MM-DD)."))
    return None


def _province(province) -> AdminUnit | None:
    if isinstance(province, AdminUnit):
        return province if province.parent_id is None else None
    if isinstance(province, int) and not isinstance(province, bool):
        unit = db.session.get(AdminUnit, province)
    elif isinstance(province, str) and province:
        unit = db.session.scalar(select(AdminUnit).where(AdminUnit.code == province[:64]))
    else:
        return None
    return unit if unit is not None and unit.parent_id is None else None


def _check_dates(values: dict, year: int, errors: dict) -> None:
    """Every window in order and within the year before to the year after the campaign's year."""
    low, high = date(year - 1, 1, 1), date(year + 1, 12, 31)
    for field in DATE_FIELDS:
        day = values.get(field)
        if day is None:
            errors.setdefault(field, []).append(_("Vui lòng nhập ngày."))
        elif not low <= day <= high:
            errors.setdefault(field, []).append(
                _("Ngày phải từ %(a)s đến %(b)s.", a=vn_day(low), b=vn_day(high))
            )
    if errors:
        return
    pairs = (
        ("registration_from", "registration_to", _("Ngày kết thúc đăng ký phải sau ngày bắt đầu.")),
        ("evidence_from", "evidence_to", _("Ngày kết thúc tính minh chứng phải sau ngày bắt đầu.")),
        ("assessment_from", "assessment_to", _("Ngày kết thúc tự đánh giá phải sau ngày bắt đầu.")),
        (
            "registration_from",
            "assessment_from",
            _("Thời gian tự đánh giá không được bắt đầu trước thời gian đăng ký."),
        ),
        (
            "registration_to",
            "assessment_to",
            _("Thời gian đăng ký phải kết thúc trước khi hết thời gian tự đánh giá."),
        ),
    )
    for first, second, message in pairs:
        if values[first] > values[second]:
            errors.setdefault(second, []).append(message)


def _check_deadlines(
    deadlines, definition: ProcessDefinition | None, values: dict, year: int, errors: dict
) -> dict:
    """task name → ISO day, each a user task of the procedure, on or after the assessment start."""
    if deadlines is None:
        return {}
    if not isinstance(deadlines, dict):
        errors["deadlines"] = [_("Hạn các bước phải là danh sách tên bước → ngày.")]
        return {}
    steps = dict(steps_of(definition))
    cleaned, problems = {}, []
    low, high = date(year - 1, 1, 1), date(year + 1, 12, 31)
    for name, value in deadlines.items():
        if value is None or value == "":
            continue
        if not isinstance(name, str) or name not in steps:
            problems.append(_("Quy trình áp dụng không có bước “%(name)s”.", name=str(name)[:64]))
            continue
        label = localized(steps[name])
        day = _as_date(value, "_deadline", {}) if isinstance(value, (str, date)) else None
        if day is None:
            problems.append(_("Hạn của bước “%(step)s” không phải ngày hợp lệ.", step=label))
        elif not low <= day <= high:
            problems.append(
                _(
                    "Hạn của bước “%(step)s” phải từ %(a)s đến %(b)s.",
                    step=label,
                    a=vn_day(low),
                    b=vn_day(high),
                )
            )
        elif values.get("assessment_from") and day < values["assessment_from"]:
            problems.append(
                _(
                    "Hạn của bước “%(step)s” không được trước ngày bắt đầu tự đánh giá (%(start)s).",
                    step=label,
                    start=vn_day(values["assessment_from"]),
                )
            )
        else:
            cleaned[name] = day.isoformat()
    if problems:
        errors["deadlines"] = problems
    return cleaned


def _description(campaign: Campaign) -> dict:
    return {
        "province": campaign.province.code,
        "title": campaign.title,
        "year": campaign.year,
        "name": campaign.name,
        "procedure": (
            f"{campaign.process_definition.key} v{campaign.process_definition.version}"
            if campaign.process_definition
            else None
        ),
        "criteria_version_id": campaign.criteria_version_id,
        **{field: getattr(campaign, field).isoformat() for field in DATE_FIELDS},
        "deadlines": dict(campaign.deadlines or {}),
        "status": campaign.status,
    }


def _validated(
    province_unit: AdminUnit,
    title,
    year,
    *,
    name,
    process_definition,
    criteria_version,
    dates: dict,
    deadlines,
) -> dict:
    errors: dict = {}
    if not isinstance(title, str) or not title.strip():
        errors["title"] = [_("Vui lòng chọn danh hiệu.")]
    if not isinstance(year, int) or isinstance(year, bool) or not MIN_YEAR <= year <= MAX_YEAR:
        errors["year"] = [_("Năm đánh giá phải từ %(a)s đến %(b)s.", a=MIN_YEAR, b=MAX_YEAR)]
    if name is not None and (not isinstance(name, str) or len(name) > NAME_MAX):
        errors["name"] = [_("Tên đợt tối đa %(n)s ký tự.", n=NAME_MAX)]
    if errors:
        raise InvalidInput(errors, _("Thông tin đợt đánh giá chưa hợp lệ."))
    if process_definition is not None and not isinstance(process_definition, ProcessDefinition):
        process_definition = (
            db.session.get(ProcessDefinition, process_definition)
            if isinstance(process_definition, int) and not isinstance(process_definition, bool)
            else None
        )
        if process_definition is None:
            errors["process_definition_id"] = [_("Không tìm thấy phiên bản quy trình.")]
    if process_definition is not None and process_definition.title_key != title:
        errors["process_definition_id"] = [_("Phiên bản quy trình này không dành cho danh hiệu đã chọn.")]
    if criteria_version is not None and not isinstance(criteria_version, FormVersion):
        criteria_version = (
            db.session.get(FormVersion, criteria_version)
            if isinstance(criteria_version, int) and not isinstance(criteria_version, bool)
            else None
        )
        if criteria_version is None:
            errors["criteria_version_id"] = [_("Không tìm thấy phiên bản bộ tiêu chí.")]
    definition = process_definition or definition_for(title, province_unit)
    if definition is None and "process_definition_id" not in errors:
        errors["title"] = [_("Danh hiệu này chưa có quy trình được áp dụng cho tỉnh/thành phố đã chọn.")]
    values = {field: _as_date(dates.get(field), field, errors) for field in DATE_FIELDS}
    values["evidence_from"] = values["evidence_from"] or date(year, 1, 1)
    values["evidence_to"] = values["evidence_to"] or date(year, 12, 31)
    _check_dates(values, year, errors)
    cleaned = _check_deadlines(deadlines, definition, values, year, errors)
    if errors:
        raise InvalidInput(errors, _("Thông tin đợt đánh giá chưa hợp lệ."))
    return {
        **values,
        "deadlines": cleaned,
        "process_definition": process_definition,
        "criteria_version": criteria_version,
        "name": (name or "").strip() or None,
    }


def create_campaign(
    province,
    title: str,
    year: int,
    *,
    name: str | None = None,
    process_definition=None,
    criteria_version=None,
    registration_from=None,
    registration_to=None,
    evidence_from=None,
    evidence_to=None,
    assessment_from=None,
    assessment_to=None,
    deadlines: dict | None = None,
    actor: User,
    now: datetime,
) -> Campaign:
    """A campaign in draft for a province (its AdminUnit, id or code), title and year; dates are ``date``
    or ISO text, the evidence window defaults to the calendar year, ``deadlines`` maps a step's task name
    to its last day."""
    require_admin(actor)
    province_unit = _province(province)
    if province_unit is None:
        raise InvalidInput(
            {"province": [_("Vui lòng chọn tỉnh/thành phố (đơn vị cấp cao nhất).")]},
            _("Thông tin đợt đánh giá chưa hợp lệ."),
        )
    values = _validated(
        province_unit,
        title,
        year,
        name=name,
        process_definition=process_definition,
        criteria_version=criteria_version,
        dates={
            "registration_from": registration_from,
            "registration_to": registration_to,
            "evidence_from": evidence_from,
            "evidence_to": evidence_to,
            "assessment_from": assessment_from,
            "assessment_to": assessment_to,
        },
        deadlines=deadlines,
    )
    duplicate = _duplicate_message(province_unit, title, year)
    if db.session.scalar(
        select(Campaign.id).where(
            Campaign.province_id == province_unit.id, Campaign.title == title, Campaign.year == year
        )
    ):
        raise Conflict(duplicate)
    from app.titles import title_label

    values["name"] = values["name"] or f"{title_label(title)} {year} – {province_unit.name}"[:NAME_MAX]
    campaign = Campaign(
        province=province_unit,
        title=title,
        year=year,
        status="draft",
        created_by_id=actor.id if actor is not None else None,
        created_at=now,
        **values,
    )
    db.session.add(campaign)
    try:
        db.session.flush()
    except IntegrityError:
        rollback()
        raise Conflict(duplicate) from None
    audit.record("campaign.created", actor=actor, at=now, obj=campaign, details=_description(campaign))
    commit()
    return campaign


def _duplicate_message(province: AdminUnit, title: str, year: int) -> str:
    from app.titles import title_label

    return _(
        "%(province)s đã có đợt đánh giá danh hiệu %(title)s năm %(year)s.",
        province=province.name,
        title=title_label(title),
        year=year,
    )


_UNSET = object()


def update_campaign(
    campaign: Campaign,
    *,
    actor: User,
    now: datetime,
    name=_UNSET,
    process_definition=_UNSET,
    criteria_version=_UNSET,
    registration_from=_UNSET,
    registration_to=_UNSET,
    evidence_from=_UNSET,
    evidence_to=_UNSET,
    assessment_from=_UNSET,
    assessment_to=_UNSET,
    deadlines=_UNSET,
) -> Campaign:
    """Change a campaign: anything while it is a draft; only the steps' deadlines once it is open (new
    tasks take the new dates; tasks already open keep theirs); nothing once closed."""
    require_admin(actor)
    given = {
        key: value
        for key, value in {
            "name": name,
            "process_definition": process_definition,
            "criteria_version": criteria_version,
            "registration_from": registration_from,
            "registration_to": registration_to,
            "evidence_from": evidence_from,
            "evidence_to": evidence_to,
            "assessment_from": assessment_from,
            "assessment_to": assessment_to,
            "deadlines": deadlines,
        }.items()
        if value is not _UNSET
    }
    if campaign.status == "closed":
        raise Conflict(_("Đợt đánh giá đã kết thúc, không sửa được nữa."))
    if campaign.status == "open":
        current = {
            "name": campaign.name,
            "process_definition": campaign.process_definition,
            "criteria_version": campaign.criteria_version,
            **{field: getattr(campaign, field) for field in DATE_FIELDS},
        }
        changed = [
            key
            for key, value in given.items()
            if key != "deadlines" and _normal(value) != _normal(current[key])
        ]
        if changed:
            raise Conflict(_("Đợt đánh giá đang mở: chỉ sửa được hạn của các bước."))
    before = _description(campaign)
    merged = {
        "name": campaign.name,
        "process_definition": campaign.process_definition,
        "criteria_version": campaign.criteria_version,
        "deadlines": dict(campaign.deadlines or {}),
        **{field: getattr(campaign, field) for field in DATE_FIELDS},
        **given,
    }
    values = _validated(
        campaign.province,
        campaign.title,
        campaign.year,
        name=merged["name"],
        process_definition=merged["process_definition"],
        criteria_version=merged["criteria_version"],
        dates={field: merged[field] for field in DATE_FIELDS},
        deadlines=merged["deadlines"],
    )
    values["name"] = values["name"] or campaign.name
    for key, value in values.items():
        setattr(campaign, key, value)
    after = _description(campaign)
    changes = {key: {"from": before[key], "to": after[key]} for key in after if before[key] != after[key]}
    if changes:
        audit.record("campaign.updated", actor=actor, at=now, obj=campaign, details={"changes": changes})
    commit()
    return campaign


def _normal(value):
    if isinstance(value, (ProcessDefinition, FormVersion)):
        return value.id
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value.strip() or None
    return value


def open_campaign(campaign: Campaign, *, actor: User, now: datetime) -> Campaign:
    """Open a draft: registration can start, and its windows and deadlines now apply to the title."""
    require_admin(actor)
    if campaign.status != "draft":
        raise Conflict(_("Chỉ mở được đợt đánh giá đang ở trạng thái dự thảo."))
    campaign.status = "open"
    campaign.opened_at = now
    audit.record("campaign.opened", actor=actor, at=now, obj=campaign, details=_description(campaign))
    _plan_openings(campaign, now)
    commit()
    return campaign


def close_campaign(campaign: Campaign, *, actor: User, now: datetime) -> Campaign:
    """Close an open campaign: no more registrations and no new dossiers of its title and year in its
    province; dossiers already open run on."""
    require_admin(actor)
    if campaign.status != "open":
        raise Conflict(_("Chỉ kết thúc được đợt đánh giá đang mở."))
    campaign.status = "closed"
    campaign.closed_at = now
    audit.record("campaign.closed", actor=actor, at=now, obj=campaign, details=counts(campaign))
    commit()
    return campaign


# -------------------------------------------------------------------------------------- registration


def _reach(actor: User) -> tuple[bool, list[str]]:
    """Whether ``actor`` may register anyone, and the unit paths it registers subjects in."""
    if actor.is_admin:
        return True, []
    return False, [a.unit.path for a in actor.roles if a.role in REGISTRAR_ROLES]


def may_register_others(actor: User) -> bool:
    anywhere, paths = _reach(actor)
    return anywhere or bool(paths)


def registrable_subjects(campaign: Campaign, actor: User):
    """SQL: the subjects of the campaign's kind in its province that ``actor`` registers in bulk."""
    definition = procedure_of(campaign)
    kind = definition.serves.get("subject_kind") if definition is not None else None
    anywhere, paths = _reach(actor)
    query = (
        select(Subject)
        .join(AdminUnit, AdminUnit.id == Subject.unit_id)
        .where(AdminUnit.path.startswith(campaign.province.path, autoescape=True))
    )
    if kind is not None:
        query = query.where(Subject.kind == kind)
    if not anywhere:
        if not paths:
            return query.where(false())
        query = query.where(or_(*(AdminUnit.path.startswith(p, autoescape=True) for p in paths)))
    return query


REASONS = {
    "not_found": lambda: _("Không tìm thấy đối tượng, hoặc đối tượng không thuộc địa bàn bạn phụ trách."),
    "other_province": lambda: _("Đối tượng không thuộc tỉnh/thành phố của đợt đánh giá."),
    "wrong_kind": lambda: _("Danh hiệu này không dành cho loại đối tượng này."),
    "already_registered": lambda: _("Đối tượng đã đăng ký trong đợt này."),
    "has_dossier": lambda: _("Đối tượng đã có hồ sơ danh hiệu này trong năm."),
}


def _skip(subject_id, code: str) -> dict:
    return {"subject_id": subject_id, "code": code, "reason": REASONS[code]()}


def check_registration_window(campaign: Campaign, now: datetime) -> None:
    today = local_day(now)
    window = {"start": vn_day(campaign.registration_from), "end": vn_day(campaign.registration_to)}
    if campaign.status == "draft":
        raise Conflict(_("Đợt đánh giá chưa mở đăng ký."))
    if campaign.status == "closed":
        raise Conflict(_("Đợt đánh giá năm %(year)s của danh hiệu này đã kết thúc.", year=campaign.year))
    if today < campaign.registration_from:
        raise Conflict(_("Chưa đến thời gian đăng ký của đợt này (từ %(start)s đến %(end)s).", **window))
    if today > campaign.registration_to:
        raise Conflict(_("Đã hết thời gian đăng ký của đợt này (từ %(start)s đến %(end)s).", **window))


def _subject_ids(subject_ids) -> list[int]:
    if not isinstance(subject_ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in subject_ids
    ):
        message = _('"subject_ids" phải là danh sách mã đối tượng (số nguyên).')
        raise InvalidInput({"subject_ids": [message]}, message)
    if not subject_ids:
        message = _("Vui lòng chọn ít nhất một đối tượng.")
        raise InvalidInput({"subject_ids": [message]}, message)
    if len(subject_ids) > MAX_REGISTRATIONS:
        message = _("Mỗi lần đăng ký tối đa %(n)s đối tượng.", n=MAX_REGISTRATIONS)
        raise InvalidInput({"subject_ids": [message]}, message)
    return list(dict.fromkeys(subject_ids))


def register_subjects(
    campaign: Campaign, subject_ids, *, actor: User, now: datetime
) -> tuple[int, list[dict]]:
    """Register subjects for a campaign, all in one transaction: returns how many were registered and,
    for each one that was not, why (``subject_id``, ``code``, ``reason``). Refused as a whole outside the
    registration window. When self-assessment has already begun, their dossiers open right away."""
    ids = _subject_ids(subject_ids)
    check_registration_window(campaign, now)
    definition = procedure_of(campaign)
    kind = definition.serves.get("subject_kind") if definition is not None else None
    anywhere, paths = _reach(actor)
    subjects = {
        s.id: s
        for s in db.session.scalars(select(Subject).where(Subject.id.in_(ids)))
        if s.account_id == actor.id or anywhere or any(s.unit.path.startswith(p) for p in paths)
    }
    registered_ids = set(
        db.session.scalars(
            select(Registration.subject_id).where(
                Registration.campaign_id == campaign.id, Registration.subject_id.in_(list(subjects))
            )
        )
    )
    with_dossier = set(
        db.session.scalars(
            select(Dossier.subject_id).where(
                Dossier.subject_id.in_(list(subjects)),
                Dossier.title == campaign.title,
                Dossier.year == campaign.year,
            )
        )
    )
    added, skipped = [], []
    for subject_id in ids:
        subject = subjects.get(subject_id)
        if subject is None:
            skipped.append(_skip(subject_id, "not_found"))
        elif province_id_of(subject) != campaign.province_id:
            skipped.append(_skip(subject_id, "other_province"))
        elif kind is not None and subject.kind != kind:
            skipped.append(_skip(subject_id, "wrong_kind"))
        elif subject_id in registered_ids:
            skipped.append(_skip(subject_id, "already_registered"))
        elif subject_id in with_dossier:
            skipped.append(_skip(subject_id, "has_dossier"))
        else:
            added.append(subject)
    for subject in added:
        db.session.add(
            Registration(campaign=campaign, subject=subject, registered_by_id=actor.id, registered_at=now)
        )
    if added:
        try:
            db.session.flush()
        except IntegrityError:
            rollback()
            raise Conflict(_("Danh sách vừa được người khác đăng ký. Vui lòng tải lại trang.")) from None
        audit.record(
            "campaign.registered",
            actor=actor,
            at=now,
            obj=campaign,
            details={
                "count": len(added),
                "subject_ids": [s.id for s in added][:200],
                "skipped": len(skipped),
            },
        )
        if assessment_open(campaign, now):
            # No dedupe key: the job is idempotent, and this call's subjects must not wait for tomorrow.
            add_job(JOB, {"campaign_id": campaign.id}, at=now)
    commit()
    return len(added), skipped


def registration_of(campaign: Campaign, subject: Subject) -> Registration | None:
    return db.session.scalar(
        select(Registration).where(
            Registration.campaign_id == campaign.id, Registration.subject_id == subject.id
        )
    )


def register_or_open(subject: Subject, title: str, year: int, *, actor: User, now: datetime):
    """The applicant's "Đăng ký": within a campaign's registration window before self-assessment begins,
    register (the dossier opens with self-assessment); otherwise open the dossier as without a campaign.
    Returns ("registered", campaign) or ("opened", dossier)."""
    from app.services.campaign_rules import campaign_for
    from app.services.dossiers import open_dossier

    if isinstance(year, int) and MIN_YEAR <= year <= MAX_YEAR:
        campaign = campaign_for(subject, title, year)
        if (
            campaign is not None
            and registration_open(campaign, now)
            and local_day(now) < campaign.assessment_from
        ):
            registered, skipped = register_subjects(campaign, [subject.id], actor=actor, now=now)
            if skipped:
                if skipped[0]["code"] == "already_registered":
                    raise Conflict(
                        _(
                            "Bạn đã đăng ký; hồ sơ tự đánh giá sẽ mở ngày %(day)s.",
                            day=vn_day(campaign.assessment_from),
                        )
                    )
                raise Conflict(skipped[0]["reason"])
            return "registered", campaign
    return "opened", open_dossier(subject, title, year, actor=actor, now=now)


def waiting_registrations(subject_ids: list[int], year: int) -> list[Registration]:
    """Registrations of these subjects for ``year`` whose dossier has not opened yet."""
    if not subject_ids:
        return []
    return list(
        db.session.scalars(
            select(Registration)
            .join(Campaign, Campaign.id == Registration.campaign_id)
            .where(
                Registration.subject_id.in_(subject_ids),
                Registration.dossier_id.is_(None),
                Campaign.year == year,
                Campaign.status == "open",
            )
        )
    )


# ----------------------------------------------------------------------------- opening the dossiers


def _waiting(campaign: Campaign):
    return exists().where(Registration.campaign_id == campaign.id, Registration.dossier_id.is_(None))


def _plan_openings(campaign: Campaign, now: datetime) -> bool:
    if not assessment_open(campaign, now) or not db.session.scalar(select(_waiting(campaign))):
        return False
    day = local_day(now).isoformat()
    return (
        add_job(JOB, {"campaign_id": campaign.id}, at=now, dedupe_key=f"{JOB}:{campaign.id}:{day}")
        is not None
    )


def plan_dossier_openings(now: datetime) -> int:
    """The tick's part: for every open campaign whose self-assessment window has opened and that has
    registrations without a dossier, the day's ``open_registered_dossiers`` job (once per day)."""
    today = local_day(now)
    planned = 0
    for campaign in db.session.scalars(
        select(Campaign).where(
            Campaign.status == "open", Campaign.assessment_from <= today, Campaign.assessment_to >= today
        )
    ):
        planned += _plan_openings(campaign, now)
    if not planned:
        rollback()
        return 0
    try:
        commit()
    except IntegrityError:
        # Another worker's tick planned the same day's job between our look and our commit.
        rollback()
        return 0
    return planned


class OpeningFailed(RuntimeError):
    """Some registered dossiers could not open; the others did. The job fails so admins see it."""


def open_registered_dossiers(campaign_id: int, *, now: datetime) -> dict:
    """Open the dossier of every registration of the campaign that has none yet, each in its own
    transaction, as whoever registered it. Safe to run again: opened ones are skipped. One failing does
    not stop the others; it is recorded, and the call raises ``OpeningFailed`` at the end."""
    from app.services.dossiers import start_dossier

    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not assessment_open(campaign, now):
        return {"opened": 0, "failed": 0}
    ids = list(
        db.session.scalars(
            select(Registration.id)
            .where(Registration.campaign_id == campaign.id, Registration.dossier_id.is_(None))
            .order_by(Registration.id)
        )
    )
    title, year = campaign.title, campaign.year
    opened, failures = 0, []
    for registration_id in ids:
        registration = db.session.get(Registration, registration_id)
        if registration is None or registration.dossier_id is not None:
            continue
        subject = registration.subject
        existing = db.session.scalar(
            select(Dossier).where(
                Dossier.subject_id == subject.id, Dossier.title == title, Dossier.year == year
            )
        )
        if existing is not None:
            # Opened another way meanwhile (the subject itself, the desk): that is its dossier.
            registration.dossier = existing
            commit()
            continue
        try:
            if registration.registered_by is None:
                raise Conflict(_("Không rõ người đăng ký."))
            start_dossier(subject, title, year, actor=registration.registered_by, now=now)
            opened += 1
        except Exception as exc:  # noqa: BLE001  (one subject must not stop the rest)
            rollback()
            message = getattr(exc, "message", None) or str(exc)
            failures.append({"subject_id": registration.subject_id, "error": message})
            audit.record(
                "campaign.dossier_failed",
                actor=None,
                at=now,
                obj=campaign,
                details={"subject_id": registration.subject_id, "error": message[:2000]},
            )
            commit()
    if failures:
        raise OpeningFailed(
            f"{len(failures)} dossier(s) of campaign {campaign_id} did not open: "
            + "; ".join(f"subject {f['subject_id']}: {f['error']}" for f in failures[:20])
        )
    return {"opened": opened, "failed": 0}
