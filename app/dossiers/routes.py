from datetime import date

from flask import abort, flash, g, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import format_time, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.dossiers import bp
from app.extensions import db
from app.inbox.navigation import task_navigation
from app.models import (
    APPLICANT_ROLES,
    DOSSIER_STATUSES,
    AuditEvent,
    Comment,
    Dossier,
    EvidenceFile,
    Subject,
    utcnow,
)
from app.services import indicators
from app.services.bounds import search_text
from app.services.desk import contacts_for
from app.services.dossiers import (
    add_comment,
    get_actionable_task,
    get_visible_dossier,
    latest_submissions,
    prefill_context,
    preview_step,
    submit_task,
)
from app.services.drafts import discard_draft, draft_for, draft_from_formdata, draft_inputs, save_draft
from app.services.errors import Conflict, EndingNotConfirmed, InvalidInput, NotFound
from app.services.evidence import blob_path, clean_file_name, criteria_of, inspect_upload, upload_evidence
from app.services.jurisdiction import can_act_on_task, dossier_scope
from app.services.procedures import compiled_for, form_for, task_form
from app.services.step_messages import completion_message
from app.titles import catalogue, registrable_titles, status_label
from forms import input_values, prefill_values
from workflow import scoring_tasks

SORTS = {
    "-updated": Dossier.updated_at.desc(),
    "updated": Dossier.updated_at.asc(),
    "code": Dossier.code.asc(),
    "-score": Dossier.score.desc(),
}


@bp.route("/dossiers")
@login_required
def index():
    args = request.args
    query = select(Dossier).join(Subject, Subject.id == Dossier.subject_id).where(dossier_scope(current_user))
    if args.get("status") in DOSSIER_STATUSES:
        query = query.where(Dossier.status == args["status"])
    if args.get("year", type=int):
        query = query.where(Dossier.year == args.get("year", type=int))
    if args.get("title") in catalogue():
        query = query.where(Dossier.title == args["title"])
    if needle := search_text(args).lower():
        needle = f"%{needle}%"
        query = query.where(func.lower(Subject.name).like(needle) | func.lower(Dossier.code).like(needle))
    sort = args.get("sort") if args.get("sort") in SORTS else "-updated"
    query = query.order_by(SORTS[sort], Dossier.id.desc())
    page = db.paginate(query, page=args.get("page", 1, type=int), per_page=20, error_out=False)
    own_subjects = db.session.scalars(
        select(Subject).where(Subject.account_id == current_user.id).order_by(Subject.id)
    ).all()
    if not own_subjects and all(r.role in APPLICANT_ROLES for r in current_user.roles):
        # An applicant account nobody has linked to a household yet: say what to do and whom to ask.
        return render_template("dossiers/no_household.html", places=contacts_for(current_user))
    this_year = date.today().year
    # The household's home: this year's dossier of each of its subjects, with its status, result and the
    # step waiting for the household, all on the first screen.
    registered = {
        dossier.subject_id: dossier
        for dossier in db.session.scalars(
            select(Dossier).where(
                Dossier.subject_id.in_([s.id for s in own_subjects]), Dossier.year == this_year
            )
        )
    }
    next_steps = {
        subject_id: [t for t in dossier.tasks if t.state == "open" and can_act_on_task(current_user, t)]
        for subject_id, dossier in registered.items()
    }
    return render_template(
        "dossiers/index.html",
        page=page,
        sort=sort,
        own_subjects=own_subjects,
        registrable={subject.id: registrable_titles(subject) for subject in own_subjects},
        statuses=DOSSIER_STATUSES,
        this_year=this_year,
        registered=registered,
        next_steps=next_steps,
        waiting=_waiting_registrations(own_subjects, this_year),
    )


def _waiting_registrations(subjects, year: int) -> dict:
    """subject id → its registration whose dossier opens when the campaign's self-assessment begins."""
    from app.services.campaigns import waiting_registrations

    return {r.subject_id: r for r in waiting_registrations([s.id for s in subjects], year)}


