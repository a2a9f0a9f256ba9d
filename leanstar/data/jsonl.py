"""Our JSONL files: one JSON object per line, written so that a kill loses at most one line.

Long jobs (evaluation, expert iteration, tracing) append one record per finished item with
`JsonlWriter` / `append_record`. Each record is written as one full line in a single
`write`, then flushed and fsync'ed, so after a crash the file holds whole records plus at
most one torn last line (no trailing newline). Opening the file for appending again
repairs that: a torn line is cut away, a complete last line that merely lacks its newline
(written by another tool) gets one. `read_done_keys` then tells a re-run which items are
finished, so it neither loses nor duplicates records.

Readers raise `DataError` naming the file, the line and what is wrong; with
`skip_broken=True` they skip such lines and report them in a `broken` list instead.

One writer per file: appends from several processes to one file are not coordinated.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from leanstar.errors import DataError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BrokenLine:
    """A line a reader skipped: where it is and why it could not be read."""

    path: Path
    line: int  # 1-based
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


# --- reading ---------------------------------------------------------------------------------


def iter_jsonl(
    path: str | os.PathLike[str],
    *,
    skip_broken: bool = False,
    broken: list[BrokenLine] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield each record (a JSON object) of a JSONL file; blank lines are ignored.

    A line that is not valid UTF-8, not valid JSON or not an object raises `DataError`,
    unless `skip_broken` is set: then it is logged, appended to `broken` (when given) and
    skipped.
    """
    for _line, record in iter_numbered(path, skip_broken=skip_broken, broken=broken):
        yield record


