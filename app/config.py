"""Configuration, read from the environment (and an optional .env file)."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def normalize_database_url(url: str) -> str:
    """Lets people write postgresql:// and still get the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


_ORIGIN = re.compile(r"https?://[^/\s,]+")


def _split(origins: str) -> list[str]:
    return [o.strip().rstrip("/") for o in origins.split(",") if o.strip()]


class Settings(BaseSettings):
    """Every setting has a working default for the local SQLite demo."""

    model_config = SettingsConfigDict(env_prefix="", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./chitieu.db"
    # SQLite: how long a writer waits for the lock before giving up, in ms.
    sqlite_busy_timeout_ms: int = 5000
    log_level: str = "info"
    # "Today" for statuses without ?as_of: the users' calendar day, not the server's.
    timezone: str = "Asia/Ho_Chi_Minh"
    # Reads of active and closed plans (and of organisations) without a key. Drafts, keys and
    # the audit trail always need one, and so does every write. OPEN_READS=false closes reads.
    open_reads: bool = True
    # The interactive documentation (/docs, /redoc) and the OpenAPI document (/openapi.json).
    # API_DOCS=false serves none of them (the document is still built for the API's own use).
    api_docs: bool = True
    # Migrations under another URL than the API (PostgreSQL in production): the owner of the
    # tables migrates; the API connects as a role that does not own them (DATABASE_APP_ROLE,
    # granted by `chitieu migrate`). Unset: migrations use DATABASE_URL. docs/ARCHITECTURE.md.
    migration_database_url: str | None = None
    database_app_role: str | None = None
    # Imports and exports running at once in one worker; more are answered 503 with Retry-After.
    max_concurrent_exchange: int = 2
    # Plan statuses computed at once in one worker; more wait up to 2 s, then 503 with Retry-After.
    max_concurrent_status: int = 2
    # Expired idempotency records are purged this often (seconds) by each worker; 0 turns it off
    # (then run `chitieu purge` from cron).
    idempotency_purge_seconds: float = 600.0
    # Parsing resolution text (POST /plans/{id}/parse, open without a key): at most this many
    # parses run at once in one worker process (beyond: 503 with Retry-After), each within
    # this many seconds of CPU time on the clock (beyond: 503). See app/exchange/parse_router.py.
    parse_concurrency: int = 2
    parse_time_limit_seconds: float = 5.0
    # The two busiest routes (a target's status, POST a figure): how many of each may run at once in
    # one worker (app.deps.HotLimiters). 0: the database's default, SQLite 1, PostgreSQL 4.
    hot_route_threads: int = Field(default=0, ge=0)
    # Webhooks (app/webhooks): receivers on loopback, private, link-local (and other non-global)
    # addresses are refused unless this is true (tests and local development; `make run` sets it).
    # Cloud metadata addresses are refused even then.
    webhooks_allow_private: bool = False
    # One delivery's HTTP timeouts: connecting, and the whole answer (seconds). Redirects are never followed.
    webhooks_connect_timeout_seconds: float = 3.0
    webhooks_timeout_seconds: float = 10.0
    # Retries: exponential backoff from the base, capped, with jitter, for this many hours; then the
    # delivery fails and its subscription is marked failing.
    webhooks_retry_hours: float = 24.0
    webhooks_backoff_base_seconds: float = 5.0
    webhooks_backoff_max_seconds: float = 3600.0
    # The worker (`chitieu worker`): deliveries claimed at once, sent in parallel, and how long a claim
    # holds (a worker killed mid-delivery leaves its claims to be taken again after this).
    webhooks_batch_size: int = 50
    webhooks_concurrency: int = 8
    webhooks_lease_seconds: float = 60.0
    webhooks_poll_seconds: float = 1.0
    # How often the worker looks for overdue reports (report.overdue); 0 turns it off.
    webhooks_overdue_check_seconds: float = 3600.0
    # Browsers on other origins (a portal's page calling the API): CORS_ORIGINS lists the origins allowed,
    # comma-separated (`https://portal.example.gov.vn,https://bi.example.gov.vn`), or `*` for any. Empty
    # (the default): no CORS at all, and no cost (the middleware is not even installed). Keys travel in the
    # Authorization header, never cookies, so credentials mode stays off.
    cors_origins: str = ""

    @field_validator("database_url", "migration_database_url")
    @classmethod
    def _normalize(cls, value: str | None) -> str | None:
        return normalize_database_url(value) if value else value

    @field_validator("parse_concurrency")
    @classmethod
    def _at_least_one(cls, value: int) -> int:
        if value < 1:
            raise ValueError("PARSE_CONCURRENCY must be at least 1")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)  # fail at start, not on every request
        except (KeyError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        for origin in _split(value):
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(f"CORS_ORIGINS: {origin!r} is not an origin (scheme://host[:port], no path), nor *")
        return value

    def cors_origin_list(self) -> list[str]:
        """The origins of CORS_ORIGINS, in order, without blanks or a trailing slash."""
        return _split(self.cors_origins)

    def today(self) -> date:
        """The current date in the configured time zone."""
        return datetime.now(ZoneInfo(self.timezone)).date()


@lru_cache
def get_settings() -> Settings:
    """Reads the settings once per process."""
    return Settings()
