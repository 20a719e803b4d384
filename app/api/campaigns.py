"""Campaigns over the API: list, create, read, open, close, and registrations (issue 10, item 6)."""

from flask import g, jsonify, request
from flask_babel import gettext as _

from app.api import bp
from app.api.params import choice_arg, int_arg
from app.api.routes import _iso, _json_body, token_required
from app.campaigns.queries import CampaignFilter, campaigns_query, can_see_campaign, counts_by_campaign
from app.extensions import db
from app.models import Campaign, utcnow
from app.models.campaign import CAMPAIGN_STATUSES
from app.services import campaigns
from app.services.campaigns import DATE_FIELDS
from app.services.dossiers import MAX_YEAR, MIN_YEAR
from app.services.errors import InvalidInput, NotFound

PER_PAGE = 50
MAX_PAGE = 10_000


def campaign_json(campaign: Campaign, counts: dict | None = None) -> dict:
    definition = campaign.process_definition
    return {
        "id": campaign.id,
        "province": campaign.province.code,
        "province_name": campaign.province.name,
        "title": campaign.title,
        "year": campaign.year,
        "name": campaign.name,
        "status": campaign.status,
        "process_definition": (
            {"id": definition.id, "key": definition.key, "version": definition.version}
            if definition
            else None
        ),
        "criteria_version_id": campaign.criteria_version_id,
        **{field: getattr(campaign, field).isoformat() for field in DATE_FIELDS},
        "deadlines": dict(campaign.deadlines or {}),
        "opened_at": _iso(campaign.opened_at),
        "closed_at": _iso(campaign.closed_at),
        **(counts if counts is not None else campaigns.counts(campaign)),
    }


def _visible(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not can_see_campaign(g.api_user, campaign):
        raise NotFound(_("Không tìm thấy đợt đánh giá."))
    return campaign


def _typed(body: dict, name: str, kinds: tuple, errors: dict, message: str):
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, kinds) or isinstance(value, bool):
        errors[name] = [message]
        return None
    return value


@bp.route("/campaigns")
@token_required
def campaign_list():
    errors: dict = {}
    year = int_arg("year", None, MIN_YEAR, MAX_YEAR, errors)
    status = choice_arg("status", CAMPAIGN_STATUSES, errors)
    page_number = int_arg("page", 1, 1, MAX_PAGE, errors)
    if errors:
        raise InvalidInput(errors, _("Bộ lọc chưa hợp lệ."))
    filters = CampaignFilter(
        province=(request.args.get("province") or "")[:64] or None,
        title=(request.args.get("title") or "")[:64] or None,
        year=year,
        status=status,
    )
    page = db.paginate(
        campaigns_query(g.api_user, filters), page=page_number, per_page=PER_PAGE, error_out=False
    )
    counts = counts_by_campaign([c.id for c in page.items])
    return jsonify(items=[campaign_json(c, counts[c.id]) for c in page.items], total=page.total)


@bp.route("/campaigns", methods=["POST"])
@token_required
def campaign_create():
    body = _json_body()
    campaigns.require_admin(g.api_user)
    errors: dict = {}
    text = _("Phải là chuỗi ký tự.")
    province = _typed(body, "province", (str,), errors, text)
    title = _typed(body, "title", (str,), errors, text)
    year = _typed(body, "year", (int,), errors, _("Năm đánh giá phải là số nguyên."))
    name = _typed(body, "name", (str,), errors, text)
    definition_id = _typed(body, "process_definition_id", (int,), errors, _("Phải là số nguyên."))
    criteria_id = _typed(body, "criteria_version_id", (int,), errors, _("Phải là số nguyên."))
    dates = {
        field: _typed(body, field, (str,), errors, _("Ngày phải có dạng YYYY-MM-DD."))
        for field in DATE_FIELDS
    }
    deadlines = _typed(
        body, "deadlines", (dict,), errors, _("Hạn các bước phải là danh sách tên bước → ngày.")
    )
    if deadlines and not all(isinstance(v, str) for v in deadlines.values()):
        errors["deadlines"] = [_("Hạn các bước phải là danh sách tên bước → ngày.")]
    for required, value in (("province", province), ("title", title), ("year", year)):
        if value is None and required not in errors:
            errors[required] = [_("Vui lòng nhập trường này.")]
    if errors:
        raise InvalidInput(errors, _("Thông tin đợt đánh giá chưa hợp lệ."))
    campaign = campaigns.create_campaign(
        province,
        title,
        year,
        name=name,
        process_definition=definition_id,
        criteria_version=criteria_id,
        deadlines=deadlines,
        actor=g.api_user,
        now=utcnow(),
        **dates,
    )
    return jsonify(campaign_json(campaign)), 201


@bp.route("/campaigns/<int:campaign_id>")
@token_required
def campaign_detail(campaign_id: int):
    return jsonify(campaign_json(_visible(campaign_id)))


@bp.route("/campaigns/<int:campaign_id>/open", methods=["POST"])
@token_required
def campaign_open(campaign_id: int):
    campaigns.require_admin(g.api_user)
    campaign = campaigns.open_campaign(_visible(campaign_id), actor=g.api_user, now=utcnow())
    return jsonify(campaign_json(campaign))


@bp.route("/campaigns/<int:campaign_id>/close", methods=["POST"])
@token_required
def campaign_close(campaign_id: int):
    campaigns.require_admin(g.api_user)
    campaign = campaigns.close_campaign(_visible(campaign_id), actor=g.api_user, now=utcnow())
    return jsonify(campaign_json(campaign))


@bp.route("/campaigns/<int:campaign_id>/registrations", methods=["POST"])
@token_required
def campaign_register(campaign_id: int):
    body = _json_body()
    campaign = _visible(campaign_id)
    registered, skipped = campaigns.register_subjects(
        campaign, body.get("subject_ids"), actor=g.api_user, now=utcnow()
    )
    return jsonify(registered=registered, skipped=skipped), 201