@bp.route("/dossiers/new", methods=["POST"])
@login_required
def create():
    subject = db.session.get(Subject, request.form.get("subject_id", type=int) or 0)
    if subject is None or subject.account_id != current_user.id:
        raise NotFound(_("Không tìm thấy đối tượng."))
    title = request.form.get("title", "")
    year = request.form.get("year", type=int) or date.today().year
    from app.services.campaigns import register_or_open, vn_day

    try:
        # In a campaign's registration window before self-assessment, "Đăng ký" registers; else it opens.
        outcome, opened = register_or_open(subject, title, year, actor=current_user, now=utcnow())
    except Conflict as exc:
        flash(exc.message, "warning")
        return redirect(url_for("dossiers.index"))
    except InvalidInput as exc:
        flash(" ".join(m for messages in exc.errors.values() for m in messages), "danger")
        return redirect(url_for("dossiers.index"))
    if outcome == "registered":
        flash(
            _("Đã đăng ký. Hồ sơ tự đánh giá sẽ mở ngày %(day)s.", day=vn_day(opened.assessment_from)),
            "success",
        )
        return redirect(url_for("dossiers.index"))
    dossier = opened
    flash(_("Đã tạo hồ sơ %(code)s. Vui lòng tự đánh giá và nộp hồ sơ.", code=dossier.code), "success")
    return redirect(url_for("dossiers.show", dossier_id=dossier.id))


def _latest_scored(submissions, task_name: str | None):
    scored = [s for s in submissions if s.task_name == task_name and s.score]
    return scored[-1] if scored else None


def _score_rows(dossier: Dossier, submissions):
    """Per criterion and sub-item: the self-score and the official score side by side."""
    steps = scoring_tasks(dossier.process_definition.manifest)
    self_sub = _latest_scored(submissions, steps.get("self"))
    official_sub = _latest_scored(submissions, steps.get("official"))
    base = official_sub or self_sub
    if base is None:
        return None
    form = form_for(base.form_version)
    if form.scoring is None:
        return None
    self_data = _points_by_item(form, self_sub.data) if self_sub else {}
    official_data = _points_by_item(form, official_sub.data) if official_sub else {}
    rows = []
    for criterion in form.scoring.criteria:
        items = [f for f in form.value_fields if f.field_type.scored and f.criterion == criterion.key]
        rows.append(
            {
                "criterion": criterion,
                "self": sum(self_data.get(f.name) or 0 for f in items) if self_sub else None,
                "official": sum(official_data.get(f.name) or 0 for f in items) if official_data else None,
                "items": [
                    {
                        "field": f,
                        "self": self_data.get(f.name) if self_sub else None,
                        "official": official_data.get(f.name) if official_data else None,
                    }
                    for f in items
                ],
            }
        )
    return {"rows": rows, "max_total": form.scoring.max_total, "pass_total": form.scoring.pass_total}


def _points_by_item(form, data: dict) -> dict:
    """A submission's points per scored item: a score as entered, a derived value by its thresholds."""
    points = dict(data)
    for field in form.value_fields:
        if field.type == "derived" and field.criterion is not None:
            points[field.name] = field.field_type.points_of(field, data.get(field.name))
    return points


def _step_details(submissions, locale: str):
    """What each step decided, in the words of its form: decisions, reasons, commendation details."""
    steps = []
    for submission in submissions:
        form = form_for(submission.form_version)
        values = []
        for field in form.value_fields:
            value = submission.data.get(field.name)
            if field.in_summary and value not in (None, "", []):
                values.append((field.label(locale), field.display(value, locale)))
        steps.append({"submission": submission, "title": form.title(locale), "values": values})
    return steps


