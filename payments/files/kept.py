"""The folder where an accepted pain.001 is kept, as it was received, until each of its
transfers is an order or refused: what a restart finishes a split from
(``PAYMENT_FILES_DIR``). One file per payment file, named by its id."""

from __future__ import annotations

import shutil
from pathlib import Path

_SUFFIX = ".xml"


class KeptFiles:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_of(self, file_id: str) -> Path:
        return self.folder / f"{file_id}{_SUFFIX}"

    def keep(self, received: Path, file_id: str) -> None:
        """Move the received bytes here (a copy first where the folder is on another
        disk, then a rename: a file here is always whole)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.folder / f".{file_id}.part"
        shutil.move(received, partial)
        partial.replace(self.path_of(file_id))

    def ids(self) -> list[str]:
        """The files kept, oldest first."""
        if not self.folder.is_dir():
            return []
        kept = sorted(self.folder.glob(f"*{_SUFFIX}"), key=lambda path: path.stat().st_mtime)
        return [path.name.removesuffix(_SUFFIX) for path in kept]

    def drop(self, file_id: str) -> None:
        self.path_of(file_id).unlink(missing_ok=True)
