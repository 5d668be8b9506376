"""Error types shared by every tmeprog module."""


class TmeprogError(Exception):
    """Base class: a problem with the user's input or request, stated so it can be fixed."""


class InputError(TmeprogError, ValueError):
    """Input data are malformed or inconsistent (what, where, and what to do)."""


class UnknownCohortError(TmeprogError, KeyError):
    """A cohort name that is neither registered nor an existing file."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class DownloadError(TmeprogError, OSError):
    """A public file could not be fetched (offline, moved, or hash mismatch)."""
