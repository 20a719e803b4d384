"""Form definitions for BPMN user tasks: load, render with WTForms, validate, score, prefill.

Pure Python (WTForms and jsonschema) so that workers and tests can use it without Flask.
Each field type is one module of forms.fields; the definition format's JSON Schema is assembled
from them (``definition_schema()``).
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
from forms.fields import FIELD_TYPES, FieldType, JSONTypeError, field_input_schemas, field_type, register
from forms.formclass import DefinedForm, build_form_class
from forms.multidict import MultiDict
from forms.prefill import prefill_values
from forms.schema import definition_schema
from forms.scoring import CriterionScore, ScoreResult, score_submission
from forms.submission import SubmissionResult, formdata_from_json, input_values, validate_submission

__all__ = [
    "FIELD_TYPES",
    "CriterionDefinition",
    "CriterionScore",
    "DefinedForm",
    "FieldDefinition",
    "FieldType",
    "FormDefinition",
    "FormDefinitionError",
    "JSONTypeError",
    "MultiDict",
    "RequiredIf",
    "ScoreResult",
    "ScoringDefinition",
    "SubmissionResult",
    "build_form_class",
    "definition_schema",
    "field_input_schemas",
    "field_type",
    "formdata_from_json",
    "input_values",
    "load_form_definition",
    "load_form_file",
    "prefill_values",
    "register",
    "score_submission",
    "validate_submission",
]
