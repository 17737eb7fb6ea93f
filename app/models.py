"""Imports every table model, so SQLModel.metadata knows the whole schema."""

from app.assessments.models import Assessment
from app.audit.models import AuditEvent
from app.auth.models import ApiKey
from app.events.models import OverdueNotice, WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription
from app.idempotency.models import IdempotencyRecord
from app.organizations.models import Organization, OrganizationTreeVersion
from app.plans.models import Plan
from app.status.cache import PlanOrganizationStatus, TargetEvaluation
from app.submissions.models import Submission
from app.targets.models import Target

__all__ = [
    "ApiKey",
    "Assessment",
    "AuditEvent",
    "IdempotencyRecord",
    "Organization",
    "OrganizationTreeVersion",
    "Plan",
    "PlanOrganizationStatus",
    "Submission",
    "Target",
    "TargetEvaluation",
    "OverdueNotice",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
]
