"""The .qdpx zip, read as hostile: member names checked, member count and unpacked bytes capped,
nothing ever extracted to disk, external sources never opened."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ...errors import InputError
from ...readers.documents import ZIP_ERRORS

#: Most members a .qdpx may have; real projects have one per source plus project.qde.
MAX_MEMBERS = 10_000
#: Most bytes unpacked from one project (project.qde and the text sources actually read).
MAX_BYTES = 512 * 1024 * 1024


def _unsafe_name(name: str) -> bool:
    """A member name that would escape a folder it was extracted into."""
    parts = re.split(r"[\\/]", name)
    return name.startswith(("/", "\\")) or bool(re.match(r"[A-Za-z]:", name)) or ".." in parts or "\0" in name


class Archive:
    """A .qdpx whose members are read into memory after every one of them was checked."""

    def __init__(self, path: Path):
        self.label = path.name
        try:
            self._zip = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise InputError(f"{self.label}: not a zip archive; a .qdpx project is a zip holding project.qde") from None
        except OSError as exc:
            raise InputError(f"{self.label}: cannot read it: {exc.strerror or exc}") from None
        infos = self._zip.infolist()
        problems = []
        if len(infos) > MAX_MEMBERS:
            problems.append(f"{self.label}: {len(infos)} members, more than the {MAX_MEMBERS} a project may have")
        problems += [
            f"{self.label}: unsafe member name {i.filename!r} (absolute or with '..'); the archive is refused"
            for i in infos
            if _unsafe_name(i.filename)
        ]
        if problems:
            self._zip.close()
            raise InputError(problems)
        self._files: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if not info.is_dir():
                self._files.setdefault(info.filename.replace("\\", "/").casefold(), info)
        self._budget = MAX_BYTES

    @property
    def budget(self) -> int:
        """Bytes that may still be unpacked."""
        return self._budget

    def infos(self) -> list[zipfile.ZipInfo]:
        """The file members, in archive order."""
        return list(self._files.values())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._zip.close()

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """A member's bytes, counted against the cap on unpacked bytes (a zip bomb stops here)."""
        too_big = (
            f"{self.label}: {info.filename} unpacks past the limit of {MAX_BYTES} bytes per project "
            "(a zip bomb?); nothing was loaded"
        )
        if info.file_size > self._budget:
            raise InputError(too_big)
        try:
            with self._zip.open(info) as member:
                data = member.read(self._budget + 1)
        except ZIP_ERRORS as exc:  # a damaged, encrypted or unsupported member: see ZIP_ERRORS
            raise InputError(
                f"{self.label}: cannot unpack {info.filename} (damaged or unsupported zip): {exc}"
            ) from None
        if len(data) > self._budget:
            raise InputError(too_big)
        self._budget -= len(data)
        return data

    def project(self) -> tuple[zipfile.ZipInfo, str | None]:
        """The project.qde member, and a note when it had to be guessed."""
        info = self._files.get("project.qde")
        if info:
            return info, None
        roots = [i for key, i in self._files.items() if key.endswith(".qde") and "/" not in key]
        if len(roots) == 1:
            return roots[0], f"no project.qde; read {roots[0].filename} instead"
        raise InputError(f"{self.label}: no project.qde in the archive: not a REFI-QDA project")

    def source(self, path_value: str) -> tuple[zipfile.ZipInfo | None, list[str]]:
        """The member a source path names (internal only), and what was odd about the path."""
        odd = []
        scheme, sep, rest = path_value.strip().partition("://")
        if sep and scheme.casefold() != "internal":
            return None, [f"external source {path_value!r} is not read"]
        if not sep:
            rest = scheme
            odd.append(f"path {path_value!r} lacks internal://")
        name = rest.replace("\\", "/").lstrip("/")
        for candidate in (f"sources/{name}", name):
            info = self._files.get(candidate.casefold())
            if info:
                if info.filename.startswith("Sources/"):
                    odd.append("sources are in Sources/, not sources/")
                return info, odd
        return None, odd + [f"{path_value!r} is not in the archive"]

