"""Benchmark: the time to issue a Factur-X invoice (numbering + XML + checks + PDF + embedding).

Builds a collective with a franchise member, a VAT-registered member and a client in its own SQLite database
(var/bench-invoices.sqlite3, rebuilt at each run; or the database of DATABASE_URL when it is set, which
must hold no collective), then issues invoices of 3 lines, each in its own transaction as the app does:
number from the seller's series under its lock, snapshots, VAT breakdown, CII XML, the XSD + EN 16931 +
BR-FR checks (R-2.8), the PDF/A-3b by WeasyPrint and the XML embedded by factur-x, the files and their
SHA-256 stored. It prints the cold start (stylesheets compiled, fonts loaded), then the median and p95 of
single invoices, of a batch of 50 in a row, and where the time goes, step by step.

    .venv/bin/python bench/invoices.py                 # 20 single invoices, a batch of 50
    .venv/bin/python bench/invoices.py --single 50 --batch 100

This is a script, not a test: it prints figures. The goal is ≤ 300 ms per invoice on this machine.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = ROOT / "var" / "bench-invoices.sqlite3"


def configure() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "cordee.settings"
    if not os.environ.get("DATABASE_URL"):
        BENCH_DATABASE.parent.mkdir(parents=True, exist_ok=True)
        BENCH_DATABASE.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{BENCH_DATABASE}"
    from django.conf import settings

    settings.DEBUG = False
    import django

    django.setup()
    import logging

    # factur-x logs every embedding at INFO level.
    logging.getLogger("factur-x").setLevel(logging.WARNING)


def percentile(values: list[float], rank: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(rank * len(ordered) + 0.5) - 1))]


def build_world():
    from cordee.accounts.models import User
    from cordee.billing.models import BillingPlan, LegalSeller, NumberSeries
    from cordee.billing.services.sellers import DEFAULT_PREFIXES
    from cordee.clients.models import Client
    from cordee.collectives.models import Collective, Membership
    from cordee.missions.models import Mission

    if Collective.objects.exists():
        raise SystemExit("This database holds collectives: run the benchmark on an empty one.")
    collective = Collective.objects.create(name="Collectif du banc", slug="banc")
    identity = {
        "legal_form": "micro",
        "address_line": "12 rue des Lilas",
        "postal_code": "75011",
        "city": "Paris",
        "iban": "FR7630006000011234567890189",
        "bic": "AGRIFRPP",
    }
    franchise = User.objects.create(
        email="claire@example.fr",
        full_name="Claire Martin",
        business_name="Claire Martin Design",
        siret="73282932000074",
        vat_regime="franchise",
        account_holder="Claire Martin",
        **identity,
    )
    registered = User.objects.create(
        email="hugo@example.fr",
        full_name="Hugo Petit",
        siret="44306184100047",
        vat_regime="registered",
        vat_number="FR64443061841",
        account_holder="Hugo Petit",
        **(identity | {"legal_form": "ei"}),
    )
    for user in (franchise, registered):
        Membership.objects.create(collective=collective, user=user, role=Membership.Role.ADMIN)
    client = Client.objects.create(
        collective=collective,
        name="Atelier Dupont SAS",
        siren="552081317",
        address_line="5 avenue de France",
        postal_code="75013",
        city="Paris",
    )
    mission = Mission.objects.create(
        collective=collective,
        client=client,
        title="Refonte du site",
        lead=franchise,
        start_date=date(2026, 9, 1),
        status=Mission.Status.ACTIVE,
    )
    sellers = []
    for user in (franchise, registered):
        seller = LegalSeller.objects.create(collective=collective, kind=LegalSeller.Kind.MEMBER, user=user)
        NumberSeries.objects.bulk_create(
            NumberSeries(collective=collective, seller=seller, document_type=kind, prefix=prefix)
            for kind, prefix in DEFAULT_PREFIXES.items()
        )
        sellers.append(seller)
    plan = BillingPlan.objects.create(
        collective=collective,
        mission=mission,
        version=1,
        model=BillingPlan.Model.PAY_AS_YOU_GO,
        mission_day_rate=Decimal("600"),
        seller=sellers[0],
    )
    return mission, plan, client, sellers


class Steps:
    """Wall time per step, summed over the invoices of a run."""

    def __init__(self):
        self.times = {}

    def timed(self, name, work):
        started = time.perf_counter()
        result = work()
        self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - started
        return result


def issue_one(mission, plan, client, seller, issued_on, steps: Steps, *, check: bool):
    """One invoice issued in its own transaction: what `services.invoices` does at issue, file by file."""
    from django.db import transaction

    from cordee.billing import einvoice, einvoice_check
    from cordee.billing.einvoice import franchise_line_values
    from cordee.billing.models import Invoice, InvoiceLine, NumberSeries
    from cordee.billing.pdf import sha256_hex
    from cordee.billing.services.sellers import client_identity, number_issue, seller_identity
    from cordee.core.money import line_amount, money_sum, percent_of

    with transaction.atomic():
        invoice = Invoice.objects.create(
            collective_id=mission.collective_id,
            mission=mission,
            plan=plan,
            seller=seller,
            client=client,
            period_start=issued_on.replace(day=1),
            period_end=issued_on,
        )
        identity = seller_identity(seller)
        if identity["vat_regime"] == "registered":
            vat = [{"vat_category": "S", "vat_rate": Decimal("20.00")}] * 2 + [
                {"vat_category": "S", "vat_rate": Decimal("10.00")}
            ]
        else:
            vat = [franchise_line_values(issued_on)] * 3
        lines = InvoiceLine.objects.bulk_create(
            InvoiceLine(
                collective_id=mission.collective_id,
                invoice=invoice,
                position=position,
                description=description,
                quantity=quantity,
                unit_code=unit,
                unit_price=price,
                net_amount=line_amount(quantity, price),
                **vat[position - 1],
            )
            for position, (description, quantity, unit, price) in enumerate(
                [
                    ("Développement, sprint", Decimal("4.5"), "DAY", Decimal("600")),
                    ("Atelier avec l'équipe", Decimal("3"), "HUR", Decimal("85.50")),
                    ("Formation", Decimal("1"), "C62", Decimal("1200")),
                ],
                start=1,
            )
        )
        groups = {}
        for line in lines:
            key = (line.vat_category, line.vat_rate, line.exemption_reason, line.exemption_code)
            groups[key] = groups.get(key, Decimal("0.00")) + line.net_amount
        invoice.tax_breakdown = [
            {
                "category": category,
                "rate": str(rate),
                "base": str(base),
                "tax": str(percent_of(base, rate)),
                "exemption_reason": reason,
                "exemption_code": code,
            }
            for (category, rate, reason, code), base in groups.items()
        ]
        invoice.total_excl_tax = money_sum(Decimal(row["base"]) for row in invoice.tax_breakdown)
        invoice.total_tax = money_sum(Decimal(row["tax"]) for row in invoice.tax_breakdown)
        invoice.total_incl_tax = invoice.total_excl_tax + invoice.total_tax
        invoice.seller_snapshot = identity
        invoice.buyer_snapshot = client_identity(client)
        invoice.issued_on = issued_on
        invoice.due_on = issued_on + timedelta(days=30)
        invoice.number = steps.timed(
            "numbering",
            lambda: number_issue(
                seller=seller, document_type=NumberSeries.DocumentType.INVOICE, issued_on=issued_on
            ),
        )
        invoice.status = Invoice.Status.ISSUED
        document = einvoice.einvoice_from_invoice(invoice)
        xml = steps.timed("CII XML", lambda: einvoice.cii_xml(document))
        if check:
            steps.timed("XSD + EN 16931 + BR-FR", lambda: einvoice_check.xml_check(xml))
        pdf = steps.timed("PDF/A-3 + embedding", lambda: einvoice.einvoice_pdf(document, xml))
        invoice.pdf, invoice.xml = pdf, xml
        invoice.pdf_sha256, invoice.xml_sha256 = sha256_hex(pdf), sha256_hex(xml)
        steps.timed("save", invoice.save)
    return invoice


def report(label: str, durations: list[float], cpu: float) -> None:
    print(
        f"{label:<32} n={len(durations):<4} median {statistics.median(durations) * 1000:6.0f} ms"
        f"   p95 {percentile(durations, 0.95) * 1000:6.0f} ms   min {min(durations) * 1000:5.0f}"
        f"   max {max(durations) * 1000:5.0f}   CPU {cpu * 1000 / len(durations):5.0f} ms/invoice"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--single", type=int, default=20, help="single invoices timed one by one")
    parser.add_argument("--batch", type=int, default=50, help="invoices issued in a row")
    arguments = parser.parse_args()
    configure()

    from django.core.management import call_command
    from django.db import connection

    from cordee.billing import einvoice_check

    call_command("migrate", verbosity=0)
    mission, plan, client, sellers = build_world()
    issued_on = date(2026, 12, 3)
    print(f"{connection.vendor}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    started = time.perf_counter()
    einvoice_check.schematrons_load()
    print(f"cold start: stylesheets compiled in {(time.perf_counter() - started) * 1000:.0f} ms", end="")
    started = time.perf_counter()
    issue_one(mission, plan, client, sellers[1], issued_on, Steps(), check=True)
    print(f", first invoice (fonts, templates) {(time.perf_counter() - started) * 1000:.0f} ms")

    for check in (True, False):
        steps, durations = Steps(), []
        cpu = time.process_time()
        for index in range(arguments.single):
            began = time.perf_counter()
            issue_one(mission, plan, client, sellers[index % 2], issued_on, steps, check=check)
            durations.append(time.perf_counter() - began)
        label = "one invoice" + ("" if check else ", without the check")
        report(label, durations, time.process_time() - cpu)
        if check:
            total = sum(durations)
            print(
                "  where the time goes: "
                + ", ".join(
                    f"{name} {seconds * 1000 / len(durations):.0f} ms"
                    for name, seconds in steps.times.items()
                )
                + f", the rest (drafting, snapshots, lines) {(total - sum(steps.times.values())) * 1000 / len(durations):.0f} ms"
            )

    durations = []
    cpu = time.process_time()
    began_batch = time.perf_counter()
    for index in range(arguments.batch):
        began = time.perf_counter()
        issue_one(mission, plan, client, sellers[index % 2], issued_on, Steps(), check=True)
        durations.append(time.perf_counter() - began)
    batch_seconds = time.perf_counter() - began_batch
    report(f"batch of {arguments.batch}", durations, time.process_time() - cpu)
    print(
        f"  the batch took {batch_seconds:.2f} s, {batch_seconds * 1000 / arguments.batch:.0f} ms per invoice"
    )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
