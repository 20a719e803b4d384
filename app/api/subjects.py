"""One subject over the API: who it is, its members and links, and its titles year by year."""

from flask import g, jsonify

from app.api import bp
from app.api.routes import token_required
from app.models import Subject
from app.subjects.queries import links_of, title_history, visible_subject


def _brief(subject: Subject) -> dict:
    return {"id": subject.id, "code": subject.code, "kind": subject.kind, "name": subject.name}


def subject_json(subject: Subject) -> dict:
    below, above = links_of(subject)
    history = title_history(subject)
    return {
        "id": subject.id,
        "code": subject.code,
        "kind": subject.kind,
        "category": subject.category,
        "name": subject.name,
        "address": subject.address,
        "gender": subject.gender,
        "birth_year": subject.birth_year,
        "unit": {"id": subject.unit.id, "code": subject.unit.code, "name": subject.unit.name},
        "members": [
            {
                "full_name": m.full_name,
                "gender": m.gender,
                "birth_year": m.birth_year,
                "relation": m.relation,
                "is_head": m.is_head,
            }
            for m in subject.members
        ],
        "links": {
            "members": [
                {"relation": link.relation, "position": link.position, "subject": _brief(link.subject)}
                for link in below
            ],
            "belongs_to": [
                {"relation": link.relation, "position": link.position, "subject": _brief(link.subject)}
                for link in above
            ],
        },
        "titles": [
            {
                "title": entry.title,
                "title_label": entry.title_label,
                "year": entry.year,
                "status": entry.status,
                "status_label": entry.status_label,
                "dossier_id": entry.dossier_id,
                "code": entry.code,
            }
            for record in history
            for entry in record.entries
        ],
        "years_in_a_row": {record.title: record.years_in_a_row for record in history},
    }


@bp.route("/subjects/<int:subject_id>")
@token_required
def subject_detail(subject_id: int):
    return jsonify(subject_json(visible_subject(subject_id, g.api_user)))