@bp.route("/dossiers/<int:dossier_id>")
@login_required
def show(dossier_id: int, comment: str = ""):
    """The dossier; ``comment`` is a refused comment, shown again in its box for the writer to fix."""
    dossier = get_visible_dossier(dossier_id, current_user)
    submissions = latest_submissions(dossier)
    history = db.session.scalars(
        select(AuditEvent).where(AuditEvent.dossier_id == dossier.id).order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    comments = db.session.scalars(
        select(Comment).where(Comment.dossier_id == dossier.id).order_by(Comment.created_at)
    ).all()
    evidence = db.session.scalars(
        select(EvidenceFile).where(EvidenceFile.dossier_id == dossier.id).order_by(EvidenceFile.id)
    ).all()
    open_tasks = [t for t in dossier.tasks if t.state == "open"]
    derived = indicators.frozen_views(dossier)  # values frozen when the dossier was scored
    return render_template(
        "dossiers/show.html",
        dossier=dossier,
        scores=_score_rows(dossier, submissions),
        steps=_step_details(submissions, str(get_locale() or "vi")),
        history=history,
        comments=comments,
        evidence=evidence,
        criteria=criteria_of(dossier),
        derived=derived,
        derived_labels=indicators.field_labels(dossier, str(get_locale() or "vi")) if derived else {},
        open_tasks=open_tasks,
        my_tasks=[t for t in open_tasks if can_act_on_task(current_user, t)],
        comment=comment,
    )


@bp.route("/dossiers/<int:dossier_id>/comments", methods=["POST"])
@login_required
def comment(dossier_id: int):
    try:
        add_comment(dossier_id, request.form.get("body", ""), actor=current_user, now=utcnow())
        flash(_("Đã gửi ý kiến."), "success")
    except InvalidInput as exc:
        flash(" ".join(m for messages in exc.errors.values() for m in messages), "danger")
        # Nothing was saved; what was written stays in the box (a redirect would lose it).
        return show(dossier_id, comment=request.form.get("body", "")), 422
    return redirect(url_for("dossiers.show", dossier_id=dossier_id) + "#comments")


@bp.route("/dossiers/<int:dossier_id>/evidence", methods=["POST"])
@login_required
def evidence_upload(dossier_id: int):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Vui lòng chọn tệp minh chứng."), "danger")
        return redirect(url_for("dossiers.show", dossier_id=dossier_id) + "#evidence")
    try:
        upload_evidence(
            dossier_id,
            upload.filename,
            upload.stream,
            request.form.get("criterion") or None,
            actor=current_user,
            now=utcnow(),
        )
        flash(_("Đã tải lên minh chứng."), "success")
    except InvalidInput as exc:
        flash(" ".join(m for messages in exc.errors.values() for m in messages), "danger")
    return redirect(url_for("dossiers.show", dossier_id=dossier_id) + "#evidence")


def _send_evidence(evidence_id: int, *, pdf_as_attachment: bool, frame_ancestors: str):
    """One evidence file, to whoever may see its dossier, as a sandboxed document of its own.

    The name is cleaned again on the way out: names stored before the cleaning began may still carry
    controls or a misleading extension. send_file writes a non-ASCII name as RFC 5987 ``filename*`` with
    an ASCII ``filename`` beside it."""
    evidence = db.session.get(EvidenceFile, evidence_id)
    if evidence is None:
        abort(404)
    get_visible_dossier(evidence.dossier_id, current_user)
    response = send_file(
        blob_path(evidence.sha256),
        mimetype=evidence.mime_type,
        download_name=clean_file_name(evidence.original_name, evidence.mime_type),
        as_attachment=pdf_as_attachment and evidence.mime_type == "application/pdf",
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Opened on its own, a file is a document of this site's origin; sandboxed, it can run nothing.
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; frame-ancestors {frame_ancestors}; sandbox"
    )
    return response


@bp.route("/evidence/<int:evidence_id>")
@login_required
def evidence_download(evidence_id: int):
    # A PDF is saved, never opened in the browser's viewer outside our frame.
    return _send_evidence(evidence_id, pdf_as_attachment=True, frame_ancestors="'none'")


@bp.route("/evidence/<int:evidence_id>/view")
@login_required
def evidence_view(evidence_id: int):
    """The file shown inside a task page's evidence panel: inline, and framable by this site's pages only.

    The response stays sandboxed. Chromium's PDF viewer still draws a sandboxed PDF (it runs outside the
    framed document; tests/browser/test_evidence_panel_browser.py checks that it does), so the sandbox
    need not be lifted for PDFs; and a PDF with scripts of its own was refused at upload
    (services/pdf_safety.py)."""
    response = _send_evidence(evidence_id, pdf_as_attachment=False, frame_ancestors="'self'")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _form_values(form, source) -> MultiDict:
    """Values to show in the inputs, as strings, from pre-filled data or a rejected submission."""
    if isinstance(source, MultiDict):
        return source
    return input_values(form, source)


def _uploads_of(form):
    """Check the files posted with a task form; nothing is written here."""
    uploads, errors = {}, {}
    for field in form.value_fields:
        if field.type != "file":
            continue
        for storage in request.files.getlist(f"upload__{field.name}"):
            if not storage or not storage.filename:
                continue
            try:
                uploads.setdefault(field.name, []).append(
                    inspect_upload(storage.filename, storage.stream, field=field.name)
                )
            except InvalidInput as exc:
                # Each reason a field's files were refused for is kept (not only the last file's), once.
                for name, messages in exc.errors.items():
                    kept = errors.setdefault(name, [])
                    kept.extend(m for m in messages if m not in kept)
    return uploads, errors


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: int):
    task = get_actionable_task(task_id, current_user)
    dossier = task.dossier
    if task.state != "open":
        flash(_("Công việc này đã được xử lý."), "info")
        return redirect(url_for("dossiers.show", dossier_id=dossier.id))
    form = task_form(task)
    locale = str(get_locale() or "vi")
    # Opened from the inbox: the list around the task, read before a submission takes the task out of it.
    nav = task_navigation(current_user, request.args, task, now=utcnow())
    context = prefill_context(dossier, form)
    self_task = scoring_tasks(dossier.process_definition.manifest).get("self")
    self_form = compiled_for(dossier.process_definition).user_tasks[self_task].form_key if self_task else None
    errors, status, confirming = {}, 200, False
    if request.method == "POST" and request.form.get("action") in DRAFT_ACTIONS:
        try:
            return _draft_action(task, form, request.form["action"])
        except InvalidInput as exc:
            # A refused (oversized) draft: the page keeps what was typed and marks the fields too long.
            errors, status = exc.errors, 422
            flash(exc.message, "danger")
    elif request.method == "POST":
        uploads, upload_errors = _uploads_of(form)
        try:
            submit_task(
                task.id,
                _answers(request.form),
                actor=current_user,
                now=utcnow(),
                locale=locale,
                uploads=uploads,
                upload_errors=upload_errors,
                confirm_ending=request.form.get("confirm_ending") == "1",
            )
        except EndingNotConfirmed:
            # Asked again with the answers kept and the reason shown beside a confirming button.
            confirming = True
            flash(
                _(
                    "Bước này sẽ kết thúc hồ sơ. Vui lòng đọc lý do và bấm “Xác nhận kết thúc hồ sơ” ở cuối "
                    "biểu mẫu, hoặc sửa lại kết quả."
                ),
                "warning",
            )
            if uploads:
                flash(_("Các tệp vừa chọn chưa được lưu; vui lòng chọn lại tệp khi gửi lại."), "warning")
        except Conflict as exc:
            flash(exc.message, "warning")
            return redirect(url_for("dossiers.show", dossier_id=dossier.id))
        except InvalidInput as exc:
            errors, status = exc.errors, 422
            flash(_("Dữ liệu chưa hợp lệ, vui lòng kiểm tra các trường được đánh dấu."), "danger")
            if uploads or upload_errors:
                flash(_("Các tệp vừa chọn chưa được lưu; vui lòng chọn lại tệp khi gửi lại."), "warning")
        else:
            flash(completion_message(task, dossier), "success")
            if nav is not None:
                return redirect(_after_completion(nav))
            return redirect(url_for("dossiers.show", dossier_id=dossier.id))
    # A rejected submission or draft shows what was typed; a fresh form shows the pre-filled values,
    # overridden by the holder's own draft (what they last chose to keep).
    draft = draft_for(task, current_user)
    kept = status == 422 or confirming
    draft_shown = draft is not None and not kept
    values = _form_values(form, _answers(request.form) if kept else prefill_values(form, context))
    if draft_shown:
        for name, inputs in draft_inputs(form, draft["data"]).items():
            values.setlist(name, inputs)
    # Derived fields show and score the server's value (frozen, or computed now), never a posted one.
    g.derived = indicators.views_for(dossier, form)
    values = indicators.with_values(form, values, g.derived) if g.derived else values
    # The outcome of the answers as shown, so the page states it before any script runs.
    preview = preview_step(task, values, actor=current_user, now=utcnow(), locale=locale)
    return render_template(
        "dossiers/task.html",
        task=task,
        dossier=dossier,
        form=form,
        values=values,
        errors=errors,
        context=context,
        self_scores=context.get(self_form) if self_form and self_form != form.key else None,
        evidence=_evidence_by_field(dossier, form),
        locale=locale,
        draft=draft,
        draft_shown=draft_shown,
        preview=preview,
        ending_sentence=_ending_sentence(preview.ending),
        confirming=confirming,
        nav=nav,
        review=_review_panel(task, dossier, locale),
    ), status


