"""Vetting sheets check what is drawn: the folded panel holds the detrended flux folded at
the row's period and epoch, the periodogram marks the row's period, the numbers are the
row's; `lcfeat plot` draws a stored row; `lcfeat analyze` links sheets."""

from __future__ import annotations

import re
import sqlite3

import numpy as np
import pytest

from lcfeat.cli import main
from lcfeat.features.extract import extract_features
from lcfeat.lightcurve import read_light_curve
from lcfeat.study.sheet import (
    PPM,
    Ephemeris,
    catalog_name,
    save_sheet,
    search_of,
    sheet_for,
    vetting_sheet,
)
from tests.conftest import ARCHIVE, TEST_DATA, quarter_files


def axes_by_gid(figure, gid):
    [axes] = [a for a in figure.axes if a.get_gid() == gid]
    return axes


def artist(axes, gid):
    found = [a for a in axes.get_children() if a.get_gid() == gid]
    assert found, f"no artist {gid}"
    return found[0]


def folded_expected(found, ephemeris: Ephemeris) -> np.ndarray:
    """(hours from mid-transit, ppm) of the searched flux within the window, computed here."""
    phase = (found.time - ephemeris.epoch + 0.5 * ephemeris.period) % ephemeris.period \
        - 0.5 * ephemeris.period
    near = np.abs(phase) <= min(3 * ephemeris.duration, 0.5 * ephemeris.period)
    return np.column_stack([phase[near] * 24.0, found.y[near] * PPM])


@pytest.fixture(scope="module")
def kepler10():
    lc = read_light_curve(quarter_files(11904151))
    return lc, extract_features(lc).to_dict(), search_of(lc)


def test_panels_are_drawn_at_the_rows_ephemeris(kepler10):
    lc, numbers, found = kepler10
    # A stored row that differs from what the search finds now (twice the period, epoch a
    # period later): every panel must follow the row, not the search.
    stored = dict(numbers, transit_bls_period=2 * numbers["transit_bls_period"],
                  transit_bls_epoch=numbers["transit_bls_epoch"] + numbers["transit_bls_period"])
    figure = vetting_sheet(lc, stored)
    ephemeris = Ephemeris.from_numbers(stored)
    points = artist(axes_by_gid(figure, "folded"), "folded-points").get_offsets()
    np.testing.assert_allclose(points, folded_expected(found, ephemeris), rtol=0, atol=1e-9)
    peak = artist(axes_by_gid(figure, "bls_periodogram"), "bls_periodogram-peak")
    assert list(peak.get_xdata()) == [stored["transit_bls_period"]]
    marks = artist(axes_by_gid(figure, "light_curve"), "light_curve-transits").get_xdata()
    np.testing.assert_allclose(np.diff(marks), stored["transit_bls_period"])
    assert np.all((marks >= lc.time[0]) & (marks <= lc.time[-1]))
    assert np.min(np.abs(marks - stored["transit_bls_epoch"])) < 1e-9
    text = artist(axes_by_gid(figure, "numbers"), "numbers-text").get_text()
    assert f"{stored['transit_bls_period']:.6f} d" in text
    assert f"{numbers['transit_bls_power']:.1f}" in text  # SDE
    assert "vetted        yes" in text  # Kepler-10 b passes every vetting test
    unvetted = vetting_sheet(lc, dict(stored, transit_vetted=0.0))
    assert "vetted        no" in artist(axes_by_gid(unvetted, "numbers"), "numbers-text").get_text()


def test_without_a_row_the_features_are_computed_and_the_fold_shows_the_transit(kepler10):
    lc, numbers, found = kepler10
    figure = vetting_sheet(lc)
    ephemeris = Ephemeris.from_numbers(numbers)
    folded = axes_by_gid(figure, "folded")
    np.testing.assert_allclose(artist(folded, "folded-points").get_offsets(),
                               folded_expected(found, ephemeris), atol=1e-9)
    # the binned points inside the box are ~ one depth below those outside (Kepler-10 b)
    bins = artist(folded, "folded-bins").get_xydata()
    inside = np.abs(bins[:, 0]) < 0.4 * ephemeris.duration * 24
    dip = np.median(bins[~inside, 1]) - np.median(bins[inside, 1])
    assert dip == pytest.approx(numbers["transit_bls_depth"] * PPM, rel=0.3)
    odd = axes_by_gid(figure, "odd").get_title(loc="left")
    even = axes_by_gid(figure, "even").get_title(loc="left")
    assert re.search(r"depth 1[3-8]\d \+- \d+ ppm", odd), odd
    assert re.search(r"depth 1[3-8]\d \+- \d+ ppm", even), even
    assert "computed now" in artist(axes_by_gid(figure, "numbers"), "numbers-text").get_text()


def test_a_row_without_a_candidate_still_gives_a_sheet(kepler10):
    lc, numbers, _ = kepler10
    figure = vetting_sheet(lc, dict(numbers, transit_bls_period=None))
    assert "no transit candidate" in axes_by_gid(figure, "folded").texts[0].get_text()
    assert "NULL" in artist(axes_by_gid(figure, "numbers"), "numbers-text").get_text()


