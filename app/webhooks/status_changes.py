"""target.status_changed, decided on the write path at commit: the target's status today before and after
the transaction's new figures.

Why at commit and here: the figures' write path (app/submissions/service.py, shared by the API, the
import, the CLI and the seed) sits below the status layer and may not evaluate; it only notes, through
`outbox.watch_targets`, which targets got which new figures, and only when someone subscribes to
target.status_changed (otherwise nothing here runs). The session's `before_commit` event then, still
inside the transaction, reads each watched target's figures once (the status' own query) and runs the
pure engine twice: with and without the rows this transaction added (a correction without its new row
is the figure it corrected, so versions resolve as they did before). A different status (e.g.
on_track -> at_risk, or another final verdict) is one event, in the same transaction as the figures.

Cost: one SELECT of the target's figures, the tree of its plan's organisation and two evaluations per
watched target and commit; nothing for targets nobody can be told about.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from app.config import get_settings
from app.engine import evaluate
from app.events import outbox
from app.events.models import EventType
from app.plans.models import Plan
from app.plans.rules import rules_of
from app.status import queries
from app.status.units import expected_for, load_tree
from app.targets.models import Target
from app.targets.spec import spec_of

_installed = False


def install() -> None:
    """Registers the commit hook on the Session class (once per process; later calls do nothing)."""
    global _installed
    if _installed:
        return
    event.listen(OrmSession, "before_commit", _before_commit)
    _installed = True


def _before_commit(orm_session: OrmSession) -> None:
    session = cast(Session, orm_session)  # the app's sessions are sqlmodel's; a plain one has watched nothing
    watched = outbox.take_watched(session)
    if not watched:
        return
    today = get_settings().today()
    events = []
    for target_id, changed in sorted(watched.items()):
        new_ids = changed.figures
        target = session.get(Target, target_id)
        plan = session.get(Plan, target.plan_id) if target is not None else None
        if target is None or plan is None:
            continue
        spec, rules = spec_of(target, plan), rules_of(plan)
        units = load_tree(session, plan.organization_id).units(plan.organization_id, expected_for(plan, target))
        rows = queries.figures_of_target(session, target_id, today)
        # What counts on a plan that requires approval: approved figures. "Before" is without this
        # transaction's reviews as well as its new figures (the reviewed figures were still submitted).
        approval = queries.approval_of(session, plan.approval_required, [target_id], False)
        approval_before = (
            approval._replace(reviews={k: v for k, v in approval.reviews.items() if k not in changed.reviews})
            if approval is not None
            else None
        )

        judged = []
        for subset, reading in (([r for r in rows if r.id not in new_ids], approval_before), (rows, approval)):
            figures = queries.in_force(subset, today, None)
            excluded = queries.replaced(subset, figures, today, None)
            counted, not_approved, _ = queries.reviewed(subset, figures, reading, None)
            judged.append(evaluate(spec, counted, as_of=today, rules=rules, units=units, excluded=excluded + not_approved))
        before, after = judged
        if before.status == after.status:
            continue
        resource = {
            "target_id": target_id,
            "plan_id": plan.id,
            "code": target.code,
            "title": target.title,
            "as_of": today.isoformat(),
            "previous_status": before.status.value,
            "status": after.status.value,
            "provisional": after.provisional,
            "phase": after.phase.value,
            "message_vi": after.message_vi,
            "message_en": after.message_en,
            "submission_ids": sorted(new_ids | changed.reviews),
        }
        events.append((EventType.TARGET_STATUS_CHANGED.value, resource, plan.organization_id))
    outbox.emit_many(session, events)
