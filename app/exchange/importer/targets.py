"""Importing a plan's targets: each row a `TargetCreate`, through the targets service's write rules."""

from __future__ import annotations

from enum import Enum
from functools import partial
from typing import Any

from sqlmodel import Session, select

from app.errors import DomainError
from app.exchange import tabular
from app.exchange.columns import TARGET_COLUMNS
from app.exchange.importer.cells import FIGURE, TARGET_KINDS, number_style, read_cells
from app.exchange.importer.report import ImportReport, Run, domain_problems, finish, header_failures
from app.plans.models import Plan
from app.targets.models import Target, TargetCreate, TargetUpdate
from app.targets.service import apply_target_patch, insert_targets, prepare_patch, prepare_target, stored_checkpoints

TARGET_REQUIRED = ("code", "title", "comparison")


def _target_state(target_in: TargetCreate) -> dict[str, Any]:
    """A validated row as it would be stored (enums as strings, checkpoints as sorted dicts)."""
    fields = {k: (v.value if isinstance(v, Enum) else v) for k, v in target_in.model_dump().items()}
    fields["checkpoints"] = stored_checkpoints(fields.get("checkpoints"))
    return fields


def import_targets(
    *, session: Session, plan: Plan, table: tabular.Table, dry_run: bool = False, keep_good_rows: bool = False
) -> ImportReport:
    """Creates or updates the plan's targets from the rows; one commit (or none), in `finish`."""
    run = Run(table, TARGET_COLUMNS)
    style = number_style(table, tuple(n for n, k in TARGET_KINDS.items() if k == FIGURE))
    # the report's arguments, the same for the header failures and for the file's end
    done = partial(
        finish, session=session, plan=plan, kind="targets", run=run, style=style, dry_run=dry_run, keep_good_rows=keep_good_rows
    )
    if table.problems:
        header_failures(run)
        return done(writes=0)
    existing = {t.code: t for t in session.exec(select(Target).where(Target.plan_id == plan.id)).all()}
    present = table.present
    last = max((t.position for t in existing.values()), default=0)  # new targets without a position go after it
    first_row: dict[str, int] = {}
    new: list[Target] = []
    patches: list[tuple[Target, dict[str, Any]]] = []
    for row in table.rows:
        values, problems = read_cells(row.cells, TARGET_KINDS, style)
        code = values.get("code")
        if code is not None:
            if code in first_row:
                run.fail(row, [("code", f"target '{code}' appears twice in the file (first in row {first_row[code]})")])
                continue
            first_row[code] = row.number
        target_in = run.validated(row, TargetCreate, values, problems, problems)
        if target_in is None:
            continue
        current = existing.get(target_in.code)
        if current is not None and current.archived_at is not None:
            run.fail(row, [("code", f"target '{current.code}' is archived: it can no longer be changed")])
            continue
        try:
            if current is None:
                new.append(prepare_target(session, plan, target_in, after=last))
                last = max(last, new[-1].position)
                run.counts.created += 1
                continue
            state = _target_state(target_in)
            # an empty position cell keeps the target where it is (a new one's empty cell means "after the last")
            changed = [
                n
                for n in TARGET_COLUMNS
                if n in present and n != "code" and state[n] != getattr(current, n) and (n != "position" or state[n] is not None)
            ]
            if not changed:
                run.counts.ignored += 1
                continue
            update_in = TargetUpdate.model_validate({name: getattr(target_in, name) for name in changed})
            patches.append((current, prepare_patch(session, current, plan, update_in)))
            run.counts.updated += 1
        except DomainError as exc:
            run.fail(row, domain_problems(exc))

    def store() -> None:
        for target, changes in patches:
            apply_target_patch(target, changes)
        insert_targets(session, new)  # through the unit of work: the recorder writes their events

    return done(
        writes=len(new) + len(patches),
        store=store,
    )
