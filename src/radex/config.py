"""Settings from ``RADEX_*`` environment variables or a ``.env`` file; only ``app`` reads them."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

EmbedderName = Literal["minilm", "hashing"]


def _default_home() -> Path:
    return Path.home() / ".radex"


class Settings(BaseSettings):
    """Where RADEX keeps its data and which engines it uses; every field has an embedded default."""

    model_config = SettingsConfigDict(
        env_prefix="RADEX_", env_file=".env", extra="ignore", frozen=True, populate_by_name=True
    )

    home: Path = Field(default_factory=_default_home)
    database_url: str | None = None  # default: sqlite:///<home>/radex.db
    index_path: Path | None = None  # default: <home>/index.db
    blob_dir: Path | None = None  # default: <home>/blobs
    secret_key: SecretStr | None = None  # else <home>/secret.key (generated, 0600)
    embedder: EmbedderName = "minilm"
    model_cache_dir: Path | None = None  # default: <home>/models
    import_concurrency: int = Field(default=8, ge=1, le=64)
    max_page_chars: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_import_size_mb: int = Field(
        default=50,
        ge=1,
        validation_alias=AliasChoices("RADEX_MAX_IMPORT_SIZE_MB", "CONFLUENCE_MAX_IMPORT_SIZE"),
    )  # per attachment or uploaded file
    extract_timeout_s: float = Field(default=60.0, gt=0)
    local_user: str = Field(default_factory=getpass.getuser)  # who uploads and reads locally
    live_permission_check: bool = True  # re-check cited pages with Confluence before answering
    confluence_rate: float = Field(default=20.0, gt=0, le=10_000)  # requests/s per site
    # ---- jobs and sync ----
    redis_url: str | None = None  # set: jobs queue on Redis (RedisHuey), else SQLite in home
    worker_threads: int = Field(default=1, ge=1, le=32)  # job threads per worker process
    job_lease_s: float = Field(default=60.0, ge=2)  # a silent worker loses its job after this
    job_max_attempts: int = Field(default=6, ge=1, le=100)  # tries of a step on transient errors
    job_webhook_url: str | None = None  # POSTed a signed notice when a job ends
    job_webhook_secret: SecretStr | None = None  # HMAC-SHA256 key of that notice
    sync_interval_s: float = Field(
        default=3600.0,
        ge=0,
        validation_alias=AliasChoices("RADEX_SYNC_INTERVAL", "CONFLUENCE_SYNC_INTERVAL"),
    )  # scheduled sync of every source; 0 turns it off
    sync_overlap_s: float = Field(default=26 * 3600.0, ge=0, alias="RADEX_SYNC_OVERLAP")
    reconcile_interval_s: float = Field(
        default=86400.0, ge=0, alias="RADEX_RECONCILE_INTERVAL"
    )  # full id reconciliation and metadata re-listing
    permission_refresh_interval_s: float = Field(
        default=3600.0, ge=0, alias="RADEX_PERMISSION_REFRESH_INTERVAL"
    )
    sync_max_delete_share: float = Field(default=0.25, gt=0, le=1.0)
    webhook_secret: SecretStr | None = None  # Data Center webhooks' secret (X-Hub-Signature)
    connect_shared_secret: SecretStr | None = None  # Cloud Connect app's shared secret (JWT)
    connect_client_key: str | None = None  # the Connect installation's clientKey (JWT iss)

    @field_validator("home", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def resolved_database_url(self) -> str:
        """The system of record's SQLAlchemy URL."""
        return self.database_url or f"sqlite:///{self.home / 'radex.db'}"

    @property
    def resolved_index_path(self) -> Path:
        """The SQLite search index file."""
        return self.index_path or self.home / "index.db"

    @property
    def resolved_blob_dir(self) -> Path:
        """The local blob directory."""
        return self.blob_dir or self.home / "blobs"

    @property
    def resolved_model_cache_dir(self) -> Path:
        """Where built model graphs are cached."""
        return self.model_cache_dir or self.home / "models"

    @property
    def key_file(self) -> Path:
        """The generated secret key file used when ``RADEX_SECRET_KEY`` is not set."""
        return self.home / "secret.key"
