"""Imports every table model, so SQLModel.metadata knows the whole schema."""

from app.assessments.models import Assessment
from app.organizations.models import Organization
from app.plans.models import Plan
from app.submissions.models import Submission
from app.targets.models import Target

__all__ = ["Assessment", "Organization", "Plan", "Submission", "Target"]
