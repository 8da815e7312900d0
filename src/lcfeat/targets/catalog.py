"""The stellar and KOI catalog: dispositions and stellar parameters per KIC id.

Two sources, one shape:

* the **bundled snapshot** (``lcfeat/targets/tables``, always available, used by tests): the NASA
  Exoplanet Archive cumulative KOI table of 2019-01-20 (9,564 KOIs on 8,214 stars, with the host's
  Teff, log g, radius and Kepler magnitude), the 900 quiet stars of the deployed validation list
  with Teff, radius, mass and CDPP (a DR25 stellar-table extract), and the KIC ids of every DR25
  threshold-crossing event the Robovetter flagged as a stellar eclipse. Offline, Teff of a star
  that is not a KOI host is known **only for those 900 stars**; `Catalog.notes` says so.
* a **downloaded catalog** written by `update_catalog` (`lcfeat catalog update`): the current
  cumulative KOI table and the full DR25 stellar table (~200,000 stars) from the archive's TAP
  service, with a manifest of what was fetched, when, and each file's SHA-256.

`load_catalog()` prefers a downloaded catalog when one exists in the catalog directory
(`--catalog`, ``LCFEAT_CATALOG``, else the user's data folder) and falls back to the snapshot.

The presets (`PRESETS`, `load_preset`, `preset_labels`) always come from the bundled tables, so
a preset names the same stars on every machine, whatever was downloaded.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import platformdirs

from lcfeat.config import ENV_CATALOG
from lcfeat.errors import LcfeatError

# --- errors -----------------------------------------------------------------------------------


class CatalogError(LcfeatError):
    """A catalog or preset that cannot be read or does not hold what was asked."""


class CatalogUpdateError(CatalogError):
    """The archive did not deliver a usable table; the local catalog was left unchanged."""


# --- bundled tables ---------------------------------------------------------------------------

KOI_FILE = "cumulative.csv"
QUIET_METADATA_FILE = "quiet_stars_900_metadata.csv"
QUIET_IDS_FILE = "quiet_stars_900.txt"
HOST_NAMES_FILE = "known_planets_100.txt"
ECLIPSE_FILE = "dr25_tce_stellar_eclipse_kic.txt"
STELLAR_FILE = "q1_q17_dr25_stellar.csv"
MANIFEST_FILE = "manifest.json"

BUNDLED_DESCRIPTION = (
    "bundled offline snapshot: NASA Exoplanet Archive cumulative KOI table of 2019-01-20 "
    "(hosts' Teff/log g/radius/Kepler magnitude from the KOI table) + the 900 quiet stars of "
    "the deployed validation list (DR25 stellar-table extract: Teff, radius, mass, CDPP)"
)
BUNDLED_NOTES = (
    "Offline, Teff for stars that are not KOIs exists only for the 900 quiet stars of the "
    "deployed validation list (tables/quiet_stars_900_metadata.csv), so the quiet-star pool "
    "is those 900 stars; run `lcfeat catalog update` to select from the full DR25 stellar "
    "table (~200,000 stars).",
    "Quiet stars' log g is derived from their catalog mass and radius (g = G M / R^2); hosts' "
    "Teff and log g come from the KOI table, the quiet stars' from the DR25 stellar table: two "
    "sources for the two groups.",
    "Kepler magnitude is not in the quiet-star extract: offline it is known for KOI hosts only.",
    "Known eclipsing binaries offline: stars with a DR25 threshold-crossing event flagged "
    "'stellar eclipse' by the Robovetter (Thompson et al. 2018) or a KOI with koi_fpflag_ss=1. "
    "The Villanova Kepler EB catalog is not bundled.",
)

#: A star whose catalog Teff is exactly solar with radius exactly 1 and no mass carries the
#: catalog's placeholder values, not a measurement (31 of the 900 deployed quiet stars do).
PLACEHOLDER_TEFF_K = 5780.0
PLACEHOLDER_RADIUS_RSUN = 1.0

#: log10 of the solar surface gravity in cm s^-2 from the IAU 2015 nominal values
#: (GM_sun = 1.3271244e20 m^3 s^-2, R_sun = 6.957e8 m).
LOG_G_SUN_CGS = math.log10(1.3271244e26 / 6.957e10**2)

DISPOSITION_ORDER = ("CONFIRMED", "CANDIDATE", "FALSE POSITIVE")

KOI_COLUMNS = (
    "kepid", "kepoi_name", "kepler_name", "koi_disposition", "koi_fpflag_ss",
    "koi_steff", "koi_slogg", "koi_srad", "koi_kepmag",
)
#: Normalised per-star columns shared by every source.
STAR_COLUMNS = (
    "teff", "logg", "radius", "mass", "kepmag", "cdpp3_ppm", "cdpp6_ppm", "params_source",
)


def tables_dir() -> Path:
    """The folder of the bundled tables (inside the installed package)."""
    return Path(str(resources.files("lcfeat.targets") / "tables"))


def default_catalog_dir() -> Path:
    """Where `lcfeat catalog update` writes: ``LCFEAT_CATALOG`` or the user's data folder."""
    env = os.environ.get(ENV_CATALOG)
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("lcfeat")) / "catalog"


