"""The one place where a failure of any command becomes a message and an exit status.

No Python traceback reaches the user for a user or environment error; an unexpected
exception prints one line asking for a report (the traceback only with ``TMEPROG_DEBUG=1``).
Messages are printed as plain text: ``[section] key`` in a message stays as written.
See :mod:`tmeprog.cli.exit_codes` for the statuses.
"""

from __future__ import annotations

import gzip
import os
import signal
import sys
import threading
import traceback
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import typer

from tmeprog.cli import exit_codes as codes
from tmeprog.errors import DownloadError, EnvironmentFault, InputError, TmeprogError
from tmeprog.tables.textio import detect_encoding

#: Phrases of database and network errors that are the machine's fault.
ENVIRONMENT_PHRASES = ("database or disk is full", "disk i/o error", "readonly database",
                       "read-only file system", "unable to open database file",
                       "no space left on device", "permission denied", "disk quota exceeded")
NETWORK_PHRASES = ("api request to", "connection refused", "max retries exceeded",
                   "failed to establish a new connection", "timed out", "name or service not known",
                   "temporary failure in name resolution")


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM."""


def debug() -> bool:
    """True when ``TMEPROG_DEBUG`` asks for tracebacks."""
    return os.environ.get("TMEPROG_DEBUG", "").strip().lower() not in ("", "0", "false", "no")


def say(line: str) -> None:
    """Print one line on stderr as plain text (no markup, no wrapping)."""
    try:
        sys.stderr.write(line.rstrip("\n") + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed stderr: nothing more to say
        pass


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _undecodable_file(exc: UnicodeDecodeError, args: Sequence[str]) -> str | None:
    """The file among the command's arguments that holds the bytes that did not decode."""
    obj = exc.object if isinstance(exc.object, bytes | bytearray) else b""
    snippet = bytes(obj[max(0, exc.start - 16):exc.end + 16])
    candidates = []
    for a in args:
        value = a.split("=", 1)[1] if a.startswith("--") and "=" in a else a
        try:
            if Path(value).is_file():
                candidates.append(value)
        except (OSError, ValueError):
            continue
    for c in candidates:
        try:
            with open(c, "rb") as fh:
                head = fh.read(64 << 20)
        except OSError:
            continue
        if snippet and snippet in head:
            return c
    return None


def _damaged_gzip(args: Sequence[str]) -> str | None:
    """The ``.gz`` file among the command's arguments whose stream is cut short or damaged."""
    for a in args:
        value = a.split("=", 1)[1] if a.startswith("--") and "=" in a else a
        if not value.lower().endswith(".gz") or not Path(value).is_file():
            continue
        try:
            with gzip.open(value, "rb") as fh:
                while fh.read(1 << 24):
                    pass
        except (EOFError, zlib.error, gzip.BadGzipFile):
            return value
        except OSError:
            continue
    return None


#: Names of the encodings :func:`tmeprog.tables.textio.detect_encoding` returns, as users know them.
ENCODING_NAMES = {"cp1252": "Windows-1252 / latin-1", "latin-1": "latin-1",
                  "utf-16": "UTF-16", "utf-32": "UTF-32", "utf-8-sig": "UTF-8"}


def _detected(head: bytes) -> str:
    """What the bytes look like, in words."""
    try:
        enc = detect_encoding(head)
    except InputError:
        return "it looks like binary data (NUL bytes)"
    if enc != "utf-8-sig":
        return f"it looks like {ENCODING_NAMES.get(enc, enc)}"
    try:  # a short file, or the bad byte near the end: cp1252 reads most Western text
        head.decode("cp1252")
        return f"it looks like {ENCODING_NAMES['cp1252']}"
    except UnicodeDecodeError:
        return f"it looks like {ENCODING_NAMES['latin-1']}"


def _decode_message(exc: UnicodeDecodeError, args: Sequence[str]) -> str:
    obj = exc.object if isinstance(exc.object, bytes | bytearray) else b""
    name = _undecodable_file(exc, args)
    head = bytes(obj)
    if name is not None:
        with open(name, "rb") as fh:
            head = fh.read(1 << 20)
    detected = _detected(head) if head else "its encoding could not be detected"
    at = f"offset {exc.start}"
    if name is not None:
        lead = max(0, exc.start - 16)
        pos = head.find(bytes(obj[lead:exc.end + 16]))
        if pos >= 0:
            pos += exc.start - lead
            line = head[:pos].count(b"\n") + 1
            at = f"line {line}, byte {pos}"
    where = f"{name!r} " if name else "an input file "
    return (f"{where}is not valid {exc.encoding} text ({obj[exc.start:exc.start + 1]!r} at "
            f"{at}; {detected}); save it as UTF-8 text")


def _mlflow_code(exc: BaseException) -> tuple[int, str] | None:
    try:
        # deferred: mlflow takes over a second to load; only a failed command gets here
        from mlflow.exceptions import MlflowException
    except ImportError:  # pragma: no cover - mlflow is a dependency
        return None
    if not isinstance(exc, MlflowException):
        return None
    text = str(exc)
    low = text.lower()
    if any(p in low for p in NETWORK_PHRASES):
        return codes.ENVIRONMENT, f"the tracking server does not answer: {text}"
    if any(p in low for p in ENVIRONMENT_PHRASES):
        return codes.ENVIRONMENT, f"the tracking store cannot be written: {text}"
    if getattr(exc, "error_code", "") in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE",
                                          "RESOURCE_ALREADY_EXISTS", "BAD_REQUEST"):
        return codes.USAGE, text
    return None


