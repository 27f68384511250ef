"""What the package declares about itself: licence, build requirements, changelog."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_license_is_an_spdx_expression_with_its_file() -> None:
    """A `license = {text = ...}` table makes setuptools print ~40 lines of deprecation
    warnings in every install; PEP 639's string and `license-files` do not."""
    project = _pyproject()["project"]
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert not any(c.startswith("License ::") for c in project.get("classifiers", []))


def test_the_build_backend_understands_the_license_expression() -> None:
    [setuptools] = [r for r in _pyproject()["build-system"]["requires"] if "setuptools" in r]
    found = re.fullmatch(r"setuptools>=(\d+)(\.\d+)*", setuptools)
    assert found and int(found.group(1)) >= 77, setuptools


def test_the_changelog_has_an_unreleased_section_and_the_readme_says_how_to_release() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog\n")
    assert "\n## Unreleased\n" in changelog
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "\n## Releases\n" in readme
    assert "git tag -a v" in readme and "CHANGELOG.md" in readme
