"""Form definitions for BPMN user tasks: load, render with WTForms, validate, score, prefill.

Pure Python (WTForms only) so that workers and tests can use it without Flask.
"""

from forms.definition import (
    CriterionDefinition,
    FieldDefinition,
    FormDefinition,
    FormDefinitionError,
    RequiredIf,
    ScoringDefinition,
    load_form_definition,
    load_form_file,
)
from forms.formclass import DefinedForm, build_form_class
from forms.multidict import MultiDict
from forms.prefill import prefill_values
from forms.scoring import CriterionScore, ScoreResult, score_submission
from forms.submission import SubmissionResult, formdata_from_json, validate_submission

__all__ = [
    "CriterionDefinition",
    "CriterionScore",
    "DefinedForm",
    "FieldDefinition",
    "FormDefinition",
    "FormDefinitionError",
    "MultiDict",
    "RequiredIf",
    "ScoreResult",
    "ScoringDefinition",
    "SubmissionResult",
    "build_form_class",
    "formdata_from_json",
    "load_form_definition",
    "load_form_file",
    "prefill_values",
    "score_submission",
    "validate_submission",
]
