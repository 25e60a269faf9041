"""The node and relation kinds of a ThemeGraph knowledge base, declared once.

Everything that depends on the shape of the graph is generated from the declarations in this
module: the Ladybug DDL, the Neo4j constraints and indexes, the bulk write statements and the
column order of the DataFrames that are COPYed into Ladybug.  Labels and relation types that
reach Cypher come only from here, never from user input.

Every node has a stable string ``id`` (deterministic from its content, scoped by study where it
belongs to one), a display ``name``, and provenance: ``sources`` (the named sources that
contributed it), ``origin`` (file and line or record it came from) and ``loaded_at``.
Every relation records ``sources``, ``origin`` and ``loaded_at`` likewise, and ``fact``: what makes
it one fact, so the same fact from several sources is stored once (docs/identity.md).  Nodes and relations
also carry ``kind`` (their label or type) so that named queries stay portable across stores.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Property types, in Ladybug's spelling.  Neo4j is schemaless; these also drive value coercion.
STRING = "STRING"
INT = "INT64"
FLOAT = "DOUBLE"
BOOL = "BOOLEAN"
STRINGS = "STRING[]"


@dataclass(frozen=True)
class Prop:
    """One property of a node or relation kind."""

    name: str
    type: str = STRING
    doc: str = ""


@dataclass(frozen=True)
class NodeKind:
    """A node label with its properties (``id`` and provenance are added to every kind)."""

    name: str
    doc: str
    props: tuple[Prop, ...] = ()
    #: properties that get a Neo4j index (``id`` always has a uniqueness constraint)
    indexed: tuple[str, ...] = ("name",)
    #: properties whose disagreement between two sources is a conflict to report (None: the name
    #: and every own property).  Others are bookkeeping (a citation key, a display form): the
    #: earlier value stays without a word.  See docs/identity.md.
    compared: tuple[str, ...] | None = None

    @property
    def columns(self) -> tuple[Prop, ...]:
        """All properties in storage order: id, name, kind, own properties, provenance."""
        return (Prop("id"), Prop("name"), KIND, *self.props, *NODE_PROVENANCE)

    @property
    def conflicting(self) -> tuple[str, ...]:
        """The properties compared between sources (see ``compared``)."""
        if self.compared is not None:
            return self.compared
        return ("name", *(p.name for p in self.props))


@dataclass(frozen=True)
class RelKind:
    """A relation type with the (from, to) node kinds it may join and its properties."""

    name: str
    doc: str
    pairs: tuple[tuple[str, str], ...]
    props: tuple[Prop, ...] = ()
    #: joins many nodes to one (every node of a study to its Study): a path through it says
    #: nothing, so the ``path`` query does not follow it
    hub: bool = False
    #: properties that, with the two endpoints, make a relation one fact: two sources asserting
    #: the same fact share one relation (see docs/identity.md); () = the endpoints alone
    identity: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[Prop, ...]:
        """All properties in storage order: kind, own properties, then provenance."""
        return (KIND, *self.props, *REL_PROVENANCE)

    @property
    def from_kinds(self) -> tuple[str, ...]:
        """The node kinds it may start from.  Counting ``(:K)-[r]->()`` over these, rather than
        ``()-[r]->()``, leaves out a Neo4j load still being staged (its nodes have no kind yet)."""
        return tuple(sorted({a for a, _ in self.pairs}))


#: The node label or relation type, also stored as a property: Ladybug spells the function that
#: reads it ``label()`` and Neo4j ``labels()``/``type()``, so portable queries read ``x.kind``.
KIND = Prop("kind", STRING, "the node's label or the relation's type (for portable queries)")

NODE_PROVENANCE = (
    Prop("sources", STRINGS, "named sources (loads) that contributed this node"),
    Prop("origin", STRING, "file and line or record it was last read from"),
    Prop("loaded_at", STRING, "UTC time of the load that last changed it (ISO 8601)"),
)
REL_PROVENANCE = (
    Prop("sources", STRINGS, "named sources (loads) that assert this relation"),
    Prop("fact", STRING, "its identity values (see RelKind.identity), so a repeated fact is found"),
    Prop("origin", STRING, "file and line or record it was read from"),
    Prop("loaded_at", STRING, "UTC time of the load that wrote it (ISO 8601)"),
)

STUDY_SCOPED = Prop("study", STRING, "id of the study this node belongs to")
#: What a CAQDAS tool records of who made a thing and when (REFI-QDA creatingUser ...): kept so
#: that exporting an imported project gives it back (docs/refi-qda.md).
TOOL_GUID = Prop("guid", STRING, "the GUID a CAQDAS tool gave it (REFI-QDA), kept for export")
AUTHORSHIP = (
    Prop("created_by", STRING, "GUID of the user who created it in a CAQDAS tool"),
    Prop("created", STRING, "when it was created (ISO 8601)"),
    Prop("modified_by", STRING, "GUID of the user who last changed it"),
    Prop("modified", STRING, "when it was last changed (ISO 8601)"),
)
_CODE_TOOL_PROPS = (
    TOOL_GUID,
    Prop("codable", BOOL, "false for a code the tool only uses to group others (REFI-QDA isCodable)"),
    Prop("rank", INT, "place among its siblings in the tool's code tree"),
)
REVIEW_SCOPED = Prop("review", STRING, "id of the review this node belongs to")

NODES: tuple[NodeKind, ...] = (
    NodeKind(
        "Study",
        "A qualitative study (usually one paper).",
        (
            Prop("title"),
            Prop("authors", STRINGS),
            Prop("year", INT),
            Prop("design"),
            Prop("method"),
            Prop("research_question"),
            Prop("setting"),
            Prop("participants_summary"),
            Prop("keywords", STRINGS),
        ),
    ),
    NodeKind(
        "Participant",
        "A participant of a study; attributes are kept as a JSON object.",
        (STUDY_SCOPED, Prop("attributes", STRING, "JSON object of participant attributes"), TOOL_GUID),
    ),
    NodeKind(
        "Code",
        "An initial code of a thematic analysis.",
        (STUDY_SCOPED, Prop("description"), Prop("colour"), *_CODE_TOOL_PROPS),
    ),
    NodeKind(
        "Theme",
        "A theme: 'final' themes group 'emerging' themes, which group codes.",
        (
            STUDY_SCOPED,
            Prop("level", STRING, "final, emerging, or a deeper level name"),
            Prop("description"),
            Prop("title_quote"),
            Prop("colour"),
            *_CODE_TOOL_PROPS,
        ),
        indexed=("name", "level"),
    ),
    NodeKind(
        "Extract",
        "A verbatim extract (quote) from the data.",
        (
            STUDY_SCOPED,
            Prop("text"),
            Prop("section"),
            Prop("page"),
            Prop("char_start", INT, "character offset in its source document, if known"),
            Prop("char_end", INT),
        ),
    ),
    NodeKind(
        "Work",
        "A cited work (article, book, chapter ...).",
        (
            Prop("title"),
            Prop("year", STRING, "as cited: '1979', '2006a', 'n.d.', 'in press'"),
            Prop("authors", STRINGS, "display names, in order"),
            Prop("venue"),
            Prop("doi"),
            Prop("type"),
            Prop("key", STRING, "citation key in the reference file"),
            Prop("note"),
            Prop("unmatched", BOOL, "created from an in-text citation with no reference entry"),
        ),
        indexed=("name", "doi", "key"),
        compared=("title", "year", "doi"),
    ),
    NodeKind(
        "Author",
        "An author of works (a person or a corporate body).",
        (Prop("family"), Prop("given")),
        compared=(),  # the id is the normalised name: spellings of it are display forms
    ),
    NodeKind("Theory", "A theory or model that findings bear on.", (Prop("description"),)),
    NodeKind("Construct", "A construct (component) of a theory.", (Prop("theory"), Prop("description"))),
    NodeKind(
        "Finding",
        "A finding of a study, from its Discussion or Implications.",
        (STUDY_SCOPED, Prop("statement"), Prop("section"), Prop("status", STRING, "confirmed or unconfirmed")),
    ),
    NodeKind(
        "Document",
        "A data source of a study (an interview transcript ...), e.g. from a REFI-QDA project.",
        (
            STUDY_SCOPED,
            Prop("path", STRING, "file name inside the project or on disk"),
            Prop("text", STRING, "full plain text, so extracts can be located and exported"),
            Prop("guid", STRING, "the id the CAQDAS tool gave it"),
            Prop("rich_path", STRING, "its rich-text file inside the project (REFI-QDA richTextPath)"),
            Prop("positions", STRING, "how the tool counted selection positions, if not as the standard"),
            *AUTHORSHIP,
        ),
    ),
    NodeKind(
        "Memo",
        "A note or memo written by a researcher about a code, theme, extract, document or the study.",
        (
            STUDY_SCOPED,
            Prop("text"),
            Prop("author"),
            Prop("created"),
            TOOL_GUID,
            Prop("modified_by", STRING, "GUID of the user who last changed it"),
            Prop("modified", STRING, "when it was last changed (ISO 8601)"),
            Prop("describes", BOOL, "the REFI-QDA Description of what it annotates, not a Note"),
        ),
    ),
    NodeKind(
        "User",
        "A researcher (coder) of a study, e.g. from a REFI-QDA project.",
        (STUDY_SCOPED, Prop("guid"), Prop("tool_id", STRING, "the id a CAQDAS tool gave the user")),
    ),
    NodeKind(
        "CodeSet",
        "A named set of codes, themes, documents or participants (REFI-QDA Sets).",
        (STUDY_SCOPED, Prop("description"), TOOL_GUID),
    ),
    NodeKind(
        "Selection",
        "One selection a CAQDAS tool made of an extract's span, with its own GUID, user and dates: "
        "selections of the same span share one Extract.",
        (STUDY_SCOPED, TOOL_GUID, Prop("description"), *AUTHORSHIP),
        indexed=(),
    ),
    NodeKind(
        "SourceFile",
        "A file of a REFI-QDA project's sources folder (.docx, .pdf, media, text), kept byte for byte.",
        (
            STUDY_SCOPED,
            Prop("path", STRING, "its name inside the sources folder"),
            Prop("data", STRING, "its bytes, base64"),
            Prop("size", INT, "bytes"),
            Prop("sha256"),
        ),
        indexed=(),
    ),
    NodeKind(
        "ToolRecord",
        "A REFI-QDA element the graph has no model for (graph, picture/PDF/media source, variable ...), "
        "kept as XML so an export writes it again.",
        (
            STUDY_SCOPED,
            Prop("section", STRING, "the project part it belongs in: Sources, Graphs, Variables, Links, Project"),
            Prop("parent", STRING, "GUID of the element it sits in, if not the section itself"),
            Prop("xml", STRING, "the element as XML"),
            Prop("position", INT, "its order in the file"),
        ),
        indexed=(),
    ),
    NodeKind(
        "Source",
        "A named load (a study folder, a reference file ...): what it was and its content hash.",
        (
            Prop("path"),
            Prop("loader"),
            Prop("fingerprint", STRING, "hash of the rows it wrote"),
            Prop("counts", STRING, "JSON rows per kind"),
            Prop("digest", STRING, "hash of the files it read and the options it was read with"),
        ),
        indexed=(),
    ),
    # -- codebook versions (a snapshot per version, under its own source: docs/study-bundle.md) --
    NodeKind(
        "CodebookVersion",
        "One version of a study's codebook, kept when a later version replaces it (name = its label).",
        (STUDY_SCOPED, Prop("path", STRING, "the file that version was loaded from")),
    ),
    NodeKind(
        "VersionCode",
        "A code (or theme) as it stood in one codebook version, with the extracts coded to it then.",
        (
            STUDY_SCOPED,
            Prop("version", STRING, "the version's label"),
            Prop("code", STRING, "the id of the Code or Theme it was"),
            Prop("path", STRING, "the themes above it and its name, top first, joined by ' > '"),
            Prop("extracts", STRINGS, "ids of the extracts coded to it in that version"),
        ),
        indexed=(),
    ),
    # -- qualitative evidence synthesis (themegraph/review, docs/review-bundle.md) --
    NodeKind(
        "Review",
        "A qualitative evidence synthesis across studies.",
        (Prop("title"), Prop("question"), Prop("population"), Prop("setting"),
         Prop("method", STRING, "thematic-synthesis, meta-ethnography or framework")),
    ),
    NodeKind(
        "ReviewFinding",
        "A finding of a review, with the reviewer's GRADE-CERQual confidence in it.",
        (REVIEW_SCOPED, Prop("statement"), Prop("confidence", STRING, "high, moderate, low or very low"),
         Prop("explanation", STRING, "why that confidence")),
    ),
    NodeKind(
        "Assessment",
        "The reviewer's judgement on one GRADE-CERQual component of a review finding.",
        (REVIEW_SCOPED, Prop("component", STRING, "methodological-limitations, coherence, adequacy or relevance"),
         Prop("concern", STRING, "none, minor, moderate or serious"), Prop("explanation")),
    ),
    NodeKind(
        "Appraisal",
        "One answer of a study's critical appraisal (e.g. the CASP qualitative checklist) in a review.",
        # not STUDY_SCOPED: an appraisal belongs to its review and reaches its study by APPRAISES
        (REVIEW_SCOPED, Prop("study", STRING, "id of the study appraised"), Prop("checklist"),
         Prop("question_no", INT), Prop("question"),
         Prop("answer", STRING, "yes, no or can't tell"), Prop("comment")),
    ),
)

_ANNOTATABLE = ("Study", "Participant", "Code", "Theme", "Extract", "Document", "Finding", "Selection")
_CODEISH = ("Code", "Theme")
_STANCE_TARGETS = (("Finding", "Work"), ("Finding", "Theory"), ("Finding", "Construct"))
_EVIDENCE = (Prop("evidence", STRING, "the sentence that justifies the link"),)
_SUGGESTABLE = (
    Prop("status", STRING, "accepted (by the reviewer) or proposed (by `review suggest`, not yet accepted)"),
    Prop("score", FLOAT, "similarity of a proposed link"),
    Prop("note"),
)

RELS: tuple[RelKind, ...] = (
    RelKind("IN_THEME", "A code is grouped under a theme.", (("Code", "Theme"),)),
    RelKind("SUBTHEME_OF", "An emerging theme sits under a final theme.", (("Theme", "Theme"),)),
    RelKind("CODED_AS", "An extract is coded with a code.", (("Extract", "Code"),)),
    RelKind("ILLUSTRATES", "An extract illustrates a theme.", (("Extract", "Theme"),)),
    RelKind("SPOKEN_BY", "An extract was said by a participant.", (("Extract", "Participant"),)),
    RelKind(
        "IN_STUDY",
        "A study-scoped node belongs to its study.",
        tuple((k.name, "Study") for k in NODES if STUDY_SCOPED in k.props),
        hub=True,
    ),
    RelKind("IN_DOCUMENT", "An extract is a selection of a document.", (("Extract", "Document"),)),
    RelKind("IN_VERSION", "A code as it stood in a codebook version.", (("VersionCode", "CodebookVersion"),)),
    RelKind("DOCUMENT_OF", "A document records a participant (their interview).", (("Document", "Participant"),)),
    RelKind("ANNOTATES", "A memo is about a node.", tuple(("Memo", k) for k in _ANNOTATABLE)),
    RelKind(
        "IN_SET",
        "A code, theme, document or participant is a member of a set.",
        tuple((k, "CodeSet") for k in ("Code", "Theme", "Document", "Participant")),
    ),
    RelKind(
        "LINKED_TO",
        "A typed link a researcher drew between codes or themes (REFI-QDA Links).",
        tuple((a, b) for a in _CODEISH for b in _CODEISH),
        (Prop("relation", STRING, "the link's name, e.g. 'causes'"), Prop("direction", STRING), Prop("guid"),
         Prop("colour")),
        identity=("guid",),  # two links between the same codes ("causes", "contradicts") are two facts
    ),
    RelKind("CODED_BY", "An extract was coded by a researcher.", (("Extract", "User"),)),
    RelKind("SELECTS", "A CAQDAS tool's selection marks an extract's span.", (("Selection", "Extract"),)),
    RelKind(
        "APPLIES",
        "One coding of a selection with a code or theme, as the tool recorded it (REFI-QDA Coding).",
        tuple(("Selection", k) for k in _CODEISH),
        (TOOL_GUID, *AUTHORSHIP[:2], Prop("notes", STRING, "JSON list of the GUIDs of notes on the coding")),
        identity=("guid",),
    ),
    RelKind(
        "CITES",
        "One citation occurrence of a work in a study.",
        (("Study", "Work"),),
        (
            Prop("sentence"),
            Prop("section"),
            Prop("stance", STRING, "supports, extends, challenges or mentions"),
            Prop("cited_as", STRING, "the citation as written"),
            Prop("char_start", INT, "character offset of the citation in the text"),
            Prop("char_end", INT),
        ),
        identity=("char_start",),
    ),
    RelKind(
        "AUTHORED_BY", "A work's author.", (("Work", "Author"),), (Prop("position", INT, "1 = first author"),),
        identity=("position",),
    ),
    RelKind("PROPOSED_IN", "A theory was proposed in a work.", (("Theory", "Work"),)),
    RelKind("PART_OF", "A construct is part of a theory.", (("Construct", "Theory"),)),
    RelKind("DERIVED_FROM", "A finding derives from a theme.", (("Finding", "Theme"),)),
    RelKind("SUPPORTS", "A finding supports a work, theory or construct.", _STANCE_TARGETS, _EVIDENCE),
    RelKind("EXTENDS", "A finding extends a work, theory or construct.", _STANCE_TARGETS, _EVIDENCE),
    RelKind("CHALLENGES", "A finding challenges a work, theory or construct.", _STANCE_TARGETS, _EVIDENCE),
    # -- qualitative evidence synthesis --
    RelKind("INCLUDES", "A review includes a study.", (("Review", "Study"),),
            (Prop("relevance", STRING, "direct, partial or indirect (to the review question)"), Prop("note"))),
    RelKind("HAS_FINDING", "A review's finding.", (("Review", "ReviewFinding"),)),
    RelKind(
        "SYNTHESISES",
        "A review finding draws on a study's theme, finding or extract.",
        (("ReviewFinding", "Theme"), ("ReviewFinding", "Finding"), ("ReviewFinding", "Extract")),
        _SUGGESTABLE + (Prop("stance", STRING, "supports or disconfirms"),),
    ),
    RelKind("HAS_ASSESSMENT", "A review finding's CERQual component judgement.", (("ReviewFinding", "Assessment"),)),
    RelKind("HAS_APPRAISAL", "A review's appraisal answers.", (("Review", "Appraisal"),)),
    RelKind("APPRAISES", "An appraisal answer is about a study.", (("Appraisal", "Study"),)),
    RelKind(
        "TRANSLATES",
        "A theme of one study corresponds to a theme of another (meta-ethnography's translation).",
        (("Theme", "Theme"),),
        _SUGGESTABLE + (Prop("relation", STRING, "reciprocal, refutational or line-of-argument"),
                        Prop("review", STRING, "id of the review that made the translation")),
    ),
)

NODE_KINDS: dict[str, NodeKind] = {k.name: k for k in NODES}
REL_KINDS: dict[str, RelKind] = {r.name: r for r in RELS}
STANCES = ("supports", "extends", "challenges")
STANCE_RELS = {s: s.upper() for s in STANCES}


def node_kind(name: str) -> NodeKind:
    """The declared node kind called ``name``; a clear error for anything else."""
    try:
        return NODE_KINDS[name]
    except KeyError:
        raise ValueError(f"unknown node kind {name!r}; known: {', '.join(NODE_KINDS)}") from None


def rel_kind(name: str) -> RelKind:
    """The declared relation kind called ``name``; a clear error for anything else."""
    try:
        return REL_KINDS[name]
    except KeyError:
        raise ValueError(f"unknown relation kind {name!r}; known: {', '.join(REL_KINDS)}") from None


# --- generated statements -------------------------------------------------------------------


def ladybug_ddl() -> list[str]:
    """CREATE statements for every node and relation table (idempotent)."""
    stmts = []
    for kind in NODES:
        cols = ", ".join(f"{p.name} {p.type}" for p in kind.columns)
        stmts.append(f"CREATE NODE TABLE IF NOT EXISTS {kind.name}({cols}, PRIMARY KEY(id))")
    for rel in RELS:
        pairs = ", ".join(f"FROM {a} TO {b}" for a, b in rel.pairs)
        cols = ", ".join(f"{p.name} {p.type}" for p in rel.columns)
        stmts.append(f"CREATE REL TABLE IF NOT EXISTS {rel.name}({pairs}, {cols})")
    return stmts


# Neo4j only: a load too big for one transaction is written first under this label instead of
# its kind's (invisible to every query that names a kind), then published (see neo4j_staging).
STAGED = "_Staged"
STAGING_RUN = "_StagingRun"


def neo4j_constraints() -> list[str]:
    """Uniqueness constraints on ``id`` and indexes on looked-up properties (idempotent)."""
    # staged nodes are deliberately in no index: publishing them is then only a label change
    stmts = [f"CREATE CONSTRAINT staging_run_id IF NOT EXISTS FOR (r:{STAGING_RUN}) REQUIRE r.id IS UNIQUE"]
    for kind in NODES:
        stmts.append(
            f"CREATE CONSTRAINT {kind.name.lower()}_id IF NOT EXISTS "
            f"FOR (n:{kind.name}) REQUIRE n.id IS UNIQUE"
        )
        for prop in kind.indexed:
            stmts.append(
                f"CREATE INDEX {kind.name.lower()}_{prop} IF NOT EXISTS FOR (n:{kind.name}) ON (n.{prop})"
            )
    for rel in RELS:
        stmts.append(
            f"CREATE INDEX {rel.name.lower()}_fact IF NOT EXISTS FOR ()-[r:{rel.name}]-() ON (r.fact)"
        )
    return stmts


def neo4j_node_create(kind: NodeKind) -> str:
    """UNWIND statement that creates nodes of ``kind`` from complete rows in ``$rows``."""
    return f"UNWIND $rows AS row CREATE (n:{kind.name}) SET n = row"


def neo4j_node_update(kind: NodeKind) -> str:
    """UNWIND statement that replaces the properties of existing nodes from complete rows."""
    return f"UNWIND $rows AS row MATCH (n:{kind.name} {{id: row.id}}) SET n = row"


def neo4j_node_stage(kind: NodeKind) -> str:
    """UNWIND statement that creates nodes of ``kind`` under the staging label of run ``$run``,
    returning each one's id and elementId (staged relations find their endpoints by the latter)."""
    return f"UNWIND $rows AS row CREATE (n:{STAGED}) SET n = row, n._run = $run RETURN row.id AS id, elementId(n) AS e"


