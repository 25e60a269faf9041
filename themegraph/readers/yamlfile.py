"""YAML files that remember where each mapping started, so errors can name the line."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ..errors import InputError
from .tabular import read_text

LINE = "__line__"

#: A study's or review's id: a lower-case slug, spelled the same in every file that names it.
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class _LineLoader(yaml.SafeLoader):
    """SafeLoader (no arbitrary objects) that records each mapping's first line under LINE.

    Aliases (``*name``) are refused: study files never need them, and a few hundred bytes of
    nested aliases expand into billions of items (the "billion laughs").
    """

    def compose_node(self, parent, index):
        if self.check_event(yaml.events.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed here", mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping[LINE] = node.start_mark.line + 1
        return mapping


def read_yaml(path: Path):
    """The parsed file; malformed YAML is an InputError with file, line and column."""
    text = read_text(path)
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path.name}:{mark.line + 1}:{mark.column + 1}" if mark else path.name
        raise InputError(f"{where}: malformed YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path.name}: malformed YAML: {exc}") from None
    except RecursionError:
        raise InputError(f"{path.name}: nested too deeply to be a ThemeGraph file") from None


def entries(container, key: str, file: str, problems: list[str]) -> list[dict]:
    """``container[key]`` as a list of mappings; anything else is recorded as a problem."""
    if not isinstance(container, dict):
        problems.append(f"{file}:1: expected a mapping with the key {key!r}")
        return []
    value = container.get(key)
    if value is None:
        return []
    where = f"{file}:{line_of(container)}"
    if not isinstance(value, list):
        problems.append(f"{where}: {key} must be a list")
        return []
    good = [item for item in value if isinstance(item, dict)]
    if len(good) != len(value):
        problems.append(f"{where}: every entry of {key} must be a mapping (key: value lines)")
    return good


def scalar(value, field: str, where: str, problems: list[str]) -> str | None:
    """A text field: strings and numbers as text, missing as None, anything else a problem."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        problems.append(f"{where}: {field} must be text, got {value!r}")
        return None
    return " ".join(str(value).split()) or None


def scalars(value, field: str, where: str, problems: list[str]) -> list[str]:
    """A list of text values (a single value counts as a list of one)."""
    items = value if isinstance(value, list) else ([] if value is None else [value])
    out = [scalar(v, field, where, problems) for v in items]
    return [v for v in out if v]


def line_of(mapping, default: int = 1) -> int:
    """The line a mapping started on (1 if unknown)."""
    return mapping.get(LINE, default) if isinstance(mapping, dict) else default


def bundle_head(folder: Path, file: str, kind: str, needs: str, problems: list[str]) -> tuple[dict, str, str, str | None]:
    """The main file of a study or review bundle (``study.yaml``, ``review.yaml``): its mapping,
    where it starts, its id and its title.

    Both kinds of bundle start alike.  Without the file, a mapping in it or an id that is a slug,
    nothing else can be checked against the bundle, so these stop the reading (InputError); a
    missing title is one more problem in ``problems``, reported with the rest.
    """
    path = folder / file
    if not path.exists():
        raise InputError(f"{folder}: not a {kind} bundle (no {file})")
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError(f"{file}:1: expected a mapping with at least {needs}")
    where = f"{file}:{line_of(data)}"
    ident = scalar(data.get("id"), "id", where, problems) or ""
    if not SLUG.match(ident):
        raise InputError(f"{where}: id must be a lower-case slug such as 'my-{kind}', got {data.get('id')!r}")
    title = scalar(data.get("title"), "title", where, problems)
    if not title:
        problems.append(f"{where}: title is required")
    return data, where, ident, title
