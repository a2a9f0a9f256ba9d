"""The language server's settings (server/settings.py): the `leanstar` section the editor sends
as initializationOptions and in workspace/didChangeConfiguration, partial and malformed.

A value that cannot be used keeps the previous one (the default at start) and says so in one
message naming the setting, what it must be, and the value kept."""

# ruff: noqa: E501 (a message reads best on one line)
from __future__ import annotations

import pytest

from leanstar.server.settings import ServerSettings, read_section

EXTENSION_SHAPE = {
    "python": {"interpreter": "", "installFrom": ""},
    "model": {"backend": "ws://gpu:8765", "token": "s3cret"},
    "suggest": {"n": 4, "temperature": 0.2},
    "timeouts": {"leanCheckSeconds": 20, "modelSeconds": 30, "goalBridgeSeconds": 1.5},
    "trigger": "automatic",
    "trace": {"server": "off"},
}


def test_the_extensions_shape_is_read_whole() -> None:
    update = read_section(ServerSettings(), EXTENSION_SHAPE)
    assert update.settings == ServerSettings(
        model="ws://gpu:8765",
        token="s3cret",
        n=4,
        temperature=0.2,
        lean_check_s=20.0,
        model_s=30.0,
        goal_bridge_s=1.5,
        trigger="automatic",
    )
    assert update.problems == ()  # the client's own keys (python, trace) are not unknown


@pytest.mark.parametrize(
    ("section", "changed"),
    [
        ({"leanstar": {"suggest": {"n": 2}}}, {"n": 2}),  # the whole configuration
        ({"suggest.n": 3, "model.backend": "embedded"}, {"n": 3, "model": ""}),  # dotted keys
        ({"model": {"backend": " default "}}, {"model": ""}),
        ({"suggest": {"temperature": 0}}, {"temperature": 0.0}),  # the bounds are allowed
        ({"timeouts": {"goalBridgeSeconds": 0.1}}, {"goal_bridge_s": 0.1}),
    ],
)
def test_partial_updates(section: dict, changed: dict) -> None:
    before = ServerSettings(model="hf:/m", n=8)
    update = read_section(before, section)
    assert update.settings == ServerSettings(**{**before.__dict__, **changed})
    assert update.problems == ()


def test_nothing_sent_changes_nothing_and_says_nothing() -> None:
    assert read_section(ServerSettings(n=5), None) == read_section(ServerSettings(n=5), {})
    assert read_section(ServerSettings(n=5), None).problems == ()


@pytest.mark.parametrize(
    ("section", "message"),
    [
        # wrong types
        ("automatic", 'the leanstar settings must be an object, not "automatic"'),
        (
            {"suggest": {"n": "three"}},
            'leanstar.suggest.n must be a whole number from 1 to 64, not "three" (keeping 8)',
        ),
        (
            {"suggest": {"n": True}},
            "leanstar.suggest.n must be a whole number from 1 to 64, not True (keeping 8)",
        ),
        (
            {"suggest": {"n": 2.5}},
            "leanstar.suggest.n must be a whole number from 1 to 64, not 2.5 (keeping 8)",
        ),
        (
            {"model": {"backend": 7}},
            'leanstar.model.backend must be a model spec (a string), not 7 (keeping "hf:/m")',
        ),
        (
            {"timeouts": {"modelSeconds": "60"}},
            'leanstar.timeouts.modelSeconds must be a number of seconds above 0, not "60" (keeping 60.0)',
        ),
        (
            {"trigger": "always"},
            'leanstar.trigger must be "manual" or "automatic", not "always" (keeping "manual")',
        ),
        ({"suggest": 4}, "leanstar.suggest must be an object (n, temperature), not 4"),
        # out of range
        (
            {"suggest": {"n": 0}},
            "leanstar.suggest.n must be a whole number from 1 to 64, not 0 (keeping 8)",
        ),
        (
            {"suggest": {"temperature": 3}},
            "leanstar.suggest.temperature must be a number from 0 to 2, not 3 (keeping 0.7)",
        ),
        (
            {"suggest.temperature": -0.5},
            "leanstar.suggest.temperature must be a number from 0 to 2, not -0.5 (keeping 0.7)",
        ),
        (
            {"timeouts": {"leanCheckSeconds": 0}},
            "leanstar.timeouts.leanCheckSeconds must be a number of seconds above 0, not 0 (keeping 10.0)",
        ),
        (
            {"timeouts.goalBridgeSeconds": -1},
            "leanstar.timeouts.goalBridgeSeconds must be a number of seconds above 0, not -1 (keeping 3.0)",
        ),
        # unknown keys (a typo would otherwise do nothing)
        ({"sugest": {"n": 2}}, "unknown setting leanstar.sugest (ignored)"),
        ({"suggest": {"count": 2}}, "unknown setting leanstar.suggest.count (ignored)"),
        ({"suggest.count": 2}, "unknown setting leanstar.suggest.count (ignored)"),
        ({"leanstar": {"model": {"name": "x"}}}, "unknown setting leanstar.model.name (ignored)"),
    ],
)
def test_a_value_that_cannot_be_used_keeps_the_previous_one_and_says_why(
    section: object, message: str
) -> None:
    before = ServerSettings(model="hf:/m", n=8, trigger="manual")
    update = read_section(before, section)
    assert update.settings == before
    assert update.problems == (message,)


def test_too_many_samples_are_capped_and_said() -> None:
    update = read_section(ServerSettings(), {"suggest": {"n": 1000}})
    assert update.settings.n == 64
    assert update.problems == ("leanstar.suggest.n is at most 64, not 1000 (using 64)",)


def test_the_good_values_are_kept_beside_a_bad_one() -> None:
    update = read_section(ServerSettings(), {"suggest": {"n": 3, "temperature": "hot"}})
    assert (update.settings.n, update.settings.temperature) == (3, 0.7)
    assert len(update.problems) == 1


def test_a_token_of_the_wrong_type_is_never_echoed() -> None:
    update = read_section(ServerSettings(token="old-secret"), {"model": {"token": ["s3cret"]}})
    assert update.settings.token == "old-secret"
    (message,) = update.problems
    assert message == "leanstar.model.token must be a string (keeping the previous token)"
    assert "s3cret" not in message and "old-secret" not in message
