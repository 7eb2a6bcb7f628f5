"""Run the test suite on every CPython that pyproject.toml claims.

The claimed versions are the ``Programming Language :: Python :: 3.X``
classifiers. Each is looked for in pyenv's versions folder and on PATH, checked
by running it, and given a venv of its own (``.venv-pyX.Y``) with the package
and its ``test`` extra. The suite runs there without the browser, benchmark
and packaging tests (the main run has them). One summary line is printed per
version; ``make test-pythons`` fails if any version fails or is absent: a claim
that nothing tested is not a claim to make.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLASSIFIER = re.compile(r'"Programming Language :: Python :: (3\.\d+)"')
PYTEST = [
    "-m",
    "pytest",
    "-q",
    "-p",
    "no:cacheprovider",
    "-m",
    "not browser and not bench and not package",
    # Coverage is measured by the main run; here it would only slow things.
    "--no-cov",
]


def claimed() -> list[str]:
    return CLASSIFIER.findall((ROOT / "pyproject.toml").read_text())


def find(version: str) -> Path | None:
    """An interpreter that really is CPython *version*, or ``None``."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = sorted(pyenv.glob(f"{version}.*/bin/python{version}"), reverse=True)
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        try:
            found = subprocess.run(
                [
                    str(candidate),
                    "-c",
                    "import sys; print('%d.%d' % sys.version_info[:2])",
                ],
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout.strip()
        except OSError:
            continue
        if found == version:
            return candidate
    return None


def venv(version: str, python: Path) -> Path:
    folder = ROOT / f".venv-py{version}"
    bin_python = folder / "bin" / "python"
    stamp = folder / ".installed-test"
    pyproject = ROOT / "pyproject.toml"
    if not bin_python.exists():
        subprocess.run([str(python), "-m", "venv", str(folder)], check=True)
    if not stamp.exists() or stamp.stat().st_mtime < pyproject.stat().st_mtime:
        subprocess.run(
            [str(bin_python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
            check=True,
        )
        subprocess.run(
            [
                str(bin_python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--editable",
                ".[test]",
            ],
            check=True,
            cwd=ROOT,
        )
        stamp.touch()
    return bin_python


def run(version: str) -> tuple[bool, str]:
    python = find(version)
    if python is None:
        return False, "absent: not in pyenv's versions folder nor on PATH"
    bin_python = venv(version, python)
    started = time.monotonic()
    result = subprocess.run(
        [str(bin_python), *PYTEST], cwd=ROOT, capture_output=True, text=True
    )
    lines = result.stdout.strip().splitlines()
    summary = lines[-1].strip("= ") if lines else "no output"
    if result.returncode != 0:
        print(result.stdout[-20_000:], result.stderr[-5_000:], sep="\n")
    seconds = time.monotonic() - started
    return result.returncode == 0, f"{summary} ({python}, {seconds:.0f} s)"


def main() -> int:
    versions = claimed()
    if not versions:
        print("pyproject.toml claims no Python 3.X version")
        return 1
    outcomes = {version: run(version) for version in versions}
    print()
    for version, (passed, summary) in outcomes.items():
        print(f"Python {version}: {'ok  ' if passed else 'FAIL'} {summary}")
    return 0 if all(passed for passed, _ in outcomes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
