"""Records the audit trail: one place, for every write, whatever service or command made it.

Two session events on the Session class (registered once by `install()`, which
`app.db.make_engine` calls):

- `before_flush` looks at the new, changed and deleted rows of the audited
  models and notes, per row, the action and the column values *before* the
  change (read from the attribute history, so it costs no query);
- `after_flush` (same flush, ids now assigned) takes the values *after*, finds
  the organisation each row belongs to, and inserts the events with one
  executemany on the flush's own connection.

So the events are part of the write's transaction: a write that is rolled back
(a 4xx after a flush, a failed commit) leaves no event, and a committed write
always has its events. An import stores one event per row it created or
changed, in the same single insert.

Who acts comes from `session.info["principal"]` (set by the request's key, or
`Principal` CLI for `chitieu keys`); without one the actor is the process
default: "system", or "cli" once the command line has called `set_default_actor`.
The request id comes from `session.info["request_id"]`.

Never recorded: `api_key.key_hash`; updates of `api_key` that only note the
last use; idempotency records and the audit table itself.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, event, inspect, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE, get_history
from sqlmodel import SQLModel

from app.assessments.models import Assessment
from app.audit.models import AuditEvent
from app.auth.models import ApiKey
from app.common.models import as_utc, table_of, utcnow
from app.organizations.models import Organization
from app.plans.models import Plan
from app.submissions.models import Submission, SubmissionReview
from app.targets.models import Target

# Model -> the `entity` name in events (the table name).
AUDITED: dict[type[SQLModel], str] = {
    Organization: "organization",
    Plan: "plan",
    Target: "target",
    Submission: "submission",
    SubmissionReview: "submission_review",
    Assessment: "assessment",
    ApiKey: "api_key",
}
# Columns never copied into an event.
SECRET_COLUMNS: dict[type[SQLModel], frozenset[str]] = {ApiKey: frozenset({"key_hash"})}
# Updates that touch only these columns are not events (noise).
QUIET_UPDATES: dict[type[SQLModel], frozenset[str]] = {ApiKey: frozenset({"last_used_at"})}

_PENDING = "_audit_pending"
_default_actor = "system"


def set_default_actor(name: str) -> None:
    """The actor of writes made without a principal in this process ("cli" for the command line)."""
    global _default_actor
    _default_actor = name


_PLAIN = (str, int, float, bool, type(None))


def _json_safe(value: Any) -> Any:
    if type(value) in _PLAIN:  # most values: nothing to convert (checked first, for bulk writes)
        return value
    if isinstance(value, datetime):  # as the API writes times: UTC, with "Z"
        return as_utc(value).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


@functools.cache  # the models and their secret columns are fixed at import
def _keys(model: type[SQLModel]) -> list[str]:
    secret = SECRET_COLUMNS.get(model, frozenset())
    return [attr.key for attr in inspect(model).column_attrs if attr.key not in secret]


def column_values(model: type[SQLModel], values: dict[str, Any], keys: list[str] | None = None) -> dict[str, Any]:
    """The audited columns found in `values` (a row's attributes, or a dict a bulk insert wrote), JSON-safe,
    in the model's column order. `keys`: `audited_columns(model)`, when the caller already has it."""
    return {key: _json_safe(values[key]) for key in (keys or _keys(model)) if key in values}


_PLAIN_TYPES = frozenset(_PLAIN)


def columns_values(model: type[SQLModel], rows: Sequence[dict[str, Any]], keys: list[str] | None = None) -> list[dict[str, Any]]:
    """`column_values` of many rows that have the same keys (a bulk insert's), the same dicts. Column by
    column: a column whose values are all of plain types is copied as it is (what `_json_safe` gives them),
    only the others (dates, times) go through `_json_safe`; a call per value was most of the audit
    events' cost in an import (issue 17)."""
    if not rows:
        return []
    present = [key for key in (keys or _keys(model)) if key in rows[0]]
    if not present:
        return [{} for _ in rows]
    columns = list(zip(*[[row[key] for key in present] for row in rows], strict=True))
    for at, column in enumerate(columns):
        if not _PLAIN_TYPES.issuperset(map(type, column)):
            columns[at] = tuple(map(_json_safe, column))
    return [dict(zip(present, values, strict=True)) for values in zip(*columns, strict=True)]


def audited_columns(model: type[SQLModel]) -> list[str]:
    """The columns of `model` that events copy (secrets left out), in column order."""
    return _keys(model)


def _current(obj: Any, before: dict[str, Any] | None) -> dict[str, Any]:
    """The column values after the flush: those in memory, the unchanged rest as they were (no query)."""
    state = inspect(obj)
    values = dict(before or {})
    values.update(column_values(type(obj), state.dict))
    return values


def _before_and_changed(session: OrmSession, obj: Any) -> tuple[dict[str, Any], set[str]]:
    """The column values before this flush's changes, and the names of the changed columns.

    Old values come from the attribute history (no query). Only when some column was not
    loaded (an expired row changed without being read) is the stored row read, once.
    """
    model = type(obj)
    state = inspect(obj)
    secret = SECRET_COLUMNS.get(model, frozenset())
    before: dict[str, Any] = {}
    changed: set[str] = set()
    unknown: list[str] = []
    for attr in inspect(model).column_attrs:
        key = attr.key
        history = get_history(obj, key, passive=PASSIVE_NO_INITIALIZE)
        if history.added or history.deleted:
            changed.add(key)
            if history.deleted:
                before[key] = history.deleted[0]
            else:
                unknown.append(key)
        elif key in state.dict:
            before[key] = state.dict[key]
        else:
            unknown.append(key)
    if unknown and state.key is not None:
        table = table_of(model)
        pk = inspect(model).primary_key[0]
        row = session.connection().execute(select(*(table.c[k] for k in unknown)).where(pk == state.key[1][0])).first()
        if row is not None:
            before.update(zip(unknown, row, strict=True))
    return {k: _json_safe(v) for k, v in before.items() if k not in secret}, changed


def _became_set(before: dict[str, Any], obj: Any, key: str) -> bool:
    return before.get(key) is None and getattr(obj, key) is not None


@dataclass
class _Pending:
    obj: Any
    action: str
    before: dict[str, Any] | None
    deleted: bool = False
    organization_id: int | None = None  # of a deleted row: found before the flush, while its plan still exists


def created_action(model: type[SQLModel], kind: str | None = None) -> str:
    """The action of an inserted row of `model` (`kind`: a submission's version kind)."""
    if issubclass(model, Submission):
        return {"correction": "correct", "retraction": "retract"}.get(kind, "create") if kind is not None else "create"
    if issubclass(model, SubmissionReview):
        return {"approved": "approve", "returned": "return"}[kind] if kind is not None else "review"
    if issubclass(model, Assessment):
        return "assess"
    if issubclass(model, ApiKey):
        return "key_create"
    return "create"


def kind_of(model: type[SQLModel], values: Any) -> str | None:
    """What `created_action` tells actions apart by: a submission's version kind, a review's action."""
    name = "action" if issubclass(model, SubmissionReview) else "kind"
    return values.get(name) if isinstance(values, dict) else getattr(values, name, None)


def _created_action(obj: Any) -> str:
    return created_action(type(obj), kind_of(type(obj), obj))


def _updated_action(obj: Any, before: dict[str, Any], changed: set[str]) -> str | None:
    if not changed or changed <= QUIET_UPDATES.get(type(obj), frozenset()):
        return None
    if isinstance(obj, ApiKey) and "revoked_at" in changed and _became_set(before, obj, "revoked_at"):
        return "key_revoke"
    if isinstance(obj, Plan | Target) and "archived_at" in changed and _became_set(before, obj, "archived_at"):
        return "archive"
    return "update"


def _before_flush(session: OrmSession, _context, _instances) -> None:
    pending: list[_Pending] = []
    for obj in session.new:
        if type(obj) in AUDITED:
            pending.append(_Pending(obj, _created_action(obj), None))
    for obj in session.dirty:
        if type(obj) in AUDITED:
            before, changed = _before_and_changed(session, obj)
            action = _updated_action(obj, before, changed)
            if action:
                pending.append(_Pending(obj, action, before))
    orgs = None
    for obj in session.deleted:
        if type(obj) in AUDITED:
            before, _ = _before_and_changed(session, obj)
            orgs = orgs or OrgsOfRows(session.connection())
            pending.append(_Pending(obj, "delete", before, deleted=True, organization_id=orgs.of(before, AUDITED[type(obj)])))
    # Set, not appended to: a flush that failed before its after_flush leaves nothing behind.
    session.info[_PENDING] = pending


_PLANS, _TARGETS = table_of(Plan), table_of(Target)


class OrgsOfRows:
    """The organisation a row belongs to, with one lookup per plan or target per flush."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.plan_org: dict[int, int | None] = {}
        self.target_plan: dict[int, int | None] = {}

    def of_plan(self, plan_id: int | None) -> int | None:
        if plan_id is None:
            return None
        if plan_id not in self.plan_org:
            self.plan_org[plan_id] = self.connection.execute(
                select(_PLANS.c.organization_id).where(_PLANS.c.id == plan_id)
            ).scalar()
        return self.plan_org[plan_id]

    def of_target(self, target_id: int | None) -> int | None:
        if target_id is None:
            return None
        if target_id not in self.target_plan:
            self.target_plan[target_id] = self.connection.execute(
                select(_TARGETS.c.plan_id).where(_TARGETS.c.id == target_id)
            ).scalar()
        return self.of_plan(self.target_plan[target_id])

    def of(self, values: dict[str, Any], entity: str) -> int | None:
        if entity == "organization":
            return values.get("id")
        if entity in ("plan", "submission", "submission_review", "api_key"):
            return values.get("organization_id")
        if entity == "target":
            return self.of_plan(values.get("plan_id"))
        if entity == "assessment":
            return self.of_target(values.get("target_id"))
        return None


def _after_flush(session: OrmSession, _context) -> None:
    pending: list[_Pending] = session.info.pop(_PENDING, [])
    if not pending:
        return
    connection = session.connection()
    orgs = OrgsOfRows(connection)
    who = EventContext.of(session)
    rows = []
    for item in pending:
        entity = AUDITED[type(item.obj)]
        after = None if item.deleted else _current(item.obj, item.before)
        values = after if after is not None else item.before or {}
        organization_id = item.organization_id if item.deleted else orgs.of(values, entity)
        rows.append(who.event(item.action, entity, values.get("id"), organization_id, item.before, after))
    connection.execute(table_of(AuditEvent).insert(), rows)


@dataclass(frozen=True)
class EventContext:
    """Who acts, in which request, and when: the same for every event of one flush (or one bulk write).

    Shared with app/audit/bulk.py, which writes the events of rows inserted with Core, so that
    both produce identical events.
    """

    actor_key_id: int | None
    actor: str
    request_id: str
    now: datetime

    @classmethod
    def of(cls, session: OrmSession) -> EventContext:
        principal = session.info.get("principal")
        return cls(
            actor_key_id=principal.key_id if principal is not None else None,
            actor=(principal.name if principal is not None else _default_actor)[:500],
            request_id=str(session.info.get("request_id") or "")[:200],
            now=utcnow(),
        )

    def event(
        self,
        action: str,
        entity: str,
        entity_id: int | None,
        organization_id: int | None,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """One audit_event row, as a dict for an executemany."""
        return {
            "occurred_at": self.now,
            "actor_key_id": self.actor_key_id,
            "actor": self.actor,
            "request_id": self.request_id,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "organization_id": organization_id,
            "before": before,
            "after": after,
        }

    def events(
        self,
        actions: list[str],
        entity: str,
        entity_ids: list[int | None],
        organization_ids: list[int | None],
        afters: list[dict[str, Any]],
    ) -> dict[str, list[Any]]:
        """`event` of many inserted rows (`before` null), column by column: each column of audit_event (but
        the id) -> its values, one per row, in `event`'s order (a bulk insert's events, without a dict each)."""
        n = len(afters)
        return {
            "occurred_at": [self.now] * n,
            "actor_key_id": [self.actor_key_id] * n,
            "actor": [self.actor] * n,
            "request_id": [self.request_id] * n,
            "action": actions,
            "entity": [entity] * n,
            "entity_id": entity_ids,
            "organization_id": organization_ids,
            "before": [None] * n,
            "after": afters,
        }


_installed = False


def install() -> None:
    """Registers the events on the Session class (once per process; later calls do nothing)."""
    global _installed
    if _installed:
        return
    event.listen(OrmSession, "before_flush", _before_flush)
    event.listen(OrmSession, "after_flush", _after_flush)
    _installed = True
