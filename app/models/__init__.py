from app.models.campaign import CAMPAIGN_STATUSES, Campaign, Registration
from app.models.counts import DossierCount, SubjectCount, recount
from app.models.decision import DECISION_KINDS, DECISION_STATUSES, Decision, DecisionEntry, Target
from app.models.dossier import (
    DOSSIER_STATUSES,
    FINAL_STATUSES,
    Comment,
    Dossier,
    EvidenceFile,
    HumanTask,
    Submission,
    TaskDraft,
)
from app.models.events import AuditEvent, Notification, NotificationPreference, OutboxMessage
from app.models.indicator import IndicatorSnapshot
from app.models.procedure import (
    FormDefinition,
    FormVersion,
    ProcedureActivation,
    ProcessDefinition,
    ProcessForm,
)
from app.models.registry_import import IMPORT_STATUSES, RegistryImport
from app.models.types import utcnow
from app.models.unit import (
    SUBJECT_KINDS,
    AdminUnit,
    HouseholdMember,
    Subject,
    SubjectLink,
    UnitLevel,
    ids_on_path,
)
from app.models.user import (
    APPLICANT_ROLES,
    OFFICIAL_ROLES,
    ROLES,
    ApiToken,
    RoleAssignment,
    User,
    UserSession,
)

__all__ = [
    "CAMPAIGN_STATUSES",
    "IMPORT_STATUSES",
    "SUBJECT_KINDS",
    "Campaign",
    "IndicatorSnapshot",
    "Registration",
    "RegistryImport",
    "SubjectLink",
    "DECISION_KINDS",
    "DECISION_STATUSES",
    "Decision",
    "DecisionEntry",
    "Target",
    "APPLICANT_ROLES",
    "DOSSIER_STATUSES",
    "FINAL_STATUSES",
    "OFFICIAL_ROLES",
    "ROLES",
    "AdminUnit",
    "ApiToken",
    "AuditEvent",
    "Comment",
    "Dossier",
    "DossierCount",
    "EvidenceFile",
    "FormDefinition",
    "FormVersion",
    "HouseholdMember",
    "HumanTask",
    "Notification",
    "NotificationPreference",
    "OutboxMessage",
    "ProcedureActivation",
    "ProcessDefinition",
    "ProcessForm",
    "RoleAssignment",
    "Subject",
    "SubjectCount",
    "Submission",
    "TaskDraft",
    "UnitLevel",
    "User",
    "UserSession",
    "ids_on_path",
    "recount",
    "utcnow",
]