def read_commented_csv(path: Path | str | io.StringIO) -> pd.DataFrame:
    """Read an archive CSV whose leading lines start with '#'.

    Only the leading comment block is skipped: ``comment='#'`` would also cut any field that
    contains a '#'.
    """
    if isinstance(path, io.StringIO):
        text = path.getvalue()
    else:
        text = Path(path).read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    n_comment = 0
    while n_comment < len(lines) and lines[n_comment].startswith("#"):
        n_comment += 1
    return pd.read_csv(io.StringIO("".join(lines[n_comment:])))


def log_g_from_mass_radius(mass_msun: np.ndarray, radius_rsun: np.ndarray) -> np.ndarray:
    """Surface gravity log10(g / cm s^-2) of a star of the given mass and radius (solar units)."""
    mass = np.asarray(mass_msun, dtype=float)
    radius = np.asarray(radius_rsun, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        logg = LOG_G_SUN_CGS + np.log10(mass) - 2.0 * np.log10(radius)
    return np.where((mass > 0) & (radius > 0), logg, np.nan)


# --- normalising the source tables ------------------------------------------------------------


def normalise_kois(raw: pd.DataFrame) -> pd.DataFrame:
    """One row per KOI with the columns of `KOI_COLUMNS`; checks what the code relies on."""
    missing = [c for c in ("kepid", "kepoi_name", "koi_disposition") if c not in raw.columns]
    if missing:
        raise CatalogError(f"KOI table lacks column(s) {', '.join(missing)}")
    kois = raw.reindex(columns=list(KOI_COLUMNS)).copy()
    kois["kepid"] = kois["kepid"].astype(np.int64)
    kois["koi_disposition"] = kois["koi_disposition"].astype(str).str.strip().str.upper()
    kois["koi_fpflag_ss"] = pd.to_numeric(kois["koi_fpflag_ss"], errors="coerce")
    return kois.sort_values(["kepid", "kepoi_name"], kind="stable").reset_index(drop=True)


def _flag_placeholders(stars: pd.DataFrame) -> pd.DataFrame:
    placeholder = (
        (stars["teff"] == PLACEHOLDER_TEFF_K)
        & (stars["radius"] == PLACEHOLDER_RADIUS_RSUN)
        & stars["mass"].isna()
    )
    stars = stars.copy()
    stars.loc[placeholder, ["teff", "logg", "radius"]] = np.nan
    stars.loc[placeholder, "params_source"] += " (solar placeholder values dropped)"
    return stars


def normalise_quiet_metadata(raw: pd.DataFrame) -> pd.DataFrame:
    """The deployed quiet-star extract (kepid, teff, radius, mass, rrmscdpp03p0/06p0)."""
    stars = pd.DataFrame(
        {
            "kepid": raw["kepid"].astype(np.int64),
            "teff": pd.to_numeric(raw["teff"], errors="coerce"),
            "logg": log_g_from_mass_radius(raw["mass"], raw["radius"]),
            "radius": pd.to_numeric(raw["radius"], errors="coerce"),
            "mass": pd.to_numeric(raw["mass"], errors="coerce"),
            "kepmag": np.nan,
            "cdpp3_ppm": pd.to_numeric(raw["rrmscdpp03p0"], errors="coerce"),
            "cdpp6_ppm": pd.to_numeric(raw["rrmscdpp06p0"], errors="coerce"),
            "params_source": "DR25 stellar extract (deployed quiet list); log g from M and R",
        }
    )
    return _flag_placeholders(stars).set_index("kepid").sort_index()


def normalise_dr25_stellar(raw: pd.DataFrame) -> pd.DataFrame:
    """The archive's q1_q17_dr25_stellar table as downloaded by `update_catalog`."""
    missing = [c for c in ("kepid", "teff", "logg", "radius") if c not in raw.columns]
    if missing:
        raise CatalogError(f"stellar table lacks column(s) {', '.join(missing)}")

    def col(name: str) -> pd.Series:
        if name in raw.columns:
            return pd.to_numeric(raw[name], errors="coerce")
        return pd.Series(np.nan, index=raw.index)

    stars = pd.DataFrame(
        {
            "kepid": raw["kepid"].astype(np.int64),
            "teff": col("teff"),
            "logg": col("logg"),
            "radius": col("radius"),
            "mass": col("mass"),
            "kepmag": col("kepmag"),
            "cdpp3_ppm": col("rrmscdpp03p0"),
            "cdpp6_ppm": col("rrmscdpp06p0"),
            "params_source": "DR25 stellar table (downloaded)",
        }
    )
    stars = stars.drop_duplicates("kepid", keep="first")
    return _flag_placeholders(stars).set_index("kepid").sort_index()


def eclipsing_kic_from_robovetter(path: Path | str) -> list[int]:
    """KIC ids with a DR25 TCE whose Robovetter stellar-eclipse flag is set.

    Reads ``kplr_dr25_obs_robovetter_output.txt`` (nasa/kepler-robovetter): one '#' header
    line, then whitespace-separated ``KIC9-PN score disposition NTL SS CO EM flags``. This is
    how `ECLIPSE_FILE` was made; DR25 is Kepler's final transit search, so the list is final.
    """
    kics: set[int] = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) < 7:
            raise CatalogError(f"{path}: unexpected Robovetter line {line[:60]!r}")
        if parts[4] == "1":
            kics.add(int(parts[0].split("-")[0]))
    return sorted(kics)


