"""All settings in one place; every field can be set from the environment with the DESCENT_ prefix."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_TOKEN_LENGTH = 16
TOKEN_CHARS = re.compile(r"^[!-~]+$")
MAKE_TOKEN = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DESCENT_", env_file=".env", extra="ignore")

    database_url: str = Field("sqlite:///data/descent.db", description="any SQLAlchemy URL")
    data_dir: str = Field("data", description="checkpoints and uploads live under this folder")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(2, ge=1, le=64, description="training processes kept warm; more runs queue")
    # one thread is fastest for the small models of a playground, and keeps parallel runs from fighting
    torch_threads: int = Field(1, ge=0, description="threads per worker; 0 = cores / workers")
    gpu_memory_fraction: float | None = Field(
        None, gt=0.0, le=1.0, description="share of its GPU's memory each worker may take; unset = no bound"
    )
    max_parameters: int = Field(5_000_000, ge=1, description="largest model a run may build")
    max_steps: int = Field(1_000_000, ge=1, description="most optimizer steps in one run")
    max_queued: int = Field(200, ge=1, description="runs waiting for a worker before POST is refused")
    flush_interval_s: float = Field(0.25, gt=0, le=1.0, description="how often metrics reach the database")
    token: SecretStr | None = Field(None, description="required on every page and API call when set")
    allowed_hosts: str = Field("", description="host names this server answers to besides its own address and "
                               "loopback, comma-separated; * = any")
    session_days: float = Field(7.0, gt=0, le=366, description="a login cookie's lifetime")
    max_login_failures: int = Field(10, ge=1, description="wrong tokens a client address may send per minute")
    max_subscribers: int = Field(100, ge=1, description="SSE clients per run")
    max_run_seconds: float = Field(3600.0, gt=0, description="wall time after which a run is stopped")
    max_upload_bytes: int = Field(20_000_000, ge=1024, description="largest data set accepted, sent and unpacked")
    max_body_bytes: int = Field(2_000_000, ge=1024, description="largest JSON or form body accepted")
    executor: Literal["local", "ray"] = Field("local", description="where jobs train: local worker processes, or Ray")
    ray_address: str | None = Field(None, description="'auto' or host:port joins a Ray cluster; unset starts a "
                                    "Ray instance on this machine")
    ray_num_cpus: int | None = Field(None, ge=1, description="CPUs of the Ray instance started here (unset: all)")
    ray_object_store_mb: int | None = Field(None, ge=75, description="object store of the Ray instance started "
                                            "here (unset: Ray's default, 30% of memory)")
    ray_max_jobs: int | None = Field(None, ge=1, description="most jobs this server runs at once on Ray (unset: "
                                     "the cluster's CPUs / CPUs per job)")
    ray_cpus_per_job: float = Field(1.0, gt=0, description="CPUs each job's actor reserves")
    ray_gpu_fraction: float = Field(0.25, gt=0, le=1, description="share of a GPU (and of its memory) a job that "
                                    "wants one reserves")

    @field_validator("token", mode="before")
    @classmethod
    def _usable_token(cls, value: object) -> object:
        # an empty or blank token is no token (not "auth off with a public bind"); a short one is refused
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if text is None or (isinstance(text, str) and not text.strip()):
            return None
        if not isinstance(text, str) or len(text.strip()) < MIN_TOKEN_LENGTH or not TOKEN_CHARS.match(text.strip()):
            raise ValueError(
                f"DESCENT_TOKEN must be at least {MIN_TOKEN_LENGTH} printable ASCII characters without spaces; "
                f"make one with: {MAKE_TOKEN}")
        return text.strip()

    @property
    def checkpoint_root(self) -> str:
        return os.path.join(self.data_dir, "checkpoints")

    @property
    def upload_root(self) -> str:
        return os.path.join(self.data_dir, "uploads")

    def is_loopback(self) -> bool:
        return self.host in ("127.0.0.1", "localhost", "::1") or self.host.startswith("127.")

    def host_names(self) -> frozenset[str]:
        """The Host header names this server answers to (DNS rebinding guard); "*" in the set = any."""
        extra = [name for name in self.allowed_hosts.split(",") if name.strip()]
        return frozenset(host_name(name) for name in (self.host, *LOOPBACK_NAMES, *extra))

    def threads_per_worker(self) -> int:
        return self.torch_threads or max(1, (os.cpu_count() or 1) // self.workers)


def host_name(value: str) -> str:
    """'Example.com:8000' -> 'example.com', '[::1]:8000' -> '::1': the name of a Host header, without its port."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    if value.count(":") == 1:  # name:port (a bare IPv6 address has several colons)
        value = value.split(":")[0]
    return value.rstrip(".")


@lru_cache
def get_settings() -> Settings:
    return Settings()