def neo4j_rel_create(
    rel: RelKind, src: str, dst: str, shared: tuple[str, ...] = (), *, staged: bool = False
) -> str:
    """UNWIND statement that creates relations ``rel`` from ``$rows`` (src, dst, properties).

    Properties named in ``shared`` take one value for all rows, from the parameter of that name
    (``$kind``, ``$source`` ...), so it is sent once rather than once per row.  ``staged``: both
    endpoints are staged nodes of run ``$run``, given by elementId in ``src`` and ``dst``.
    """
    sets = ", ".join(
        f"r.{p.name} = ${p.name}" if p.name in shared else f"r.{p.name} = row.{p.name}" for p in rel.columns
    )
    match = (
        f"MATCH (a:{STAGED}) WHERE elementId(a) = row.src AND a._run = $run "
        f"MATCH (b:{STAGED}) WHERE elementId(b) = row.dst AND b._run = $run"
        if staged
        else f"MATCH (a:{src} {{id: row.src}}) MATCH (b:{dst} {{id: row.dst}})"
    )
    return (
        f"UNWIND $rows AS row {match} "
        f"CREATE (a)-[r:{rel.name}]->(b) SET {sets} RETURN count(r) AS n"
    )


def describe() -> list[dict]:
    """The declared kinds as plain data (for ``themegraph schema``)."""
    out = []
    for kind in NODES:
        out.append(
            {"kind": "node", "name": kind.name, "doc": kind.doc, "properties": [p.name for p in kind.columns]}
        )
    for rel in RELS:
        out.append(
            {
                "kind": "relationship",
                "name": rel.name,
                "doc": rel.doc,
                "pairs": [f"{a}->{b}" for a, b in rel.pairs],
                "properties": [p.name for p in rel.columns],
            }
        )
    return out