def iter_numbered(
    path: str | os.PathLike[str],
    *,
    skip_broken: bool = False,
    broken: list[BrokenLine] | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Like `iter_jsonl`, with each record's 1-based line number (for error messages)."""
    path = Path(path)
    for number, raw, terminated in _raw_lines(path):
        try:
            record = _parse_line(raw)
        except ValueError as exc:
            reason = str(exc) if terminated else f"{exc}; a torn last line (was the writer killed?)"
            problem = BrokenLine(path, number, reason)
            if not skip_broken:
                raise DataError(
                    f"{problem}; fix or delete that line, or read with skip_broken=True"
                ) from exc
            log.warning("skipping broken line %s", problem)
            if broken is not None:
                broken.append(problem)
            continue
        if record is not None:
            yield number, record


def read_jsonl(
    path: str | os.PathLike[str],
    *,
    skip_broken: bool = False,
    broken: list[BrokenLine] | None = None,
) -> list[dict[str, Any]]:
    """All records of a JSONL file as a list; see `iter_jsonl`."""
    return list(iter_jsonl(path, skip_broken=skip_broken, broken=broken))


def read_done_keys(path: str | os.PathLike[str], key: str | Sequence[str]) -> set[Any]:
    """The keys of the records already in `path`, for a re-run to skip (empty if no file).

    `key` is a field name, or several names for a compound key (then each key is a tuple).
    A torn last line is not finished work and is ignored; any other broken line, or a
    record without the key, raises `DataError`.
    """
    path = Path(path)
    if not path.exists():
        return set()
    names = (key,) if isinstance(key, str) else tuple(key)
    done: set[Any] = set()
    for number, raw, terminated in _raw_lines(path):
        try:
            record = _parse_line(raw)
        except ValueError as exc:
            if not terminated:
                continue  # a torn last line from a killed writer: not finished
            raise DataError(f"{path}:{number}: {exc}; fix or delete that line") from exc
        if record is None:
            continue
        missing = [name for name in names if name not in record]
        if missing:
            raise DataError(
                f"{path}:{number}: record has no {', '.join(map(repr, missing))} field; "
                f"is this the output file of the same job?"
            )
        values = tuple(_hashable(record[name]) for name in names)
        done.add(values[0] if isinstance(key, str) else values)
    return done


def _raw_lines(path: Path) -> Iterator[tuple[int, bytes, bool]]:
    """(1-based line number, bytes without the newline, whether a newline ended it)."""
    try:
        handle = path.open("rb")
    except FileNotFoundError as exc:
        raise DataError(f"{path}: no such file; check the path") from exc
    with handle:
        for number, raw in enumerate(handle, start=1):
            terminated = raw.endswith(b"\n")
            yield number, raw.rstrip(b"\r\n") if terminated else raw, terminated


def _parse_line(raw: bytes) -> dict[str, Any] | None:
    """The record on one line, None for a blank line; ValueError says what is wrong."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    if not text.strip():
        return None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    return record


def _hashable(value: Any) -> Any:
    """Lists (JSON arrays) as tuples, so they can be part of a key."""
    if isinstance(value, list):
        return tuple(_hashable(item) for item in value)
    if isinstance(value, dict):
        raise DataError(f"a JSON object cannot be a resume key: {value!r}")
    return value


# --- writing ---------------------------------------------------------------------------------


def dumps_record(record: Mapping[str, Any]) -> str:
    """One record as one JSONL line (with its newline); JSON text never contains a raw newline."""
    return json.dumps(record, ensure_ascii=False) + "\n"


def repair_torn_tail(path: str | os.PathLike[str]) -> int:
    """Make the file end with a whole line; returns how many bytes were cut away.

    A last line without a newline is either torn (a writer was killed mid-line: it is cut
    away, since no proper prefix of a JSON object is valid JSON) or complete but
    unterminated (it gets its newline and 0 is returned). A missing file is left alone.
    """
    path = Path(path)
    try:
        handle = path.open("r+b")
    except FileNotFoundError:
        return 0
    with handle:
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return 0
        start = _start_of_last_line(handle, size)
        handle.seek(start)
        tail = handle.read()
        try:
            complete = _parse_line(tail) is not None
        except ValueError:
            complete = False
        if complete:
            handle.write(b"\n")
            cut = 0
        else:
            handle.truncate(start)
            cut = size - start
            log.warning(
                "%s: cut a torn last line of %d bytes (an earlier run was killed)", path, cut
            )
        handle.flush()
        os.fsync(handle.fileno())
        return cut


def _start_of_last_line(handle: BinaryIO, size: int, chunk: int = 1 << 16) -> int:
    """Offset just after the last newline before `size` (0 when there is none)."""
    end = size
    while end > 0:
        begin = max(0, end - chunk)
        handle.seek(begin)
        newline = handle.read(end - begin).rfind(b"\n")
        if newline >= 0:
            return begin + newline + 1
        end = begin
    return 0


class JsonlWriter:
    """Append records to a JSONL file, one durable line per `write`.

    Opening repairs a torn last line left by a killed run (`repair_torn_tail`; the number of
    bytes cut is in `repaired_bytes`). `fsync=False` trades durability for speed when the
    records are cheap to redo.

        with JsonlWriter("results.jsonl") as out:
            for item in work:
                if item.name not in done:
                    out.write({"name": item.name, ...})
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.repaired_bytes = repair_torn_tail(self.path)
        self._fsync = fsync
        # O_APPEND: every write goes to the current end, whatever happened before.
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, record: Mapping[str, Any]) -> None:
        """Append one record as one line, then make it durable."""
        if self._fd is None:
            raise ValueError(f"{self.path}: writer is closed")
        data = dumps_record(record).encode("utf-8")
        written = 0
        while written < len(data):  # os.write may write less than asked (signals, pipes)
            written += os.write(self._fd, data[written:])
        if self._fsync:
            os.fsync(self._fd)

    def write_all(self, records: Iterable[Mapping[str, Any]]) -> int:
        """Append several records; returns how many."""
        count = 0
        for record in records:
            self.write(record)
            count += 1
        return count

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def append_record(
    path: str | os.PathLike[str], record: Mapping[str, Any], *, fsync: bool = True
) -> None:
    """Append one record to `path` durably (opens, repairs a torn tail, writes, closes)."""
    with JsonlWriter(path, fsync=fsync) as writer:
        writer.write(record)


def write_jsonl(path: str | os.PathLike[str], records: Iterable[Mapping[str, Any]]) -> int:
    """Replace `path` by these records, all or nothing (temporary file + rename)."""
    lines = [dumps_record(record) for record in records]
    atomic_write_text(Path(path), "".join(lines))
    return len(lines)


def atomic_write_json(path: str | os.PathLike[str], obj: Any, *, indent: int | None = 2) -> None:
    """Write `obj` as JSON to `path` so a reader sees the old file or the new one, never half.

    The text goes to a temporary file in the same folder, is fsync'ed, then renamed over
    `path` (`os.replace` is atomic on POSIX and Windows).
    """
    atomic_write_text(Path(path), json.dumps(obj, ensure_ascii=False, indent=indent) + "\n")


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); folders cannot be opened this way on Windows."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
