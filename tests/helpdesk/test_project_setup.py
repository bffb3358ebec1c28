"""What a new contributor meets first: the package metadata and the README's promises."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_license_is_an_spdx_string_for_a_setuptools_that_reads_it():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"  # a table is deprecated and warns on every install
    requires = " ".join(project["build-system"]["requires"])
    minimum = re.search(r"setuptools>=(\d+)", requires)
    assert minimum and int(minimum.group(1)) >= 77, requires


def test_the_benchmark_verdicts_run_with_the_suite():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "tests/benchmarks" not in options["addopts"]
    assert (ROOT / "tests" / "benchmarks" / "test_report.py").exists()
    # The runners are not test modules: only test_*.py is collected.
    assert options["python_files"] == ["test_*.py"]


def test_readme_explains_browsers_skips_and_the_port():
    readme = (ROOT / "README.md").read_text()
    first_lines = "\n".join(readme.splitlines()[:15])
    assert "make demo" in first_lines and "make test" in first_lines
    assert "/usr/bin/chromium" in readme and "apt-get install chromium" in readme
    assert "needs PostgreSQL" in readme
    assert "make demo PORT=8080" in readme
    makefile = (ROOT / "Makefile").read_text()
    assert "PORT ?=" in makefile and "-p $(PORT)" in makefile
