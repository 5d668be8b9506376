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


class EnvironmentFault(TmeprogError, OSError):
    """The machine, not the input: disk, permissions, a tracking server that does not answer
    (exit status 3)."""


class TrackingUnreachable(EnvironmentFault, ConnectionError):
    """The tracking server named by the tracking URI does not answer."""
