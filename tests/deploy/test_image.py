"""The one image of every service (``Dockerfile``) holds the code they import and runs
as the numeric non-root user the Kubernetes manifests ask for."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_LOCAL_PACKAGES = """
import sys
from pathlib import Path
import app
root = Path.cwd()
for name, module in list(sys.modules.items()):
    file = getattr(module, "__file__", None)
    if file and "." not in name and Path(file).resolve().parent in (root, root / name):
        print(name)
"""


def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def test_the_image_copies_every_local_package_the_entry_point_imports() -> None:
    imported = subprocess.run(
        [sys.executable, "-c", _LOCAL_PACKAGES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    copied = set(re.findall(r"^COPY (\S+) \./\1$", _dockerfile(), re.MULTILINE))
    assert {"app", "payments", "observability"} <= set(imported)
    assert set(imported) - {"app"} <= copied
    assert "COPY app.py ./" in _dockerfile()


def test_the_image_runs_as_the_user_of_the_manifests() -> None:
    (user,) = re.findall(r"^USER (\S+)$", _dockerfile(), re.MULTILINE)
    assert user == "10001:10001"
    hardening = (ROOT / "deploy" / "k8s" / "base" / "hardening.yaml").read_text()
    assert "runAsUser: 10001" in hardening
    assert "runAsGroup: 10001" in hardening
