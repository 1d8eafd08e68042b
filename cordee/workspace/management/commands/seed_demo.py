"""Create the demo collective on an empty database, so that `make run` shows a living product:
the collective and its members, references, opportunities, two clients, an active mission with its
board, deliverables, client requests, time, recap, delivery call and survey, a draft mission, and billing
end to end (quotes, revenue splits, invoices, payments, reminders: `_demo_billing.py`).

Idempotent: once any collective exists, it says so and changes nothing; a demo collective seeded before
billing was part of the demo gets its billing added once.
"""

import io
from datetime import timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from cordee.accounts.models import User
from cordee.collectives.models import Collective, Membership, Reference
from cordee.opportunities.models import Opportunity, OpportunityStageChange
from cordee.workspace.management.commands._demo_billing import create_demo_billing, demo_has_billing
from cordee.workspace.management.commands._demo_work import create_demo_work

DESCRIPTION = """\
Nous sommes quatre indépendants installés à Paris et à Lyon. Depuis 2021, nous concevons et développons \
ensemble des produits numériques pour des PME, des coopératives et des associations qui veulent avancer \
vite sans sacrifier la qualité.

## Comment nous travaillons

- **Un seul contact** : chaque mission a une personne responsable, qui vous répond sous 24 heures ouvrées.
- **Une livraison toutes les deux semaines**, avec une démonstration et un point d'avancement écrit.
- **Un devis clair**, au forfait ou en régie, et une seule facture pour tout le collectif.

## Ce que nous faisons

1. Ateliers de cadrage et recherche utilisateur
2. Design d'interface et design system
3. Développement web (Django, Vue.js) et API
4. Accessibilité (RGAA), performance et maintenance

Un projet commence par un appel de 30 minutes : décrivez-nous votre besoin avec le formulaire ci-dessous, \
nous revenons vers vous sous deux jours ouvrés.
"""

EXPERTISES = [
    "Design UX/UI",
    "Recherche utilisateur",
    "Design system",
    "Django",
    "Vue.js",
    "Accessibilité RGAA",
    "Gestion de projet agile",
]

# SIRET, VAT numbers and IBANs below are made up but pass their check digits (Luhn, mod 97, RIB key).
MEMBERS = [
    {
        "email": settings.DEMO_EMAIL,
        "full_name": "Claire Martin",
        "role": Membership.Role.ADMIN,
        "title": "Cheffe de projet",
        "headline": "Cheffe de projet digital, 12 ans d'expérience en agence et en freelance",
        "skills": ["Gestion de projet", "Cadrage", "Scrum", "Facilitation d'ateliers"],
        "day_rate": Decimal("650.00"),
        "legal": {
            "legal_form": User.LegalForm.SASU,
            "business_name": "Claire Martin Conseil",
            "siret": "85234117100019",
            "share_capital": Decimal("1000.00"),
            "rcs_city": "Paris",
            "vat_regime": User.VatRegime.REGISTERED,
            "vat_number": "FR26852341171",
            "address_line": "12 rue de Buci",
            "postal_code": "75006",
            "city": "Paris",
            "iban": "FR7630004008280001045729114",
            "bic": "BNPAFRPP",
            "account_holder": "Claire Martin Conseil",
        },
    },
    {
        "email": "julien.moreau@demo.cordee.localhost",
        "full_name": "Julien Moreau",
        "role": Membership.Role.MEMBER,
        "title": "Designer UX",
        "headline": "Designer UX/UI, spécialiste des parcours complexes",
        "skills": ["UX design", "Figma", "Recherche utilisateur", "Design system"],
        "day_rate": Decimal("550.00"),
        "legal": {
            "legal_form": User.LegalForm.MICRO,
            "business_name": "",
            "siret": "88419023200014",
            "vat_regime": User.VatRegime.FRANCHISE,
            "vat_number": "",
            "address_line": "4 rue des Tanneurs",
            "postal_code": "69001",
            "city": "Lyon",
            "iban": "FR7616958000013829104756345",
            "bic": "QNTOFRP1",
            "account_holder": "Julien Moreau",
        },
    },
    {
        "email": "karim.benali@demo.cordee.localhost",
        "full_name": "Karim Benali",
        "role": Membership.Role.MEMBER,
        "title": "Développeur back-end",
        "headline": "Développeur Python/Django, API et données",
        "skills": ["Python", "Django", "PostgreSQL", "API REST"],
        "day_rate": Decimal("600.00"),
        "legal": {
            "legal_form": User.LegalForm.EURL,
            "business_name": "Benali Logiciels",
            "siret": "90156234800010",
            "share_capital": Decimal("5000.00"),
            "rcs_city": "Bobigny",
            "vat_regime": User.VatRegime.REGISTERED,
            "vat_number": "FR69901562348",
            "address_line": "27 avenue Jean Jaurès",
            "postal_code": "93100",
            "city": "Montreuil",
            "iban": "FR7630003015270005027183434",
            "bic": "SOGEFRPP",
            "account_holder": "Benali Logiciels",
        },
    },
    {
        "email": "sophie.lefevre@demo.cordee.localhost",
        "full_name": "Sophie Lefèvre",
        "role": Membership.Role.MEMBER,
        "title": "Développeuse front-end",
        "headline": "Développeuse front-end, accessibilité et performance",
        "skills": ["Vue.js", "TypeScript", "Accessibilité", "CSS"],
        "day_rate": Decimal("580.00"),
        "legal": {
            "legal_form": User.LegalForm.EI,
            "business_name": "",
            "siret": "81277345500017",
            "vat_regime": User.VatRegime.FRANCHISE,
            "vat_number": "",
            "address_line": "8 place du Marché",
            "postal_code": "92100",
            "city": "Boulogne-Billancourt",
            "iban": "FR7420041010050523864W02917",
            "bic": "PSSTFRPP",
            "account_holder": "Sophie Lefèvre",
        },
    },
]

