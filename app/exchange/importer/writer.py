"""Where an import's new figures go as its rows are checked: written at once by a thread while the next rows
are checked (PostgreSQL, a file of more than one chunk), or held and written at the end (otherwise).

Why a thread (issue 17): storing a figure costs PostgreSQL's server about as much as checking it costs this
process (the two foreign keys, six indexes and the audit event of each row), and an import did one after the
other: the server idle while the rows were checked, the process waiting while they were stored. Now chunk k
is stored while chunk k+1 is checked: the server and the process work at the same time, on two cores.

The rules that keep this the import it was:

- **One transaction, the import's own.** The thread writes on the import's session (its connection and
  transaction); the checking thread does not touch that session until `close`, and the commit stays at
  the edge (`report.finish`, `crud.transaction`), after every chunk is written. A failing row of an
  all-or-nothing import, a dry run, or an error anywhere: nothing is committed (`finish` rolls back).
- **Reads on a second connection.** What the checks read once a chunk has gone (the stored figures of a key
  not read ahead, the file rules' figures of a unit met late) is read on `reads`, a session of its own: it
  sees what is committed, as the import's reads always did (they all ran before its first write), and not
  the chunks the import has written meanwhile. Nothing in an import's transaction writes figures before
  it, so the two views agree.
- **The thread only sends.** Its own Python work would hold up the server, so the checking thread makes
  each chunk ready: the ids, from the table's sequence on the second connection (ascending with the rows,
  chunk after chunk), the links of corrections (an earlier row of the file has its id by then) and the
  audit events (`audit.bulk.take_ids`, `batch_of`). The thread writes the chunks in order, two COPYs each.
  Held rows (SQLite) get their ids as they go in, in runs that end before a row correcting one of them
  (`store_figures`).
- **Errors.** The first error on the thread stops it; `store` raises it inside the import's transaction,
  where a unique or foreign-key violation becomes the import's 409, as a write on the request's thread was.

SQLite keeps the held chunks: its one writer would serialise the thread's writes with nothing to gain, and
its import is bound by this process alone.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from typing import Any

from sqlmodel import Session

from app.audit.bulk import CopyBatch, batch_of, take_ids
from app.audit.recorder import EventContext
from app.submissions.models import Submission
from app.submissions.service import submit, supersede

Rows = list[dict[str, Any]]
Corrects = dict[int, dict[str, Any]]  # index of a row in its chunk -> the earlier new row (of the file) it corrects

INSERT_CHUNK = 2000  # rows per check and per bulk insert: bounds the statement, and the events held at once (with the queue)
_END = None  # the queue's last item


class FigureWriter:
    """Takes an import's new figures chunk by chunk (`add`, in file order) and stores them in the import's
    transaction: on a thread as they come (`concurrent`), or all at once in `store`. Use as a context manager:
    leaving it waits for the thread and closes `reads`."""

    def __init__(self, session: Session, *, concurrent: bool) -> None:
        self.session = session
        self.concurrent = concurrent
        self._context: EventContext | None = None  # one actor and time for all the file's events, like one flush
        self.count = 0  # rows added
        # the checks' reads: a second session while chunks are written meanwhile, else the import's own
        self.reads = Session(session.get_bind()) if concurrent else session
        self._held: tuple[Rows, Corrects] = ([], {})
        # At most two chunks wait for the thread (with their events): the checking thread waits when it is ahead
        self._queue: queue.Queue[CopyBatch | None] = queue.Queue(maxsize=2)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._stopped = False  # nothing more is written (the rows will not be stored, or the thread failed)

    @property
    def context(self) -> EventContext:
        """Who acts, and the events' time: taken when the first chunk goes (as a flush's, after its rows were made)."""
        if self._context is None:
            self._context = EventContext.of(self.session)
        return self._context

    def __enter__(self) -> FigureWriter:
        return self

    def __exit__(self, exc_type: object, *exc_info: object) -> None:
        if exc_type is not None:  # the import failed on the checking thread: nothing will be stored
            self._stopped = True
        self.close()

    def add(self, rows: Rows, corrects: Corrects) -> None:
        """The next chunk of new rows; `corrects` by index in `rows`."""
        if not rows:
            return
        self.count += len(rows)
        if self._stopped:  # discarded, or the thread failed: nothing more is made or written
            return
        if not self.concurrent:
            held, held_corrects = self._held
            held_corrects.update({len(held) + index: earlier for index, earlier in corrects.items()})
            held.extend(rows)
            return
        # Made here, on the checking thread, so that the writing thread only sends (its own Python work would
        # hold up the server): the ids from the table's sequence on the second connection (any connection
        # will do), the links of corrections (an earlier row of the file has its id by now), the audit events.
        connection = self.reads.connection()
        take_ids(connection, Submission, rows)
        for index, earlier in corrects.items():
            supersede(rows[index], earlier["id"], earlier["root_id"])
        batch = batch_of(connection, Submission, rows, context=self.context)
        if self._thread is None:  # the import's context (its request id, for instance) goes with the thread
            self._thread = threading.Thread(
                target=contextvars.copy_context().run, args=(self._work,), name="import-writer", daemon=True
            )
            self._thread.start()
        self._queue.put(batch)

    def discard(self) -> None:
        """The rows will not be stored (an all-or-nothing import with a failing row): write no more of them."""
        self._stopped = True
        self._held = ([], {})

    def _work(self) -> None:
        while (batch := self._queue.get()) is not _END:
            if self._stopped:
                continue  # drained, not written
            try:
                submit(self.session, batch.rows, context=self.context, batch=batch)
            except BaseException as exc:  # raised again by `store`, in the import's transaction
                self._error, self._stopped = exc, True

    def close(self) -> None:
        """Waits until every chunk added is written (or skipped), then closes `reads`. Idempotent."""
        if self._thread is not None:
            self._queue.put(_END)
            self._thread.join()
            self._thread = None
        if self.concurrent:
            self.reads.close()

    def store(self) -> None:
        """Inside the import's transaction, before its commit: the held rows written, or the thread's writes
        waited for and its error raised."""
        self.close()
        if self._error is not None:
            raise self._error
        if self._held[0]:
            store_figures(self.session, *self._held, context=self.context)


def store_figures(session: Session, rows: Rows, corrects: Corrects, *, context: EventContext) -> None:
    """Inserts new figures in file order (ids ascend with the rows, as the unit of work gave them), with one
    audit event per figure (app/audit/bulk.py), in the import's transaction; `context`: the file's one actor and time.

    `corrects`: index of a row -> the earlier new row of the file it corrects, whose id it needs; when that row is
    one of `rows` not inserted yet, the rows go in runs that end before the correcting row (SQLite gives ids as
    rows go in).
    """

    def insert_rows(first: int, stop: int) -> None:
        for begin in range(first, stop, INSERT_CHUNK):
            submit(session, rows[begin : min(begin + INSERT_CHUNK, stop)], context=context)

    done = 0
    for index in sorted(corrects):
        earlier = corrects[index]
        if "id" not in earlier:  # one of these rows, before this one
            insert_rows(done, index)
            done = index
        supersede(rows[index], earlier["id"], earlier["root_id"])
    insert_rows(done, len(rows))
