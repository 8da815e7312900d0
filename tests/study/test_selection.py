"""Validation-set selection on the bundled catalog.

Every rule is checked against the raw bundled tables, read here with the csv module, and log g
is recomputed from astropy's constants: the expected pools do not come from the code under test.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest
from astropy import constants

from lcfeat.cli import main
from lcfeat.study.selection import (
    MAX_QUIET_CDPP6_PPM,
    STRATA,
    InsufficientStarsError,
    SelectionError,
    allocate,
    select_validation_set,
)
from lcfeat.targets import catalog

TABLES = Path(catalog.__file__).parent / "tables"
LOG_G_SUN = math.log10((constants.GM_sun / constants.R_sun**2).cgs.value)
SUNLIKE = (4000.0, 7000.0, 4.0)
MDWARF = (2400.0, 4000.0, 4.0)


def stratum(teff: float, logg: float) -> str | None:
    for name, (low, high, min_logg) in (("sunlike", SUNLIKE), ("mdwarf", MDWARF)):
        if low <= teff < high and logg >= min_logg:
            return name
    return None


def raw_hosts() -> dict[int, dict]:
    """Per confirmed host: Teff and log g of its first KOI (lowest number) that has them."""
    lines = (TABLES / "cumulative.csv").read_text(encoding="utf-8").splitlines()
    rows = sorted(csv.DictReader(line for line in lines if not line.startswith("#")),
                  key=lambda r: (int(r["kepid"]), r["kepoi_name"]))
    confirmed = {int(r["kepid"]) for r in rows if r["koi_disposition"] == "CONFIRMED"}
    hosts: dict[int, dict] = {}
    for row in rows:
        kic = int(row["kepid"])
        if kic in confirmed and kic not in hosts and row["koi_steff"]:
            hosts[kic] = {"teff": float(row["koi_steff"]), "logg": float(row["koi_slogg"])}
    return hosts


def raw_koi_stars() -> set[int]:
    lines = (TABLES / "cumulative.csv").read_text(encoding="utf-8").splitlines()
    return {int(r["kepid"]) for r in csv.DictReader(l for l in lines if not l.startswith("#"))}


def raw_quiet_pool() -> dict[int, dict]:
    """Quiet-star candidates passing every documented cut, from the raw metadata."""
    eclipsing = set(catalog.read_id_list(TABLES / catalog.ECLIPSE_FILE))
    kois = raw_koi_stars()
    pool = {}
    with (TABLES / "quiet_stars_900_metadata.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            kic = int(row["kepid"])
            if row["mass"] == "" or kic in kois or kic in eclipsing:
                continue  # no mass: no log g (and the 31 solar placeholders)
            if float(row["rrmscdpp06p0"]) > MAX_QUIET_CDPP6_PPM:
                continue
            teff = float(row["teff"])
            logg = LOG_G_SUN + math.log10(float(row["mass"])) - 2 * math.log10(float(row["radius"]))
            pool[kic] = {"teff": teff, "logg": logg, "cdpp6": float(row["rrmscdpp06p0"]),
                         "stratum": stratum(teff, logg)}
    return pool


@pytest.fixture(scope="module")
def snapshot():
    return catalog.bundled_catalog()


def test_strata_are_the_documented_cuts():
    assert [(s.name, s.teff_min_k, s.teff_max_k, s.logg_min, s.fraction) for s in STRATA] == [
        ("sunlike", *SUNLIKE, 0.8), ("mdwarf", *MDWARF, 0.2)]


@pytest.mark.parametrize(("total", "expected"), [
    (900, (720, 180)), (100, (80, 20)), (5, (4, 1)), (7, (6, 1)), (1, (1, 0)), (3, (2, 1)),
])
def test_allocation_is_80_20_and_sums_to_the_total(total, expected):
    counts = allocate(total)
    assert (counts["sunlike"], counts["mdwarf"]) == expected


def test_every_drawn_star_obeys_the_rules(snapshot):
    selection = select_validation_set(snapshot, n_quiet=400, n_hosts=100, seed=7)
    targets = selection.targets
    hosts = raw_hosts()
    quiet_pool = raw_quiet_pool()
    koi_stars = raw_koi_stars()
    assert list(targets.columns[:3]) == ["target_id", "label", "stratum"]
    assert "st_teff" in targets.columns
    assert targets["target_id"].is_unique
    for row in targets.itertuples():
        kic = int(row.target_id.removeprefix("KIC "))
        if row.label == "host":
            assert kic in hosts
            assert stratum(hosts[kic]["teff"], hosts[kic]["logg"]) == row.stratum
            assert row.st_teff == hosts[kic]["teff"]
        else:
            assert row.label == "quiet"
            assert kic not in koi_stars
            assert kic in quiet_pool, f"KIC {kic} fails a documented quiet-star cut"
            assert quiet_pool[kic]["stratum"] == row.stratum
            assert row.st_teff == quiet_pool[kic]["teff"]
            assert row.cdpp6_ppm <= MAX_QUIET_CDPP6_PPM
            assert row.st_logg == pytest.approx(quiet_pool[kic]["logg"], abs=1e-9)
    counts = targets.groupby(["label", "stratum"]).size().to_dict()
    assert counts == {("host", "sunlike"): 80, ("host", "mdwarf"): 20,
                      ("quiet", "sunlike"): 320, ("quiet", "mdwarf"): 80}


def test_hosts_are_stratified_although_m_dwarf_hosts_are_rare(snapshot):
    # M dwarfs are ~5 % of the confirmed hosts: drawing in name order gave ~96 % Sun-like.
    hosts = raw_hosts()
    m_dwarfs = sum(stratum(h["teff"], h["logg"]) == "mdwarf" for h in hosts.values())
    assert m_dwarfs / len(hosts) < 0.06
    targets = select_validation_set(snapshot, n_quiet=10, n_hosts=50, seed=1).targets
    assert (targets.loc[targets["label"] == "host", "stratum"] == "mdwarf").sum() == 10


def test_same_seed_same_list_other_seed_other_list(snapshot, tmp_path):
    first = select_validation_set(snapshot, n_quiet=300, n_hosts=60, seed=42)
    again = select_validation_set(snapshot, n_quiet=300, n_hosts=60, seed=42)
    other = select_validation_set(snapshot, n_quiet=300, n_hosts=60, seed=43)
    first.write(tmp_path / "a.csv")
    again.write(tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert set(first.targets["target_id"]) != set(other.targets["target_id"])


def test_host_count_does_not_change_the_quiet_draw(snapshot):
    few = select_validation_set(snapshot, n_quiet=200, n_hosts=20, seed=5).targets
    many = select_validation_set(snapshot, n_quiet=200, n_hosts=90, seed=5).targets
    quiet = lambda t: list(t.loc[t["label"] == "quiet", "target_id"])  # noqa: E731
    assert quiet(few) == quiet(many)


def test_too_few_quiet_stars_offline_says_how_many_exist(snapshot):
    pool = raw_quiet_pool()
    sunlike = sum(p["stratum"] == "sunlike" for p in pool.values())
    assert sunlike < 720  # the offline pool cannot give 900 quiet stars at 80/20
    with pytest.raises(InsufficientStarsError) as error:
        select_validation_set(snapshot, n_quiet=900, n_hosts=100, seed=0)
    message = str(error.value)
    assert f"quiet Sun-like (FGK dwarfs): 720 wanted (80% of 900), {sunlike} eligible" in message
    # 625 / 0.8 = 781.25: 781 quiet stars split 625 / 156, the largest list that fits.
    assert f"(at most {int(sunlike / 0.8)} quiet stars fit)" in message
    assert "host" not in message.split("quiet Sun-like")[0].split(":", 1)[1]  # hosts suffice


def test_too_few_m_dwarf_hosts_is_reported(snapshot):
    m_hosts = sum(stratum(h["teff"], h["logg"]) == "mdwarf" for h in raw_hosts().values())
    with pytest.raises(InsufficientStarsError,
                       match=f"host M dwarfs: 100 wanted \\(20% of 500\\), {m_hosts} eligible"):
        select_validation_set(snapshot, n_quiet=10, n_hosts=500, seed=0)


def test_invalid_requests(snapshot):
    with pytest.raises(SelectionError, match="must be >= 1"):
        select_validation_set(snapshot, n_quiet=0, n_hosts=10, seed=0)
    with pytest.raises(SelectionError, match="non-negative"):
        select_validation_set(snapshot, n_quiet=10, n_hosts=10, seed=-1)


def test_written_csv_and_selection_record(snapshot, tmp_path):
    selection = select_validation_set(snapshot, n_quiet=50, n_hosts=10, seed=3)
    sidecar = selection.write(tmp_path / "targets.csv")
    written = pd.read_csv(tmp_path / "targets.csv")
    assert len(written) == 60
    assert written["target_id"].str.fullmatch(r"KIC [1-9]\d*").all()
    assert set(written["label"]) == {"host", "quiet"}
    record = sidecar.read_text()
    assert sidecar.name == "targets.selection.txt"
    assert "4000 K <= Teff < 7000 K, log g >= 4.0" in record
    assert "seed: 3" in record
    assert "Teff for stars that are not KOIs exists only for the 900 quiet stars" in record


def test_select_command(tmp_path, capsys):
    out = tmp_path / "targets.csv"
    code = main(["select", "--n-quiet", "40", "--n-hosts", "10", "--seed", "9", "-o", str(out),
                 "--catalog", "bundled"])
    assert code == 0
    assert len(pd.read_csv(out)) == 50
    printed = capsys.readouterr().out
    assert "exists only for the 900 quiet stars" in printed


def test_select_command_refuses_a_short_list(tmp_path, capsys):
    out = tmp_path / "targets.csv"
    code = main(["select", "--n-quiet", "900", "--n-hosts", "100", "--seed", "1", "-o", str(out),
                 "--catalog", "bundled"])
    assert code == 2
    assert "720 wanted" in capsys.readouterr().err
    assert not out.exists()
