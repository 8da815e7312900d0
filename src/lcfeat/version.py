"""lcfeat's version, from the installed package's metadata.

A module of its own, importing nothing of lcfeat, so that any room can read the version
without reaching the package's public API (`lcfeat.api`), which sits above every room.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lcfeat")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
