"""Validation-set selection: planet hosts and quiet stars, stratified by stellar type.

The rules (all applied to the catalog given, bundled snapshot or downloaded tables):

* **Strata** (`STRATA`), the same for both groups, 80 % Sun-like and 20 % M dwarfs:

  - Sun-like (F, G and K dwarfs): 4000 K <= Teff < 7000 K and log g >= 4.0;
  - M dwarfs: 2400 K <= Teff < 4000 K and log g >= 4.0.

  4000 K is the K/M boundary used by Kepler cool-dwarf occurrence studies (Dressing &
  Charbonneau 2013 take Teff < 4000 K); 7000 K ends the F dwarfs, above which stars pulsate
  (delta Scuti / gamma Dor) and few planets are confirmed; 2400 K is the end of the M sequence
  (Pecaut & Mamajek 2013). log g >= 4.0 keeps dwarfs and drops subgiants and giants, whose
  granulation and oscillations would masquerade as "variability". A star whose Teff or log g
  is unknown belongs to no stratum and is never drawn.
* **Hosts**: stars with at least one CONFIRMED planet in the KOI table. The stellar-eclipse flag
  is *not* applied to hosts: the Robovetter also raises it on confirmed hot Jupiters whose
  secondary eclipse or phase curve it sees (Kepler-5 b, Kepler-7 b, Kepler-76 b).
* **Quiet stars**: stars of the stellar table that have no KOI of any disposition, are not
  known eclipsing binaries (`Catalog.eclipsing_kic`: a DR25 TCE flagged "stellar eclipse" or
  a KOI with koi_fpflag_ss = 1) and are photometrically quiet: their 6-hour robust RMS CDPP
  (DR25 ``rrmscdpp06p0``) is known and at most `MAX_QUIET_CDPP6_PPM` (100 ppm). 100 ppm at
  6 hours is about the depth of an Earth-size planet crossing a Sun-like star (84 ppm): a
  quiet star's noise on transit time-scales is no larger than the smallest signal of interest.
  A star with unknown CDPP cannot be shown to be quiet and is not drawn.
* **Draw**: within each group and stratum, the eligible stars are sorted by KIC id and drawn
  without replacement by numpy's PCG64 generator seeded with ``(seed, group, stratum)``: the same
  seed and catalog give the same list, and changing one group's size leaves the other's draw
  unchanged. When a stratum holds fewer eligible stars than asked, `InsufficientStarsError`
  says which, how many were asked and how many exist; nothing shorter is returned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lcfeat.errors import LcfeatError
from lcfeat.study.strata import MAX_QUIET_CDPP6_PPM, STRATA, Stratum
from lcfeat.targets.catalog import Catalog
from lcfeat.targets.ids import format_target_id

HOST = "host"
QUIET = "quiet"
#: Group codes in the generator seed; fixed so a list can be reproduced later.
_GROUP_CODES = {HOST: 1, QUIET: 2}

#: Columns of the targets CSV, in order (`target_id`, `label`, `st_teff` are the contract).
TARGET_COLUMNS = (
    "target_id", "label", "stratum", "st_teff", "st_logg", "st_rad", "kepmag", "cdpp6_ppm",
    "params_source",
)


class SelectionError(LcfeatError):
    """A selection request that cannot be met as asked."""


class InsufficientStarsError(SelectionError):
    """The catalog holds fewer eligible stars of a kind than requested."""


def allocate(total: int, strata: tuple[Stratum, ...] = STRATA) -> dict[str, int]:
    """Split `total` over the strata by their fractions (largest remainder, sums to total)."""
    exact = [total * s.fraction for s in strata]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(strata)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return {s.name: n for s, n in zip(strata, counts, strict=True)}


def largest_feasible(total: int, available: dict[str, int],
                     strata: tuple[Stratum, ...] = STRATA) -> int:
    """The largest group size up to `total` whose split over the strata fits `available`."""
    for size in range(total, 0, -1):
        wanted = allocate(size, strata)
        if all(wanted[s.name] <= available[s.name] for s in strata):
            return size
    return 0


@dataclass
class Selection:
    """The drawn list plus everything needed to check and reproduce it."""

    targets: pd.DataFrame  # columns TARGET_COLUMNS
    seed: int
    catalog_description: str
    criteria: list[str]
    cutflow: list[tuple[str, str, int]]  # (group, step, stars left)
    notes: list[str] = field(default_factory=list)

    def report(self) -> str:
        """A plain-text account: criteria, the cut flow, the counts drawn, the notes."""
        lines = [f"catalog: {self.catalog_description}", f"seed: {self.seed}", "criteria:"]
        lines += [f"  - {c}" for c in self.criteria]
        lines.append("eligible stars at each step:")
        lines += [f"  {group:<6} {count:>7}  {step}" for group, step, count in self.cutflow]
        counts = self.targets.groupby(["label", "stratum"]).size()
        lines.append("drawn:")
        lines += [f"  {label:<6} {stratum:<8} {n:>5}" for (label, stratum), n in counts.items()]
        lines.append("notes:")
        lines += [f"  - {n}" for n in self.notes]
        return "\n".join(lines)

    def write(self, path: Path | str) -> Path:
        """Write the targets CSV and, beside it, ``<name>.selection.txt`` with `report`."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.targets.to_csv(path, index=False, float_format="%.6g")
        sidecar = path.with_name(path.stem + ".selection.txt")
        sidecar.write_text(self.report() + "\n", encoding="utf-8")
        return sidecar


