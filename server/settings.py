"""The language server's settings: the `leanstar` section the editor sends.

The VS Code extension sends one nested shape both as `initializationOptions` and inside
`workspace/didChangeConfiguration` (vscode-extension/src/common/settings.ts):

    {"model": {"backend": "embedded" | SPEC, "token": str},
     "suggest": {"n": int, "temperature": float},
     "timeouts": {"leanCheckSeconds": float, "modelSeconds": float, "goalBridgeSeconds": float},
     "trigger": "manual" | "automatic", ...}

Missing values keep their previous value, so a partial update (or a client that sends
nothing) still leaves the server usable. A value that cannot be used (a wrong type, a number
out of range) keeps the previous one too, and an unknown key is ignored; each says so in one
message (`SettingsUpdate.problems`), which the server logs and shows once.
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


@dataclass(frozen=True)
class SettingsUpdate:
    """Settings read from a `leanstar` section, and one message per value not used (a wrong
    type, an unknown key, a number out of range), naming the setting and the value kept."""

    settings: ServerSettings
    problems: tuple[str, ...] = ()


# The keys the extension sends (vscode-extension/src/common/settings.ts); `python` and
# `trace` are the client's own and are not read here.
KNOWN = {
    "model": ("backend", "token"),
    "suggest": ("n", "temperature"),
    "timeouts": ("leanCheckSeconds", "modelSeconds", "goalBridgeSeconds"),
    "trigger": (),
    "python": ("interpreter", "installFrom"),
    "trace": ("server",),
}
TIMEOUTS = (
    ("leanCheckSeconds", "lean_check_s"),
    ("modelSeconds", "model_s"),
    ("goalBridgeSeconds", "goal_bridge_s"),
)
TRIGGERS = ("manual", "automatic")
MAX_N = 64


def read_section(settings: ServerSettings, section: Any) -> SettingsUpdate:
    """`settings` updated from a `leanstar` section (nested or dotted keys); a value that
    cannot be used keeps the previous one (the default, at start) and says why."""
    if section is None:  # a client that sends no settings
        return SettingsUpdate(settings)
    if not isinstance(section, Mapping):
        return SettingsUpdate(
            settings, (f"the leanstar settings must be an object, not {_shown(section)}",)
        )
    if isinstance(section.get("leanstar"), Mapping):  # the whole configuration was sent
        section = section["leanstar"]
    problems = _unknown_keys(section)
    changes: dict[str, Any] = {}

    def value(group: str, key: str) -> Any:
        nested = section.get(group)
        if isinstance(nested, Mapping) and key in nested:
            return nested[key]
        return section.get(f"{group}.{key}")

    def refuse(name: str, expected: str, got: Any, field: str, secret: bool = False) -> None:
        kept = "the previous token" if secret else _shown(getattr(settings, field))
        shown = "" if secret else f", not {_shown(got)}"
        problems.append(f"leanstar.{name} must be {expected}{shown} (keeping {kept})")

    backend = value("model", "backend")
    if isinstance(backend, str):
        changes["model"] = "" if backend.strip() in DEFAULT_BACKENDS else backend.strip()
    elif backend is not None:
        refuse("model.backend", "a model spec (a string)", backend, "model")
    token = value("model", "token")
    if isinstance(token, str):
        changes["token"] = token
    elif token is not None:  # never shown: it is a secret
        refuse("model.token", "a string", token, "token", secret=True)
    n = value("suggest", "n")
    if _positive_int(n):
        changes["n"] = min(int(n), MAX_N)
        if n > MAX_N:
            problems.append(f"leanstar.suggest.n is at most {MAX_N}, not {n} (using {MAX_N})")
    elif n is not None:
        refuse("suggest.n", f"a whole number from 1 to {MAX_N}", n, "n")
    temperature = value("suggest", "temperature")
    if _number(temperature) and 0 <= temperature <= 2:
        changes["temperature"] = float(temperature)
    elif temperature is not None:
        refuse("suggest.temperature", "a number from 0 to 2", temperature, "temperature")
    for key, field in TIMEOUTS:
        seconds = value("timeouts", key)
        if _number(seconds) and seconds > 0:
            changes[field] = float(seconds)
        elif seconds is not None:
            refuse(f"timeouts.{key}", "a number of seconds above 0", seconds, field)
    trigger = section.get("trigger")
    if trigger in TRIGGERS:
        changes["trigger"] = trigger
    elif trigger is not None:
        refuse("trigger", '"manual" or "automatic"', trigger, "trigger")
    return SettingsUpdate(replace(settings, **changes), tuple(problems))


def _unknown_keys(section: Mapping[str, Any]) -> list[str]:
    """A message for each key leanstar does not read (a typo would otherwise do nothing)."""
    found = []
    for key, nested in section.items():
        group, _, sub = str(key).partition(".")
        if group not in KNOWN or (sub and sub not in KNOWN[group]):
            found.append(f"unknown setting leanstar.{key} (ignored)")
        elif not sub and isinstance(nested, Mapping):
            found += [
                f"unknown setting leanstar.{group}.{k} (ignored)"
                for k in nested
                if k not in KNOWN[group]
            ]
        elif not sub and KNOWN[group] and nested is not None:
            keys = ", ".join(KNOWN[group])
            found.append(f"leanstar.{group} must be an object ({keys}), not {_shown(nested)}")
    return found


def _shown(value: Any) -> str:
    """A value as the user wrote it (JSON-like), cut short."""
    text = f'"{value}"' if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _positive_int(value: Any) -> bool:
    return _number(value) and value >= 1 and float(value).is_integer()
