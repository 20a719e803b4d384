"""A subject's page: who it is, its members and links, and its titles year by year."""

from flask import render_template
from flask_login import current_user, login_required

from app.subjects import bp
from app.subjects.queries import (
    BELONGS_AS,
    CATEGORY,
    GENDER,
    KIND,
    MEMBERS_ARE,
    can_see_subject,
    links_of,
    title_history,
    visible_subject,
)


@bp.app_template_global()
def sees_subject(subject) -> bool:
    """Whether the reader may open ``subject``'s page (to link its name where it shows)."""
    return current_user.is_authenticated and can_see_subject(current_user, subject)


@bp.route("/subjects/<int:subject_id>")
@login_required
def show(subject_id: int):
    subject = visible_subject(subject_id, current_user)
    below, above = links_of(subject)
    return render_template(
        "subjects/show.html",
        subject=subject,
        below=below,
        above=above,
        history=title_history(subject),
        kinds=KIND,
        categories=CATEGORY,
        genders=GENDER,
        members_are=MEMBERS_ARE,
        belongs_as=BELONGS_AS,
    )