def read_id_list(path: Path | str) -> list[int]:
    """KIC ids, one a line, as ``KIC 00NNNNNNN`` or a bare integer; '#' lines are comments."""
    ids: list[int] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        ids.append(int(text.upper().removeprefix("KIC").strip()))
    return ids


# --- the catalog ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Catalog:
    """KOIs (one row per KOI) and stellar parameters (one row per KIC) from one source."""

    kois: pd.DataFrame
    stars: pd.DataFrame  # index kepid, columns STAR_COLUMNS
    eclipsing_kic: frozenset[int]
    description: str
    notes: tuple[str, ...] = ()
    provenance: dict = field(default_factory=dict)

    @property
    def koi_kic(self) -> frozenset[int]:
        """Every KIC id with a KOI of any disposition."""
        return frozenset(int(k) for k in self.kois["kepid"].unique())

    @property
    def confirmed_kic(self) -> frozenset[int]:
        """Every KIC id with at least one CONFIRMED planet."""
        confirmed = self.kois.loc[self.kois["koi_disposition"] == "CONFIRMED", "kepid"]
        return frozenset(int(k) for k in confirmed.unique())

    def disposition(self, kic: int) -> str | None:
        """The star's strongest KOI disposition (CONFIRMED > CANDIDATE > FALSE POSITIVE)."""
        found = set(self.kois.loc[self.kois["kepid"] == int(kic), "koi_disposition"])
        for disposition in DISPOSITION_ORDER:
            if disposition in found:
                return disposition
        return None

    def koi_star_parameters(self) -> pd.DataFrame:
        """Per KOI star, the stellar parameters of its first KOI (lowest KOI number) that has
        them.

        The KOI table repeats the star's Teff/log g/radius/Kepler magnitude per KOI, from the
        delivery that fitted that KOI; 89 of the 8,214 snapshot stars disagree between their
        KOIs, and 298 stars' first KOI has no Teff. Taking one whole row (not the first
        non-empty value of each column, which could mix deliveries) keeps each set consistent.
        """
        ordered = self.kois.sort_values(["kepid", "kepoi_name"], kind="stable")
        with_teff = ordered[ordered["koi_steff"].notna()].drop_duplicates("kepid")
        first = with_teff.set_index("kepid").reindex(ordered["kepid"].unique())
        kepmag = ordered.groupby("kepid", sort=True)["koi_kepmag"].first()
        first["koi_kepmag"] = first["koi_kepmag"].fillna(kepmag)
        return pd.DataFrame(
            {
                "teff": first["koi_steff"],
                "logg": first["koi_slogg"],
                "radius": first["koi_srad"],
                "mass": np.nan,
                "kepmag": first["koi_kepmag"],
                "cdpp3_ppm": np.nan,
                "cdpp6_ppm": np.nan,
                "params_source": "KOI table (first KOI of the star)",
            },
            index=first.index,
        )

    def parameters(self, kics: Iterable[int]) -> pd.DataFrame:
        """Stellar parameters for the given KIC ids (NaN where unknown), index kepid.

        The stellar table is preferred, then the KOI table fills what it lacks, so a star has
        one coherent source where possible (and hosts and quiet stars share it once a full
        stellar table is downloaded).
        """
        index = pd.Index([int(k) for k in kics], name="kepid")
        from_stars = self.stars.reindex(index)
        from_kois = self.koi_star_parameters().reindex(index)
        merged = from_stars.copy()
        use_koi = merged["teff"].isna() & from_kois["teff"].notna()
        for column in ("teff", "logg", "radius", "params_source"):
            merged.loc[use_koi, column] = from_kois.loc[use_koi, column]
        merged["kepmag"] = merged["kepmag"].fillna(from_kois["kepmag"])
        merged["params_source"] = merged["params_source"].fillna("not in catalog")
        return merged.reindex(columns=list(STAR_COLUMNS))

    def star(self, kic: int) -> dict:
        """Everything the catalog knows about one star, for display."""
        kic = int(kic)
        rows = self.kois[self.kois["kepid"] == kic]
        params = self.parameters([kic]).iloc[0].to_dict()
        return {
            "kepid": kic,
            "disposition": self.disposition(kic),
            "kois": [
                {"kepoi_name": r.kepoi_name,
                 "kepler_name": None if pd.isna(r.kepler_name) else r.kepler_name,
                 "koi_disposition": r.koi_disposition}
                for r in rows.itertuples()
            ],
            "known_eclipsing_binary": kic in self.eclipsing_kic,
            **{k: (None if isinstance(v, float) and math.isnan(v) else v)
               for k, v in params.items()},
        }

    def kic_of_host(self, host_name: str) -> int:
        """KIC id of a Kepler host ('Kepler-10') through ``kepler_name`` ('Kepler-10 b')."""
        names = self.kois["kepler_name"].dropna().astype(str)
        hosts = names.str.replace(r"\s+[a-z]$", "", regex=True)
        kics = set(self.kois.loc[hosts[hosts == host_name.strip()].index, "kepid"])
        if len(kics) != 1:
            found = "no KOI" if not kics else f"{len(kics)} stars"
            raise CatalogError(
                f"host name {host_name!r} maps to {found} through kepler_name in the KOI table"
            )
        return int(kics.pop())


