"""Typed configuration read from the environment and an optional ``.env`` file.

Nothing here runs at import time: ``load_settings()`` is called by the CLI (the composition
root), and tests build ``Settings(...)`` directly.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from domain.dates import check_timezone, normalise_times, parse_times
from texts import LANGUAGES

# BotFather tokens look like "123456789:AA...". The emulator uses the same shape.
_TOKEN_RE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{20,100}$")
# What Telegram accepts as a webhook's secret_token (1-256 of these characters), and at least 32
# of them: the secret is all that keeps forged updates out, so it must not be guessable.
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{32,256}")
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class ConfigError(Exception):
    """A configuration value is missing or wrong; the message is one line for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str | None = Field(default=None, validation_alias="TELEGRAM_BOT_TOKEN")
    # The server root; PTB's request URLs are derived from it (see ``bot_api_url``).
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org", validation_alias="TELEGRAM_API_BASE_URL"
    )
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    data_dir: Path = Field(default=Path("data"), validation_alias="SIGAP_DATA_DIR")
    timezone: str = Field(default="Asia/Jakarta", validation_alias="SIGAP_TIMEZONE")
    admin_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, validation_alias="SIGAP_ADMIN_IDS"
    )
    default_language: str = Field(default="id", validation_alias="SIGAP_DEFAULT_LANGUAGE")
    organization: str = Field(
        default="Kecamatan Medan Belawan", max_length=120, validation_alias="SIGAP_ORGANIZATION"
    )
    # Needed to write invite links without asking Telegram (getMe) first.
    bot_username: str | None = Field(default=None, validation_alias="SIGAP_BOT_USERNAME")
    # How long (seconds) a sender's identity is reused in a process; see IdentityCache.
    identity_cache_seconds: float = Field(
        default=60, ge=0, le=3600, validation_alias="SIGAP_IDENTITY_CACHE_SECONDS"
    )
    log_level: str = Field(default="INFO", validation_alias="SIGAP_LOG_LEVEL")
    # Daily reminders (local time of each unit): first and second, and no reminder after this.
    reminder_times: str = Field(default="14:00,15:30", validation_alias="SIGAP_REMINDER_TIMES")
    reminder_quiet_from: str = Field(default="20:00", validation_alias="SIGAP_REMINDER_QUIET_FROM")
    # How often the scheduler looks at the clock (seconds).
    scheduler_interval: float = Field(
        default=30, gt=0, le=3600, validation_alias="SIGAP_SCHEDULER_INTERVAL"
    )
    # The outbox sender is woken by every commit that queues a notification (and within a
    # second for other processes); this poll is only a safety net.
    outbox_poll_interval: float = Field(
        default=30, gt=0, le=86400, validation_alias="SIGAP_OUTBOX_POLL_SECONDS"
    )
    invite_ttl_days: int = Field(default=14, ge=1, le=365, validation_alias="SIGAP_INVITE_TTL_DAYS")
    # Updates of different chats handled at once; each chat's updates stay in order.
    # Bounded on purpose: unbounded concurrency is slower than none (perf-notes.md).
    concurrent_updates: int = Field(
        default=64, ge=1, le=512, validation_alias="SIGAP_CONCURRENT_UPDATES"
    )
    # Supervisors approve, review and export the work of their direct reports; with this on, also
    # of their reports' reports (a camat over the kelurahan staff, say).
    supervise_indirect_reports: bool = Field(
        default=False, validation_alias="SIGAP_SUPERVISE_INDIRECT_REPORTS"
    )
    # Complaints: deadlines in working days (LAPOR! practice, not law) and abuse limits.
    complaint_verify_days: int = Field(
        default=3, ge=1, le=30, validation_alias="SIGAP_COMPLAINT_VERIFY_DAYS"
    )
    complaint_follow_up_days: int = Field(
        default=5, ge=1, le=60, validation_alias="SIGAP_COMPLAINT_FOLLOW_UP_DAYS"
    )
    complaint_reopen_days: int = Field(
        default=10, ge=1, le=60, validation_alias="SIGAP_COMPLAINT_REOPEN_DAYS"
    )
    complaints_per_day: int = Field(
        default=3, ge=1, le=100, validation_alias="SIGAP_COMPLAINTS_PER_DAY"
    )
    # What a citizen may send about one complaint in an hour, relayed to the unit's group.
    complaint_messages_per_hour: int = Field(
        default=10, ge=1, le=1000, validation_alias="SIGAP_COMPLAINT_MESSAGES_PER_HOUR"
    )
    # Requests one Open311 api_key may make in a minute (a burst of that many, refilled
    # evenly); beyond it the API answers 429 with Retry-After.
    open311_requests_per_minute: int = Field(
        default=30, ge=1, le=10_000, validation_alias="SIGAP_OPEN311_REQUESTS_PER_MINUTE"
    )
    # An unfinished flow (an /aduan draft with its story, files and phone number) is deleted,
    # files and all, after this many days without an answer (UU 27/2022: keep only what is
    # needed).
    draft_retention_days: int = Field(
        default=30, ge=1, le=365, validation_alias="SIGAP_DRAFT_RETENTION_DAYS"
    )
    # Webhook mode (``sigap run --webhook``): the public HTTPS URL Telegram calls, where our own
    # server listens (behind a reverse proxy that terminates TLS), and the secret Telegram sends
    # back in every request so nobody else can post updates.
    webhook_url: str | None = Field(default=None, validation_alias="SIGAP_WEBHOOK_URL")
    webhook_listen: str = Field(default="127.0.0.1", validation_alias="SIGAP_WEBHOOK_LISTEN")
    webhook_port: int = Field(default=8443, ge=1, le=65535, validation_alias="SIGAP_WEBHOOK_PORT")
    webhook_secret: str | None = Field(default=None, validation_alias="SIGAP_WEBHOOK_SECRET")
    # Health and metrics server (``/healthz``, ``/readyz``, ``/metrics``): host:port, loopback
    # by default; empty turns it off.
    metrics_listen: str | None = Field(
        default="127.0.0.1:9480", validation_alias="SIGAP_METRICS_LISTEN"
    )
    # "text" (default) or "json": one JSON object per line, with the update id and chat of the
    # update being handled.
    log_format: str = Field(default="text", validation_alias="SIGAP_LOG_FORMAT")
    # The key of the SKM survey's once-a-quarter receipts; from the bot token when unset.
    survey_secret: str | None = Field(
        default=None, min_length=16, validation_alias="SIGAP_SURVEY_SECRET"
    )

    def survey_receipt_secret(self) -> str:
        """A secret kept outside the database (models.survey): the survey secret if set, else
        the bot token (rotating the token then lets people answer the current quarter again)."""
        return self.survey_secret or self.require_token()

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in re.split(r"[,\s]+", value.strip()) if p]
            try:
                return [int(p) for p in parts]
            except ValueError:
                raise ValueError("must be Telegram user ids separated by commas") from None
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("admin_ids")
    @classmethod
    def _check_people(cls, value: list[int]) -> list[int]:
        # Operators are people: admin rights go to these user ids, and error reports and
        # notices are sent to them. A group's id (negative) would make no one an operator and
        # send those reports to everyone in the group.
        for chat_id in value:
            if chat_id < 0:
                raise ValueError(
                    f"{chat_id} is a group or channel id; list people's Telegram user ids"
                )
            if chat_id == 0:
                raise ValueError("0 is not a Telegram user id")
        return value

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        # Once, here: a relative folder means the one the process started in, and files must
        # be found there even by a command run later from another folder.
        return value.expanduser().absolute()

    @field_validator("reminder_times")
    @classmethod
    def _check_times(cls, value: str) -> str:
        try:
            return normalise_times(value)
        except ValueError:
            raise ValueError("must be times like 14:00 (several separated by commas)") from None

    @field_validator("reminder_quiet_from")
    @classmethod
    def _check_time(cls, value: str) -> str:
        try:
            [moment] = parse_times(value)
        except ValueError:
            raise ValueError("must be one time like 20:00") from None
        return moment.strftime("%H:%M")

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        return check_timezone(value)

    @field_validator("default_language")
    @classmethod
    def _check_language(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value

    @field_validator("metrics_listen")
    @classmethod
    def _check_listen(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        host, _, port = value.strip().rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be host:port, e.g. 127.0.0.1:9480 (empty: no server)")
        return value.strip()

    @field_validator("log_format")
    @classmethod
    def _check_log_format(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in {"text", "json"}:
            raise ValueError("must be text or json")
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http(s) URL such as https://api.telegram.org")
        # Accept the PTB-style ".../bot" too, people copy it from examples.
        return value.removesuffix("/bot")

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        url = urlsplit(value.strip())
        host = url.hostname or ""
        if url.scheme not in ("http", "https") or not host:
            raise ValueError(
                "must be the public https URL Telegram calls, e.g. https://sigap.example.go.id/telegram"
            )
        if host not in _LOOPBACK:
            # Telegram calls HTTPS only, and only these ports (a local Bot API server or the
            # emulator on this machine may use anything).
            if url.scheme != "https":
                raise ValueError("must start with https:// (Telegram calls HTTPS only)")
            if (url.port or 443) not in (443, 80, 88, 8443):
                raise ValueError("Telegram only calls ports 443, 80, 88 or 8443")
        return value.strip()

    @field_validator("webhook_secret")
    @classmethod
    def _check_webhook_secret(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not _SECRET_RE.fullmatch(value):
            # Never echo the value: it is a secret.
            raise ValueError(
                "must be 32-256 characters, only A-Z, a-z, 0-9, '_' and '-' "
                "(e.g. the output of: openssl rand -hex 32)"
            )
        return value

    def require_webhook(self) -> tuple[str, str]:
        """The webhook URL and secret for ``sigap run --webhook``, or one line on what is
        missing."""
        if not self.webhook_url:
            raise ConfigError(
                "SIGAP_WEBHOOK_URL is not set: webhook mode needs the public https URL Telegram "
                "calls (e.g. https://sigap.example.go.id/telegram)"
            )
        if not self.webhook_secret:
            raise ConfigError(
                "SIGAP_WEBHOOK_SECRET is not set: webhook mode needs a secret of 32-256 characters "
                "(A-Z, a-z, 0-9, '_', '-'), e.g. from: openssl rand -hex 32"
            )
        return self.webhook_url, self.webhook_secret

    @property
    def metrics_address(self) -> tuple[str, int] | None:
        """Where the health and metrics server listens (None: not at all)."""
        if self.metrics_listen is None:
            return None
        host, _, port = self.metrics_listen.rpartition(":")
        return host.strip("[]"), int(port)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'sigap.db').as_posix()}"

    @property
    def bot_api_url(self) -> str:
        return f"{self.telegram_api_base_url}/bot"

    @property
    def bot_file_url(self) -> str:
        return f"{self.telegram_api_base_url}/file/bot"

    def require_token(self) -> str:
        token = (self.telegram_bot_token or "").strip()
        if not token:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: put the token from @BotFather in the environment "
                "or in .env"
            )
        if not _TOKEN_RE.match(token):
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (expected digits, a colon, "
                "then 20+ letters, digits, '_' or '-')"
            )
        return token


def load_settings(**overrides: Any) -> Settings:
    """Read settings; turn pydantic's multi-line report into one line per bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "?"
            message = str(err["msg"]).removeprefix("Value error, ")
            problems.append(f"{name}: {message}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
