"""The recognition loop: opening dossiers and running their steps, one transaction per step."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, undefer
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.labels import localized
from app.models import (
    AdminUnit,
    Campaign,
    Comment,
    Dossier,
    EvidenceFile,
    HumanTask,
    ProcessDefinition,
    Registration,
    Subject,
    SubjectLink,
    Submission,
    UnitLevel,
    User,
    ids_on_path,
)
from app.services import audit, drafts
from app.services.bounds import COMMENT, check_lengths
from app.services.campaign_rules import campaign_for, check_assessment_window, deadline_at
from app.services.errors import Conflict, EndingNotConfirmed, InvalidInput, NotFound, StepFailed
from app.services.evidence import PendingUpload, add_evidence
from app.services.jurisdiction import can_act_on_task, can_register_for, can_see_dossier
from app.services.outbox import add_job
from app.services.procedures import compiled_for, definition_for, form_version_ids, runtime, task_form
from app.services.step_messages import subject_label
from app.services.streaks import years_before
from app.services.uow import commit, rollback
from forms import validate_submission
from forms.outcome import OutcomePreview, preview_outcome, scored_data
from workflow import StepResult, TaskNotReady, WorkflowStepError, decision_tasks, scoring_tasks

MIN_YEAR, MAX_YEAR = 2000, 2100
# A lane level naming the subject the dossier's subject belongs to, by relation: "linked:staff".
LINKED = "linked:"


def _dossier_code(definition: ProcessDefinition, year: int, dossier_id: int) -> str:
    return f"{definition.serves['code_prefix']}-{year}-{dossier_id:06d}"


def _level_names(codes) -> str:
    names = dict(
        db.session.execute(select(UnitLevel.code, UnitLevel.name_vi).where(UnitLevel.code.in_(codes))).all()
    )
    return ", ".join(names.get(code, code) for code in codes)


def open_dossier(subject: Subject, title: str, year: int, *, actor: User, now: datetime) -> Dossier:
    """Open the year's dossier for a subject and start its procedure at the self-report step."""
    if not can_register_for(actor, subject):
        raise NotFound(_("Không tìm thấy đối tượng."))
    return start_dossier(subject, title, year, actor=actor, now=now)


