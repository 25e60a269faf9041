"""Which entry of a reference list an in-text citation points to.

A citation gives a first surname (or a body's name), sometimes more authors, and a year as the
reader sees it; a reference list often says less than the text does.  The index bridges the gaps
found in real manuscripts:

* ``2017a`` / ``2017b`` against entries with no suffix: suffixes are assigned as APA does (7th ed.,
  8.19) and citeproc renders them: among works of the same year cited alike ("Hemon et al."), in
  order of title (a leading "A", "An" or "The" ignored); ``n.d.-a`` likewise among undated works;
* ``(n.d.)`` against an entry with no year; ``1900/1953`` against either year;
* name particles and forms: ``van Paridon`` finds ``Paridon, J. van`` and the reverse; a body's
  acronym (``WHO``) finds ``World Health Organization``;
* two group authors joined by ``&`` are one work by two bodies only when an entry lists both;
* an entry without authors is cited by its title;
* a .bib that holds a whole library (two "Elwood 2010" entries, one cited): the entry whose title
  the paper's own reference list prints.

A citation that fits several entries equally is left unmatched rather than guessed.
"""

from __future__ import annotations

import re
from collections import defaultdict

from ..graph.ids import fold
from ..readers.works import PARTICLES, WorkRecord, name_key

_SUFFIX = re.compile(r"^(\d{4}|n\.d\.)-?([a-z])$")
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_GENERATION = re.compile(r",?\s+(?:Jr|Sr|III|II)\.?$")
_JOINED_BODIES = re.compile(r"\s+(?:&|and)\s+")


def _base_years(year: str) -> set[str]:
    """"2006a" -> {"2006"}, "1912/1958" -> {"1912", "1958"}: years a reference may give."""
    return {m.group(0)[:4] for m in re.finditer(r"\d{4}", year)} or {year.lower()}


def _year_of(work: WorkRecord) -> str:
    """The work's year as cited: its own, or "n.d." when the entry has none."""
    return (work.year or "n.d.").lower()


def _title_order(work: WorkRecord) -> str:
    return _LEADING_ARTICLE.sub("", (work.title or "").strip()).lower()


def year_labels(references: list[WorkRecord]) -> dict[int, str]:
    """``{id(work): "2017a"}``: the suffix APA gives each work whose in-text citation would read
    the same as another's (same year; the same one or two authors, or the same first author with
    "et al." for three or more) and that has none in the reference list."""
    groups: dict[tuple, list[WorkRecord]] = defaultdict(list)
    for work in references:
        year = _year_of(work)
        if work.authors and not _SUFFIX.match(year) and (year[:4].isdigit() or year == "n.d."):
            families = [name_key(a.family) for a in work.authors]
            cited_as = tuple(families) if len(families) < 3 else (families[0], "et al.")
            groups[(cited_as, year[:4] if year[:4].isdigit() else year)].append(work)
    labels = {}
    for (_, year), works in groups.items():
        if len(works) > 1:
            for n, work in enumerate(sorted(works, key=_title_order)):
                labels[id(work)] = f"{year}{'-' if year == 'n.d.' else ''}{chr(ord('a') + n)}"
    return labels


def _name_forms(family: str) -> set[str]:
    """Keys a first author is looked up by: the whole name, without particles or "Jr", and a body's
    acronym."""
    forms = {name_key(family)}
    words = _GENERATION.sub("", family).split()  # "Bigger Jr" is cited as "Bigger"
    forms.add(name_key(" ".join(words)))
    bare = [w for w in words if w.lower() not in PARTICLES]
    if bare and len(bare) < len(words):
        forms.add(name_key(" ".join(bare)))
    if len(words) > 2:  # a body: "World Health Organization" -> "who"
        forms.add(name_key("".join(w[0] for w in words if w[:1].isupper())))
    return forms


