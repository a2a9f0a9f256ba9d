"""The language server's settings (server/settings.py): the `leanstar` section the editor sends
as initializationOptions and in workspace/didChangeConfiguration, partial and malformed."""

from __future__ import annotations

import pytest

from leanstar.server.settings import ServerSettings, apply_section

EXTENSION_SHAPE = {
    "python": {"interpreter": "", "installFrom": ""},
    "model": {"backend": "ws://gpu:8765", "token": "s3cret"},
    "suggest": {"n": 4, "temperature": 0.2},
    "timeouts": {"leanCheckSeconds": 20, "modelSeconds": 30, "goalBridgeSeconds": 1.5},
    "trigger": "automatic",
    "trace": {"server": "off"},
}


def test_the_extensions_shape_is_read_whole() -> None:
    settings = apply_section(ServerSettings(), EXTENSION_SHAPE)
    assert settings == ServerSettings(
        model="ws://gpu:8765",
        token="s3cret",
        n=4,
        temperature=0.2,
        lean_check_s=20.0,
        model_s=30.0,
        goal_bridge_s=1.5,
        trigger="automatic",
    )


@pytest.mark.parametrize(
    ("section", "changed"),
    [
        ({"leanstar": {"suggest": {"n": 2}}}, {"n": 2}),  # the whole configuration
        ({"suggest.n": 3, "model.backend": "embedded"}, {"n": 3, "model": ""}),  # dotted keys
        ({"model": {"backend": " default "}}, {"model": ""}),
        ({"suggest": {"n": 1000}}, {"n": 64}),  # capped
    ],
)
def test_partial_updates(section: dict, changed: dict) -> None:
    before = ServerSettings(model="hf:/m", n=8)
    after = apply_section(before, section)
    assert after == ServerSettings(**{**before.__dict__, **changed})


@pytest.mark.parametrize(
    "section",
    [
        None,
        "automatic",
        {"suggest": {"n": 0}},
        {"suggest": {"n": 2.5}},
        {"suggest": {"n": True}},
        {"suggest": {"temperature": 3}},
        {"timeouts": {"modelSeconds": -1}},
        {"trigger": "always"},
        {"model": {"backend": 7}},
    ],
)
def test_malformed_values_keep_the_previous_ones(section: object) -> None:
    before = ServerSettings(model="hf:/m", n=8, trigger="manual")
    assert apply_section(before, section) == before
