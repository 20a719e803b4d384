"""Campaign pages: the list, the admin's create/edit form, open and close, one campaign, and the bulk
registration page of village heads and commune officers.

Thin routes: app/services/campaigns.py checks, changes and audits; app/campaigns/queries.py reads.
"""

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.campaigns import bp
from app.campaigns.queries import (
    PER_PAGE,
    SORTS,
    SUBJECTS_PER_PAGE,
    CampaignFilter,
    campaigns_query,
    can_see_campaign,
    counts_by_campaign,
    reach_units,
    registrations_of,
    subjects_to_register,
)
from app.extensions import db
from app.models import AdminUnit, Campaign, Subject, utcnow
from app.models.campaign import CAMPAIGN_STATUSES
from app.services import campaigns
from app.services.bounds import search_text
from app.services.campaign_rules import local_day
from app.services.campaigns import DATE_FIELDS, procedure_of, steps_of
from app.services.errors import InvalidInput, NotFound
from app.titles import title_choices

STATUS_LABELS = {
    "draft": lambda: _("Dự thảo"),
    "open": lambda: _("Đang mở"),
    "closed": lambda: _("Đã kết thúc"),
}


def status_text(status: str) -> str:
    return STATUS_LABELS[status]() if status in STATUS_LABELS else status


def _visible(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not can_see_campaign(current_user, campaign):
        raise NotFound(_("Không tìm thấy đợt đánh giá."))
    return campaign


MAX_ID = 2**31 - 1


def _bounded(value: int | None, low: int, high: int) -> int | None:
    """A number from the query string, or None when outside what any row can hold."""
    return value if value is not None and low <= value <= high else None


def _provinces() -> list[AdminUnit]:
    return list(
        db.session.scalars(select(AdminUnit).where(AdminUnit.parent_id.is_(None)).order_by(AdminUnit.name))
    )


@bp.route("/campaigns")
@login_required
def index():
    args = request.args
    filters = CampaignFilter(
        province=(args.get("province") or "")[:64] or None,
        title=args.get("title") if args.get("title") in title_choices() else None,
        year=_bounded(args.get("year", type=int), 2000, 2100),
        status=args.get("status") if args.get("status") in CAMPAIGN_STATUSES else None,
    )
    sort = args.get("sort") if args.get("sort") in SORTS else "-year"
    page = db.paginate(
        campaigns_query(current_user, filters, sort),
        page=_bounded(args.get("page", type=int), 1, 100_000) or 1,
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "campaigns/index.html",
        page=page,
        filters=filters,
        sort=sort,
        counts=counts_by_campaign([c.id for c in page.items]),
        provinces=_provinces() if current_user.is_admin or current_user.is_official else [],
        titles=title_choices(),
        statuses=CAMPAIGN_STATUSES,
        status_text=status_text,
    )


def _form_values(form) -> dict:
    values = {
        key: (form.get(key) or "").strip() for key in ("province", "title", "year", "name", *DATE_FIELDS)
    }
    values["deadlines"] = {
        key.removeprefix("deadline-"): value.strip()
        for key, value in form.items()
        if key.startswith("deadline-") and value.strip()
    }
    return values


def _campaign_values(campaign: Campaign) -> dict:
    return {
        "province": campaign.province.code,
        "title": campaign.title,
        "year": str(campaign.year),
        "name": campaign.name or "",
        **{field: getattr(campaign, field).isoformat() for field in DATE_FIELDS},
        "deadlines": dict(campaign.deadlines or {}),
    }


def _render_form(values: dict, *, campaign: Campaign | None = None, errors: dict | None = None, status=200):
    provinces = _provinces()
    province = next((p for p in provinces if p.code == values.get("province")), None)
    titles = title_choices()
    definition = None
    if campaign is not None:
        definition = procedure_of(campaign)
    elif province is not None and values.get("title") in titles:
        definition = procedure_of(values["title"], province)
    return (
        render_template(
            "campaigns/form.html",
            campaign=campaign,
            values=values,
            errors=errors or {},
            provinces=provinces,
            titles=titles,
            definition=definition,
            steps=steps_of(definition),
            only_deadlines=campaign is not None and campaign.status == "open",
        ),
        status,
    )


def _int_or_text(value: str):
    return int(value) if value.isdigit() else value


@bp.route("/campaigns/new", methods=["GET", "POST"])
@login_required
def new():
    campaigns.require_admin(current_user)
    if request.method == "GET":
        year = local_day(utcnow()).year
        values = {
            "province": request.args.get("province") or "",
            "title": request.args.get("title") or next(iter(title_choices()), ""),
            "year": str(year),
            "name": "",
            "registration_from": date(year, 1, 1).isoformat(),
            "registration_to": date(year, 3, 31).isoformat(),
            "evidence_from": date(year, 1, 1).isoformat(),
            "evidence_to": date(year, 12, 31).isoformat(),
            "assessment_from": date(year, 11, 1).isoformat(),
            "assessment_to": date(year, 12, 31).isoformat(),
            "deadlines": {},
        }
        return _render_form(values)
    values = _form_values(request.form)
    if request.form.get("action") == "reload":
        # The admin chose another title or province: show that procedure's steps, save nothing.
        return _render_form(values)
    try:
        campaign = campaigns.create_campaign(
            values["province"],
            values["title"],
            _int_or_text(values["year"]),
            name=values["name"] or None,
            deadlines=values["deadlines"],
            actor=current_user,
            now=utcnow(),
            **{field: values[field] for field in DATE_FIELDS},
        )
    except InvalidInput as exc:
        return _render_form(values, errors=exc.errors, status=422)
    flash(_("Đã tạo đợt đánh giá ở trạng thái dự thảo. Kiểm tra lại rồi bấm “Mở đợt”."), "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@login_required
def edit(campaign_id: int):
    campaigns.require_admin(current_user)
    campaign = _visible(campaign_id)
    if request.method == "GET":
        return _render_form(_campaign_values(campaign), campaign=campaign)
    values = _form_values(request.form)
    changes = {"deadlines": values["deadlines"]}
    if campaign.status == "draft":
        changes |= {"name": values["name"] or None, **{field: values[field] for field in DATE_FIELDS}}
    try:
        campaigns.update_campaign(campaign, actor=current_user, now=utcnow(), **changes)
    except InvalidInput as exc:
        shown = {
            **_campaign_values(campaign),
            **{k: v for k, v in values.items() if k not in ("province", "title", "year")},
        }
        db.session.rollback()
        return _render_form(
            shown, campaign=db.session.get(Campaign, campaign_id), errors=exc.errors, status=422
        )
    flash(_("Đã lưu đợt đánh giá."), "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


@bp.route("/campaigns/<int:campaign_id>")
@login_required
def show(campaign_id: int):
    campaign = _visible(campaign_id)
    now = utcnow()
    definition = procedure_of(campaign)
    return render_template(
        "campaigns/show.html",
        campaign=campaign,
        counts=campaigns.counts(campaign),
        steps=steps_of(definition),
        definition=definition,
        status_text=status_text,
        registration_open=campaigns.registration_open(campaign, now),
        assessment_open=campaigns.assessment_open(campaign, now),
        may_register=campaigns.may_register_others(current_user),
    )


@bp.route("/campaigns/<int:campaign_id>/open", methods=["POST"])
@login_required
def open_(campaign_id: int):
    campaigns.require_admin(current_user)
    campaigns.open_campaign(_visible(campaign_id), actor=current_user, now=utcnow())
    flash(_("Đã mở đợt đánh giá."), "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign_id))


@bp.route("/campaigns/<int:campaign_id>/close", methods=["POST"])
@login_required
def close(campaign_id: int):
    campaigns.require_admin(current_user)
    campaign = _visible(campaign_id)
    if request.form.get("confirm") != "1":
        flash(_("Vui lòng đánh dấu xác nhận trước khi kết thúc đợt đánh giá."), "warning")
        return redirect(url_for("campaigns.show", campaign_id=campaign_id))
    campaigns.close_campaign(campaign, actor=current_user, now=utcnow())
    flash(_("Đã kết thúc đợt đánh giá. Không nhận thêm đăng ký và hồ sơ mới."), "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign_id))


@bp.route("/campaigns/<int:campaign_id>/register", methods=["GET", "POST"])
@login_required
def register(campaign_id: int):
    campaign = _visible(campaign_id)
    if not campaigns.may_register_others(current_user):
        raise NotFound(_("Không tìm thấy đợt đánh giá."))
    result = None
    if request.method == "POST":
        ids = [
            int(v)
            for v in request.form.getlist("subject_ids")
            if v.isascii() and v.isdigit() and len(v) <= 10 and int(v) <= MAX_ID
        ]
        if not ids:
            flash(_("Vui lòng chọn ít nhất một đối tượng."), "warning")
        else:
            registered, skipped = campaigns.register_subjects(campaign, ids, actor=current_user, now=utcnow())
            names = (
                dict(
                    db.session.execute(
                        select(Subject.id, Subject.name).where(
                            Subject.id.in_([s["subject_id"] for s in skipped])
                        )
                    ).all()
                )
                if skipped
                else {}
            )
            result = {"registered": registered, "skipped": skipped, "names": names}
    args = request.args
    search = search_text(args)
    unit_id = _bounded(args.get("unit", type=int), 1, MAX_ID)
    state = args.get("state") if args.get("state") in ("registered", "unregistered") else ""
    page = db.paginate(
        subjects_to_register(campaign, current_user, search=search, unit_id=unit_id, state=state),
        page=_bounded(args.get("page", type=int), 1, 100_000) or 1,
        per_page=SUBJECTS_PER_PAGE,
        error_out=False,
    )
    return render_template(
        "campaigns/register.html",
        campaign=campaign,
        page=page,
        registrations=registrations_of(campaign, [s.id for s in page.items]),
        units=reach_units(campaign, current_user),
        search=search,
        unit_id=unit_id,
        state=state,
        result=result,
        registration_open=campaigns.registration_open(campaign, utcnow()),
    )
