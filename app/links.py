"""A configuration in a link: pages open with the config encoded in their address (share the link)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from pydantic import ValidationError

from engine.config import SECTIONS, RunConfig

# what a fresh builder shows: a run that works and finishes in a few seconds
DEFAULT_CONFIG: dict[str, Any] = {
    "dataset": {"name": "moons"}, "model": {"name": "mlp"}, "loss": {"name": "cross_entropy"},
    "optimizer": {"name": "adam", "params": {"lr": 0.01}}, "train": {"steps": 500},
}


def encode_config(config: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(config, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_config(encoded: str) -> dict[str, Any]:
    """A shared link's config: base64url of the RunConfig JSON, checked like a POST would be."""
    raw = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    config = RunConfig.model_validate(raw).model_dump(mode="json", exclude_none=True)
    for section in SECTIONS:
        if section in config and config[section]["name"] not in SECTIONS[section]:
            raise ValueError(f"unknown {SECTIONS[section].kind} '{config[section]['name']}'")
    return config


def state_from_link(config: str | None) -> tuple[dict[str, Any], str | None]:
    """The config a page opens with: the link's, or the defaults and a sentence saying why."""
    if not config:
        return DEFAULT_CONFIG, None
    try:
        return decode_config(config), None
    except (ValueError, ValidationError, binascii.Error, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0][:200]
        return DEFAULT_CONFIG, f"this link's configuration could not be used ({reason}); showing defaults"
