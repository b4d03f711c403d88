"""Extraction in a child process: killed after ``timeout_s``, its address space capped."""

from __future__ import annotations

import multiprocessing
import threading
from dataclasses import replace
from multiprocessing.connection import Connection, wait
from typing import Any

from radex.errors import ExtractionError
from radex.extract.guards import check_size
from radex.extract.model import DEFAULT_LIMITS, Extraction, Limits

CHILD_MEMORY_LIMIT = 2 * 1024 * 1024 * 1024
"""Address space (RLIMIT_AS) a child extraction may map: 2 GiB."""
_SOFT_SHARE = 0.8  # the child stops reading by itself at 80 % of the timeout, keeping what it has
_GRACE_S = 1.0


def extract_in_subprocess(
    data: bytes,
    *,
    filename: str | None = None,
    declared_type: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    memory_limit: int = CHILD_MEMORY_LIMIT,
) -> Extraction:
    """``extract`` in a spawned child that is killed after ``limits.timeout_s``."""
    data = bytes(data)
    check_size(len(data), limits)  # refuse before copying a huge file into a child
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child_limits = replace(limits, timeout_s=limits.timeout_s * _SOFT_SHARE)
    process = context.Process(
        target=_child,
        args=(sender, data, filename, declared_type, child_limits, memory_limit),
        name="radex-extract",
        daemon=True,
    )
    try:
        process.start()
    except BaseException:
        receiver.close()
        sender.close()
        raise
    try:
        sender.close()
        ready = wait([receiver, process.sentinel], limits.timeout_s)
        if not ready:
            raise ExtractionError(
                f"extracting the file took longer than {limits.timeout_s:g} s",
                hint="split the file, or raise timeout_s in the extraction limits",
            )
        message = _receive(receiver, process, memory_limit)
    finally:
        if process.is_alive():
            process.kill()
        process.join(_GRACE_S)
        receiver.close()
    kind, payload = message
    if kind == "ok" and isinstance(payload, Extraction):
        return payload
    text, hint = payload if isinstance(payload, tuple) else (str(payload), None)
    raise ExtractionError(str(text), hint=hint)


def _receive(receiver: Connection, process: Any, memory_limit: int) -> tuple[str, Any]:
    """The child's answer; a child that died without one is an error naming its exit code."""
    if receiver.poll(0):
        try:
            answer: tuple[str, Any] = receiver.recv()
            return answer
        except (EOFError, OSError):
            pass
    process.join(_GRACE_S)
    raise ExtractionError(
        f"the extractor stopped without an answer (exit code {process.exitcode}); "
        f"the file may need more than {memory_limit / 2**20:,.0f} MiB of memory",
        hint="split the file or save it in a simpler form",
    )


def _child(
    sender: Connection,
    data: bytes,
    filename: str | None,
    declared_type: str | None,
    limits: Limits,
    memory_limit: int,
) -> None:
    """The child's work: cap memory, extract, send back the result or the error."""
    _cap_memory(memory_limit)
    from radex.extract import extract

    try:
        result: tuple[str, Any] = (
            "ok",
            extract(data, filename=filename, declared_type=declared_type, limits=limits),
        )
    except ExtractionError as exc:
        result = ("error", (exc.message, exc.hint))
    except BaseException as exc:  # extract lets nothing else out; this is a last resort
        result = ("error", (f"the extractor failed: {type(exc).__name__}", None))
    try:
        sender.send(result)
    except MemoryError:
        sender.send(("error", ("the extracted text is too large to hand back", None)))
    finally:
        sender.close()


def _cap_memory(limit: int) -> None:
    """Lower RLIMIT_AS to ``limit`` bytes where the platform allows it."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return
    try:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ValueError, OSError):  # pragma: no cover - some containers refuse
        return


class ExtractWorker:
    """A reusable child process for extraction: one start-up per import, not one per file.

    Each call has the same bounds as :func:`extract_in_subprocess` (time, address space); a
    child that times out or dies is killed and the next call starts a fresh one.
    """

    def __init__(self, memory_limit: int = CHILD_MEMORY_LIMIT) -> None:
        self.memory_limit = memory_limit
        self._process: Any = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> ExtractWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def extract(
        self,
        data: bytes,
        *,
        filename: str | None = None,
        declared_type: str | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> Extraction:
        """``extract`` in the worker, killed (and replaced next time) after ``timeout_s``."""
        check_size(len(data), limits)
        child_limits = replace(limits, timeout_s=limits.timeout_s * _SOFT_SHARE)
        with self._lock:
            conn, process = self._ready()
            try:
                conn.send((bytes(data), filename, declared_type, child_limits))
            except (BrokenPipeError, OSError):
                self.close()
                conn, process = self._ready()
                conn.send((bytes(data), filename, declared_type, child_limits))
            if not wait([conn, process.sentinel], limits.timeout_s):
                self.close()
                raise ExtractionError(
                    f"extracting the file took longer than {limits.timeout_s:g} s",
                    hint="split the file, or raise the extraction time limit",
                )
            try:
                message = _receive(conn, process, self.memory_limit)
            except ExtractionError:
                self.close()
                raise
        kind, payload = message
        if kind == "ok" and isinstance(payload, Extraction):
            return payload
        text, hint = payload if isinstance(payload, tuple) else (str(payload), None)
        raise ExtractionError(str(text), hint=hint)

    def _ready(self) -> tuple[Connection, Any]:
        if self._process is None or not self._process.is_alive() or self._conn is None:
            self.close()
            context = multiprocessing.get_context("spawn")
            parent, child = context.Pipe(duplex=True)
            process = context.Process(
                target=_serve, args=(child, self.memory_limit), name="radex-extract", daemon=True
            )
            process.start()
            child.close()
            self._process, self._conn = process, parent
        return self._conn, self._process

    def close(self) -> None:
        """Stop the child, if one runs."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join(_GRACE_S)
            self._process = None


def _serve(conn: Connection, memory_limit: int) -> None:
    """The worker's loop: one request at a time until the parent hangs up."""
    _cap_memory(memory_limit)
    from radex.extract import extract

    while True:
        try:
            data, filename, declared_type, limits = conn.recv()
        except (EOFError, OSError):
            return
        try:
            result: tuple[str, Any] = (
                "ok",
                extract(data, filename=filename, declared_type=declared_type, limits=limits),
            )
        except ExtractionError as exc:
            result = ("error", (exc.message, exc.hint))
        except BaseException as exc:  # extract lets nothing else out; this is a last resort
            result = ("error", (f"the extractor failed: {type(exc).__name__}", None))
        try:
            conn.send(result)
        except MemoryError:
            conn.send(("error", ("the extracted text is too large to hand back", None)))
