import hashlib
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader

from cordee.billing.models import BillingPlan, Quote
from cordee.billing.tests.conftest import sent_quote
from cordee.core.models import OutboundEmail

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def test_sent_quote_is_numbered_frozen_and_emailed_with_its_pdf(world, tmp_path):
    quote = sent_quote(world)

    assert quote.status == Quote.Status.SENT
    assert quote.number == f"DEV-{date.today().year}-00001"
    assert quote.total_excl_vat == Decimal("15000.00")  # 3 000 de-risking + 20 days × 600
    assert quote.vat_amount == Decimal("0.00")
    assert quote.pdf_sha256 == hashlib.sha256(bytes(quote.pdf)).hexdigest()
    (tmp_path / "q.pdf").write_bytes(bytes(quote.pdf))
    text = pdf_text(bytes(quote.pdf))
    print(text)
    assert "TVA non applicable, art. 293 B du CGI" in text
    email = OutboundEmail.objects.get(idempotency_key=f"billing:quote:{quote.pk}:contact:{world.contact.pk}")
    assert email.attachments[0]["mimetype"] == "application/pdf"
    assert BillingPlan.objects.get(pk=quote.plan_id).status == BillingPlan.Status.PROPOSED
