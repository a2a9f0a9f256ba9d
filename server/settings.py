"""The language server's settings: the `leanstar` section the editor sends.

The VS Code extension sends one nested shape both as `initializationOptions` and inside
`workspace/didChangeConfiguration` (vscode-extension/src/common/settings.ts):

    {"model": {"backend": "embedded" | SPEC, "token": str},
     "suggest": {"n": int, "temperature": float},
     "timeouts": {"leanCheckSeconds": float, "modelSeconds": float, "goalBridgeSeconds": float},
     "trigger": "manual" | "automatic", ...}

Missing or malformed values keep their previous value, so a partial update (or a client
that sends nothing) still leaves the server usable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

# `model.backend` values that mean "the packaged default model" (or --model, when given).
DEFAULT_BACKENDS = ("", "embedded", "default")


@dataclass(frozen=True)
class ServerSettings:
    """What the editor controls; the CLI's options fill in the defaults."""

    model: str = ""  # a model spec (leanstar.models.loading); "" = the default model
    token: str = ""  # for ws:// servers and OpenAI-compatible endpoints
    prompt_format: str | None = None  # None: the checkpoint's recorded format, else the default
    n: int = 8
    temperature: float = 0.7
    lean_check_s: float = 10.0
    model_s: float = 60.0
    goal_bridge_s: float = 3.0
    trigger: str = "manual"  # "automatic": ghost text on typing; "manual": only when asked

    def model_key(self) -> tuple[str, str, str | None, float]:
        """What a loaded model depends on: a change reloads it."""
        return (self.model, self.token, self.prompt_format, self.model_s)


def apply_section(settings: ServerSettings, section: Any) -> ServerSettings:
    """`settings` updated from a `leanstar` settings section (nested or dotted keys)."""
    if not isinstance(section, Mapping):
        return settings
    if isinstance(section.get("leanstar"), Mapping):  # the whole configuration was sent
        section = section["leanstar"]
    model = _get(section, "model")
    backend = _get(model, "backend", section.get("model.backend"))
    changes: dict[str, Any] = {}
    if isinstance(backend, str):
        changes["model"] = "" if backend.strip() in DEFAULT_BACKENDS else backend.strip()
    if isinstance(token := _get(model, "token", section.get("model.token")), str):
        changes["token"] = token
    suggest = _get(section, "suggest")
    if _positive_int(n := _get(suggest, "n", section.get("suggest.n"))):
        changes["n"] = min(int(n), 64)
    temperature = _get(suggest, "temperature", section.get("suggest.temperature"))
    if _number(temperature) and 0 <= temperature <= 2:
        changes["temperature"] = float(temperature)
    timeouts = _get(section, "timeouts")
    for key, field in (
        ("leanCheckSeconds", "lean_check_s"),
        ("modelSeconds", "model_s"),
        ("goalBridgeSeconds", "goal_bridge_s"),
    ):
        value = _get(timeouts, key, section.get(f"timeouts.{key}"))
        if _number(value) and value > 0:
            changes[field] = float(value)
    if (trigger := section.get("trigger")) in ("manual", "automatic"):
        changes["trigger"] = trigger
    return replace(settings, **changes)


def _get(mapping: Any, key: str, default: Any = None) -> Any:
    return mapping.get(key, default) if isinstance(mapping, Mapping) else default


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _positive_int(value: Any) -> bool:
    return _number(value) and value >= 1 and float(value).is_integer()
