"""Typed exceptions. Library code raises these; only the CLI turns them into messages."""


class LcfeatError(Exception):
    """Base class of every error a user can cause or meet."""


class ConfigurationError(LcfeatError):
    """Bad setting, unreachable database, schema mismatch: detected before any work starts."""


class SchemaMismatchError(ConfigurationError):
    """The database table lacks columns the registry defines."""


class InvalidLightCurveFileError(LcfeatError):
    """A file that is not a readable Kepler long-cadence light curve."""


class NoUsableDataError(LcfeatError):
    """A target whose files hold no cadence that survives the quality mask."""


class TargetNotFoundError(LcfeatError):
    """No light-curve file exists for the target in the archive."""


class InvalidTargetError(LcfeatError):
    """A target identifier that is not a KIC id."""


class ArchiveError(LcfeatError):
    """The archive could not deliver a file (after retries)."""


class ArchiveUnavailableError(LcfeatError):
    """The archive as a whole stayed unreachable for the whole outage budget.

    Not a target's problem: the targets not fetched stay pending and a rerun resumes them.
    """
