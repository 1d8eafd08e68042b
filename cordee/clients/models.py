from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ArchivableQuerySet(models.QuerySet):
    def current(self):
        """Not archived: the clients offered for new missions, the contacts who may get new emails."""
        return self.filter(archived_at__isnull=True)


class Client(models.Model):
    """A company the collective works for."""

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="clients")
    name = models.CharField(_("company name"), max_length=160)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    vat_number = models.CharField(_("intra-EU VAT number"), max_length=20, blank=True)
    address_line = models.CharField(_("billing address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=12, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="FR")
    notes = models.TextField(_("internal notes"), blank=True, max_length=5000)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # A client with history (missions, contacts who were written to) is archived instead of deleted:
    # kept on past records, out of the lists and of new missions.
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("archived by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ArchivableQuerySet.as_manager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["collective", "siren"],
                condition=~Q(siren=""),
                name="client_unique_siren_per_collective",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class ClientContact(models.Model):
    class Role(models.TextChoices):
        SPONSOR = "sponsor", _("Sponsor")
        PROJECT = "project", _("Project")
        FINANCE = "finance", _("Finance")

    collective = models.ForeignKey("collectives.Collective", on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    full_name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    role = models.CharField(_("role"), max_length=10, choices=Role, default=Role.PROJECT)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="fr")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # A contact with history (answers, calls, requests, portal sessions) is archived instead of deleted:
    # no new email nor portal access, kept on past records.
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("archived by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ArchivableQuerySet.as_manager()

    class Meta:
        verbose_name = _("client contact")
        verbose_name_plural = _("client contacts")
        ordering = ["full_name"]
        constraints = [
            models.UniqueConstraint(fields=["client", "email"], name="contact_unique_email_per_client")
        ]

    def __str__(self):
        return f"{self.full_name} <{self.email}>"

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None