@bp.route("/tasks/<int:task_id>/preview", methods=["POST"])
@login_required
def task_preview(task_id: int):
    """The outcome the posted answers lead to, for the task page to show while they are typed: the
    server's own validation, scoring and a dry run of the step, so the page never disagrees with it."""
    task = get_actionable_task(task_id, current_user)
    locale = str(get_locale() or "vi")
    answers = indicators.task_formdata(task, task_form(task), _answers(request.form))
    preview = preview_step(task, answers, actor=current_user, now=utcnow(), locale=locale)
    sentence = _ending_sentence(preview.ending)
    return jsonify(
        outcome=preview.outcome.as_dict(),
        ending=None if preview.ending is None else {"status": preview.ending.status, "sentence": sentence},
        html=render_template("dossiers/_outcome.html", preview=preview),
    )


@bp.route("/tasks/<int:task_id>/draft", methods=["POST"])
@login_required
def task_autosave(task_id: int):
    """Autosave (static/js/task_answers.js): the answers as typed become the user's draft, as with the
    "Lưu nháp" button, and the page stays as it is. Refusals come back as JSON (app/errors.py)."""
    task = get_actionable_task(task_id, current_user)
    if task.form_version is None:
        raise Conflict(_("Công việc này không có biểu mẫu để lưu nháp."))
    data = draft_from_formdata(task_form(task), request.form)
    draft = save_draft(task.id, data, actor=current_user, now=utcnow())
    return jsonify(
        saved_at=draft.saved_at.isoformat(),
        message=_("Đã tự động lưu nháp lúc %(time)s.", time=format_time(draft.saved_at, "HH:mm")),
    )