def test_the_lomb_scargle_panel_marks_the_dominant_period(kepler10):
    lc, numbers, _ = kepler10
    figure = vetting_sheet(lc, numbers)
    line = artist(axes_by_gid(figure, "lomb_scargle"), "lomb_scargle-dominant")
    assert list(line.get_xdata()) == [numbers["freq_dominant_period"]] * 2


def test_sheet_png_repeats_bit_for_bit(kepler10, tmp_path):
    lc, numbers, _ = kepler10
    first = save_sheet(vetting_sheet(lc, numbers), tmp_path / "a.png")
    second = save_sheet(vetting_sheet(lc, numbers), tmp_path / "b.png")
    assert first.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert first.read_bytes() == second.read_bytes()


def test_catalog_names_the_known_stars():
    from lcfeat.targets.catalog import load_catalog

    catalog = load_catalog("bundled")
    assert catalog_name(catalog, 11904151) == "Kepler-10 b, c (KOI-72, CONFIRMED)"
    assert catalog_name(catalog, 3342467).startswith("KOI-3278 (FALSE POSITIVE")
    assert catalog_name(catalog, 9726699) is None


@pytest.fixture(scope="module")
def stored_run(tmp_path_factory):
    db = tmp_path_factory.mktemp("plot") / "x.db"
    assert main(["run", "--targets", "11904151", "--archive", str(ARCHIVE),
                 "--db", f"sqlite:///{db}", "--workers", "1", "--quiet"]) == 0
    return db


def test_plot_command_draws_the_stored_row(stored_run, tmp_path, capsys):
    url = f"sqlite:///{stored_run}"
    # change the stored period to its alias 2P: the sheet must show the stored row
    with sqlite3.connect(stored_run) as conn:
        period = conn.execute("select transit_bls_period from features").fetchone()[0]
        conn.execute("update features set transit_bls_period = ?", (2 * period,))
    out = tmp_path / "sheet.png"
    code = main(["plot", "11904151", "--archive", str(ARCHIVE), "--db", url, "-o", str(out),
                 "--catalog", "bundled"])
    assert code == 0 and out.read_bytes()[:4] == b"\x89PNG"
    assert f"-> {out}" in capsys.readouterr().out
    figure = sheet_for(11904151, db=url, archive=str(ARCHIVE))
    peak = artist(axes_by_gid(figure, "bls_periodogram"), "bls_periodogram-peak")
    assert list(peak.get_xdata()) == [2 * period]
    text = artist(axes_by_gid(figure, "numbers"), "numbers-text").get_text()
    assert f"{2 * period:.6f} d" in text and "stored row of sqlite:///" in text


def test_plot_errors_are_one_line(tmp_path, capsys):
    assert main(["plot", str(TEST_DATA / "ktwo211121743-c04_llc.fits"),
                 "-o", str(tmp_path / "x.png"), "--catalog", "bundled"]) == 1
    assert capsys.readouterr().err.strip() == (
        "lcfeat: error: ktwo211121743-c04_llc.fits: mission is 'K2', not Kepler")
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main(["plot", "11904151", "--archive", str(ARCHIVE), "--db", empty,
                 "--catalog", "bundled"]) == 2
    assert "has no 'features' table" in capsys.readouterr().err
    assert main(["plot", "1234567", "--archive", str(ARCHIVE), "--catalog", "bundled"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("lcfeat: error: ") and err.count("\n") == 1


def test_analyze_links_a_sheet_for_hosts_and_top_stars_when_light_curves_are_reachable(
        stored_run, tmp_path, capsys):
    url = f"sqlite:///{stored_run}"
    # a second star so that there is a comparison group
    assert main(["run", "--targets", "10001893", "--archive", str(ARCHIVE), "--db", url,
                 "--workers", "1", "--quiet"]) == 0
    labels = tmp_path / "labels.csv"
    labels.write_text("kepid,label\n11904151,host\n10001893,quiet\n")
    report = tmp_path / "report"
    assert main(["analyze", "--db", url, "--targets", str(labels), "-o", str(report),
                 "--catalog", "bundled", "--archive", str(ARCHIVE), "--sheets", "1"]) == 0
    page = (report / "index.html").read_text()
    links = re.findall(r"<a href='(sheets/[^']+)'>", page)
    assert links == ["sheets/KIC_11904151.png", "sheets/KIC_10001893.png"]
    assert all((report / link).read_bytes()[:4] == b"\x89PNG" for link in links)
    assert "quiet, #1 by transit SDE" in page
    capsys.readouterr()
    bare = tmp_path / "bare"
    assert main(["analyze", "--db", url, "--targets", str(labels), "-o", str(bare),
                 "--catalog", "bundled"]) == 0
    assert "No vetting sheets: the light curves are not reachable without --archive" in (
        bare / "index.html").read_text()
    assert not (bare / "sheets").exists()
    capsys.readouterr()
    assert main(["analyze", "--db", url, "--targets", str(labels), "-o", str(tmp_path / "c"),
                 "--catalog", "bundled", "--archive", str(tmp_path / "no-such-folder")]) == 2
    assert "neither 'mast'" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()  # found before any work
