"""Resolution text → draft targets, and (on request) the accepted drafts stored as targets."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from sqlmodel import Session, select

from app.engine import Comparison
from app.errors import InvalidInput
from app.exchange.draft import ParseResult
from app.exchange.parser import Budget, ParseTimeout, parse_resolution
from app.plans.models import Plan
from app.targets import service as targets
from app.targets.models import Target, TargetCreate


def next_codes(session: Session, plan: Plan, count: int) -> list[str]:
    """Free two-digit codes after the plan's existing targets ("13", "14", ...)."""
    taken = set(session.exec(select(Target.code).where(Target.plan_id == plan.id)).all())
    codes: list[str] = []
    n = len(taken)
    while len(codes) < count:
        n += 1
        code = f"{n:02d}"
        if code not in taken:
            codes.append(code)
    return codes


def parse_text(text: str, budget: Budget | None = None) -> ParseResult:
    """Reads a resolution's text within the budget; stores nothing and needs no session (pure CPU work)."""
    return parse_resolution(text, budget)


# ---------------------------------------------------------------- parsing beside the server
#
# The API parses in worker processes of its own: CPU-bound Python in a thread of the server
# would hold the interpreter lock against every read. The processes run at a lower CPU
# priority (nice +10), so on a busy machine reads come first. One pool per server process,
# made on first use, as many processes as PARSE_CONCURRENCY; each exits within half a second
# of the server process, however that ends (SIGKILL included).

_pool: ProcessPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def _child_setup(parent: int) -> None:  # pragma: no cover - runs in the child process
    """Lower CPU priority, and exit as soon as the server process is gone (however it ended)."""
    try:
        os.nice(10)
    except OSError:
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _executor(size: int) -> ProcessPoolExecutor:
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size != size:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=True)
            _pool = ProcessPoolExecutor(
                max_workers=size,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_child_setup,
                initargs=(os.getpid(),),
            )
            _pool_size = size
        return _pool


def _discard_pool() -> None:
    """Stops the pool's processes now (a parse that overran its deadline); the next parse makes a new pool."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)


class ParserUnavailable(RuntimeError):
    """The parsing process stopped (killed, out of memory): the pool is made again on the next parse."""


def _parse_for_answer(text: str, budget: Budget, keep: bool) -> tuple[str, ParseResult | None]:
    """In the worker process: the answer's JSON (drafts, unrecognised, skipped), and the result itself
    only when it is to be applied. Handing back one string spares the server unpickling thousands of
    objects (and the garbage collections they bring) while it serves reads."""
    result = parse_resolution(text, budget)
    return result.json_parts(), (result if keep else None)


async def parse_text_elsewhere(
    text: str, budget: Budget, processes: int, hard_limit: float, keep: bool = False
) -> tuple[str, ParseResult | None]:
    """`_parse_for_answer` in a worker process; past `hard_limit` seconds the processes are killed (ParseTimeout).

    The budget's own deadline stops a parse from the inside first; the hard limit is for a parse
    that does not reach a check in time.
    """
    future = _executor(processes).submit(_parse_for_answer, text, budget, keep)
    try:
        return await asyncio.wait_for(asyncio.wrap_future(future), hard_limit)
    except TimeoutError:
        _discard_pool()
        raise ParseTimeout("The text could not be read within the time limit.") from None
    except BrokenProcessPool:
        _discard_pool()
        raise ParserUnavailable("The parsing process stopped.") from None


def apply_drafts(*, session: Session, plan: Plan, result: ParseResult, accept: list[int] | None) -> list[Target]:
    """Stores the accepted drafts (all when `accept` is None) as targets, in one commit."""
    indices = list(range(len(result.drafts))) if accept is None else accept
    wrong = [i for i in indices if not 0 <= i < len(result.drafts)]
    if wrong:
        raise InvalidInput.from_fields("Some accepted drafts do not exist.", {"accept": f"no draft numbered {wrong}"})
    baseless = [
        i for i in indices if result.drafts[i].comparison == Comparison.CHANGE and result.drafts[i].baseline_value is None
    ]
    if baseless:  # "tăng 1,6 lần so với năm 2020": the baseline is not in the text
        raise InvalidInput.from_fields(
            "Some accepted drafts are changes whose baseline the text does not give; leave them out of `accept` "
            "and create them with their baseline_value.",
            {"accept": f"drafts {baseless} need a baseline_value"},
        )
    existing = len(session.exec(select(Target.id).where(Target.plan_id == plan.id)).all())
    codes = next_codes(session, plan, len(indices))
    bodies = [
        TargetCreate(**result.drafts[i].to_target_fields(code, position=existing + k + 1))
        for k, (i, code) in enumerate(zip(indices, codes, strict=True))
    ]
    return targets.create_targets(session=session, plan=plan, targets_in=bodies)
