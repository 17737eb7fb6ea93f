"""Loads seed_data/: the Lạng Sơn 2019 plan and, optionally, the sample figures.

Loading is idempotent and goes through the same services as the API: each
organisation, plan and target is created only when its code is not there yet,
so a second run (every `make run`) changes nothing. Each file is loaded in one
commit (`app.common.crud.transaction`): a run that stopped half way stored
nothing of that file, and the next run loads it. Sample figures are added to a target only when it
has no figures at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path

from sqlmodel import Session, col, select

from app.common.crud import transaction
from app.organizations import service as organizations
from app.organizations.models import Organization, OrganizationCreate
from app.plans import service as plans
from app.plans.models import Plan, PlanCreate
from app.submissions import service as submissions
from app.submissions.models import Submission, SubmissionCreate
from app.targets import service as targets
from app.targets.models import Target, TargetCreate

# Beside the package in a checkout (an editable install); in the current directory for an installed copy
# (the Docker image installs the package and keeps seed_data/ in its working directory, /app).
SEED_DIR = next(
    (d for d in (Path(__file__).resolve().parents[1] / "seed_data", Path.cwd() / "seed_data") if d.is_dir()),
    Path(__file__).resolve().parents[1] / "seed_data",
)
PLAN_FILES = ("langson_2019.json",)
SAMPLE_FILES = ("samples_langson_2019.json",)


@dataclass
class SeedReport:
    """What a seed run created; everything else was already there."""

    created: dict[str, int] = field(default_factory=lambda: {"organizations": 0, "plans": 0, "targets": 0, "submissions": 0})


def _org_by_code(session: Session, code: str) -> Organization | None:
    return session.exec(select(Organization).where(Organization.code == code)).first()


def _named_org(session: Session, code: str) -> Organization:
    """The organisation a seed entry names (created earlier in the seed), or a clear error."""
    org = _org_by_code(session, code)
    if org is None:
        raise ValueError(f"The seed names organisation '{code}', which does not exist.")
    return org


def _context_notes(context: list[dict]) -> str:
    lines = ["Kết quả năm 2018 nêu tại hội nghị (bối cảnh, không phải số liệu của kế hoạch này):"]
    for item in context:
        value = "" if item["value"] is None else f"{item['value']:g} "
        estimate = " (ước)" if item.get("estimate") else ""
        lines.append(f"- {item['indicator']}: {value}{item['unit']}{estimate}")
    return "\n".join(lines)


def load_organizations(session: Session, data: dict, report: SeedReport) -> None:
    """Creates the organisations of one seed file that are missing (parents before children)."""
    for org in data.get("organizations", []):
        if _org_by_code(session, org["code"]) is None:
            parent = _org_by_code(session, org["parent_code"]) if org.get("parent_code") else None
            fields = {k: v for k, v in org.items() if k not in ("parent_code", "sample")}
            body = OrganizationCreate(**fields, parent_id=parent and parent.id)
            organizations.create_organization(session=session, organization_in=body)
            report.created["organizations"] += 1


def _in_one_commit(load: Callable[[Session, dict, SeedReport], None]) -> Callable[[Session, dict, SeedReport], None]:
    """A loader as the edge of its use case: what it creates is committed once (`transaction`), or not at all."""

    @wraps(load)
    def committed(session: Session, data: dict, report: SeedReport) -> None:
        with transaction(session):
            load(session, data, report)

    return committed


@_in_one_commit
def load_plans(session: Session, data: dict, report: SeedReport) -> None:
    """Creates the organisations, plans and targets of one seed file that are missing, in one commit."""
    load_organizations(session, data, report)
    for plan_data in data.get("plans", []):
        plan = session.exec(select(Plan).where(Plan.code == plan_data["code"])).first()
        if plan is None:
            org = _named_org(session, plan_data["organization_code"])
            fields = {k: v for k, v in plan_data.items() if k not in ("organization_code", "targets", "context_2018")}
            if plan_data.get("context_2018"):
                fields["notes"] = _context_notes(plan_data["context_2018"])
            plan = plans.create_plan(session=session, plan_in=PlanCreate(**fields, organization_id=org.id))
            report.created["plans"] += 1
        existing = set(session.exec(select(Target.code).where(Target.plan_id == plan.id)).all())
        for target_data in plan_data.get("targets", []):
            if target_data["code"] not in existing:
                targets.create_target(session=session, plan=plan, target_in=TargetCreate(**target_data))
                report.created["targets"] += 1


@_in_one_commit
def load_samples(session: Session, data: dict, report: SeedReport) -> None:
    """Adds the sample organisations, and the sample figures to targets that have none yet, in one commit."""
    load_organizations(session, data, report)
    plan = session.exec(select(Plan).where(Plan.code == data["plan_code"])).one()
    by_code = {t.code: t for t in session.exec(select(Target).where(Target.plan_id == plan.id)).all()}
    reported = set(
        session.exec(select(Submission.target_id).where(col(Submission.target_id).in_([t.id for t in by_code.values()]))).all()
    )
    for item in data["submissions"]:
        target = by_code[item["target_code"]]
        if target.id in reported:
            continue
        org = _named_org(session, item["organization_code"])
        fields = {k: v for k, v in item.items() if k not in ("sample", "target_code", "organization_code")}
        fields.setdefault("note", data.get("note", ""))  # a figure's own note wins over the file's
        body = SubmissionCreate(**fields, organization_id=org.id)
        submissions.create_submission(session=session, target=target, submission_in=body)
        report.created["submissions"] += 1


def seed(session: Session, *, samples: bool = True, seed_dir: Path = SEED_DIR) -> SeedReport:
    """Loads the plans, then (unless told not to) the sample figures."""
    report = SeedReport()
    for name in PLAN_FILES:
        load_plans(session, json.loads((seed_dir / name).read_text(encoding="utf-8")), report)
    if samples:
        for name in SAMPLE_FILES:
            load_samples(session, json.loads((seed_dir / name).read_text(encoding="utf-8")), report)
    return report
