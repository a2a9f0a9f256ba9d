"""What talking to a model server raises, turned into leanstar's errors in one place.

The HTTP backend (`openai.py`, httpx) and the websocket backend (`remote.py`, websockets)
wrap every call that touches the network or decodes an answer in `map_transport_errors`,
as httpx wraps httpcore in `map_httpcore_exceptions`, so no library exception reaches a
caller and every message names the server and the likely fix:

    with map_transport_errors(endpoint):
        response = await client.post(url, json=body)

- cannot connect, connection dropped, timed out, handshake refused (OSError and its
  TimeoutError, httpx.TransportError, websockets' InvalidHandshake and ConnectionClosed)
  -> ModelUnavailable;
- an answer leanstar cannot read (not JSON, a frame of the wrong shape: ValueError,
  TypeError, KeyError, IndexError) -> ModelError. So wrap only network calls and the
  decoding of what came back, never leanstar's own logic.

leanstar's own errors pass through unchanged, and so does everything else.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from leanstar.errors import LeanstarError, ModelError, ModelUnavailable


@dataclass(frozen=True)
class Endpoint:
    """How messages name one model server, and the fix each kind of failure suggests."""

    name: str  # "model server at http://127.0.0.1:8000/v1"
    start: str  # when it cannot be reached: how to start one
    auth: str  # when it refuses the credentials (HTTP 401/403)
    protocol: str  # when its answer cannot be read: what to check

    def unreachable(self, problem: str) -> ModelUnavailable:
        return ModelUnavailable(f"cannot reach {self.name}: {problem}; {self.start}")


def describe(exc: BaseException) -> str:
    """`TypeName: message` (the type alone when the message is empty, as httpx's often are)."""
    return f"{type(exc).__name__}: {exc}".rstrip(": ")


def _unreachable_types() -> tuple[type[BaseException], ...]:
    # A library that was never imported cannot have raised: look only at the loaded ones,
    # so mapping a websocket error does not import httpx, nor the reverse.
    found: list[type[BaseException]] = [OSError]  # TimeoutError and ConnectionError included
    if (httpx := sys.modules.get("httpx")) is not None:
        found.append(httpx.TransportError)  # refused, reset, DNS, read/connect timeouts
    if (ws := sys.modules.get("websockets.exceptions")) is not None:
        found += [ws.InvalidHandshake, ws.ConnectionClosed]
    return tuple(found)


def _unreachable(endpoint: Endpoint, exc: BaseException) -> ModelUnavailable:
    ws = sys.modules.get("websockets.exceptions")
    if ws is not None and isinstance(exc, ws.ConnectionClosed):
        return ModelUnavailable(
            f"the connection to {endpoint.name} was lost ({exc}); the next call reconnects"
        )
    if ws is not None and isinstance(exc, ws.InvalidStatus):
        status = exc.response.status_code
        if status in (401, 403):
            return ModelUnavailable(
                f"{endpoint.name} refused the credentials (HTTP {status}): {endpoint.auth}"
            )
        return endpoint.unreachable(f"HTTP {status}")
    return endpoint.unreachable(describe(exc))


@contextlib.contextmanager
def map_transport_errors(endpoint: Endpoint) -> Iterator[None]:
    """Re-raise what the block raises talking to `endpoint` as ModelUnavailable or
    ModelError (from the original); see the module docstring for which is which."""
    try:
        yield
    except LeanstarError:
        raise
    except _unreachable_types() as exc:
        raise _unreachable(endpoint, exc) from exc
    except json.JSONDecodeError as exc:
        raise ModelError(
            f"{endpoint.name} answered something leanstar cannot read, not JSON: "
            f"{excerpt(exc.doc)}; {endpoint.protocol}"
        ) from exc
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise ModelError(
            f"{endpoint.name} answered something leanstar cannot read ({describe(exc)}); "
            f"{endpoint.protocol}"
        ) from exc


def excerpt(value: object, limit: int = 200) -> str:
    """The start of an answer, for a message: text as is, anything else as JSON."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + "..."