def _eclipsing_set(kois: pd.DataFrame, eclipse_file: Path) -> frozenset[int]:
    from_tces = set(read_id_list(eclipse_file))
    from_kois = set(kois.loc[kois["koi_fpflag_ss"] == 1, "kepid"].astype(int))
    return frozenset(from_tces | from_kois)


def bundled_catalog() -> Catalog:
    """The offline snapshot shipped with lcfeat (see the module docstring)."""
    directory = tables_dir()
    kois = normalise_kois(read_commented_csv(directory / KOI_FILE))
    stars = normalise_quiet_metadata(pd.read_csv(directory / QUIET_METADATA_FILE))
    return Catalog(
        kois=kois,
        stars=stars,
        eclipsing_kic=_eclipsing_set(kois, directory / ECLIPSE_FILE),
        description=BUNDLED_DESCRIPTION,
        notes=BUNDLED_NOTES,
        provenance={"source": "bundled", "directory": str(directory)},
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def downloaded_catalog(directory: Path | str) -> Catalog:
    """A catalog written by `update_catalog`; its files must match the manifest."""
    directory = Path(directory)
    manifest_path = directory / MANIFEST_FILE
    if not manifest_path.is_file():
        raise CatalogError(
            f"{directory} holds no downloaded catalog (no {MANIFEST_FILE}); "
            "run `lcfeat catalog update` or use the bundled snapshot"
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for entry in manifest["tables"]:
        path = directory / entry["file"]
        if not path.is_file() or _sha256(path) != entry["sha256"]:
            raise CatalogError(
                f"{path} is missing or differs from {manifest_path}; "
                "run `lcfeat catalog update` again"
            )
    kois = normalise_kois(read_commented_csv(directory / KOI_FILE))
    stars = normalise_dr25_stellar(pd.read_csv(directory / STELLAR_FILE))
    return Catalog(
        kois=kois,
        stars=stars,
        eclipsing_kic=_eclipsing_set(kois, tables_dir() / ECLIPSE_FILE),
        description=(
            f"downloaded catalog in {directory} (NASA Exoplanet Archive TAP, "
            f"{manifest['downloaded_at']}): cumulative KOI table + DR25 stellar table"
        ),
        notes=(
            "Hosts and quiet stars take Teff, log g, radius, Kepler magnitude and CDPP from "
            "the same DR25 stellar table (the KOI table fills stars missing from it).",
            BUNDLED_NOTES[3],
        ),
        provenance=manifest,
    )


def load_catalog(directory: Path | str | None = None) -> Catalog:
    """The downloaded catalog in `directory` (default: `default_catalog_dir`) if there is one,
    else the bundled snapshot. ``directory='bundled'`` forces the snapshot."""
    if directory is not None and str(directory) == "bundled":
        return bundled_catalog()
    if directory is not None:
        return downloaded_catalog(directory)
    default = default_catalog_dir()
    if (default / MANIFEST_FILE).is_file():
        return downloaded_catalog(default)
    return bundled_catalog()


# --- presets ----------------------------------------------------------------------------------

#: KIC ids of the stars whose real light curves ship in the repository's data/archive/.
BUNDLED_ARCHIVE_STARS: dict[int, str] = {
    11904151: "host",      # Kepler-10 (2 confirmed planets), Q13
    3342467: "nonhost",    # KOI-3278: FALSE POSITIVE KOI (self-lensing white-dwarf binary)
    10001893: "nonhost",   # not a KOI; faint, noise-dominated
    10002792: "nonhost",   # not a KOI; strongly variable spotted star
    9726699: "nonhost",    # GJ 1243, not a KOI; flaring M dwarf
}

PRESETS: dict[str, str] = {
    "validation-1000": (
        "the deployed validation list: 900 quiet stars (XENOSCAN quiet_stars_900) + 100 "
        "Kepler planet hosts (known_planets_100, mapped to KIC through kepler_name in the "
        "bundled KOI table)"
    ),
    "bundled-5": (
        "the five stars whose real light curves ship in data/archive/: Kepler-10 (host) and "
        "four non-hosts (KOI-3278 false positive, KIC 10001893, KIC 10002792, GJ 1243); "
        "labels host / nonhost"
    ),
}


def _validation_1000_labels() -> dict[int, str]:
    directory = tables_dir()
    quiet = read_id_list(directory / QUIET_IDS_FILE)
    names = [
        line.strip()
        for line in (directory / HOST_NAMES_FILE).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    snapshot = Catalog(
        kois=normalise_kois(read_commented_csv(directory / KOI_FILE)),
        stars=pd.DataFrame(columns=list(STAR_COLUMNS)),
        eclipsing_kic=frozenset(),
        description=BUNDLED_DESCRIPTION,
    )
    hosts = [snapshot.kic_of_host(name) for name in names]
    labels: dict[int, str] = {kic: "quiet" for kic in quiet}
    for kic in hosts:
        if kic in labels:
            raise CatalogError(f"KIC {kic} is both a quiet star and a host in validation-1000")
        labels[kic] = "host"
    return labels


def preset_labels(name: str) -> dict[int, str]:
    """KIC id -> label ('host', 'quiet' or 'nonhost') for a preset, in the preset's order."""
    if name == "validation-1000":
        return _validation_1000_labels()
    if name == "bundled-5":
        return dict(BUNDLED_ARCHIVE_STARS)
    known = ", ".join(sorted(PRESETS))
    raise CatalogError(f"unknown preset {name!r}; known presets: {known}")


def load_preset(name: str) -> list[int]:
    """KIC ids of a preset: for validation-1000 the 900 quiet stars in file order, then the
    100 hosts in name order."""
    return list(preset_labels(name))


# --- `lcfeat catalog update` ------------------------------------------------------------------

TAP_SYNC_URL = "https://exoplanetarchive.ipac.caltech.edu/TAP/sync"


@dataclass(frozen=True)
class TapDownload:
    """One table fetched by `update_catalog`: an ADQL query and the checks on its answer."""

    file: str
    query: str
    required_columns: tuple[str, ...]
    min_rows: int


#: What `lcfeat catalog update` fetches. Table names are those the archive's TAP service
#: lists (https://exoplanetarchive.ipac.caltech.edu/docs/TAP/usingTAP.html); columns are
#: documented at docs/API_kepcandidate_columns.html and docs/API_keplerstellar_columns.html.
#: `min_rows` guards against a truncated answer (the 2019 tables hold 9,564 and ~200,000 rows).
TAP_DOWNLOADS: tuple[TapDownload, ...] = (
    TapDownload(
        file=KOI_FILE,
        query=(
            "select kepid,kepoi_name,kepler_name,koi_disposition,koi_pdisposition,"
            "koi_fpflag_nt,koi_fpflag_ss,koi_fpflag_co,koi_fpflag_ec,koi_period,"
            "koi_steff,koi_slogg,koi_srad,koi_kepmag from cumulative"
        ),
        required_columns=("kepid", "kepoi_name", "kepler_name", "koi_disposition"),
        min_rows=9000,
    ),
    TapDownload(
        file=STELLAR_FILE,
        query=(
            "select kepid,teff,logg,radius,mass,kepmag,rrmscdpp03p0,rrmscdpp06p0,nkoi "
            "from q1_q17_dr25_stellar"
        ),
        required_columns=("kepid", "teff", "logg", "radius", "kepmag", "rrmscdpp06p0"),
        min_rows=150_000,
    ),
)

#: HTTP statuses worth retrying (the service is busy or briefly down).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def _fetch_csv(
    client: httpx.Client, url: str, query: str, attempts: int, backoff_s: float
) -> bytes:
    last_error = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(backoff_s * 2 ** (attempt - 1))
        try:
            response = client.get(url, params={"query": query, "format": "csv"})
        except httpx.TransportError as exc:
            last_error = f"{type(exc).__name__}: {exc}"
            continue
        if response.status_code in RETRY_STATUSES:
            last_error = f"HTTP {response.status_code}"
            continue
        if response.status_code != 200:
            raise CatalogUpdateError(
                f"{url} answered HTTP {response.status_code} to {query!r}: "
                f"{response.text[:200]}"
            )
        return response.content
    raise CatalogUpdateError(
        f"{url} did not answer after {attempts} attempts ({last_error}); "
        "check the network and try `lcfeat catalog update` later"
    )


def _check_table(download: TapDownload, payload: bytes) -> int:
    """Parse an answer and check it: the archive reports ADQL errors as XML or text."""
    try:
        frame = pd.read_csv(io.BytesIO(payload))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise CatalogUpdateError(
            f"the answer for {download.file} is not CSV ({exc}): {payload[:200]!r}"
        ) from exc
    missing = [c for c in download.required_columns if c not in frame.columns]
    if missing:
        raise CatalogUpdateError(
            f"the answer for {download.file} lacks column(s) {', '.join(missing)}: "
            f"{payload[:200]!r}"
        )
    if len(frame) < download.min_rows:
        raise CatalogUpdateError(
            f"the answer for {download.file} has {len(frame)} rows, fewer than the "
            f"{download.min_rows} expected: truncated? nothing was replaced"
        )
    return len(frame)


def _write_atomically(path: Path, payload: bytes) -> None:
    temporary = path.with_name(f".{path.name}.partial")
    temporary.write_bytes(payload)
    os.replace(temporary, path)


def update_catalog(
    directory: Path | str | None = None,
    *,
    client: httpx.Client | None = None,
    url: str = TAP_SYNC_URL,
    downloads: Sequence[TapDownload] = TAP_DOWNLOADS,
    attempts: int = 3,
    backoff_s: float = 2.0,
    timeout_s: float = 300.0,
) -> dict:
    """Download the current KOI and DR25 stellar tables and store them in `directory`.

    Every table is fetched and checked (CSV, required columns, a minimum row count) before
    anything is written; files are then replaced atomically and the manifest (URL, query,
    time, rows, SHA-256 per file) is written last, so an interrupted update leaves the previous
    catalog usable. Synchronous TAP queries (``/TAP/sync?query=...&format=csv``) suffice: the
    largest answer is ~200,000 rows. Returns the manifest.
    """
    directory = Path(directory) if directory is not None else default_catalog_dir()
    owns_client = client is None
    if client is None:
        client = httpx.Client(timeout=timeout_s, follow_redirects=True)
    try:
        payloads = [
            (download, _fetch_csv(client, url, download.query, attempts, backoff_s))
            for download in downloads
        ]
    finally:
        if owns_client:
            client.close()
    rows = [_check_table(download, payload) for download, payload in payloads]
    directory.mkdir(parents=True, exist_ok=True)
    entries = []
    for (download, payload), n_rows in zip(payloads, rows, strict=True):
        _write_atomically(directory / download.file, payload)
        entries.append(
            {
                "file": download.file,
                "url": url,
                "query": download.query,
                "rows": n_rows,
                "bytes": len(payload),
                "sha256": hashlib.sha256(payload).hexdigest(),
            }
        )
    manifest = {
        "downloaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "service": url,
        "tables": entries,
    }
    _write_atomically(
        directory / MANIFEST_FILE, (json.dumps(manifest, indent=2) + "\n").encode("utf-8")
    )
    return manifest