def classify(exc: BaseException, args: Sequence[str] = ()) -> tuple[int, str]:
    """Exit status and one-line message for an exception that ended a command.

    Parameters
    ----------
    exc : BaseException
        What the command raised.
    args : sequence of str
        The command's arguments (to name a file that did not decode).

    Returns
    -------
    tuple of (int, str)
        The status (:mod:`tmeprog.cli.exit_codes`) and the message, without ``error:``.
    """
    if isinstance(exc, KeyboardInterrupt):
        return codes.INTERRUPTED, "interrupted"
    if isinstance(exc, Terminated):
        return codes.TERMINATED, "interrupted (terminated)"
    if isinstance(exc, DownloadError | EnvironmentFault):
        return codes.ENVIRONMENT, str(exc)
    if isinstance(exc, TmeprogError):
        return codes.USAGE, str(exc)
    if isinstance(exc, UnicodeDecodeError):
        return codes.USAGE, _decode_message(exc, args)
    if isinstance(exc, EOFError | zlib.error | gzip.BadGzipFile):
        name = _damaged_gzip(args)
        where = f"{name!r}" if name else "an input file"
        return codes.USAGE, (f"{where} is damaged or cut short ({type(exc).__name__}: {exc}); "
                             "download or compress it again")
    if isinstance(exc, BrokenPipeError):
        return codes.BROKEN_PIPE, ""
    if isinstance(exc, MemoryError):
        return codes.ENVIRONMENT, "out of memory; use a smaller chunk size or a bigger machine"
    for e in _chain(exc):
        if isinstance(e, OSError) and e.errno in codes.ENVIRONMENT_ERRNOS:
            return codes.ENVIRONMENT, codes.os_error_message(e)
        found = _mlflow_code(e)
        if found is not None:
            return found
        low = str(e).lower()
        if any(p in low for p in ENVIRONMENT_PHRASES):
            return codes.ENVIRONMENT, str(e)
    if isinstance(exc, OSError):
        return codes.os_error_code(exc), codes.os_error_message(exc)
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return codes.INTERNAL, (f"internal error: {what} (please report; rerun with "
                            "TMEPROG_DEBUG=1 for the traceback)")


def _is_usage_error(exc: BaseException) -> bool:
    """A command-line usage error of typer's parser (it can show itself with the usage)."""
    return (isinstance(exc, Exception) and callable(getattr(exc, "show", None))
            and isinstance(getattr(exc, "exit_code", None), int))


class _Signals:
    """SIGTERM raises :class:`Terminated` in the main thread while a command runs."""

    def __init__(self):
        self.previous = None
        self.previous_int = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            def on_term(signum, frame):
                raise Terminated

            self.previous = signal.signal(signal.SIGTERM, on_term)
            # Ctrl-C interrupts even where SIGINT was inherited as ignored (a background
            # job of a non-interactive shell)
            self.previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)
            signal.signal(signal.SIGINT, self.previous_int)


def run(command: Callable[..., object], args: Sequence[str] | None = None,
        prog_name: str = "tmeprog") -> int:
    """Run a typer/click command on ``args`` and return its exit status, printing failures.

    Parameters
    ----------
    command : callable
        The typer app (called with ``args``, ``prog_name`` and ``standalone_mode=False``).
    args : sequence of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).
    prog_name : str
        Program name in usage messages.

    Returns
    -------
    int
        The exit status (:mod:`tmeprog.cli.exit_codes`).
    """
    args = list(sys.argv[1:] if args is None else args)
    try:
        with _Signals():
            rv = command(args=args, prog_name=prog_name, standalone_mode=False)
    except SystemExit as exc:
        code = exc.code
        if code is None or isinstance(code, int):
            return code or 0
        say(f"error: {code}")
        return codes.INTERNAL
    except typer.Abort as exc:  # the parser's wrapper of an end of input
        cause = exc.__cause__ or exc.__context__
        if cause is None or isinstance(cause, KeyboardInterrupt):
            say("interrupted")
            return codes.INTERRUPTED
        return _report(cause, args)
    except BaseException as exc:  # noqa: BLE001 - the one top-level handler
        if _is_usage_error(exc):
            exc.show()
            return codes.USAGE
        return _report(exc, args)
    if isinstance(rv, int) and not isinstance(rv, bool):
        if rv == codes.INTERRUPTED:  # typer turns Ctrl-C into Exit(130)
            say("interrupted")
        return rv
    return codes.OK


def _report(exc: BaseException, args: Sequence[str]) -> int:
    code, message = classify(exc, args)
    if debug() and code not in (codes.INTERRUPTED, codes.TERMINATED, codes.BROKEN_PIPE):
        traceback.print_exception(exc)
    if code in (codes.INTERRUPTED, codes.TERMINATED):
        say(message)
    elif code == codes.INTERNAL:
        say(message)
    elif message:
        say(f"error: {message}")
    return code
