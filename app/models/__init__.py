from app.models.dossier import (
    DOSSIER_STATUSES,
    FINAL_STATUSES,
    Comment,
    Dossier,
    EvidenceFile,
    HumanTask,
    Submission,
)
from app.models.events import AuditEvent, Notification, OutboxMessage
from app.models.procedure import FormDefinition, FormVersion, ProcessDefinition, ProcessForm
from app.models.types import utcnow
from app.models.unit import AdminUnit, HouseholdMember, Subject, UnitLevel
from app.models.user import OFFICIAL_ROLES, ROLES, ApiToken, RoleAssignment, User

__all__ = [
    "DOSSIER_STATUSES",
    "FINAL_STATUSES",
    "OFFICIAL_ROLES",
    "ROLES",
    "AdminUnit",
    "ApiToken",
    "AuditEvent",
    "Comment",
    "Dossier",
    "EvidenceFile",
    "FormDefinition",
    "FormVersion",
    "HouseholdMember",
    "HumanTask",
    "Notification",
    "OutboxMessage",
    "ProcessDefinition",
    "ProcessForm",
    "RoleAssignment",
    "Subject",
    "Submission",
    "UnitLevel",
    "User",
    "utcnow",
]
