"""YAML files that remember where each mapping started, so errors can name the line."""

from __future__ import annotations

from pathlib import Path

import yaml

from ..errors import InputError
from .tabular import read_text

LINE = "__line__"


class _LineLoader(yaml.SafeLoader):
    """SafeLoader (no arbitrary objects) that records each mapping's first line under LINE."""

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


def line_of(mapping, default: int = 1) -> int:
    """The line a mapping started on (1 if unknown)."""
    return mapping.get(LINE, default) if isinstance(mapping, dict) else default


def clean(value):
    """The value without the line markers (for storing)."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if k != LINE}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value
