"""Factur-X EN 16931 invoices and credit notes (INVOICING_FR.md sections 1, 2.3 and 3).

An issued document becomes an `EInvoice`: plain values read from its snapshots (seller, buyer, mandate
issuer), its lines and its dates. From it come
- the CII D22B XML of the EN 16931 profile (guideline `urn:cen.eu:en16931:2017`), built with lxml, and
- the PDF: the `billing/pdf/invoice.html` template rendered by WeasyPrint as PDF/A-3b, into which
  factur-x embeds the XML (`factur-x.xml`, AFRelationship Data, Factur-X XMP, R-3.3 and R-3.4).
The PDF shows what the XML says: both read the same `EInvoice` and the same VAT breakdown.
"""

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import facturx
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from lxml import etree
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from cordee.billing import einvoice_check
from cordee.billing.legal import legal_values
from cordee.billing.pdf import STATIC_DIR, LocalStaticFetcher
from cordee.core.money import (
    CURRENCY,
    QUANTITY_STEP,
    UNIT_PRICE_STEP,
    ZERO,
    line_amount,
    money_sum,
    percent_of,
)

NAMESPACES = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"
INVOICE = "380"
CREDIT_NOTE = "381"
PREPAYMENT_INVOICE = "386"  # a deposit invoice (facture d'acompte)
# UNTDID 4461: SEPA credit transfer to the seller's IBAN.
SEPA_CREDIT_TRANSFER = "58"
# UNTDID 2475: VAT due on the invoice date, the code of the "option pour les débits" in CII.
VAT_ON_DEBITS_CODE = "5"
SIREN_SCHEME = "0002"
ELECTRONIC_ADDRESS_SCHEME = "0225"
EMAIL_SCHEME = "EM"
# Franchise: exempt category, its VATEX code, and the seller's SIRET as a tax registration "FC".
VAT_STANDARD = "S"
VAT_EXEMPT = "E"
FRANCHISE_EXEMPTION_CODE = "VATEX-FR-FRANCHISE"
FRANCHISE_REGISTRATION_SCHEME = "FC"
UNIT_DAY = "DAY"
UNIT_HOUR = "HUR"
UNIT_ONE = "C62"
FLOWS = ("B2B", "B2BINT", "B2C", "B2CINT", "OUTOFSCOPE", "ARCHIVEONLY")
LANGUAGE_TAGS = {"fr": "fr-FR", "en": "en-GB"}


# --- What a document says ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EInvoiceLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    # UN/ECE recommendation 20: DAY, HUR, C62 (one).
    unit_code: str = UNIT_ONE
    vat_category: str = VAT_STANDARD
    vat_rate: Decimal = ZERO
    exemption_reason: str = ""
    exemption_code: str = ""
    # The amount frozen on an issued line; otherwise quantity × unit price rounded once.
    frozen_net_amount: Decimal | None = None

    @property
    def net_amount(self) -> Decimal:
        if self.frozen_net_amount is not None:
            return self.frozen_net_amount
        return line_amount(self.quantity, self.unit_price)

    @property
    def unit_display(self) -> str:
        """The unit in the reader's language ("jours", "heure"); nothing for a plain count."""
        count = 2 if self.quantity > 1 else 1
        if self.unit_code == UNIT_DAY:
            return ngettext("day", "days", count)
        if self.unit_code == UNIT_HOUR:
            return ngettext("hour", "hours", count)
        return ""


@dataclass(frozen=True)
class VatGroup:
    """One row of the VAT breakdown (BG-23): lines of one category, rate and exemption together."""

    category: str
    rate: Decimal
    exemption_reason: str
    exemption_code: str
    basis: Decimal
    amount: Decimal


