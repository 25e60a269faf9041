"""GUIDs and node ids: what a REFI-QDA id is, the GUIDs ThemeGraph makes, and distinct,
deterministic node ids for things that share a name."""

from __future__ import annotations

import hashlib
import re
import sys
import uuid
from collections import defaultdict
from collections.abc import Sequence

from ...graph.ids import fold, scoped, slug

_HEX = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_GUID = re.compile(rf"{_HEX}|\{{{_HEX}\}}")
#: uuid5 namespace of the GUIDs ThemeGraph makes from node ids (fixed: exports are reproducible).
GUID_NAMESPACE = uuid.UUID("6c0d3b9e-2f4a-5e71-8b3c-9d2a4f6e8b10")
_LEVELS = {1: "final", 2: "emerging"}


def is_guid(value: str | None) -> bool:
    """Whether ``value`` is a GUID as the REFI-QDA schema spells one (optionally in braces)."""
    return bool(value) and bool(_GUID.fullmatch(value))


def guid_for(key: str) -> str:
    """The deterministic GUID ThemeGraph gives a node id (or any other stable key)."""
    return str(uuid.uuid5(GUID_NAMESPACE, key))


def theme_level(depth: int) -> str:
    """Theme level name of a depth in a code tree: 1 final, 2 emerging, then level-3 ..."""
    return _LEVELS.get(depth, f"level-{depth}")


def unique_ids(study: str, kind: str, items: Sequence[Sequence[str]]) -> list[str]:
    """Ids for ``items`` (each a sequence of names, plainest first), distinct and deterministic.

    An item whose plain name is unique gets ``scoped(study, kind, name)``.  Items whose plain
    names collide all move to the first more specific name (a parent path, a content hash) that
    tells them apart; items that nothing tells apart are numbered in document order.
    """
    groups: dict[str, list[int]] = defaultdict(list)
    for i, names in enumerate(items):
        groups[scoped(study, kind, names[0])].append(i)
    out: list[str] = [""] * len(items)
    taken = set()
    for id_, members in groups.items():
        if len(members) == 1:
            out[members[0]] = id_
            taken.add(id_)
    #: base id -> the next number to try: ids are only ever added to ``taken``, so every number
    #: below it is still in use (counting up from 2 for each of n same-named items was O(n^2) tries)
    next_number: dict[str, int] = {}
    for members in (m for m in groups.values() if len(m) > 1):
        chosen = _first_telling_level(study, kind, items, members, taken)
        if chosen is None:
            chosen = []
            for i in members:
                base = scoped(study, kind, items[i][-1])
                n = next_number.get(base, 1)
                candidate = base if n == 1 else f"{base}-{n}"
                while candidate in taken:
                    n += 1
                    candidate = f"{base}-{n}"
                next_number[base] = n + 1
                taken.add(candidate)
                chosen.append(candidate)
        for i, id_ in zip(members, chosen):
            out[i] = id_
            taken.add(id_)
    return out


def _first_telling_level(study: str, kind: str, items: Sequence[Sequence[str]], members: list[int],
                         taken: set[str]) -> list[str] | None:
    """The ids of ``members`` at the first level (name index) where they all differ and are free.

    An item whose names run out keeps its last name at every later level, so once two such items
    share an id, or one has a taken id, no later level can tell them apart and the search stops
    (as it does at once for items whose names are all the same).  Without these stops a chain of
    n same-named codes tried all n levels for n codes.
    """
    same = {items[i].key if isinstance(items[i], PathNames) else tuple(items[i]) for i in members}
    if len(same) < len(members):
        return None
    depth = max(len(items[i]) for i in members)
    for level in range(1, depth):
        ids, settled = [], set()
        for i in members:
            last = len(items[i]) - 1
            id_ = scoped(study, kind, items[i][min(level, last)])
            if level >= last:
                if id_ in settled or id_ in taken:
                    return None
                settled.add(id_)
            ids.append(id_)
        if len(set(ids)) == len(ids) and not taken.intersection(ids):
            return ids
    return None


#: How much of a path's slug is kept while building it: one character more than ``slug`` keeps
#: (its ``max_len``), which is all the id can depend on.
_SLUG_HEAD = slug.__defaults__[0] + 1
_ASCII_ALNUM = re.compile(r"[a-z0-9]")


def _slug_part(name: str) -> str:
    """What ``name`` adds to the slug of a text it is part of: its uncut slug, or "" (not the
    "x" slug falls back to) when it has no letter or digit a slug keeps."""
    return slug(name, max_len=sys.maxsize) if _ASCII_ALNUM.search(fold(name)) else ""


def _join_slugs(front: str, back: str) -> str:
    return (f"{front}-{back}" if front and back else front or back)[:_SLUG_HEAD]


class PathNames(Sequence[str]):
    """The names :func:`unique_ids` tries for a code at ``depth`` in the tree: ``name``, then
    ``"parent name"``, ``"grandparent parent name"`` ... up to its whole path, built on demand.

    A slug maps the spaces joining names to "-" like any other run of non-letters, so the slug of
    ``" ".join(names)`` is the names' non-empty slugs joined by "-" and cut to 80 characters.  Each
    name is therefore given as that join, cut to the :data:`_SLUG_HEAD` characters its id depends
    on: it has the id the joined text had, and the next is the next ancestor's slug put in front of
    it.  A code n levels deep so costs O(1) per name tried, not O(n) (joining and slugging every
    suffix of every path made a chain of n codes O(n^3): 800 codes took ~50 s).  ``key`` is the
    same for codes with the same path, which no name can tell apart.
    """

    def __init__(self, name: str, parent: PathNames | None, keys: dict):
        self.parent = parent
        self.depth = parent.depth + 1 if parent else 1
        self.key = keys.setdefault((parent.key if parent else None, name), len(keys))
        self.part = _slug_part(name)
        self.whole = _join_slugs(parent.whole, self.part) if parent else self.part
        self._names, self._above = [self.part], parent

    def __len__(self) -> int:
        return self.depth

    def __getitem__(self, k: int) -> str:  # type: ignore[override]
        if k < 0:
            k += self.depth
        if not 0 <= k < self.depth:
            raise IndexError(k)
        if k == self.depth - 1:
            return self.whole
        while len(self._names) <= k:
            self._names.append(_join_slugs(self._above.part, self._names[-1]))
            self._above = self._above.parent
        return self._names[k]


def short_hash(text: str | None) -> str:
    return hashlib.sha1((text or "").encode()).hexdigest()[:8]
