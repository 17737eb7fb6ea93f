"""Imports every table model, so SQLModel.metadata knows the whole schema."""

from app.organizations.models import Organization
from app.plans.models import Plan
from app.submissions.models import Submission
from app.targets.models import Target

__all__ = ["Organization", "Plan", "Submission", "Target"]