def start_dossier(subject: Subject, title: str, year: int, *, actor: User, now: datetime) -> Dossier:
    """Open and start a dossier whose opening ``actor`` may already ask for (checked by the caller:
    the subject itself, the desk, or a campaign registration made by someone who could)."""
    if not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput({"year": [_("Năm đánh giá phải từ %(a)s đến %(b)s.", a=MIN_YEAR, b=MAX_YEAR)]})
    campaign = campaign_for(subject, title, year)
    if campaign is not None:
        check_assessment_window(campaign, now)
    definition = (campaign.process_definition if campaign is not None else None) or definition_for(
        title, subject.unit
    )
    if definition is None:
        raise NotFound(_("Danh hiệu này chưa có quy trình được áp dụng cho địa bàn của đối tượng."))
    subject_kind = definition.serves.get("subject_kind")
    if subject_kind is not None and subject.kind != subject_kind:
        raise Conflict(_("Danh hiệu này không dành cho loại đối tượng này."))
    ancestor_levels = set(
        db.session.scalars(
            select(AdminUnit.level_code).where(AdminUnit.id.in_(ids_on_path(subject.unit.path)))
        )
    )
    missing = sorted(
        lane["level"]
        for lane in definition.manifest.get("lanes", {}).values()
        if lane["level"] != "subject"
        and not lane["level"].startswith(LINKED)
        # A lane only some subjects reach (a commune step a province-managed unit skips) is checked
        # when a task of it opens, not here.
        and not lane.get("optional")
        and lane["level"] not in ancestor_levels
    )
    if missing:
        # Caught here rather than halfway through: e.g. a procedure with district verification for a
        # commune in the two-tier (province → commune) tree.
        raise Conflict(
            _(
                "Quy trình của danh hiệu này cần đơn vị cấp %(levels)s, nhưng đơn vị của đối tượng không có "
                "cấp đó. Vui lòng liên hệ quản trị hệ thống.",
                levels=_level_names(missing),
            )
        )
    duplicate = db.session.scalar(
        select(Dossier.id).where(
            Dossier.subject_id == subject.id, Dossier.title == title, Dossier.year == year
        )
    )
    if duplicate is not None:
        raise Conflict(_("Đối tượng đã có hồ sơ danh hiệu này cho năm %(year)s.", year=year))
    dossier = Dossier(
        code=uuid.uuid4().hex[:32],
        title=title,
        year=year,
        subject=subject,
        unit_id=subject.unit_id,
        unit_path=subject.unit.path,
        process_definition=definition,
        campaign=campaign,
        state="",
        status="in_progress",
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(dossier)
    try:
        db.session.flush()
    except IntegrityError:
        rollback()
        raise Conflict(_("Đối tượng đã có hồ sơ danh hiệu này cho năm %(year)s.", year=year)) from None
    dossier.code = _dossier_code(definition, year, dossier.id)
    # The procedure's own defaults (reminder days...) come from its manifest, merged by the runtime.
    start_data = {
        "dossier_id": dossier.id,
        "subject_id": subject.id,
        "year": year,
        # What a procedure may branch on without knowing any title: the kind and group of the subject
        # (a citizen's group picks its form) and its record (commendation after N years in a row).
        "subject_kind": subject.kind,
        "subject_category": subject.category,
        "subject_level": subject.unit.level_code,
        "years_in_a_row": years_before(subject.id, title, year),
    }
    try:
        result = runtime().start(compiled_for(definition), data=start_data, now=now)
    except WorkflowStepError as exc:
        rollback()
        raise StepFailed(_("Quy trình gặp lỗi khi khởi tạo hồ sơ: %(error)s", error=str(exc))) from exc

    def write():
        audit.record(
            "dossier.opened",
            actor=actor,
            at=now,
            dossier_id=dossier.id,
            obj=dossier,
            details={
                "title": title,
                "year": year,
                "procedure_version": definition.version,
                # Opened by someone other than the subject's account: an admin, or an officer at the desk.
                # Written only when so: every stored byte is paid per dossier (bench/README.md, P4).
                **({"on_behalf": True} if subject.account_id != actor.id else {}),
            },
        )
        if campaign is not None:
            _link_registration(campaign, subject, dossier, actor=actor, now=now)
        apply_step(dossier, definition, result, actor=actor, now=now)

    save_step(write)
    return dossier


def _link_registration(campaign: Campaign, subject: Subject, dossier: Dossier, *, actor: User, now: datetime):
    """A dossier opened in a campaign counts as its subject's registration: the one made earlier, or one
    made now (a household that registers by starting its self-assessment)."""
    registration = db.session.scalar(
        select(Registration).where(
            Registration.campaign_id == campaign.id, Registration.subject_id == subject.id
        )
    )
    if registration is None:
        registration = Registration(
            campaign=campaign, subject=subject, registered_by_id=actor.id, registered_at=now
        )
        db.session.add(registration)
    registration.dossier = dossier


def save_step(write: Callable[[], None]) -> None:
    """Apply a step's writes and commit them as one transaction.

    Another step that committed on the same dossier first makes the row-version check (or a unique
    constraint) fail, at a flush or at the commit; the whole step is then rolled back and reported
    as a conflict.
    """
    try:
        write()
        commit()
    except (StaleDataError, IntegrityError):
        rollback()
        raise Conflict(_("Hồ sơ vừa được người khác xử lý. Vui lòng tải lại trang.")) from None
    except Exception:
        rollback()
        raise


def task_holder(dossier: Dossier, level: str) -> tuple[AdminUnit, int | None]:
    """Who holds a task of ``level``: the unit it sits at, and the subject whose account acts on it
    (None for an official's task). ``subject`` is the dossier's own subject; ``linked:<relation>`` is the
    subject it belongs to by that relation (a staff member's organisation recognises its staff)."""
    if level == "subject":
        return dossier.subject.unit, dossier.subject_id
    if level.startswith(LINKED):
        relation = level.removeprefix(LINKED)
        holder = db.session.scalar(
            select(Subject)
            .join(SubjectLink, SubjectLink.parent_id == Subject.id)
            .where(SubjectLink.child_id == dossier.subject_id, SubjectLink.relation == relation)
            .order_by(SubjectLink.id)
            .limit(1)
        )
        if holder is None:
            raise Conflict(
                _(
                    "Đối tượng chưa thuộc cơ quan, đơn vị, tổ chức nào để giao bước tiếp theo. Vui lòng "
                    "liên hệ cán bộ xã để cập nhật sổ đối tượng."
                )
            )
        return holder.unit, holder.id
    return unit_for(dossier, level), None


def unit_for(dossier: Dossier, level: str):
    """The unit that holds a task of ``level``: the subject's own unit, or its ancestor at that level."""
    if level == "subject":
        return dossier.subject.unit
    # The materialised path lists every ancestor, so one query finds the one at the level.
    on_path = AdminUnit.id.in_(ids_on_path(dossier.unit_path))
    target = db.session.scalar(select(AdminUnit).where(on_path, AdminUnit.level_code == level))
    if target is None:
        raise StepFailed(_("Không tìm thấy đơn vị cấp %(level)s của đối tượng để giao việc.", level=level))
    return target


def _due_at(dossier: Dossier, task, now: datetime) -> datetime | None:
    """A campaign's deadline for the step when it sets one, else the procedure's day count."""
    if dossier.campaign_id is not None:
        deadline = deadline_at(dossier.campaign, task.bpmn_id)
        if deadline is not None:
            return deadline
    return now + timedelta(days=task.sla_days) if task.sla_days else None


def apply_step(
    dossier: Dossier,
    definition: ProcessDefinition,
    result: StepResult,
    *,
    actor: User | None,
    now: datetime,
    completed: HumanTask | None = None,
) -> None:
    """Project a step's outcome onto the dossier, its inbox rows and the outbox."""
    if result.completed and result.end_state is None:
        raise StepFailed(_("Quy trình kết thúc ở một sự kiện chưa được gán trạng thái hồ sơ."))
    # Every dossier column is set before the flush below, so the row is written once per step.
    dossier.state = result.state
    dossier.serializer_version = result.serializer_version
    dossier.next_timer_at = result.next_timer_at
    dossier.updated_at = now
    data = result.data or {}
    for column in ("self_score", "score", "rating"):
        if column in data:
            setattr(dossier, column, data[column])
    dossier.current_step = ",".join(task.bpmn_id for task in result.ready_tasks) or None
    if result.completed:
        dossier.status = result.end_state
        dossier.completed_at = now
    elif (
        completed is not None
        and completed.subject_id != dossier.subject_id  # an official's or the linked organisation's step
        and _returned_to_subject(result, definition.manifest)
    ):
        dossier.status = "returned"
    else:
        dossier.status = "in_progress"

    open_rows = {t.task_id: t for t in dossier.tasks if t.state == "open"}
    ready_ids = {task.id for task in result.ready_tasks}
    for task_id, row in open_rows.items():
        if task_id not in ready_ids and row is not completed:
            row.state = "cancelled"
            row.completed_at = now
            drafts.delete_task_drafts(row)  # a cancelled task can no longer be completed from its draft
    new_rows = []
    versions = form_version_ids(definition) if any(t.id not in open_rows for t in result.ready_tasks) else {}
    for task in result.ready_tasks:
        if task.id in open_rows:
            continue
        unit, holder_subject_id = task_holder(dossier, task.level)
        row = HumanTask(
            dossier=dossier,
            task_id=task.id,
            name=task.bpmn_id,
            label=definition.manifest.get("tasks", {}).get(task.bpmn_id, {}).get("label")
            or {"vi": task.name, "en": task.name},
            title=dossier.title,
            lane=task.lane,
            role=task.role,
            unit_id=unit.id,
            unit_path=unit.path,
            subject_id=holder_subject_id,
            at_desk=holder_subject_id is not None
            and db.session.get(Subject, holder_subject_id).account_id is None,
            form_key=task.form_key,
            form_version_id=versions.get(task.form_key),
            due_at=_due_at(dossier, task, now),
            created_at=now,
        )
        db.session.add(row)
        new_rows.append(row)
    db.session.flush()
    for row in new_rows:
        add_job("task_opened", {"human_task_id": row.id}, at=now, dossier_id=dossier.id)
    for notice in result.notices:
        if notice.kind == "task_reminder":
            add_job(
                "task_reminder",
                {"dossier_id": dossier.id, "task": notice.params.get("task")},
                at=now,
                dossier_id=dossier.id,
            )
            audit.record(
                "task.reminder_due", actor=None, at=now, dossier_id=dossier.id, details=dict(notice.params)
            )
    if result.completed:
        audit.record(
            f"dossier.{dossier.status}",
            actor=None,
            at=now,
            dossier_id=dossier.id,
            details={"reason": dossier.status_reason} if dossier.status_reason else {},
        )
        add_job(
            "dossier_outcome",
            {"dossier_id": dossier.id, "status": dossier.status},
            at=now,
            dossier_id=dossier.id,
        )


def _pending_uploads_to_formdata(dossier, form, formdata, uploads, *, actor, now):
    """Store uploads that came with a web form and add their ids to the file fields' values."""
    from forms import MultiDict

    merged = MultiDict()
    for key in formdata:
        merged.setlist(key, formdata.getlist(key))
    for field_name, items in uploads.items():
        field = form.field(field_name)
        for upload in items:
            evidence = add_evidence(dossier, upload, field.criterion, actor=actor, now=now)
            merged.add(field_name, str(evidence.id))
    return merged


def submit_task(
    human_task_id: int,
    formdata,
    *,
    actor: User,
    now: datetime,
    locale: str = "vi",
    uploads: dict[str, list[PendingUpload]] | None = None,
    upload_errors: dict[str, list[str]] | None = None,
    confirm_ending: bool = True,
) -> Dossier:
    """Complete a task with submitted form data: validate, advance the procedure, commit once.

    ``formdata`` has ``getlist`` (a request form or ``forms.formdata_from_json``'s result). Raises
    ``NotFound`` outside the actor's reach, ``Conflict`` when the task is no longer open, is another
    official's or four eyes forbid the actor to do it, ``InvalidInput`` with field errors (nothing is
    changed) and ``StepFailed``. With ``confirm_ending=False`` a step that would end the dossier without
    recognition raises ``EndingNotConfirmed`` instead, changing nothing: the web form asks first.
    ``upload_errors`` are files the caller refused (``evidence.inspect_upload``): they are reported with the
    form's own errors, so one round shows every error, and nothing is stored (the accepted files are
    rolled back with the rest); a field's refused file replaces what its missing evidence would be told.
    """
    # Lock the dossier row first (PostgreSQL; the row version catches the race on SQLite), then read
    # the task, so what is checked below is what the step will change.
    dossier = db.session.scalars(
        select(Dossier)
        .where(
            Dossier.id == select(HumanTask.dossier_id).where(HumanTask.id == human_task_id).scalar_subquery()
        )
        # The subject and the procedure version are read by every step (four eyes, the engine): in the
        # same statement. Only the dossier's row is locked.
        .options(
            undefer(Dossier.state),
            joinedload(Dossier.subject, innerjoin=True),
            joinedload(Dossier.process_definition, innerjoin=True),
        )
        .with_for_update(of=Dossier)
    ).first()
    task = db.session.get(HumanTask, human_task_id, populate_existing=True) if dossier is not None else None
    if task is None or not can_act_on_task(actor, task):
        raise NotFound(_("Không tìm thấy công việc."))
    if task.state != "open":
        raise Conflict(_("Công việc này đã được xử lý."))
    if task.claimed_by_id is not None and task.claimed_by_id != actor.id:
        raise Conflict(_("Công việc đang do %(name)s xử lý.", name=task.claimed_by.full_name))
    _check_four_eyes(task, actor)
    form = task_form(task)
    try:
        if uploads:
            formdata = _pending_uploads_to_formdata(dossier, form, formdata, uploads, actor=actor, now=now)
        evidence_ids = _evidence_ids(form, dossier)
        # Derived indicators (app/services/indicators.py): the server's value replaces whatever was posted
        # for a derived field, and an official's scoring step freezes it (IndicatorSnapshot) in this
        # transaction; a refused step rolls the snapshot back with the rest.
        from app.services.indicators import apply_to_step

        formdata = apply_to_step(dossier, task, form, formdata, now=now)
        checked = validate_submission(form, formdata, locale=locale, evidence_ids=evidence_ids)
        errors = checked.errors | (upload_errors or {})
        if errors:
            raise InvalidInput(errors, _("Dữ liệu chưa hợp lệ, vui lòng kiểm tra lại."), checked.form)
        data, variables, score = step_variables(form, checked.data)
        definition = dossier.process_definition
        try:
            result = runtime().complete_task(
                compiled_for(definition),
                dossier.state,
                task.task_id,
                variables,
                actor=actor.username,
                now=now,
            )
        except TaskNotReady:
            raise Conflict(_("Công việc này đã được xử lý.")) from None
        except WorkflowStepError as exc:
            rollback()
            record_step_failure(dossier.id, task.name, exc, actor=actor, now=now)
            raise StepFailed(_("Quy trình gặp lỗi ở bước này: %(error)s", error=str(exc))) from exc
        if not confirm_ending and ending_of(definition.manifest, task.name, data, score, result):
            raise EndingNotConfirmed(_("Bước này sẽ kết thúc hồ sơ; vui lòng xác nhận trước khi gửi."))
    except Exception:
        rollback()
        raise

    def write():
        task.state = "completed"
        task.completed_at = now
        task.completed_by_id = actor.id
        task.claimed_by_id = task.claimed_by_id or actor.id
        task.claimed_at = task.claimed_at or now
        # Drafts are scratch paper for this task: once it is completed they would only mislead.
        drafts.delete_task_drafts(task)
        db.session.add(
            Submission(
                dossier_id=dossier.id,
                human_task_id=task.id,
                form_version_id=task.form_version_id,
                task_name=task.name,
                data=data,
                score=score.as_dict() if score is not None else None,
                actor_id=actor.id,
                submitted_at=now,
            )
        )
        dossier.status_reason = _status_reason(definition.manifest, task.name, data, score, result)
        decision = form.field("decision") if any(f.name == "decision" for f in form.value_fields) else None
        audit.record(
            "task.completed",
            actor=actor,
            at=now,
            dossier_id=dossier.id,
            obj=task,
            details={
                "task": task.name,
                "task_label": task.label,
                "decision": data.get("decision"),
                "decision_label": _choice_label(decision, data.get("decision")),
                "reason": dossier.status_reason if data.get("decision") else None,
                "total": score.total if score is not None else None,
                "form_version_id": task.form_version_id,
                # Whom the step sent the dossier back to, for the history to say so (step_messages);
                # only on a return, so that ordinary steps store nothing more.
                **(
                    {"returned_to": subject_label(definition.manifest)}
                    if task.subject_id != dossier.subject_id
                    and _returned_to_subject(result, definition.manifest)
                    else {}
                ),
            },
        )
        apply_step(dossier, definition, result, actor=actor, now=now, completed=task)

    save_step(write)
    return dossier


def step_variables(form, data: dict):
    """What a validated submission puts into the workflow: its data under the form key, plus the
    scoring outputs when its scores apply. Returns ``(data, variables, score or None)``."""
    data, score = scored_data(form, data, locale="vi")
    variables = {form.key: data}
    if score is not None:
        variables.update(score.outputs(form))
    return data, variables, score


@dataclass(frozen=True)
class Ending:
    """Where a step would leave a dossier it ends without recognition, and the reason the applicant
    will read (the dossier's status reason)."""

    status: str
    reason: str | None


def ending_of(manifest: dict, task_name: str, data: dict, score, result: StepResult) -> Ending | None:
    if not result.completed or result.end_state in manifest.get("recognized_states", []):
        return None
    return Ending(result.end_state, _status_reason(manifest, task_name, data, score, result))


@dataclass(frozen=True)
class StepPreview:
    outcome: OutcomePreview
    # None when the step would not end the dossier without recognition, or cannot tell yet
    # (the values that route it are not settled, or the procedure fails on them).
    ending: Ending | None


def preview_step(task: HumanTask, formdata, *, actor: User, now: datetime, locale: str) -> StepPreview:
    """What completing ``task`` with ``formdata`` would lead to; nothing is written.

    The step is really run, on a copy of the workflow restored from the dossier's state, with the
    variables a submission would give it: whether it ends the dossier is the procedure's own answer
    (its gateways and decision tables), not a rule kept beside it.
    """
    form = task_form(task)
    dossier = task.dossier
    evidence_ids = _evidence_ids(form, dossier)
    outcome = preview_outcome(form, formdata, locale=locale, evidence_ids=evidence_ids)
    if task.state != "open" or not outcome.settled:
        return StepPreview(outcome, None)
    data, variables, _score = step_variables(form, outcome.data)
    definition = dossier.process_definition
    try:
        result = runtime().complete_task(
            compiled_for(definition), dossier.state, task.task_id, variables, actor=actor.username, now=now
        )
    except (TaskNotReady, WorkflowStepError):
        return StepPreview(outcome, None)
    return StepPreview(outcome, ending_of(definition.manifest, task.name, data, outcome.score, result))


def record_step_failure(
    dossier_id: int, task: str | None, error: Exception, *, actor: User | None, now
) -> None:
    """Keep a failed step visible to admins (the dossier's history and the incidents page), in a
    transaction of its own: the step itself was rolled back and changed nothing."""
    audit.record(
        "step.failed",
        actor=actor,
        at=now,
        dossier_id=dossier_id,
        details={"task": task, "error": str(error)[:2000]},
    )
    commit()


def _choice_label(field, value) -> dict | None:
    if field is None or value is None:
        return None
    for choice_value, label in field.choices:
        if choice_value == value:
            return label if isinstance(label, dict) else {"vi": label}
    return None


def _returned_to_subject(result: StepResult, manifest: dict) -> bool:
    """The step sent the dossier back to its applicant side: a task of the subject itself, or the
    self-assessment step (held by officials when the subject is a commune or village community)."""
    self_step = scoring_tasks(manifest).get("self")
    return any(task.level == "subject" or task.bpmn_id == self_step for task in result.ready_tasks)


def _status_reason(manifest: dict, task_name: str, data: dict, score, result: StepResult) -> str | None:
    """The sentence the applicant reads about why the dossier stands where it does: set when the step
    sends the dossier back to the applicant or ends it without recognition, from the official score's
    shortfalls or the reason the official wrote."""
    ended_unrecognized = result.completed and result.end_state not in manifest.get("recognized_states", [])
    returned = _returned_to_subject(result, manifest)
    if not (ended_unrecognized or returned):
        return None
    note = data.get("reason") or data.get("comment") or None
    # A return asks for something: the official's note says what, even when the scores so far fall short.
    if returned and note:
        return note
    official = scoring_tasks(manifest).get("official") == task_name
    if official and score is not None and not score.passed:
        return " ".join(score.shortfalls)
    return note


def _evidence_ids(form, dossier: Dossier) -> frozenset[int]:
    """The dossier's evidence a file field of ``form`` may name; read only for a form that has one."""
    if not form.refers_to_evidence:
        return frozenset()
    return frozenset(db.session.scalars(select(EvidenceFile.id).where(EvidenceFile.dossier_id == dossier.id)))


def _check_four_eyes(task: HumanTask, actor: User) -> None:
    """Separation of duties on an official step; raises ``Conflict`` before anything changes.

    Nobody acts for the state on a dossier whose subject is their own account, in every procedure: that
    is a conflict of interest, not a question of staffing. Unless the procedure's manifest sets
    ``"four_eyes": false``, whoever completed one of its decision steps (``tasks.<id>.decision``) on a
    dossier completes no other one on it, whichever role they hold. Doing the same step again after a
    return is not a second decision.
    """
    if task.subject_id is not None:
        return
    dossier = task.dossier
    if dossier.subject.account_id == actor.id:
        raise Conflict(
            _(
                "Bạn không được xử lý hồ sơ của chính hộ gia đình (đối tượng) mình đứng tên. "
                "Việc này cần một cán bộ khác thực hiện."
            )
        )
    manifest = dossier.process_definition.manifest
    decisions = decision_tasks(manifest)
    if not manifest.get("four_eyes", True) or task.name not in decisions:
        return
    # The dossier's task rows are loaded for the step anyway (apply_step walks them): no extra query.
    # An applicant's step an official entered at the desk counts too: who wrote down what the household
    # declared does not also judge it.
    others = decisions - {task.name}
    earlier = next(
        (
            row
            for row in dossier.tasks
            if row.state == "completed"
            and row.completed_by_id == actor.id
            and (row.name in others or row.subject_id is not None)
        ),
        None,
    )
    if earlier is not None:
        raise Conflict(
            _(
                "Bạn đã xử lý bước “%(step)s” của hồ sơ này. Theo nguyên tắc bốn mắt, một người không "
                "quyết định hai bước của cùng một hồ sơ; bước này cần một cán bộ khác thực hiện.",
                step=localized(earlier.label),
            )
        )


def _open_task(human_task_id: int, actor: User) -> HumanTask:
    task = db.session.get(HumanTask, human_task_id)
    if task is None or not can_act_on_task(actor, task):
        raise NotFound(_("Không tìm thấy công việc."))
    if task.state != "open":
        raise Conflict(_("Công việc này đã được xử lý."))
    return task


def _set_claim(
    task: HumanTask, *, expected: int | None, new: int | None, action: str, actor: User, now: datetime
) -> HumanTask:
    # A conditional update: of two officials claiming (or releasing) at once, exactly one succeeds.
    changed = db.session.execute(
        update(HumanTask)
        .where(
            HumanTask.id == task.id,
            HumanTask.state == "open",
            HumanTask.claimed_by_id.is_(expected)
            if expected is None
            else HumanTask.claimed_by_id == expected,
        )
        .values(claimed_by_id=new, claimed_at=now if new else None)
    ).rowcount
    if changed != 1:
        rollback()
        raise Conflict(_("Công việc vừa được người khác cập nhật. Vui lòng tải lại trang."))
    audit.record(
        action,
        actor=actor,
        at=now,
        dossier_id=task.dossier_id,
        obj=task,
        details={"task": task.name, "task_label": task.label},
    )
    commit()
    db.session.refresh(task)
    return task


def claim_task(human_task_id: int, *, actor: User, now: datetime) -> HumanTask:
    """Nhận xử lý: the task becomes the actor's until released or completed."""
    task = _open_task(human_task_id, actor)
    # Refused here too, so nobody takes a task from the shared inbox that they could not complete.
    _check_four_eyes(task, actor)
    if task.claimed_by_id == actor.id:
        return task
    if task.claimed_by_id is not None:
        raise Conflict(_("Công việc đang do %(name)s xử lý.", name=task.claimed_by.full_name))
    return _set_claim(task, expected=None, new=actor.id, action="task.claimed", actor=actor, now=now)


def release_task(human_task_id: int, *, actor: User, now: datetime) -> HumanTask:
    """Trả lại hàng chờ: only the official who claimed the task can release it."""
    task = _open_task(human_task_id, actor)
    if task.claimed_by_id is None:
        return task
    if task.claimed_by_id != actor.id:
        raise Conflict(_("Chỉ người đang xử lý mới trả lại được công việc này."))
    return _set_claim(task, expected=actor.id, new=None, action="task.released", actor=actor, now=now)


def add_comment(dossier_id: int, body: str, *, actor: User, now: datetime) -> Comment:
    dossier = db.session.get(Dossier, dossier_id)
    if dossier is None or not can_see_dossier(actor, dossier):
        raise NotFound(_("Không tìm thấy hồ sơ."))
    body = (body or "").strip()
    if not body:
        raise InvalidInput({"body": [_("Vui lòng nhập nội dung ý kiến.")]})
    check_lengths({"body": (body, COMMENT)})
    comment = Comment(dossier_id=dossier.id, author_id=actor.id, body=body, created_at=now)
    db.session.add(comment)
    db.session.flush()
    audit.record("comment.added", actor=actor, at=now, dossier_id=dossier.id, obj=comment)
    commit()
    return comment


def get_visible_dossier(dossier_id: int, user: User) -> Dossier:
    dossier = db.session.get(Dossier, dossier_id)
    if dossier is None or not can_see_dossier(user, dossier):
        raise NotFound(_("Không tìm thấy hồ sơ."))
    return dossier


def get_actionable_task(human_task_id: int, user: User) -> HumanTask:
    task = db.session.get(HumanTask, human_task_id)
    if task is None or not can_act_on_task(user, task):
        raise NotFound(_("Không tìm thấy công việc."))
    return task


def _latest_by_form(dossier: Dossier) -> dict[str, Submission]:
    latest: dict[str, Submission] = {}
    for submission in db.session.scalars(
        select(Submission).where(Submission.dossier_id == dossier.id).order_by(Submission.id)
    ):
        latest[submission.form_version.form_definition.key.rsplit(".", 1)[-1]] = submission
    return latest


def prefill_context(dossier: Dossier, form=None) -> dict:
    """What earlier steps submitted, by form key (latest submission wins), for pre-filling ``form``.

    A form's own earlier answers win over the values it copies from other forms, unless one of those
    forms was submitted again since: after a household resubmits, the commune starts from the new
    self-assessment, not from what it entered before returning the dossier.
    """
    latest = _latest_by_form(dossier)
    context = {key: submission.data for key, submission in latest.items()}
    if form is not None and form.key in latest:
        sources = {path.split(".", 1)[0] for field in form.value_fields for path in field.prefill}
        own = latest[form.key].id
        if any(key in latest and latest[key].id > own for key in sources - {form.key}):
            del context[form.key]
    return context


def latest_submissions(dossier: Dossier) -> list[Submission]:
    """Every step's submissions in the order they were made."""
    return list(
        db.session.scalars(
            select(Submission).where(Submission.dossier_id == dossier.id).order_by(Submission.id)
        )
    )