REFERENCES = [
    {
        "title": "Refonte du tunnel de commande",
        "client_name": "Maison Lenoir (maroquinerie)",
        "year": 2025,
        "text": "Recherche utilisateur, nouveau design system et paiement en trois étapes. Le taux de conversion "
        "sur mobile est passé de 1,4 % à 2,3 % en trois mois.",
    },
    {
        "title": "Plateforme de réservation de salles",
        "client_name": "Ville de Montreuil",
        "year": 2024,
        "text": "Application Django qui permet aux associations de réserver 40 salles municipales, avec validation "
        "par les services et calendrier partagé. Conforme RGAA, 2 000 réservations par mois.",
    },
    {
        "title": "Application de suivi des tournées",
        "client_name": "Primeurs Bastide",
        "year": 2023,
        "text": "Application web mobile pour 25 livreurs : tournées du jour, preuves de livraison en photo, "
        "fonctionnement hors ligne. Conçue et livrée en dix semaines.",
    },
]

# (contact, email, company, need, budget, stage, owner email, days ago, next action)
OPPORTUNITIES = [
    (
        "Nathalie Girard",
        "nathalie@lesmotspassants.example",
        "Librairie Les Mots Passants",
        "Nous voulons vendre nos livres en ligne avec retrait en boutique et publier l'agenda de nos "
        "rencontres d'auteurs. Notre catalogue compte 12 000 références, aujourd'hui dans un fichier Excel.",
        Opportunity.Budget.FROM_5K_TO_15K,
        Opportunity.Stage.NEW,
        None,
        1,
        "",
    ),
    (
        "Thomas Roux",
        "t.roux@terresdeloire.example",
        "Coopérative Terres de Loire",
        "Refonte de l'extranet de nos 300 adhérents : suivi des livraisons de céréales, documents et "
        "messagerie. La plupart se connectent depuis leur téléphone, souvent avec un mauvais réseau.",
        Opportunity.Budget.FROM_15K_TO_50K,
        Opportunity.Stage.QUALIFIED,
        "karim.benali@demo.cordee.localhost",
        9,
        "Atelier de cadrage avec le bureau de la coopérative",
    ),
    (
        "Élodie Garnier",
        "egarnier@horizon-sante.example",
        "Fondation Horizon Santé",
        "Audit d'accessibilité RGAA de notre site de dons, puis correction des points bloquants avant la "
        "campagne de fin d'année (mi-novembre).",
        Opportunity.Budget.FROM_5K_TO_15K,
        Opportunity.Stage.PROPOSAL_SENT,
        "sophie.lefevre@demo.cordee.localhost",
        16,
        "Relancer Élodie sur la proposition",
    ),
    (
        "Marc Lambert",
        "marc.lambert@maisonlenoir.example",
        "Maison Lenoir",
        "Deuxième phase : espace client (suivi des commandes, retours, réparations) sur notre site Django.",
        Opportunity.Budget.FROM_15K_TO_50K,
        Opportunity.Stage.WON,
        settings.DEMO_EMAIL,
        30,
        "",
    ),
]

STAGE_ORDER = [
    Opportunity.Stage.NEW,
    Opportunity.Stage.QUALIFIED,
    Opportunity.Stage.PROPOSAL_SENT,
    Opportunity.Stage.WON,
]


