"""lcfeat: Kepler long-cadence light curves to a table of 63 named features."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lcfeat")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = ["__version__"]
