from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cordee.core.money import AMOUNT_DECIMAL_PLACES, AMOUNT_MAX_DIGITS


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A freelancer's account. It also carries their legal identity, which invoicing needs."""

    class LegalForm(models.TextChoices):
        MICRO = "micro", _("Micro-entreprise")
        EI = "ei", _("EI (entreprise individuelle)")
        EURL = "eurl", _("EURL")
        SASU = "sasu", _("SASU")
        SAS = "sas", _("SAS")
        OTHER = "other", _("Other")

    # Forms whose invoices must also print the share capital and the RCS city (INVOICING_FR.md row 5).
    COMPANY_FORMS = (LegalForm.EURL, LegalForm.SASU, LegalForm.SAS)
    SHARE_CAPITAL_MAX = Decimal("9999999999.99")

    class VatRegime(models.TextChoices):
        FRANCHISE = "franchise", _("VAT exemption (franchise, art. 293 B du CGI)")
        REGISTERED = "registered", _("VAT-registered (intra-EU VAT number)")

    # The fields an invoice issued in this freelancer's name needs (the VAT number too when VAT-registered).
    LEGAL_IDENTITY_FIELDS = (
        "full_name",
        "legal_form",
        "siret",
        "vat_regime",
        "address_line",
        "postal_code",
        "city",
        "iban",
        "account_holder",
    )

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    photo = models.ImageField(_("photo"), upload_to="photos/", blank=True)
    headline = models.CharField(_("headline"), max_length=120, blank=True)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    default_day_rate = models.DecimalField(
        _("default day rate (€, excl. VAT)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    # Legal identity
    legal_form = models.CharField(_("legal form"), max_length=10, choices=LegalForm, blank=True)
    business_name = models.CharField(_("business name"), max_length=150, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    share_capital = models.DecimalField(
        _("share capital (€)"),
        max_digits=AMOUNT_MAX_DIGITS,
        decimal_places=AMOUNT_DECIMAL_PLACES,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(SHARE_CAPITAL_MAX)],
    )
    rcs_city = models.CharField(_("RCS city"), max_length=100, blank=True)
    vat_regime = models.CharField(_("VAT regime"), max_length=12, choices=VatRegime, blank=True)
    vat_number = models.CharField(_("intra-EU VAT number"), max_length=20, blank=True)
    address_line = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=12, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="FR")
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    account_holder = models.CharField(_("account holder"), max_length=150, blank=True)

    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@")[0]

    def get_full_name(self):
        return self.display_name

    def get_short_name(self):
        return self.display_name.split(" ")[0]

    def legal_identity_checklist(self) -> list[tuple[str, bool]]:
        """Each field invoicing needs, as (label, filled) pairs, in the order of the profile form."""
        required = list(self.LEGAL_IDENTITY_FIELDS)
        if self.vat_regime == self.VatRegime.REGISTERED:
            required.insert(required.index("vat_regime") + 1, "vat_number")
        if self.legal_form in self.COMPANY_FORMS:
            required[required.index("siret") + 1 : required.index("siret") + 1] = [
                "share_capital",
                "rcs_city",
            ]
        return [
            (str(self._meta.get_field(name).verbose_name), getattr(self, name) not in (None, ""))
            for name in required
        ]

    def missing_legal_identity(self) -> list[str]:
        """Labels of the fields invoicing will need and that are still empty."""
        return [label for label, filled in self.legal_identity_checklist() if not filled]
