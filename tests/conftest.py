"""Shared fixtures: the real embedded Lean, and Lean sessions on it.

Everything here runs real Lean 4.35 (built once per machine into the user cache; the
first run of the suite builds it in a few seconds).
"""

from __future__ import annotations

import pytest

from leanstar.lean.toolchain import Toolchain, find_toolchain
from leanstar.proofs import Theorem


@pytest.fixture(scope="session")
def embedded() -> Toolchain:
    return find_toolchain(explicit="embedded")


@pytest.fixture
def make_theorem(embedded: Toolchain):
    """Build a Theorem in the embedded world from a name and a signature."""

    def make(name: str, signature: str, proof: str | None = None) -> Theorem:
        return Theorem(name=name, signature=signature, context=embedded.header, proof=proof)

    return make
