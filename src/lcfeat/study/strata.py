"""The stellar-type strata and the quietness limit of validation-set selection.

Kept apart from `lcfeat.study.selection` (which needs pandas) so that the command-line help can
quote them without importing the data stack. The reasons for each number are in the
`lcfeat.study.selection` docstring.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The 6-hour CDPP above which a star is not called photometrically quiet (ppm).
MAX_QUIET_CDPP6_PPM = 100.0


@dataclass(frozen=True)
class Stratum:
    name: str
    title: str
    teff_min_k: float  # inclusive
    teff_max_k: float  # exclusive
    logg_min: float  # inclusive, log10(g / cm s^-2)
    fraction: float

    def contains(self, teff: Any, logg: Any) -> Any:
        return (teff >= self.teff_min_k) & (teff < self.teff_max_k) & (logg >= self.logg_min)

    def describe(self) -> str:
        return (
            f"{self.title}: {self.teff_min_k:.0f} K <= Teff < {self.teff_max_k:.0f} K, "
            f"log g >= {self.logg_min:.1f}, {self.fraction:.0%} of each group"
        )


STRATA: tuple[Stratum, ...] = (
    Stratum("sunlike", "Sun-like (FGK dwarfs)", 4000.0, 7000.0, 4.0, 0.8),
    Stratum("mdwarf", "M dwarfs", 2400.0, 4000.0, 4.0, 0.2),
)