@dataclass(frozen=True)
class EInvoice:
    """An issued invoice (380), deposit invoice (386) or credit note (381), as plain values.

    `seller` and `buyer` have the shape of `services.sellers.seller_identity` and `client_identity`;
    `issuer`, when a third party issues the invoice under a billing mandate (model B, R-6.2), the shape
    of `seller_identity`. Amounts of a credit note are positive, as EN 16931 wants them.
    """

    number: str
    issued_on: date
    seller: dict
    buyer: dict
    lines: list[EInvoiceLine]
    document_type: str = INVOICE
    due_on: date | None = None
    flow: str = "B2B"
    # BT-23, the "cadre de facturation": S1 for a services invoice.
    business_process: str = "S1"
    vat_on_debits: bool = False
    language: str = "fr"
    issuer: dict | None = None
    period_start: date | None = None
    period_end: date | None = None
    delivered_on: date | None = None
    purchase_order: str = ""
    subject: str = ""
    corrected_number: str = ""
    corrected_issued_on: date | None = None
    notes: list[str] = field(default_factory=list)
    # A deposit invoice's percentage of the quote; a final invoice's deducted deposit (BT-113, BT-25).
    deposit_percent: Decimal | None = None
    quote_number: str = ""
    prepaid_amount: Decimal = ZERO
    deposit_number: str = ""
    deposit_issued_on: date | None = None
    # The VAT breakdown frozen on an issued invoice; otherwise computed from the lines.
    frozen_breakdown: tuple[VatGroup, ...] | None = None

    @property
    def is_credit_note(self) -> bool:
        return self.document_type == CREDIT_NOTE

    @property
    def is_deposit(self) -> bool:
        return self.document_type == PREPAYMENT_INVOICE

    @property
    def is_business_buyer(self) -> bool:
        return self.flow in ("B2B", "B2BINT")

    @property
    def franchise(self) -> bool:
        return self.seller.get("vat_regime") == "franchise"

    def vat_breakdown(self) -> list[VatGroup]:
        """VAT per rate, rounded once on the rate's base (R-1.14, EN 16931 BR-CO-17)."""
        if self.frozen_breakdown is not None:
            return list(self.frozen_breakdown)
        groups = defaultdict(list)
        for line in self.lines:
            key = (line.vat_category, line.vat_rate, line.exemption_reason, line.exemption_code)
            groups[key].append(line.net_amount)
        breakdown = []
        for (category, rate, reason, code), amounts in groups.items():
            basis = money_sum(amounts)
            breakdown.append(VatGroup(category, rate, reason, code, basis, percent_of(basis, rate)))
        return sorted(breakdown, key=lambda group: (-group.rate, group.category))

    @property
    def total_excl_vat(self) -> Decimal:
        return money_sum(line.net_amount for line in self.lines)

    @property
    def vat_amount(self) -> Decimal:
        return money_sum(group.amount for group in self.vat_breakdown())

    @property
    def total_incl_vat(self) -> Decimal:
        return self.total_excl_vat + self.vat_amount

    @property
    def amount_due(self) -> Decimal:
        """BT-115: the total less the deposit already invoiced (BT-113)."""
        return self.total_incl_vat - self.prepaid_amount


def einvoice_from_invoice(invoice) -> EInvoice:
    """The values of an issued `Invoice`: its snapshots, frozen lines and frozen VAT breakdown.

    Called in the issuing transaction, once the number, dates, snapshots and totals are set.
    """
    lines = [
        EInvoiceLine(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            unit_code=line.unit_code,
            vat_category=line.vat_category,
            vat_rate=line.vat_rate,
            exemption_reason=line.exemption_reason,
            exemption_code=line.exemption_code,
            frozen_net_amount=line.net_amount,
        )
        for line in invoice.lines.all()
    ]
    breakdown = tuple(
        VatGroup(
            category=group["category"],
            rate=Decimal(str(group["rate"])),
            exemption_reason=group.get("exemption_reason", ""),
            exemption_code=group.get("exemption_code", ""),
            basis=Decimal(str(group["base"])),
            amount=Decimal(str(group["tax"])),
        )
        for group in invoice.tax_breakdown
    )
    corrected = invoice.corrects if invoice.corrects_id else None
    deposit = invoice.deposit_invoice if invoice.deposit_invoice_id else None
    is_deposit = invoice.kind == "deposit"
    quote = invoice.plan.quotes.filter(status="accepted").order_by("pk").first() if is_deposit else None
    return EInvoice(
        number=invoice.number,
        issued_on=invoice.issued_on,
        seller=invoice.seller_snapshot,
        buyer=invoice.buyer_snapshot,
        issuer=invoice.issuer_snapshot or None,
        lines=lines,
        document_type=PREPAYMENT_INVOICE if is_deposit else invoice.document_type,
        due_on=invoice.due_on,
        flow=invoice.flow,
        business_process=_business_process(invoice),
        vat_on_debits=invoice.vat_on_debits,
        language=invoice.language or "fr",
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        delivered_on=invoice.supplied_on,
        purchase_order=invoice.purchase_order,
        subject=invoice.mission.title,
        corrected_number=corrected.number if corrected else "",
        corrected_issued_on=corrected.issued_on if corrected else None,
        notes=[invoice.note] if invoice.note else [],
        deposit_percent=invoice.plan.deposit_percent if is_deposit else None,
        quote_number=quote.number if quote else "",
        prepaid_amount=invoice.prepaid_amount,
        deposit_number=deposit.number if deposit else "",
        deposit_issued_on=deposit.issued_on if deposit else None,
        frozen_breakdown=breakdown or None,
    )