def _answers(formdata) -> MultiDict:
    """The posted answers without the confirmation flag, which is no field of the form."""
    answers = MultiDict(formdata)
    answers.pop("confirm_ending", None)
    return answers


def _ending_sentence(ending) -> str | None:
    """What the official confirms before a step ends the dossier: the reason the applicant will read."""
    if ending is None:
        return None
    head = (
        _("Hồ sơ sẽ KHÔNG được công nhận vì: %(reason)s.", reason=ending.reason.rstrip(" ."))
        if ending.reason
        else _("Hồ sơ sẽ KHÔNG được công nhận.")
    )
    tail = _(
        "Kết quả: %(status)s. Sau khi gửi, hồ sơ kết thúc và không thể mở lại.",
        status=status_label(ending.status),
    )
    return f"{head} {tail}"


DRAFT_ACTIONS = ("save_draft", "discard_draft")


def _after_completion(nav) -> str:
    """Save and next: the next task of the inbox view the task was opened from, else that list."""
    following = nav.after_completion(now=utcnow())
    if following is not None:
        return following
    flash(_("Không còn công việc nào tiếp theo trong danh sách này."), "info")
    return nav.list_start_url


def _draft_action(task, form, action: str):
    """Save (not validated) or discard the user's draft, then back to the task page, so that a reload
    posts nothing again. Raises InvalidInput for a draft too large to keep."""
    if action == "discard_draft":
        discard_draft(task.id, actor=current_user)
        flash(_("Đã bỏ bản nháp."), "info")
        return redirect(url_for("dossiers.task", task_id=task.id, inbox=request.args.get("inbox")))
    try:
        draft = save_draft(task.id, draft_from_formdata(form, request.form), actor=current_user, now=utcnow())
    except Conflict as exc:
        flash(exc.message, "warning")
        return redirect(url_for("dossiers.show", dossier_id=task.dossier_id))
    flash(_("Đã lưu nháp lúc %(time)s.", time=format_time(draft.saved_at, "HH:mm")), "success")
    # Files are stored only with a completed task: a draft keeps no uploads.
    if any(upload.filename for uploads in request.files.listvalues() for upload in uploads):
        flash(
            _("Tệp vừa chọn không được lưu trong bản nháp; vui lòng chọn lại tệp khi hoàn thành."), "warning"
        )
    # The inbox view it was opened from stays with the page.
    return redirect(url_for("dossiers.task", task_id=task.id, inbox=request.args.get("inbox")))


def _review_panel(task, dossier: Dossier, locale: str):
    """What a reviewer weighs beside the form: every step's answers (the household's first), both score
    columns and the evidence per criterion. None on a step of the subject's own lane, where the applicant
    fills in the form and has nothing to review."""
    if task.subject_id is not None:
        return None
    submissions = latest_submissions(dossier)
    criteria = criteria_of(dossier)
    files = db.session.scalars(
        select(EvidenceFile).where(EvidenceFile.dossier_id == dossier.id).order_by(EvidenceFile.id)
    ).all()
    # In the order of the criteria set; files filed under no criterion (or one no longer in it) last.
    groups = [(criterion, [f for f in files if f.criterion == key]) for key, criterion in criteria.items()]
    groups.append((None, [f for f in files if f.criterion not in criteria]))
    groups = [(criterion, found) for criterion, found in groups if found]
    return {
        "scores": _score_rows(dossier, submissions),
        "steps": _step_details(submissions, locale),
        "evidence": groups,
        "first": groups[0][1][0] if groups else None,
    }


def _evidence_by_field(dossier: Dossier, form) -> dict[str, list[EvidenceFile]]:
    files = db.session.scalars(
        select(EvidenceFile).where(EvidenceFile.dossier_id == dossier.id).order_by(EvidenceFile.id)
    ).all()
    found = {}
    for field in form.value_fields:
        if field.type == "file":
            found[field.name] = [f for f in files if f.criterion in (field.criterion, None)]
    return found
