"""`lcfeat` starts light: building the parser loads no analysis stack, and a one-quarter
`lcfeat extract` loads only what extraction needs (no lightkurve, statsmodels, pandas,
database driver or plotting). Checked in fresh processes; speed itself is in bench/."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lcfeat.cli import COMMANDS
from tests.conftest import REPO, quarter_files

HEAVY_FOR_HELP = ("numba", "scipy", "pandas", "sqlalchemy", "matplotlib", "lightkurve",
                  "statsmodels", "sklearn", "pyarrow", "httpx", "dask", "wotan",
                  "lcfeat.features.registry")
HEAVY_FOR_EXTRACT = ("lightkurve", "statsmodels", "pandas", "sqlalchemy", "matplotlib",
                     "sklearn", "pyarrow", "dask", "httpx", "wotan", "scipy.signal",
                     "scipy.optimize", "scipy.stats")


def _modules_after(argv: list[str]) -> tuple[int, set[str], str]:
    """Exit code, loaded modules and stdout of `lcfeat ARGV` in a fresh interpreter."""
    code = (
        "import json, sys\n"
        "from lcfeat.cli import main\n"
        "try:\n"
        f"    status = main({argv!r})\n"
        "except SystemExit as exc:\n"
        "    status = exc.code\n"
        "print(json.dumps({'status': status, 'modules': sorted(sys.modules)}), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=300)
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["status"], set(report["modules"]), done.stdout


def _command_names() -> list[str]:
    import argparse

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    for command in COMMANDS:
        command.register(sub)
    return sorted(sub.choices)


@pytest.mark.parametrize("argv", [["--help"], *[[name, "--help"] for name in _command_names()]])
def test_help_loads_no_analysis_stack(argv):
    status, modules, out = _modules_after(argv)
    assert status == 0 and "usage: lcfeat" in out
    assert not {m for m in modules if m.split(".")[0] in HEAVY_FOR_HELP or m in HEAVY_FOR_HELP}


def test_one_quarter_extract_loads_only_what_extraction_needs():
    status, modules, out = _modules_after(["extract", str(quarter_files(11904151)[0])])
    assert status == 0
    assert 0.83 < json.loads(out)["transit_bls_period"] < 0.84  # Kepler-10 b
    assert not {m for m in modules
                if any(m == heavy or m.startswith(heavy + ".") for heavy in HEAVY_FOR_EXTRACT)}