def _business_process(invoice) -> str:
    """BT-23: the nature of the operation (B, S or M, R-2.3) followed by the frame's number (R-2.4)."""
    frame = invoice.invoicing_frame or "S1"
    return f"{invoice.operation_nature or frame[0]}{frame[1:]}"


def franchise_line_values(on: date) -> dict:
    """The VAT fields of a franchise seller's line (R-3.9): category E, rate 0, the dated mention."""
    return {
        "vat_category": VAT_EXEMPT,
        "vat_rate": ZERO,
        "exemption_reason": legal_values(on).franchise_mention,
        "exemption_code": FRANCHISE_EXEMPTION_CODE,
    }


# --- Legal mentions (shared by the XML notes and the PDF) --------------------------------------------


def mandate_mention(document: EInvoice) -> str:
    if not document.issuer:
        return ""
    return _("Invoice issued by %(issuer)s in the name and on behalf of %(seller)s.") % {
        "issuer": document.issuer["name"],
        "seller": document.seller["name"],
    }


def penalty_mention(document: EInvoice) -> str:
    """PMD: the late-payment penalties of the Code de commerce (R-1.10), owed by businesses only."""
    if not document.is_business_buyer:
        return _("No late-payment penalties under the Code de commerce: the client is a consumer.")
    rate = number_format(Decimal(document.seller.get("late_penalty_rate") or "0"), 2)
    return _(
        "Late payment: penalties at %(rate)s%% a year from the day after the due date "
        "(art. L441-10 of the Code de commerce)."
    ) % {"rate": rate}


def recovery_mention(document: EInvoice) -> str:
    """PMT: the 40 € recovery indemnity, owed by businesses only, never by consumers (R-1.11)."""
    if not document.is_business_buyer:
        return _("No fixed recovery indemnity: the client is a consumer.")
    amount = number_format(legal_values(document.issued_on).recovery_indemnity, 2)
    return _(
        "Fixed indemnity for recovery costs in case of late payment: %(amount)s € (art. D441-5 of the Code de commerce)."
    ) % {"amount": amount}


def discount_mention(document: EInvoice) -> str:
    """AAB: the early-payment discount, or its absence."""
    text = (document.seller.get("early_payment_discount") or "").strip()
    if text:
        return _("Early-payment discount: %(text)s.") % {"text": text.rstrip(".")}
    return _("No discount for early payment.")


def vat_on_debits_mention(document: EInvoice) -> str:
    return _("Option for paying VAT on debits") if document.vat_on_debits else ""


# --- CII XML ------------------------------------------------------------------------------------------


def _element(parent, name: str, text: str | None = None, **attributes) -> etree._Element:
    prefix, local = name.split(":")
    element = etree.SubElement(parent, f"{{{NAMESPACES[prefix]}}}{local}", attributes)
    if text is not None:
        element.text = text
    return element


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _decimal(value: Decimal, step: Decimal) -> str:
    """A quantity or unit price with its allowed decimals (R-0.3) and no trailing zeros past the cent."""
    text = f"{Decimal(value).quantize(step):f}"
    whole, _dot, decimals = text.partition(".")
    decimals = decimals.rstrip("0").ljust(2, "0")
    return f"{whole}.{decimals}"


def _date(parent, name: str, value: date, qualified: bool = False) -> None:
    container = _element(parent, name)
    _element(
        container,
        "qdt:DateTimeString" if qualified else "udt:DateTimeString",
        value.strftime("%Y%m%d"),
        format="102",
    )


def _note(parent, content: str, subject: str) -> None:
    note = _element(parent, "ram:IncludedNote")
    _element(note, "ram:Content", content)
    _element(note, "ram:SubjectCode", subject)


def _party_description(party: dict) -> str:
    """BT-33: a company's legal form, capital and RCS registration."""
    parts = []
    if party.get("legal_form") and party.get("share_capital"):
        capital = number_format(Decimal(party["share_capital"]), 2, force_grouping=True)
        parts.append(
            _("%(form)s with a share capital of %(capital)s €")
            % {"form": party["legal_form"], "capital": capital}
        )
    elif party.get("legal_form") and party.get("kind") == "entity":
        parts.append(party["legal_form"])
    if party.get("rcs_city"):
        parts.append(
            _("RCS %(city)s %(siren)s") % {"city": party["rcs_city"], "siren": party.get("siren", "")}
        )
    return ", ".join(parts)


