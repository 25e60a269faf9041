"""Import REFI-QDA projects (``.qdpx``) and codebooks (``.qdc``) as a Batch.

REFI-QDA is how CAQDAS tools (NVivo, ATLAS.ti, MAXQDA, QDA Miner, qc ...) exchange coded
projects.  Real exports stray from the standard in known ways, so the reader is tolerant: it
imports what it can, corrects what it can detect (selection positions counted in UTF-16 code
units, byte-order marks and CRLF line endings, ``Sources/`` folders, paths without
``internal://``, missing names, ids that are not GUIDs, other namespaces) and returns a warning for
each oddity and for everything the graph has no place for (the standard asks an importer to say
what it drops).

One module per concern: :mod:`.archive` (the zip, read as hostile), :mod:`.elements` (XML with
line numbers), :mod:`.positions` (decoding source texts, the ways tools count positions),
:mod:`.ids` (GUIDs and node ids), :mod:`.reader` (the codebook, and ``qdc_batch``) and
:mod:`.project` (everything else in a project, and ``qdpx_batch``).  docs/refi-qda.md describes the
mapping.
"""

from .elements import CODEBOOK_NS, PROJECT_NS
from .ids import guid_for, is_guid
from .positions import choose_scheme, decode_text
from .project import qdpx_batch
from .reader import qdc_batch

__all__ = ["CODEBOOK_NS", "PROJECT_NS", "choose_scheme", "decode_text", "guid_for", "is_guid", "qdc_batch", "qdpx_batch"]
