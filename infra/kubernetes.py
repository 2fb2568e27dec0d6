"""The tools that check the Kubernetes manifests: kustomize renders ``deploy/k8s``'s
overlays, kubeconform validates what it renders against the API's JSON schemas.

Both are built from the Go module proxy. kubeconform fetches its schemas from a
site this project cannot reach, so they come from PyPI instead: the package
``kubernetes-validate`` ships them per Kubernetes version, each kind's schema
pointing into one shared ``_definitions.json`` by an absolute URL. Installing
rewrites those pointers to the local file, in the folder layout kubeconform reads.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from infra.server import InfraError, run_logged

KUSTOMIZE_VERSION = "v5.8.1"
KUBECONFORM_VERSION = "v0.7.0"
KUBERNETES_VERSION = "1.34.0"
SCHEMAS_PACKAGE = "kubernetes-validate==1.37.0"

_KUSTOMIZE_PACKAGE = f"sigs.k8s.io/kustomize/kustomize/v5@{KUSTOMIZE_VERSION}"
_KUBECONFORM_PACKAGE = f"github.com/yannh/kubeconform/cmd/kubeconform@{KUBECONFORM_VERSION}"
_DEFINITIONS = "_definitions.json"
_DEFINITIONS_URL = "/api/_definitions.json"


class KubernetesTools:
    """kustomize, kubeconform and the schemas of ``KUBERNETES_VERSION`` in ``cache_dir``."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self.kustomize = cache_dir / f"kustomize-{KUSTOMIZE_VERSION}" / "kustomize"
        self.kubeconform = cache_dir / f"kubeconform-{KUBECONFORM_VERSION}" / "kubeconform"
        self.schemas = cache_dir / f"kubernetes-schemas-v{KUBERNETES_VERSION}"

    def version(self) -> str:
        return (
            f"kustomize {KUSTOMIZE_VERSION}, kubeconform {KUBECONFORM_VERSION}, "
            f"Kubernetes {KUBERNETES_VERSION} schemas from {SCHEMAS_PACKAGE}"
        )

    def installed(self) -> bool:
        return (
            self.kustomize.exists()
            and self.kubeconform.exists()
            and (self.schemas / ".complete").exists()
        )

    def install(self) -> None:
        if shutil.which("go") is None:
            raise InfraError("kustomize and kubeconform need Go (`go`) on PATH to build them")
        for binary, package in (
            (self.kustomize, _KUSTOMIZE_PACKAGE),
            (self.kubeconform, _KUBECONFORM_PACKAGE),
        ):
            if not binary.exists():
                run_logged(
                    ["go", "install", package],
                    binary.parent / "install.log",
                    f"building {package}",
                    env={**os.environ, "GOBIN": str(binary.parent), "CGO_ENABLED": "0"},
                )
        if not (self.schemas / ".complete").exists():
            self._install_schemas()

    def _install_schemas(self) -> None:
        with tempfile.TemporaryDirectory(prefix="k8s-schemas-") as download:
            run_logged(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "--only-binary=:all:",
                    "--quiet",
                    "--dest",
                    download,
                    SCHEMAS_PACKAGE,
                ],
                self.cache_dir / "kubernetes-schemas-install.log",
                f"downloading {SCHEMAS_PACKAGE} from PyPI",
            )
            (wheel,) = Path(download).glob("*.whl")
            prefix = (
                f"kubernetes_validate/kubernetes-json-schema/v{KUBERNETES_VERSION}-local-strict/"
            )
            shutil.rmtree(self.schemas, ignore_errors=True)
            self.schemas.mkdir(parents=True)
            with zipfile.ZipFile(wheel) as archive:
                names = [name for name in archive.namelist() if name.startswith(prefix)]
                if not names:
                    raise InfraError(f"{wheel.name} has no schemas for {KUBERNETES_VERSION}")
                for name in names:
                    schema = json.loads(archive.read(name))
                    target = self.schemas / name.removeprefix(prefix)
                    target.write_text(json.dumps(_localised(schema)))
        (self.schemas / ".complete").touch()

    def render(self, overlay: Path) -> str:
        """The objects ``overlay`` makes, as one multi-document YAML text."""
        return self._run([str(self.kustomize), "build", str(overlay)], f"kustomize build {overlay}")

    def validate(self, manifests: str) -> str:
        """Check every object against its kind's schema, strictly (no unknown field, no
        kind without a schema); answer kubeconform's summary."""
        return self._run(
            [
                str(self.kubeconform),
                "-strict",
                "-summary",
                "-schema-location",
                str(self.schemas / "{{ .ResourceKind }}{{ .KindSuffix }}.json"),
                "-",
            ],
            "kubeconform",
            manifests,
        )

    def _run(self, cmd: list[str], what: str, stdin: str | None = None) -> str:
        if not self.installed():
            raise InfraError(f"{self.version()} not installed: run `python -m infra install-k8s`")
        result = subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise InfraError(
                f"{what} failed (exit {result.returncode}):\n{result.stdout}{result.stderr}"
            )
        return result.stdout


def _localised(node: Any) -> Any:
    """A schema (or part of one) whose references to the shared definitions point at
    the file beside it, its remote ``$id`` dropped: no reference leaves the folder."""
    if isinstance(node, dict):
        return {
            key: (_DEFINITIONS + value.removeprefix(_DEFINITIONS_URL))
            if key == "$ref" and isinstance(value, str) and value.startswith(_DEFINITIONS_URL)
            else _localised(value)
            for key, value in node.items()
            if key != "$id"
        }
    if isinstance(node, list):
        return [_localised(item) for item in node]
    return node
