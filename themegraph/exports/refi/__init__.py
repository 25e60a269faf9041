"""Export a study as REFI-QDA: its codebook (``.qdc``) or the whole project (``.qdpx``).

The graph is read through ``store.query`` with portable Cypher (labels and relation types are
fixed; values travel as parameters), so the same export comes from Ladybug and Neo4j.  Output is
reproducible: GUIDs are the tool's own when the graph kept them, else uuid5 of node ids; elements
come in a fixed order and zip members carry a fixed date.

REFI-QDA has no place for some of the graph (extracts that are not in a document, memos about
findings, participants in sets ...): each export returns warnings naming what it left out, as the
standard asks.  Importing an export gives back the graph it came from (docs/refi-qda.md).

:mod:`.study` reads the study, :mod:`.codebook` writes the code tree and sets (and ``.qdc``),
:mod:`.project` the rest of a ``.qdpx`` and :mod:`.records` what was kept without a model.
"""

from .codebook import export_qdc
from .project import export_qdpx

__all__ = ["export_qdc", "export_qdpx"]
