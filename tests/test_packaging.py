"""What a release is made of: the wheel the README builds, and the sdist.

Both are built once for this module (a few seconds), without network access
beyond the package index that pip already uses.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from packaging.version import Version

import aiohttp_middlewares

from .helpers import ROOT, package_imported_from

pytestmark = pytest.mark.package


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built as the README says, and the sdist, in one folder."""
    folder = tmp_path_factory.mktemp("dist")
    # The README's command: pip wheel --no-deps --wheel-dir dist <checkout>
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--wheel-dir",
            folder,
            ROOT,
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", folder, ROOT],
        check=True,
        capture_output=True,
    )
    return folder


def built(dist: Path, pattern: str) -> Path:
    (path,) = dist.glob(pattern)
    return path


def test_wheel_version_sorts_above_the_published_3_0_0(dist: Path) -> None:
    wheel = built(dist, "*.whl")
    version = wheel.name.split("-")[1]
    assert version == aiohttp_middlewares.__version__
    assert Version(version) > Version("3.0.0")


def test_status_classifier_matches_the_version(dist: Path) -> None:
    with zipfile.ZipFile(built(dist, "*.whl")) as wheel:
        (metadata,) = (n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        text = wheel.read(metadata).decode()
    version = Version(aiohttp_middlewares.__version__)
    if version.is_devrelease:
        expected = "Development Status :: 2 - Pre-Alpha"
    elif version.pre is not None:
        expected = "Development Status :: 4 - Beta"
    else:
        expected = "Development Status :: 5 - Production/Stable"
    statuses = [line for line in text.splitlines() if "Development Status" in line]
    assert statuses == [f"Classifier: {expected}"]


def test_wheel_ships_py_typed_and_no_tests(dist: Path) -> None:
    with zipfile.ZipFile(built(dist, "*.whl")) as wheel:
        names = wheel.namelist()
    assert "aiohttp_middlewares/py.typed" in names
    assert not [name for name in names if name.startswith(("tests/", "benchmarks/"))]


def test_twine_check_passes_on_wheel_and_sdist(dist: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.iterdir())],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2


def test_unpacked_sdist_passes_its_own_tests(dist: Path, tmp_path: Path) -> None:
    with tarfile.open(built(dist, "*.tar.gz")) as sdist:
        sdist.extractall(tmp_path, filter="data")
    (unpacked,) = tmp_path.iterdir()
    # The sdist's own package, not this checkout's, must be the one tested.
    assert package_imported_from(unpacked, unpacked).is_relative_to(unpacked)
    env = {**os.environ, "PYTHONPATH": str(unpacked), "CI": ""}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--no-cov",
            # Browsers, nginx and the benchmarks are the main run's; this very
            # test must not run itself again inside.
            "-m",
            "not browser and not nginx and not bench and not package",
        ],
        cwd=unpacked,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    assert " passed" in done.stdout.splitlines()[-1]