def _address(parent, party: dict) -> None:
    address = _element(parent, "ram:PostalTradeAddress")
    if party.get("postal_code"):
        _element(address, "ram:PostcodeCode", party["postal_code"])
    if party.get("address_line"):
        _element(address, "ram:LineOne", party["address_line"])
    if party.get("city"):
        _element(address, "ram:CityName", party["city"])
    _element(address, "ram:CountryID", party.get("country") or "FR")


def _seller_party(parent, document: EInvoice) -> None:
    seller = document.seller
    party = _element(parent, "ram:SellerTradeParty")
    _element(party, "ram:Name", seller["name"])
    description = _party_description(seller)
    if description:
        _element(party, "ram:Description", description)
    legal = _element(party, "ram:SpecifiedLegalOrganization")
    _element(legal, "ram:ID", seller["siren"], schemeID=SIREN_SCHEME)
    _address(party, seller)
    uri = _element(party, "ram:URIUniversalCommunication")
    _element(uri, "ram:URIID", seller["siren"], schemeID=ELECTRONIC_ADDRESS_SCHEME)
    if seller.get("vat_number"):
        registration = _element(party, "ram:SpecifiedTaxRegistration")
        _element(registration, "ram:ID", seller["vat_number"], schemeID="VA")
    elif document.franchise:
        registration = _element(party, "ram:SpecifiedTaxRegistration")
        _element(
            registration,
            "ram:ID",
            seller.get("siret") or seller["siren"],
            schemeID=FRANCHISE_REGISTRATION_SCHEME,
        )


def _buyer_party(parent, document: EInvoice) -> None:
    buyer = document.buyer
    party = _element(parent, "ram:BuyerTradeParty")
    _element(party, "ram:Name", buyer["name"])
    if buyer.get("siren"):
        legal = _element(party, "ram:SpecifiedLegalOrganization")
        _element(legal, "ram:ID", buyer["siren"], schemeID=SIREN_SCHEME)
    _address(party, buyer)
    uri = _element(party, "ram:URIUniversalCommunication")
    if buyer.get("siren"):
        _element(uri, "ram:URIID", buyer["siren"], schemeID=ELECTRONIC_ADDRESS_SCHEME)
    else:
        _element(uri, "ram:URIID", buyer.get("email") or "", schemeID=EMAIL_SCHEME)
    if buyer.get("vat_number"):
        registration = _element(party, "ram:SpecifiedTaxRegistration")
        _element(registration, "ram:ID", buyer["vat_number"], schemeID="VA")


