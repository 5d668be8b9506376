"""Exit statuses of the ``tmeprog`` command and how each failure maps to one.

====  ==========================================================================================
code  meaning
====  ==========================================================================================
0     done
1     some samples failed (``--keep-going``; the others were written, failures listed)
2     usage or input error: a wrong option, a missing or malformed file or config, a name that
      does not exist (nothing was written)
3     environment: disk full, permission denied, read-only folder, tracking server or network
      unreachable (nothing half-written is left)
4     internal error: a bug in tmeprog; rerun with ``TMEPROG_DEBUG=1`` for the traceback
130   interrupted (Ctrl-C, SIGINT)
141   the output pipe was closed (e.g. ``tmeprog ... | head``)
143   terminated (SIGTERM)
====  ==========================================================================================
"""

from __future__ import annotations

import errno

OK = 0
SAMPLES_FAILED = 1
USAGE = 2
ENVIRONMENT = 3
INTERNAL = 4
INTERRUPTED = 130
BROKEN_PIPE = 141
TERMINATED = 143

#: ``OSError.errno`` values that are the machine's fault, not the input's.
ENVIRONMENT_ERRNOS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.EIO: "input/output error",
    errno.ENOMEM: "out of memory",
}

#: ``OSError.errno`` values that point at a wrong path given by the user.
INPUT_ERRNOS = {
    errno.ENOENT: "no such file or folder",
    errno.EISDIR: "is a folder, not a file",
    errno.ENOTDIR: "not a folder",
    errno.ENAMETOOLONG: "file name too long",
}


def os_error_code(exc: OSError) -> int:
    """Exit status of an ``OSError``: 2 for a wrong path, else 3 (environment)."""
    if exc.errno in INPUT_ERRNOS and not isinstance(exc, PermissionError):
        return USAGE
    return ENVIRONMENT


def os_error_message(exc: OSError) -> str:
    """One line naming what failed, where, and what to do."""
    what = ENVIRONMENT_ERRNOS.get(exc.errno) or INPUT_ERRNOS.get(exc.errno) or (
        exc.strerror or str(exc) or type(exc).__name__)
    where = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f)
    hint = {errno.ENOSPC: "free some space (or write elsewhere) and run again",
            errno.EDQUOT: "free some space (or write elsewhere) and run again",
            errno.EACCES: "check the permissions of that path, or write elsewhere",
            errno.EPERM: "check the permissions of that path, or write elsewhere",
            errno.EROFS: "write to a writable folder",
            errno.ENOENT: "check the path"}.get(exc.errno, "")
    text = f"{where}: {what}" if where else what
    if not where and str(exc) and str(exc) != what and exc.strerror is None:
        text = f"{what} ({exc})"
    return text + (f"; {hint}" if hint else "")
