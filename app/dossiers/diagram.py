"""The dossier's diagram: its procedure version's BPMN with the steps done, open and still to come.

Read from the inbox projection (``human_task`` rows), never from the workflow state, so the page costs
no deserialisation. Only someone who can see the dossier gets it; everyone else gets 404.
"""

from flask import jsonify
from flask_login import current_user, login_required

from app.dossiers import bp
from app.models import Dossier
from app.services.dossiers import get_visible_dossier
from app.services.procedures import compiled_for, package_of
from workflow import ProcedureError, parse_xml

_BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
FINISHED = ("completed", "cancelled")


def _process_xml(bpmn: dict[str, bytes], process_id: str) -> str:
    """The BPMN file that declares the executable process (a package may hold several files)."""
    for name, content in bpmn.items():
        try:
            root = parse_xml(content, filename=name)
        except ProcedureError:
            continue
        if any(p.get("id") == process_id for p in root.iter(f"{{{_BPMN_NS}}}process")):
            return content.decode("utf-8")
    return next(iter(bpmn.values())).decode("utf-8")


def step_states(dossier: Dossier) -> dict[str, list[str]]:
    """BPMN ids of the user tasks: ``active`` (open now), ``completed`` (done before, not open now) and
    ``pending`` (every other user task of the version), plus the end event reached when that is
    unambiguous."""
    active = sorted({t.name for t in dossier.tasks if t.state == "open"})
    completed = sorted({t.name for t in dossier.tasks if t.state in FINISHED} - set(active))
    definition = dossier.process_definition
    user_tasks = compiled_for(definition).user_tasks
    pending = sorted(set(user_tasks) - set(active) - set(completed))
    ends = [end for end, status in definition.manifest["end_states"].items() if status == dossier.status]
    return {
        "completed": completed,
        "active": active,
        "pending": pending,
        # Several end events may share an outcome; then none is marked rather than a guess.
        "ended": ends if dossier.is_final and len(ends) == 1 else [],
    }


@bp.route("/dossiers/<int:dossier_id>/diagram")
@login_required
def diagram(dossier_id: int):
    dossier = get_visible_dossier(dossier_id, current_user)
    definition = dossier.process_definition
    return jsonify(
        bpmn=_process_xml(package_of(definition).bpmn, definition.manifest["process_id"]),
        version=definition.version,
        **step_states(dossier),
    )