def _stratum_of(params: pd.DataFrame, strata: tuple[Stratum, ...]) -> pd.Series:
    stratum = pd.Series(pd.NA, index=params.index, dtype="object")
    for s in strata:
        inside = s.contains(params["teff"], params["logg"]) & stratum.isna()
        stratum[inside] = s.name
    return stratum


def host_pool(catalog: Catalog, strata: tuple[Stratum, ...] = STRATA) -> tuple[pd.DataFrame, list]:
    """Eligible hosts (index kepid, stellar parameters + stratum) and the cut flow."""
    kics = sorted(catalog.confirmed_kic)
    params = catalog.parameters(kics)
    flow = [(HOST, "stars with a CONFIRMED planet in the KOI table", len(params))]
    params = params[params["teff"].notna() & params["logg"].notna()]
    flow.append((HOST, "Teff and log g known", len(params)))
    params = params.assign(stratum=_stratum_of(params, strata))
    for s in strata:
        flow.append((HOST, f"in stratum {s.name}", int((params["stratum"] == s.name).sum())))
    return params[params["stratum"].notna()], flow


def quiet_pool(
    catalog: Catalog,
    max_cdpp6_ppm: float = MAX_QUIET_CDPP6_PPM,
    strata: tuple[Stratum, ...] = STRATA,
) -> tuple[pd.DataFrame, list]:
    """Eligible quiet stars (index kepid, stellar parameters + stratum) and the cut flow."""
    stars = catalog.stars
    flow = [(QUIET, "stars in the stellar table", len(stars))]
    stars = stars[~stars.index.isin(list(catalog.koi_kic))]
    flow.append((QUIET, "no KOI of any disposition", len(stars)))
    stars = stars[~stars.index.isin(list(catalog.eclipsing_kic))]
    flow.append((QUIET, "not a known eclipsing binary", len(stars)))
    stars = stars[stars["cdpp6_ppm"] <= max_cdpp6_ppm]  # NaN compares False: unknown is out
    flow.append((QUIET, f"6-h CDPP known and <= {max_cdpp6_ppm:g} ppm", len(stars)))
    stars = stars[stars["teff"].notna() & stars["logg"].notna()]
    flow.append((QUIET, "Teff and log g known (catalog placeholders dropped)", len(stars)))
    stars = stars.assign(stratum=_stratum_of(stars, strata))
    for s in strata:
        flow.append((QUIET, f"in stratum {s.name}", int((stars["stratum"] == s.name).sum())))
    return stars[stars["stratum"].notna()], flow


