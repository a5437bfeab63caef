"""All settings in one place; every field can be set from the environment with the DESCENT_ prefix."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DESCENT_", env_file=".env", extra="ignore")

    database_url: str = Field("sqlite:///data/descent.db", description="any SQLAlchemy URL")
    data_dir: str = Field("data", description="checkpoints and uploads live under this folder")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(2, ge=1, le=64, description="training processes kept warm; more runs queue")
    # one thread is fastest for the small models of a playground, and keeps parallel runs from fighting
    torch_threads: int = Field(1, ge=0, description="threads per worker; 0 = cores / workers")
    max_parameters: int = Field(5_000_000, ge=1, description="largest model a run may build")
    max_steps: int = Field(1_000_000, ge=1, description="most optimizer steps in one run")
    max_queued: int = Field(200, ge=1, description="runs waiting for a worker before POST is refused")
    flush_interval_s: float = Field(0.25, gt=0, le=1.0, description="how often metrics reach the database")
    token: SecretStr | None = Field(None, description="required on every page and API call when set")
    max_subscribers: int = Field(100, ge=1, description="SSE clients per run")
    max_run_seconds: float = Field(3600.0, gt=0, description="wall time after which a run is stopped")
    max_upload_bytes: int = Field(20_000_000, ge=1024, description="largest data set file accepted")

    @property
    def checkpoint_root(self) -> str:
        return os.path.join(self.data_dir, "checkpoints")

    @property
    def upload_root(self) -> str:
        return os.path.join(self.data_dir, "uploads")

    def is_loopback(self) -> bool:
        return self.host in ("127.0.0.1", "localhost", "::1") or self.host.startswith("127.")

    def threads_per_worker(self) -> int:
        return self.torch_threads or max(1, (os.cpu_count() or 1) // self.workers)


@lru_cache
def get_settings() -> Settings:
    return Settings()