def demo_logo_png() -> bytes:
    """A simple emblem drawn with Pillow: two peaks roped together, in the Cordée colours."""
    size = 256
    image = Image.new("RGB", (size, size), "#17424f")
    draw = ImageDraw.Draw(image)
    draw.polygon([(28, 200), (108, 72), (188, 200)], fill="#ffffff")
    draw.polygon([(108, 200), (168, 104), (228, 200)], fill="#d9e7ea")
    draw.line([(40, 172), (108, 118), (168, 148), (220, 120)], fill="#e8833a", width=10, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


class Command(BaseCommand):
    help = (
        "Create the demo collective (Atelier Rive Gauche) on an empty database, billing included; add the "
        "billing to a demo seeded before it; do nothing otherwise."
    )

    def handle(self, *args, **options):
        if Collective.objects.exists():
            demo = Collective.objects.filter(slug=settings.DEMO_SLUG).first()
            if demo is not None and not demo_has_billing(demo):
                self._add_billing(demo)
                return
            self.stdout.write("Demo data already present (the database has collectives): nothing to do.")
            return
        with transaction.atomic():
            collective = self._create_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo collective “{collective.name}” created: log in with {settings.DEMO_EMAIL} / "
                f"{settings.DEMO_PASSWORD}"
            )
        )

    def _add_billing(self, demo: Collective) -> None:
        """Billing for a demo seeded before it was part of the demo; a demo changed since so much that its
        story no longer holds (a mission renamed, a milestone reopened) is left as it is, and said so."""
        try:
            with transaction.atomic():
                create_demo_billing(collective=demo)
        except (ObjectDoesNotExist, ValidationError) as error:
            self.stdout.write(
                self.style.WARNING(
                    f"The demo collective changed since it was seeded; its billing was not added ({error}). "
                    "Start from an empty database to see the whole demo."
                )
            )
            return
        self.stdout.write(self.style.SUCCESS(f"Billing added to the demo collective “{demo.name}”."))

    def _create_demo(self) -> Collective:
        now = timezone.now()
        collective = Collective.objects.create(
            name="Atelier Rive Gauche",
            slug=settings.DEMO_SLUG,
            tagline="Collectif de freelances : design produit et développement web, de l'idée à la mise en ligne.",
            description=DESCRIPTION,
            expertises=EXPERTISES,
            website="https://atelier-rive-gauche.example",
            contact_email="bonjour@atelier-rive-gauche.example",
            is_published=True,
            published_at=now - timedelta(days=45),
        )
        collective.logo.save(f"{collective.slug}-demo.png", ContentFile(demo_logo_png()), save=True)

        users = {}
        # One hash for the shared demo password: hashing is deliberately slow, once is enough.
        password = make_password(settings.DEMO_PASSWORD)
        for position, data in enumerate(MEMBERS):
            user = User.objects.filter(email=data["email"]).first() or User(email=data["email"])
            user.full_name = data["full_name"]
            user.headline = data["headline"]
            user.skills = data["skills"]
            user.default_day_rate = data["day_rate"]
            user.language = "fr"
            for field, value in data["legal"].items():
                setattr(user, field, value)
            user.password = password
            user.save()
            EmailAddress.objects.update_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )
            Membership.objects.create(
                collective=collective,
                user=user,
                role=data["role"],
                title=data["title"],
                skills=data["skills"],
                day_rate=data["day_rate"],
            )
            # Members joined one after the other, the admin first.
            Membership.objects.filter(collective=collective, user=user).update(
                joined_at=now - timedelta(days=180 - 10 * position)
            )
            users[user.email] = user

        for position, data in enumerate(REFERENCES):
            Reference.objects.create(collective=collective, position=position, **data)

        admin = users[settings.DEMO_EMAIL]
        for contact, email, company, need, budget, stage, owner_email, days_ago, next_action in OPPORTUNITIES:
            received = now - timedelta(days=days_ago)
            opportunity = Opportunity.objects.create(
                collective=collective,
                contact_name=contact,
                contact_email=email,
                company=company,
                need=need,
                budget=budget,
                stage=stage,
                owner=users.get(owner_email),
                language="fr",
                source=Opportunity.Source.PUBLIC_PAGE,
                desired_start=(received + timedelta(days=40)).date(),
                next_action=next_action,
                next_action_date=(now + timedelta(days=3)).date() if next_action else None,
            )
            Opportunity.objects.filter(pk=opportunity.pk).update(created_at=received, updated_at=received)
            # The history of its moves through the pipeline, one step every few days.
            previous = ""
            for step, reached in enumerate(STAGE_ORDER[: STAGE_ORDER.index(stage) + 1]):
                change = OpportunityStageChange.objects.create(
                    collective=collective,
                    opportunity=opportunity,
                    from_stage=previous,
                    to_stage=reached,
                    changed_by=None if step == 0 else (users.get(owner_email) or admin),
                )
                OpportunityStageChange.objects.filter(pk=change.pk).update(
                    changed_at=received + timedelta(days=3 * step)
                )
                previous = reached

        # Clients, an active mission in full swing and a draft one from the won opportunity.
        create_demo_work(collective=collective, users=users)
        create_demo_billing(collective=collective)
        return collective
