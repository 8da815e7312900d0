"""Settings read from the environment: a command-line flag overrides `LCFEAT_<NAME>`, which
overrides the default."""

from __future__ import annotations

import os
import re

ENV_DB = "LCFEAT_DB"
ENV_ARCHIVE = "LCFEAT_ARCHIVE"
ENV_CACHE = "LCFEAT_CACHE"
ENV_CATALOG = "LCFEAT_CATALOG"

DEFAULT_DB = "sqlite:///lcfeat.db"
#: The longest a time-out or budget may be, seconds (a week): longer is a typo, and the
#: system calls that wait cannot take "infinity" or 1e12.
MAX_SECONDS = 7 * 24 * 3600.0


def env(name: str, default: str | None = None) -> str | None:
    """The setting `LCFEAT_<name>` of the environment, else `default`."""
    return os.environ.get(f"LCFEAT_{name}", default)


#: `scheme://user:password@host`: the password part of a URL's authority.
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*):(?P<secret>[^/\s]*)@")
#: `?token=...`, `&password=...`: query parameters whose value is a credential.
_SECRET_PARAMETER = re.compile(
    r"(?P<head>[?&](?:password|passwd|pwd|secret|token|access_token|api_key|apikey|key|"
    r"sslpassword)=)(?P<secret>[^&\s#]*)", re.IGNORECASE)
REDACTED = "***"


def redact(text: str) -> str:
    """`text` with every credential inside a URL replaced by ***: the password of
    `scheme://user:password@host` and query parameters such as `?password=` or `&token=`.

    Used wherever a command line, a setting or a URL is stored, printed or logged.
    """
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}:{REDACTED}@", text)
    return _SECRET_PARAMETER.sub(lambda m: f"{m['head']}{REDACTED}", text)
