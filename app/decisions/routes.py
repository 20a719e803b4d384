"""Decision pages: choose candidates, draft, review, issue, revoke; the decisions list and one decision.

Thin routes: the services (app/services/decisions.py) check, change and audit; queries.py reads.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.decisions import bp
from app.decisions.queries import (
    PAGE_SIZES,
    SORTS,
    CandidateFilter,
    decisions_query,
    matching_ids,
)
from app.extensions import db
from app.labels import RATING, ROLE
from app.models import AdminUnit, Dossier, utcnow
from app.models.decision import DECISION_KINDS, DECISION_STATUSES
from app.services import decisions
from app.services.errors import InvalidInput
from app.titles import title_choices

DEFAULT_LEGAL_BASIS = (
    "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;\n"
    "Căn cứ Quyết định số 387/QĐ-TTg ngày 25 tháng 3 năm 2022 của Thủ tướng Chính phủ phê duyệt Chương trình "
    "“Đẩy mạnh phong trào học tập suốt đời trong gia đình, dòng họ, cộng đồng, đơn vị giai đoạn 2021–2030”;\n"
    "Căn cứ Quyết định số 448/QĐ-KHVN ngày 01 tháng 12 năm 2015 của Trung ương Hội Khuyến học Việt Nam "
    "ban hành tiêu chí và hướng dẫn đánh giá, công nhận “Gia đình học tập”;\n"
    "Xét đề nghị của Hội đồng Thi đua – Khen thưởng."
)


def _vn_date(iso: str) -> str:
    parts = str(iso).split("-")
    return "/".join(reversed(parts)) if len(parts) == 3 else str(iso)


def _decider():
    """Pages for deciders only: 403 for everyone else (they may still open a decision they can see)."""
    decisions.require_decider(current_user)


def _legal_basis(title: str | None) -> str:
    """The legal basis a procedure serving the title declares (its manifest's ``legal_basis``), else the
    usual text; the official edits it on the draft form either way."""
    from app.titles import _manifests  # the manifests of the deployed procedures, cached per request

    for manifest in reversed(_manifests()):
        if (manifest.get("serves") or {}).get("title") == title and manifest.get("legal_basis"):
            return (
                ";\n".join(
                    f"Căn cứ văn bản số {basis['number']} ngày {_vn_date(basis['date'])} "
                    f"của {basis['issuer']} ({basis['title']})"
                    for basis in manifest["legal_basis"]
                    if isinstance(basis, dict) and {"number", "date", "issuer", "title"} <= basis.keys()
                )
                + ";"
            )
    return DEFAULT_LEGAL_BASIS


@bp.app_template_global()
def may_decide() -> bool:
    return current_user.is_authenticated and decisions.may_decide(current_user)


@bp.app_template_global()
def decisions_for_subject(subject_id: int):
    return decisions.decisions_of_subject(subject_id)


@bp.route("/decisions")
@login_required
def index():
    args = request.args
    status = args.get("status") if args.get("status") in DECISION_STATUSES else None
    kind = args.get("kind") if args.get("kind") in DECISION_KINDS else None
    year = args.get("year", type=int)
    page = db.paginate(
        decisions_query(current_user, status=status, kind=kind, year=year),
        page=args.get("page", 1, type=int),
        per_page=50,
        error_out=False,
    )
    return render_template(
        "decisions/index.html", page=page, status=status, kind=kind, year=year, titles=title_choices()
    )


def _deciding_units():
    return [a.unit for a in decisions.deciding_assignments(current_user)]


def _filter_units():
    roots = _deciding_units()
    if not roots:
        return []
    from sqlalchemy import or_, select

    return db.session.scalars(
        select(AdminUnit)
        .where(
            or_(*(AdminUnit.path.startswith(root.path, autoescape=True) for root in roots)),
            AdminUnit.level_code.in_(("province", "district", "commune")),
        )
        .order_by(AdminUnit.path)
    ).all()


@bp.route("/decisions/candidates")
@login_required
def candidates():
    _decider()
    filters = CandidateFilter.from_args(request.args)
    per_page = request.args.get("per_page", type=int)
    per_page = per_page if per_page in PAGE_SIZES else 50
    page = db.paginate(
        filters.query(current_user),
        page=request.args.get("page", 1, type=int),
        per_page=per_page,
        error_out=False,
    )
    return render_template(
        "decisions/candidates.html",
        page=page,
        filters=filters,
        per_page=per_page,
        page_sizes=PAGE_SIZES,
        sorts=SORTS,
        titles=title_choices(),
        units=_filter_units(),
        ratings=RATING,
        max_dossiers=decisions.MAX_DOSSIERS,
    )


def _draft_context(filters: CandidateFilter, ids: list[int], values: dict, errors: dict | None = None):
    from sqlalchemy.orm import joinedload

    dossiers = (
        db.session.scalars(
            filters.query(current_user).where(Dossier.id.in_(ids)).options(joinedload(Dossier.subject))
        )
        .unique()
        .all()
    )
    order = {dossier_id: index for index, dossier_id in enumerate(ids)}
    dossiers = sorted(dossiers, key=lambda d: order.get(d.id, 0))
    assignment = decisions.deciding_assignments(current_user)[0]
    title = filters.title or (dossiers[0].title if dossiers else None)
    defaults = {
        "number": "",
        "signed_on": utcnow().date().isoformat(),
        "signer": current_user.full_name,
        "position": str(ROLE.get(assignment.role, assignment.role)),
        "legal_basis": _legal_basis(title),
        "issuing_unit_id": assignment.unit_id,
        "title": title,
        "year": filters.year or (dossiers[0].year if dossiers else None),
    }
    return {
        "filters": filters,
        "dossiers": dossiers,
        "values": {**defaults, **{k: v for k, v in values.items() if v not in (None, "")}},
        "errors": errors or {},
        "units": _deciding_units(),
        "titles": title_choices(),
    }


@bp.route("/decisions/new", methods=["POST"])
@login_required
def new():
    """The draft form for the chosen dossiers (or every one matching the view, up to one annex)."""
    _decider()
    filters = CandidateFilter.from_args(request.form)
    if request.form.get("all_matching"):
        ids = matching_ids(current_user, filters)
    else:
        ids = [int(v) for v in request.form.getlist("dossier_ids") if v.isdigit()][: decisions.MAX_DOSSIERS]
    if not ids:
        flash(_("Vui lòng chọn ít nhất một hồ sơ."), "warning")
        return redirect(url_for("decisions.candidates", **filters.args()))
    return render_template("decisions/draft.html", **_draft_context(filters, ids, {}))


@bp.route("/decisions", methods=["POST"])
@login_required
def create():
    _decider()
    form = request.form
    filters = CandidateFilter.from_args(form)
    ids = [int(v) for v in form.getlist("dossier_ids") if v.isdigit()]
    names = {
        str(dossier_id): form.get(f"name-{dossier_id}", "")
        for dossier_id in ids
        if form.get(f"name-{dossier_id}", "").strip()
    }
    values = {
        key: form.get(key)
        for key in (
            "title",
            "year",
            "number",
            "signed_on",
            "signer",
            "position",
            "legal_basis",
            "issuing_unit_id",
        )
    }
    try:
        decision = decisions.draft_decision(
            current_user,
            kind=filters.kind,
            **values,
            dossier_ids=ids,
            names=names,
            now=utcnow(),
        )
    except InvalidInput as exc:
        flash(exc.message, "danger")
        context = _draft_context(filters, ids, values, exc.errors)
        return render_template("decisions/draft.html", **context), 422
    flash(_("Đã lập dự thảo quyết định. Vui lòng rà soát danh sách trước khi ban hành."), "success")
    return redirect(url_for("decisions.show", decision_id=decision.id))


@bp.route("/decisions/<int:decision_id>")
@login_required
def show(decision_id: int):
    decision = decisions.visible_decision(decision_id, current_user)
    return render_template(
        "decisions/show.html", decision=decision, may_act=decisions.may_decide(current_user)
    )


@bp.route("/decisions/<int:decision_id>/issue", methods=["POST"])
@login_required
def issue(decision_id: int):
    if not request.form.get("confirm"):
        flash(_("Vui lòng đánh dấu xác nhận trước khi ban hành."), "warning")
        return redirect(url_for("decisions.show", decision_id=decision_id))
    try:
        decision = decisions.issue_decision(decision_id, actor=current_user, now=utcnow())
    except decisions.DecisionRefused as exc:
        flash(exc.message, "danger")
        return redirect(url_for("decisions.show", decision_id=decision_id))
    flash(
        _(
            "Đã ban hành quyết định số %(number)s cho %(n)s hồ sơ.",
            number=decision.number,
            n=len(decision.entries),
        ),
        "success",
    )
    return redirect(url_for("decisions.show", decision_id=decision.id))


@bp.route("/decisions/<int:decision_id>/revoke", methods=["POST"])
@login_required
def revoke(decision_id: int):
    if not request.form.get("confirm"):
        flash(_("Vui lòng đánh dấu xác nhận trước khi thu hồi."), "warning")
        return redirect(url_for("decisions.show", decision_id=decision_id))
    try:
        decisions.revoke_decision(decision_id, request.form.get("reason"), actor=current_user, now=utcnow())
    except InvalidInput as exc:
        flash(exc.message, "danger")
        return redirect(url_for("decisions.show", decision_id=decision_id))
    flash(_("Đã thu hồi quyết định."), "success")
    return redirect(url_for("decisions.show", decision_id=decision_id))


@bp.route("/decisions/<int:decision_id>/delete", methods=["POST"])
@login_required
def delete(decision_id: int):
    decisions.delete_draft(decision_id, actor=current_user, now=utcnow())
    flash(_("Đã xóa dự thảo quyết định."), "success")
    return redirect(url_for("decisions.index"))
