"""The layering in pyproject.toml's import-linter contracts holds, and a new upward
import breaks it: the check runs on a copy of the packages, with one import planted."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "endpoints",
    "routes",
    "components",
    "observability",
    "config",
    "payments",
    "infra",
    "bench",
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def lint_imports(project: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    """``contracts``: the ids of those to check; none: all."""
    selected = [option for contract in contracts for option in ("--contract", contract)]
    # The copy comes first on the path, before the installed (editable) project.
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache", *selected],
        cwd=project,
        env={"PYTHONPATH": str(project), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def plant(module: Path, line: str) -> None:
    module.write_text(f"{line}  # planted\n{module.read_text()}")


def test_the_layers_are_kept(project: Path) -> None:
    result = lint_imports(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "planted", "contract"),
    [
        # An upward import from the engine's contract.
        ("endpoints/exchange.py", "routes.engine", "layers"),
        # A transport the lifecycle would reach indirectly, through the model it imports.
        ("payments/domain/model.py", "components.http.codec", "transport-free"),
        # A database in the lifecycle.
        ("payments/lifecycle/execution.py", "pymongo", "transport-free"),
        # The domain reaching up into a store, and the lifecycle into the service.
        ("payments/domain/store.py", "payments.stores.sqlite", "payments"),
        ("payments/lifecycle/execution.py", "payments.service.metrics", "payments"),
    ],
)
def test_a_planted_import_breaks_its_contract_naming_it(
    project: Path, module: str, planted: str, contract: str
) -> None:
    plant(project / module, f"import {planted}")
    result = lint_imports(project, contract)
    assert result.returncode == 1
    assert "1 broken" in result.stdout
    importer = module.removesuffix(".py").replace("/", ".")
    assert f"{importer} -> {planted}" in result.stdout