class ReferenceIndex:
    """Look up the reference an in-text citation points to: first author + year (+ suffix), then
    the second author or the number of authors when that is ambiguous."""

    def __init__(self, references: list[WorkRecord], listed: str = ""):
        #: the paper's own reference list, letters only: which of several fitting entries it cites
        self.listed = _letters(listed)
        self.labels = year_labels(references)
        self.exact: dict[str, list[WorkRecord]] = defaultdict(list)
        self.loose: dict[str, list[WorkRecord]] = defaultdict(list)
        for work in references:
            if not work.authors:  # cited by its title, as citeproc does: "(ManyLanguages, n.d.)"
                if work.title:
                    self.exact[name_key(_LEADING_ARTICLE.sub("", work.title))].append(work)
                continue
            family = work.authors[0].family
            forms = _name_forms(family)
            parts = [p for p in re.split(r"[\s\-‐]+", family) if len(p) > 2]
            forms.update(name_key(part) for part in parts[1:])  # a double surname cited by its second part
            self.exact[name_key(family)].append(work)
            for form in forms - {name_key(family)}:
                self.loose[form].append(work)
        # the works each name goes by, by the year a citation may give: looked up, not scanned
        self.exact_years = {name: _Years(works, self._label) for name, works in self.exact.items()}
        self.loose_years = {name: _Years(works, self._label) for name, works in self.loose.items()}
        self.all_years = _Years([w for works in self.exact.values() for w in works if w.authors], self._label)

    def knows(self, name: str) -> bool:
        """Whether some entry's first author goes by ``name``."""
        key = name_key(name)
        return bool(self.exact.get(key) or self.loose.get(key))

    def _label(self, work: WorkRecord) -> str:
        return self.labels.get(id(work), _year_of(work))

    def match(self, authors: list[str], year: str, et_al: bool) -> tuple[str | None, list[str]]:
        """The key of the one reference that fits (or None: no fit, or an unresolved tie), and the
        authors as the citation should record them (two bodies split when an entry lists both)."""
        key = self._match(authors, year, et_al)
        if key is None and len(authors) == 1 and _JOINED_BODIES.search(authors[0]):
            bodies = _JOINED_BODIES.split(authors[0])
            key = self._match(bodies, year, et_al)
            if key is not None:
                return key, bodies
        return key, authors

    def _match(self, authors: list[str], year: str, et_al: bool) -> str | None:
        first = name_key(authors[0])
        namesakes = self.exact_years.get(first) or self.loose_years.get(first)
        same = namesakes.fitting(year) if namesakes else []
        if len(same) > 1 and len(authors) > 1:
            second = name_key(authors[1])
            narrowed = [w for w in same if len(w.authors) > 1 and second in _name_forms(w.authors[1].family)]
            same = narrowed or same
        if len(same) > 1:
            wanted = (lambda n: n >= 3) if et_al else (lambda n: n == len(authors))
            same = [w for w in same if wanted(len(w.authors))] or same
        if len(same) > 1 and self.listed:  # a .bib of a whole library: the paper lists only what it cites
            same = [w for w in same if w.title and _letters(w.title)[:60] in self.listed] or same
        if len(same) == 1:
            return same[0].key
        return self._misspelt(authors[0], year) if not namesakes else None

    def _misspelt(self, name: str, year: str) -> str | None:
        """The one work of that year whose first author is the cited name misspelt ("Beckhy" for
        Bechky, "Bucheanau" for Buchenau) or whose other author is the one cited ("Spradley (1980)"
        for Tannenbaum & Spradley, 1980): writers' slips that no entry's first author explains."""
        key = name_key(name)
        if len(key) < 5:
            return None
        fits = {w.key: w for w in self.all_years.each_fitting(year)
                if _close(key, name_key(w.authors[0].family)) or any(name_key(a.family) == key for a in w.authors[1:])}
        return next(iter(fits)) if len(fits) == 1 else None


class _Years:
    """Works (of one name, or all of them) by the year a citation may give: their own year, the
    suffix APA gives them ("2017a"), and the four-digit years in theirs ("1900/1953").

    A citation's year is then looked up instead of compared with every namesake's: before, each
    citation scanned every work whose first author has its surname, which a reference list where
    one surname is common paid as citations x namesakes.
    """

    def __init__(self, works: list[WorkRecord], label):
        self.works = works
        self.cited: dict[str, list[int]] = defaultdict(list)  # positions, ascending
        self.base: dict[str, list[int]] = defaultdict(list)
        self.labelled: set[int] = set()
        for i, work in enumerate(works):
            own, cited = _year_of(work), label(work)
            self.cited[own].append(i)
            if cited != own:
                self.cited[cited].append(i)
                self.labelled.add(i)
            for year in _base_years(own):
                self.base[year].append(i)

    def fitting(self, year: str) -> list[WorkRecord]:
        """The works a citation's year points to, in list order: those cited by exactly that
        year; else, unless it asks for a suffix the list gives other works ("2017c" among 2017a
        and 2017b: no guess), those sharing a four-digit year with it."""
        year = year.lower()
        same = self.cited.get(year)
        if same:
            return [self.works[i] for i in same]
        if _SUFFIX.match(year) and self.labelled:
            return []
        return [self.works[i] for i in self._sharing(year)]

    def each_fitting(self, year: str) -> list[WorkRecord]:
        """The works the year points to, each judged on its own (as :meth:`fitting` of a list of
        one would)."""
        year = year.lower()
        suffixed = _SUFFIX.match(year)
        at = set(self.cited.get(year, ())) | {i for i in self._sharing(year) if not (suffixed and i in self.labelled)}
        return [self.works[i] for i in sorted(at)]

    def _sharing(self, year: str) -> list[int]:
        """Positions of the works whose own year shares a four-digit year with ``year``."""
        return sorted({i for y in _base_years(year) for i in self.base.get(y, ())})


def _letters(text: str) -> str:
    """Letters only, folded: how a title is found in a reference list however it was typeset."""
    return "".join(c for c in fold(text) if c.isalpha())


def _close(a: str, b: str) -> bool:
    """Two surnames one or two edits apart (insertions, deletions, substitutions, swaps)."""
    if abs(len(a) - len(b)) > 2 or min(len(a), len(b)) < 5:
        return False
    previous2, previous = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
            if previous2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            row.append(cost)
        previous2, previous = previous, row
    return previous[-1] <= 2
