"""XML with line numbers: every element knows the line it starts on, for provenance and errors.

Parsed with defusedxml (no entity declarations, no external entities) through SAX, because
ElementTree drops line numbers; elements are matched by local name, as exports vary in namespace.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, tostring
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from ...errors import InputError

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"


@dataclass
class El:
    """An XML element by local name (namespaces are ignored: exports vary), with its line."""

    tag: str
    ns: str
    attrs: dict[str, str]
    line: int
    children: list[El] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def get(self, name: str) -> str | None:
        return self.attrs.get(name)

    def all(self, tag: str) -> list[El]:
        return [c for c in self.children if c.tag == tag]

    def first(self, tag: str) -> El | None:
        return next((c for c in self.children if c.tag == tag), None)


class _TreeBuilder(ContentHandler):
    """SAX handler that builds El trees; SAX because ElementTree drops line numbers."""

    def __init__(self):
        super().__init__()
        self.stack: list[El] = []
        self.root: El | None = None
        self.locator = None

    def setDocumentLocator(self, locator):
        self.locator = locator

    def startElementNS(self, name, qname, attrs):
        ns, local = name
        el = El(local, ns or "", {key[1]: value for key, value in attrs.items()}, self.locator.getLineNumber())
        if self.stack:
            self.stack[-1].children.append(el)
        else:
            self.root = el
        self.stack.append(el)

    def endElementNS(self, name, qname):
        self.stack.pop()

    def characters(self, content):
        if self.stack:
            self.stack[-1].parts.append(content)


def parse_xml(data: bytes, where: str) -> El:
    """The element tree of ``data``; malformed or entity-laden XML, or XML in an encoding that
    cannot be read, is an InputError at its line."""
    parser = DefusedExpatParser(namespaceHandling=1)  # forbids entity declarations and external entities
    handler = _TreeBuilder()
    parser.setContentHandler(handler)
    try:
        parser.parse(io.BytesIO(data))
    except SAXParseException as exc:
        raise InputError(
            f"{where}:{exc.getLineNumber()}: column {exc.getColumnNumber() + 1}: malformed XML: {exc.getMessage()}"
        ) from None
    except DefusedXmlException as exc:
        line = handler.locator.getLineNumber() if handler.locator else 1
        raise InputError(
            f"{where}:{line}: the XML declares entities or external references ({type(exc).__name__}); "
            "refused, as they can expand without bound or read other files"
        ) from None
    except (LookupError, ValueError) as exc:
        # expat hands an encoding it does not know itself to Python's codecs, which refuse it with
        # LookupError (unknown, or not a text encoding) or ValueError (multi-byte encodings,
        # codecs without the 'replace' error handler): not a SAXParseException.
        line = handler.locator.getLineNumber() if handler.locator else 1
        raise InputError(
            f"{where}:{line}: the XML declaration names an encoding that cannot be read ({exc}); save the file as UTF-8"
        ) from None
    return handler.root



def to_xml(el: El) -> str:
    """``el`` written back as XML without a namespace (an export puts it in its own), for an
    element ThemeGraph keeps but does not model (a ToolRecord)."""
    def build(e: El) -> Element:
        node = Element(e.tag, e.attrs)
        text = e.text
        if text.strip() or not e.children:
            node.text = text or None
        for child in e.children:
            node.append(build(child))
        return node

    return tostring(build(el), encoding="unicode")
