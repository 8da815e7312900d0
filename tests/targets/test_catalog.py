"""The catalog layer: bundled snapshot, presets, and `catalog update` against a mock archive.

Expected figures come from the tables' own documentation (NASA Exoplanet Archive counts, the
bundled SOURCES.txt) or from reading the raw files here with the csv module, never from the
code under test.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import httpx
import pytest
from astropy import constants

from lcfeat.targets import catalog
from lcfeat.targets.catalog import (
    Catalog,
    CatalogError,
    CatalogUpdateError,
    TapDownload,
    bundled_catalog,
    downloaded_catalog,
    eclipsing_kic_from_robovetter,
    load_catalog,
    log_g_from_mass_radius,
    read_commented_csv,
    update_catalog,
)

TABLES = Path(catalog.__file__).parent / "tables"
REPO = Path(__file__).resolve().parents[2]


def raw_kois() -> list[dict[str, str]]:
    lines = (TABLES / "cumulative.csv").read_text(encoding="utf-8").splitlines()
    return list(csv.DictReader(line for line in lines if not line.startswith("#")))


def raw_quiet() -> list[dict[str, str]]:
    with (TABLES / "quiet_stars_900_metadata.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def snapshot() -> Catalog:
    return bundled_catalog()


def test_bundled_koi_counts_match_the_archive_documentation(snapshot):
    # The 2019-01-20 cumulative table: 9,564 KOIs on 8,214 stars; 2,299 CONFIRMED, 2,424
    # CANDIDATE, 4,841 FALSE POSITIVE; 1,634 stars host a confirmed planet (SOURCES.txt).
    assert len(snapshot.kois) == 9564
    assert len(snapshot.koi_kic) == 8214
    assert snapshot.kois["koi_disposition"].value_counts().to_dict() == {
        "FALSE POSITIVE": 4841, "CANDIDATE": 2424, "CONFIRMED": 2299,
    }
    assert len(snapshot.confirmed_kic) == 1634


def test_dispositions_of_known_stars(snapshot):
    assert snapshot.disposition(11904151) == "CONFIRMED"  # Kepler-10
    assert snapshot.disposition(3342467) == "FALSE POSITIVE"  # KOI-3278, self-lensing binary
    assert snapshot.disposition(10001893) is None  # not a KOI
    # A star with both a CANDIDATE and a FALSE POSITIVE KOI reports the stronger one.
    by_star: dict[int, set[str]] = {}
    for row in raw_kois():
        by_star.setdefault(int(row["kepid"]), set()).add(row["koi_disposition"])
    mixed = min(k for k, d in by_star.items() if d == {"CANDIDATE", "FALSE POSITIVE"})
    assert snapshot.disposition(mixed) == "CANDIDATE"


def test_star_record_of_kepler_10_has_the_koi_table_values(snapshot):
    record = snapshot.star(11904151)
    first = next(r for r in raw_kois() if r["kepoi_name"] == "K00072.01")
    assert record["teff"] == float(first["koi_steff"])
    assert record["logg"] == float(first["koi_slogg"])
    assert record["kepmag"] == float(first["koi_kepmag"])
    assert sorted(k["kepler_name"] for k in record["kois"]) == ["Kepler-10 b", "Kepler-10 c"]
    assert record["known_eclipsing_binary"] is False


def test_quiet_stars_are_not_kois_and_keep_their_catalog_values(snapshot):
    raw = raw_quiet()
    koi_stars = {int(r["kepid"]) for r in raw_kois()}
    assert len(snapshot.stars) == len(raw) == 900
    assert not koi_stars & set(snapshot.stars.index)
    star = raw[0]
    row = snapshot.stars.loc[int(star["kepid"])]
    assert row["teff"] == float(star["teff"])
    assert row["cdpp6_ppm"] == float(star["rrmscdpp06p0"])
    assert row["cdpp3_ppm"] == float(star["rrmscdpp03p0"])


def test_solar_placeholder_values_are_dropped(snapshot):
    placeholders = {
        int(r["kepid"]) for r in raw_quiet()
        if float(r["teff"]) == 5780.0 and float(r["radius"]) == 1.0 and r["mass"] == ""
    }
    assert len(placeholders) == 31
    unknown = set(snapshot.stars.index[snapshot.stars["teff"].isna()])
    assert unknown == placeholders


def test_log_g_from_mass_and_radius_matches_astropy_constants():
    reference = math.log10((constants.GM_sun / constants.R_sun**2).cgs.value)
    assert pytest.approx(reference, abs=1e-12) == catalog.LOG_G_SUN_CGS
    # M = 0.5, R = 0.5: g = 2 g_sun, so log g = log g_sun + log10(2).
    got = log_g_from_mass_radius([1.0, 0.5, float("nan"), 0.0], [1.0, 0.5, 1.0, 1.0])
    assert got[0] == pytest.approx(reference, abs=1e-12)
    assert got[1] == pytest.approx(reference + math.log10(2.0), abs=1e-12)
    assert math.isnan(got[2]) and math.isnan(got[3])


def test_eclipsing_binaries_come_from_tces_and_koi_flags(snapshot):
    listed = catalog.read_id_list(TABLES / catalog.ECLIPSE_FILE)
    assert len(listed) == 2156  # stated in the file's header, from the Robovetter table
    assert set(listed) <= snapshot.eclipsing_kic
    flagged = {int(r["kepid"]) for r in raw_kois() if r["koi_fpflag_ss"] == "1"}
    assert flagged <= snapshot.eclipsing_kic
    assert 3342467 in snapshot.eclipsing_kic  # KOI-3278: koi_fpflag_ss = 1


def test_robovetter_parser_keeps_only_stellar_eclipse_flags(tmp_path):
    sample = tmp_path / "robovetter.txt"
    sample.write_text(
        "#1:TCE  2:Robovetter_Score  3:Disposition  4:NTL  5:SS  6:CO  7:EM  8:Flags\n"
        "000757099-01 0.000 FP 1 0 0 0 LPP_DV\n"
        "001026032-01 0.000 FP 0 1 0 0 MOD_SEC_DV\n"
        "001026032-02 0.000 FP 1 1 0 0 IS_SEC_TCE\n"
        "010666592-01 1.000 PC 0 0 0 0 \n"
    )
    assert eclipsing_kic_from_robovetter(sample) == [1026032]
    sample.write_text("001026032-01 0.000 FP\n")
    with pytest.raises(CatalogError, match="unexpected Robovetter line"):
        eclipsing_kic_from_robovetter(sample)


def test_commented_csv_reader_keeps_hashes_inside_fields():
    text = "# produced by the archive\n# COLUMN a: A\na,b\n1,x#y\n"
    frame = read_commented_csv(io.StringIO(text))
    assert frame.to_dict("records") == [{"a": 1, "b": "x#y"}]


def test_host_names_map_through_kepler_name(snapshot):
    assert snapshot.kic_of_host("Kepler-10") == 11904151
    with pytest.raises(CatalogError, match="maps to no KOI"):
        snapshot.kic_of_host("Kepler-99999")


# --- presets ----------------------------------------------------------------------------------


def test_validation_1000_is_the_deployed_list():
    labels = catalog.preset_labels("validation-1000")
    ids = catalog.load_preset("validation-1000")
    assert ids == list(labels) and len(ids) == len(set(ids)) == 1000
    quiet_file = [
        int(line.split()[1])
        for line in (TABLES / "quiet_stars_900.txt").read_text().splitlines() if line.strip()
    ]
    assert [k for k, v in labels.items() if v == "quiet"] == quiet_file
    # Every host name maps to exactly one KIC through 'Kepler-N x' names in the KOI table.
    names = [n.strip() for n in (TABLES / "known_planets_100.txt").read_text().splitlines()
             if n.strip()]
    by_host: dict[str, set[int]] = {}
    for row in raw_kois():
        if row["kepler_name"]:
            by_host.setdefault(row["kepler_name"].rsplit(" ", 1)[0], set()).add(int(row["kepid"]))
    expected_hosts = [by_host[name].copy().pop() for name in names]
    assert all(len(by_host[name]) == 1 for name in names)
    assert [k for k, v in labels.items() if v == "host"] == expected_hosts
    assert labels[11904151] == "host"  # Kepler-10 is among them


def test_bundled_5_names_the_stars_with_light_curves_in_the_repository():
    labels = catalog.preset_labels("bundled-5")
    for kic in labels:
        folder = REPO / "data" / "archive" / f"{kic:09d}"[:4] / f"{kic:09d}"
        assert list(folder.glob("kplr*_llc.fits")), f"no light curve for KIC {kic}"
    assert [k for k, v in labels.items() if v == "host"] == [11904151]
    assert set(catalog.PRESETS) == {"validation-1000", "bundled-5"}


def test_unknown_preset_is_a_clear_error():
    with pytest.raises(CatalogError, match="unknown preset 'nope'; known presets: bundled-5"):
        catalog.load_preset("nope")


# --- catalog update (mock archive) ------------------------------------------------------------

KOI_CSV = (
    "kepid,kepoi_name,kepler_name,koi_disposition,koi_pdisposition,koi_fpflag_nt,"
    "koi_fpflag_ss,koi_fpflag_co,koi_fpflag_ec,koi_period,koi_steff,koi_slogg,koi_srad,"
    "koi_kepmag\n"
    "11904151,K00072.01,Kepler-10 b,CONFIRMED,CANDIDATE,0,0,0,0,0.8375,5676,4.347,1.044,10.961\n"
    "3342467,K03278.01,,FALSE POSITIVE,FALSE POSITIVE,0,1,0,0,88.18,5497,4.57,0.839,14.71\n"
)
STELLAR_CSV = (
    "kepid,teff,logg,radius,mass,kepmag,rrmscdpp03p0,rrmscdpp06p0,nkoi\n"
    "11904151,5708,4.344,1.065,0.91,10.961,9.1,7.3,2\n"
    "7898839,5232,4.53,0.769,0.74,13.2,16.676,16.373,0\n"
    "1000001,5780,4.44,1.0,,15.0,30.0,25.0,0\n"
)
SMALL_DOWNLOADS = (
    TapDownload(catalog.KOI_FILE, "select kepid from cumulative", ("kepid", "kepoi_name"), 2),
    TapDownload(catalog.STELLAR_FILE, "select kepid from q1_q17_dr25_stellar",
                ("kepid", "teff", "logg", "radius"), 3),
)


def mock_archive(fail_first: int = 0, body_for=None):
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        query = request.url.params["query"]
        calls.append(query)
        assert request.url.params["format"] == "csv"
        if len(calls) <= fail_first:
            return httpx.Response(503, text="busy")
        if body_for is not None:
            return httpx.Response(200, content=body_for(query))
        body = KOI_CSV if "cumulative" in query else STELLAR_CSV
        return httpx.Response(200, content=body.encode())

    return httpx.Client(transport=httpx.MockTransport(handler)), calls


def test_update_writes_tables_and_a_verifiable_manifest(tmp_path):
    client, calls = mock_archive(fail_first=1)  # one 503 first: retried
    manifest = update_catalog(tmp_path, client=client, downloads=SMALL_DOWNLOADS, backoff_s=0)
    assert len(calls) == 3
    assert (tmp_path / catalog.KOI_FILE).read_text() == KOI_CSV
    saved = json.loads((tmp_path / catalog.MANIFEST_FILE).read_text())
    assert saved == manifest
    assert [e["rows"] for e in saved["tables"]] == [2, 3]
    import hashlib

    assert saved["tables"][1]["sha256"] == hashlib.sha256(STELLAR_CSV.encode()).hexdigest()

    loaded = downloaded_catalog(tmp_path)
    # Hosts now take their parameters from the same stellar table as every other star.
    params = loaded.parameters([11904151, 7898839, 1000001, 3342467])
    assert params.loc[11904151, "teff"] == 5708.0
    assert params.loc[11904151, "cdpp6_ppm"] == 7.3
    assert params.loc[7898839, "kepmag"] == 13.2
    assert math.isnan(params.loc[1000001, "teff"])  # solar placeholder without a mass
    assert params.loc[3342467, "teff"] == 5497.0  # not in the stellar table: KOI table
    assert "downloaded" in loaded.description


def test_update_rejects_an_archive_error_and_writes_nothing(tmp_path):
    error = b'<?xml version="1.0"?><VOTABLE><INFO name="QUERY_STATUS" value="ERROR"/></VOTABLE>'
    client, _ = mock_archive(body_for=lambda query: error)
    with pytest.raises(CatalogUpdateError, match="lacks column"):
        update_catalog(tmp_path, client=client, downloads=SMALL_DOWNLOADS, backoff_s=0)
    assert list(tmp_path.iterdir()) == []


def test_update_rejects_a_truncated_table(tmp_path):
    client, _ = mock_archive()
    short = (SMALL_DOWNLOADS[0], TapDownload(catalog.STELLAR_FILE, "select kepid from "
                                             "q1_q17_dr25_stellar", ("kepid",), 10))
    with pytest.raises(CatalogUpdateError, match="3 rows, fewer than the 10 expected"):
        update_catalog(tmp_path, client=client, downloads=short, backoff_s=0)
    assert not (tmp_path / catalog.MANIFEST_FILE).exists()


def test_update_gives_up_after_the_retries(tmp_path):
    client, calls = mock_archive(fail_first=99)
    with pytest.raises(CatalogUpdateError, match="did not answer after 3 attempts"):
        update_catalog(tmp_path, client=client, downloads=SMALL_DOWNLOADS, backoff_s=0)
    assert len(calls) == 3


def test_a_modified_download_is_refused(tmp_path):
    client, _ = mock_archive()
    update_catalog(tmp_path, client=client, downloads=SMALL_DOWNLOADS, backoff_s=0)
    with (tmp_path / catalog.STELLAR_FILE).open("a") as handle:
        handle.write("1,2,3,4,5,6,7,8,9\n")
    with pytest.raises(CatalogError, match="differs from"):
        downloaded_catalog(tmp_path)


def test_load_catalog_prefers_a_download_and_falls_back_to_the_snapshot(tmp_path, monkeypatch):
    monkeypatch.setenv("LCFEAT_CATALOG", str(tmp_path))
    assert load_catalog().provenance["source"] == "bundled"
    client, _ = mock_archive()
    update_catalog(None, client=client, downloads=SMALL_DOWNLOADS, backoff_s=0)
    assert "downloaded" in load_catalog().description
    assert load_catalog("bundled").provenance["source"] == "bundled"
    with pytest.raises(CatalogError, match="holds no downloaded catalog"):
        load_catalog(tmp_path / "empty")
