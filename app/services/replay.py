"""What-if before activating: replay a year's finished dossiers through a candidate version, in memory.

Each dossier's recorded submissions are fed again, in order, to the candidate version: re-scored with
the candidate's own forms (a stricter floor, a new knock-out) and run through its BPMN and DMN. The
report says how many outcomes would change and why. Nothing is written.
"""

from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Dossier, FormVersion, ProcessDefinition, ProcessForm, Submission
from app.services.dossiers import step_variables
from app.services.procedures import compiled_for, form_for, runtime
from workflow.replay import ReplayStep, replay

MAX_REPLAY = 5000


def _candidate_forms(candidate: ProcessDefinition) -> dict:
    versions = db.session.scalars(
        select(FormVersion)
        .join(ProcessForm, ProcessForm.form_version_id == FormVersion.id)
        .where(ProcessForm.process_definition_id == candidate.id)
    ).all()
    keys = {pf.form_version_id: pf.form_key for pf in candidate.forms}
    return {keys[version.id]: form_for(version) for version in versions}


def _steps(submissions, compiled, forms) -> tuple[list[ReplayStep], list[str]]:
    """The recorded steps as the candidate would receive them, and the official shortfalls it finds."""
    official = next(
        (n for n, e in compiled.manifest.get("tasks", {}).items() if e.get("scores") == "official"), None
    )
    steps, shortfalls = [], []
    for submission in submissions:
        info = compiled.user_tasks.get(submission.task_name)
        form = forms.get(info.form_key) if info is not None else None
        if form is None:
            steps.append(ReplayStep(submission.task_name, {}, submission.submitted_at))
            continue
        known = {field.name for field in form.value_fields}
        data = {name: value for name, value in submission.data.items() if name in known}
        _data, variables, score = step_variables(form, data)
        if submission.task_name == official and score is not None:
            shortfalls = list(score.shortfalls) if not score.passed else []
        steps.append(ReplayStep(submission.task_name, variables, submission.submitted_at))
    return steps, shortfalls


def replay_version(candidate: ProcessDefinition, *, year: int, limit: int | None, now: datetime) -> dict:
    """Replay the finished dossiers of ``year`` of the candidate's title (the first ``limit`` by id)."""
    compiled = compiled_for(candidate)
    forms = _candidate_forms(candidate)
    dossiers = db.session.scalars(
        select(Dossier)
        .options(joinedload(Dossier.subject))
        .where(Dossier.title == candidate.title_key, Dossier.year == year, Dossier.completed_at.is_not(None))
        .order_by(Dossier.id)
        .limit(min(limit or MAX_REPLAY, MAX_REPLAY))
    ).all()
    changed, transitions = [], Counter()
    for dossier in dossiers:
        submissions = db.session.scalars(
            select(Submission).where(Submission.dossier_id == dossier.id).order_by(Submission.id)
        ).all()
        try:
            steps, shortfalls = _steps(submissions, compiled, forms)
        except ValueError as exc:  # a recorded value the candidate's form cannot score
            steps, shortfalls, error = None, [], str(exc)
        if steps is not None:
            start = {"dossier_id": dossier.id, "subject_id": dossier.subject_id, "year": dossier.year}
            outcome = replay(runtime(), compiled, start_data=start, steps=steps, now=dossier.created_at)
            after = outcome.end_state if outcome.completed else outcome.status
            error = outcome.error
        else:
            after = "failed"
        if after == dossier.status:
            continue
        transitions[f"{dossier.status} → {after}"] += 1
        changed.append(
            {
                "dossier_id": dossier.id,
                "code": dossier.code,
                "subject": dossier.subject.name,
                "before": dossier.status,
                "after": after,
                "reason": " ".join(shortfalls) or error or None,
            }
        )
    return {
        "key": candidate.key,
        "version": candidate.version,
        "year": year,
        "replayed": len(dossiers),
        "changed": changed,
        "summary": dict(transitions),
    }
