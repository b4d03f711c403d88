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