def _draw(pool: pd.DataFrame, n: int, seed: int, group: str, stratum_index: int) -> np.ndarray:
    kics = np.sort(pool.index.to_numpy(dtype=np.int64))
    rng = np.random.default_rng([seed, _GROUP_CODES[group], stratum_index])
    chosen = rng.choice(kics.size, size=n, replace=False)
    return np.sort(kics[chosen])


def select_validation_set(
    catalog: Catalog,
    n_quiet: int,
    n_hosts: int,
    seed: int,
    *,
    max_cdpp6_ppm: float = MAX_QUIET_CDPP6_PPM,
    strata: tuple[Stratum, ...] = STRATA,
) -> Selection:
    """Draw `n_hosts` hosts and `n_quiet` quiet stars by the rules of this module."""
    if n_quiet < 1 or n_hosts < 1:
        raise SelectionError(f"--n-quiet and --n-hosts must be >= 1 (got {n_quiet}, {n_hosts})")
    if seed < 0:
        raise SelectionError(f"--seed must be a non-negative integer (got {seed})")
    hosts, host_flow = host_pool(catalog, strata)
    quiet, quiet_flow = quiet_pool(catalog, max_cdpp6_ppm, strata)

    shortfalls = []
    frames = []
    for group, pool, total in ((HOST, hosts, n_hosts), (QUIET, quiet, n_quiet)):
        wanted = allocate(total, strata)
        available = {s.name: int((pool["stratum"] == s.name).sum()) for s in strata}
        short = [
            f"{group} {s.title}: {wanted[s.name]} wanted ({s.fraction:.0%} of {total}), "
            f"{available[s.name]} eligible"
            for s in strata if available[s.name] < wanted[s.name]
        ]
        if short:
            largest = largest_feasible(total, available, strata)
            shortfalls.append("; ".join(short) + f" (at most {largest} {group} stars fit)")
            continue
        for index, s in enumerate(strata):
            eligible = pool[pool["stratum"] == s.name]
            chosen = _draw(eligible, wanted[s.name], seed, group, index)
            frames.append(eligible.loc[chosen].assign(label=group))
    if shortfalls:
        raise InsufficientStarsError(
            "the catalog holds too few eligible stars: " + "; ".join(shortfalls)
            + f". Catalog: {catalog.description}. Ask for fewer stars, or run "
            "`lcfeat catalog update` for the full DR25 stellar table."
        )

    drawn = pd.concat(frames)
    stratum_rank = {s.name: i for i, s in enumerate(strata)}
    drawn = drawn.assign(
        _group=drawn["label"].map({HOST: 0, QUIET: 1}),
        _stratum=drawn["stratum"].map(stratum_rank),
    ).sort_values(["_group", "_stratum"], kind="stable")
    targets = pd.DataFrame(
        {
            "target_id": [format_target_id(int(k)) for k in drawn.index],
            "label": drawn["label"].to_numpy(),
            "stratum": drawn["stratum"].to_numpy(),
            "st_teff": drawn["teff"].to_numpy(dtype=float),
            "st_logg": drawn["logg"].to_numpy(dtype=float),
            "st_rad": drawn["radius"].to_numpy(dtype=float),
            "kepmag": drawn["kepmag"].to_numpy(dtype=float),
            "cdpp6_ppm": drawn["cdpp6_ppm"].to_numpy(dtype=float),
            "params_source": drawn["params_source"].to_numpy(),
        },
        columns=list(TARGET_COLUMNS),
    )
    criteria = [s.describe() for s in strata] + [
        "host: at least one CONFIRMED planet in the KOI table",
        "quiet: no KOI of any disposition; not a known eclipsing binary; "
        f"6-hour robust RMS CDPP known and <= {max_cdpp6_ppm:g} ppm",
    ]
    return Selection(
        targets=targets,
        seed=seed,
        catalog_description=catalog.description,
        criteria=criteria,
        cutflow=host_flow + quiet_flow,
        notes=list(catalog.notes),
    )