def _line_item(parent, index: int, line: EInvoiceLine) -> None:
    item = _element(parent, "ram:IncludedSupplyChainTradeLineItem")
    _element(_element(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(index))
    _element(_element(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.description)
    agreement = _element(item, "ram:SpecifiedLineTradeAgreement")
    price = _element(agreement, "ram:NetPriceProductTradePrice")
    _element(price, "ram:ChargeAmount", _decimal(line.unit_price, UNIT_PRICE_STEP))
    delivery = _element(item, "ram:SpecifiedLineTradeDelivery")
    _element(delivery, "ram:BilledQuantity", _decimal(line.quantity, QUANTITY_STEP), unitCode=line.unit_code)
    settlement = _element(item, "ram:SpecifiedLineTradeSettlement")
    tax = _element(settlement, "ram:ApplicableTradeTax")
    _element(tax, "ram:TypeCode", "VAT")
    _element(tax, "ram:CategoryCode", line.vat_category)
    _element(tax, "ram:RateApplicablePercent", _amount(line.vat_rate))
    summation = _element(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    _element(summation, "ram:LineTotalAmount", _amount(line.net_amount))


def _header_settlement(parent, document: EInvoice) -> None:
    settlement = _element(parent, "ram:ApplicableHeaderTradeSettlement")
    _element(settlement, "ram:PaymentReference", document.number)
    _element(settlement, "ram:InvoiceCurrencyCode", CURRENCY)
    iban = (document.seller.get("iban") or "").replace(" ", "")
    if iban and not document.is_credit_note:
        # A credit note is refunded by the seller: no payment to the seller's account.
        means = _element(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _element(means, "ram:TypeCode", SEPA_CREDIT_TRANSFER)
        account = _element(means, "ram:PayeePartyCreditorFinancialAccount")
        _element(account, "ram:IBANID", iban)
        if document.seller.get("account_holder"):
            _element(account, "ram:AccountName", document.seller["account_holder"])
        if document.seller.get("bic"):
            institution = _element(means, "ram:PayeeSpecifiedCreditorFinancialInstitution")
            _element(institution, "ram:BICID", document.seller["bic"])
    for group in document.vat_breakdown():
        tax = _element(settlement, "ram:ApplicableTradeTax")
        _element(tax, "ram:CalculatedAmount", _amount(group.amount))
        _element(tax, "ram:TypeCode", "VAT")
        if group.exemption_reason:
            _element(tax, "ram:ExemptionReason", group.exemption_reason)
        _element(tax, "ram:BasisAmount", _amount(group.basis))
        _element(tax, "ram:CategoryCode", group.category)
        if group.exemption_code:
            _element(tax, "ram:ExemptionReasonCode", group.exemption_code)
        if document.vat_on_debits and group.category == VAT_STANDARD:
            _element(tax, "ram:DueDateTypeCode", VAT_ON_DEBITS_CODE)
        _element(tax, "ram:RateApplicablePercent", _amount(group.rate))
    if document.period_start and document.period_end:
        period = _element(settlement, "ram:BillingSpecifiedPeriod")
        _date(period, "ram:StartDateTime", document.period_start)
        _date(period, "ram:EndDateTime", document.period_end)
    if document.due_on:
        terms = _element(settlement, "ram:SpecifiedTradePaymentTerms")
        _date(terms, "ram:DueDateDateTime", document.due_on)
    totals = _element(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _element(totals, "ram:LineTotalAmount", _amount(document.total_excl_vat))
    _element(totals, "ram:TaxBasisTotalAmount", _amount(document.total_excl_vat))
    _element(totals, "ram:TaxTotalAmount", _amount(document.vat_amount), currencyID=CURRENCY)
    _element(totals, "ram:GrandTotalAmount", _amount(document.total_incl_vat))
    if document.prepaid_amount:
        _element(totals, "ram:TotalPrepaidAmount", _amount(document.prepaid_amount))
    _element(totals, "ram:DuePayableAmount", _amount(document.amount_due))
    # BT-25/26: the invoice a credit note corrects, or the deposit invoice a final invoice deducts.
    referenced = (
        (document.corrected_number, document.corrected_issued_on)
        if document.corrected_number
        else (document.deposit_number, document.deposit_issued_on)
    )
    if referenced[0]:
        reference = _element(settlement, "ram:InvoiceReferencedDocument")
        _element(reference, "ram:IssuerAssignedID", referenced[0])
        if referenced[1]:
            _date(reference, "ram:FormattedIssueDateTime", referenced[1], qualified=True)


def cii_xml(document: EInvoice) -> bytes:
    """The CII D22B XML of the EN 16931 profile, notes in the document's language."""
    with translation.override(document.language):
        root = etree.Element(f"{{{NAMESPACES['rsm']}}}CrossIndustryInvoice", nsmap=NAMESPACES)
        context = _element(root, "rsm:ExchangedDocumentContext")
        _element(
            _element(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"),
            "ram:ID",
            document.business_process,
        )
        _element(
            _element(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931_GUIDELINE
        )

        header = _element(root, "rsm:ExchangedDocument")
        _element(header, "ram:ID", document.number)
        _element(header, "ram:TypeCode", document.document_type)
        _date(header, "ram:IssueDateTime", document.issued_on)
        _note(header, document.flow, "BAR")
        _note(header, penalty_mention(document), "PMD")
        _note(header, recovery_mention(document), "PMT")
        _note(header, discount_mention(document), "AAB")
        if document.issuer:
            _note(header, mandate_mention(document), "REG")
        for note in document.notes:
            _note(header, note, "AAI")

        transaction = _element(root, "rsm:SupplyChainTradeTransaction")
        for index, line in enumerate(document.lines, start=1):
            _line_item(transaction, index, line)
        agreement = _element(transaction, "ram:ApplicableHeaderTradeAgreement")
        _seller_party(agreement, document)
        _buyer_party(agreement, document)
        if document.purchase_order:
            _element(
                _element(agreement, "ram:BuyerOrderReferencedDocument"),
                "ram:IssuerAssignedID",
                document.purchase_order,
            )
        delivery = _element(transaction, "ram:ApplicableHeaderTradeDelivery")
        # BT-72: the date of supply, or the end of the period invoiced (the service's completion).
        supplied_on = document.delivered_on or document.period_end
        if supplied_on:
            event = _element(delivery, "ram:ActualDeliverySupplyChainEvent")
            _date(event, "ram:OccurrenceDateTime", supplied_on)
        _header_settlement(transaction, document)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --- PDF ------------------------------------------------------------------------------------------------


def pdf_context(document: EInvoice) -> dict:
    values = legal_values(document.issued_on)
    iban = (document.seller.get("iban") or "").replace(" ", "")
    return {
        "document": document,
        "seller": document.seller,
        "buyer": document.buyer,
        "issuer": document.issuer,
        "lines": document.lines,
        "vat_breakdown": document.vat_breakdown(),
        "franchise_mention": values.franchise_mention,
        "mandate_mention": mandate_mention(document),
        # For a consumer neither the penalties nor the 40 € are printed; the XML still
        # carries its PMD and PMT notes, saying so (BR-FR-05).
        "penalty_mention": penalty_mention(document) if document.is_business_buyer else "",
        "recovery_mention": recovery_mention(document) if document.is_business_buyer else "",
        "discount_mention": discount_mention(document),
        "vat_on_debits_mention": vat_on_debits_mention(document),
        "seller_description": _party_description(document.seller),
        "iban_display": " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)),
    }


def pdf_metadata(document: EInvoice) -> dict:
    if document.is_credit_note:
        title = pgettext("document title", "Credit note %(number)s")
    elif document.is_deposit:
        title = pgettext("document title", "Deposit invoice %(number)s")
    else:
        title = pgettext("document title", "Invoice %(number)s")
    return {
        "author": document.seller["name"],
        "keywords": "Factur-X",
        "title": title % {"number": document.number},
        "subject": title % {"number": document.number},
    }


_fonts = threading.local()


def _font_config() -> FontConfiguration:
    """One font configuration per thread, kept between documents (loading it costs ~15 ms a document)."""
    if not hasattr(_fonts, "config"):
        _fonts.config = FontConfiguration()
    return _fonts.config


def einvoice_pdf(document: EInvoice, xml: bytes) -> bytes:
    """The visible invoice as PDF/A-3b by WeasyPrint, then the XML embedded by factur-x (R-3.4).

    factur-x checks the XML against the XSD while embedding (`check_xsd=True`); its schematron check,
    which needs an HTTP server, stays off (R-3.7): `einvoice_check` runs the schematrons offline.
    """
    with translation.override(document.language):
        html = render_to_string("billing/pdf/invoice.html", pdf_context(document))
        metadata = pdf_metadata(document)
    pdf = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=LocalStaticFetcher()).write_pdf(
        pdf_variant="pdf/a-3b", pdf_identifier=document.number.encode(), font_config=_font_config()
    )
    return facturx.generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        check_schematron=False,
        pdf_metadata=metadata,
        lang=LANGUAGE_TAGS.get(document.language, "fr-FR"),
    )


def einvoice_files(document: EInvoice, *, check: bool = True) -> tuple[bytes, bytes]:
    """(PDF, XML) of a document; with `check`, an XML failing a rule raises `EInvoiceInvalid` (R-2.8)."""
    xml = cii_xml(document)
    if check:
        einvoice_check.xml_check(xml)
    return einvoice_pdf(document, xml), xml


# --- The model's entry points -----------------------------------------------------------------------------


def invoice_xml(invoice) -> bytes:
    """The CII XML of an issued invoice or credit note."""
    return cii_xml(einvoice_from_invoice(invoice))


def invoice_pdf(invoice, xml: bytes) -> bytes:
    """The Factur-X PDF/A-3 of an issued invoice or credit note, with `xml` embedded."""
    return einvoice_pdf(einvoice_from_invoice(invoice), xml)


def invoice_files(invoice, *, check: bool = True) -> tuple[bytes, bytes]:
    """(PDF, XML) of an invoice being issued. With `check` (the default) the XML passes the XSD, the
    EN 16931 and the BR-FR rules first, else `einvoice_check.EInvoiceInvalid` lists what failed: an
    invoice failing them is never issued (R-2.8). About 20–50 ms once the stylesheets are compiled."""
    return einvoice_files(einvoice_from_invoice(invoice), check=check)
