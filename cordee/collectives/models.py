import zoneinfo
from decimal import Decimal
from email.headerregistry import Address

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cordee.core.markdown import render_markdown

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]
slug_validator = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    _("Use lowercase letters, digits and hyphens only (for example: studio-cordee)."),
)


class AssignmentMode(models.TextChoices):
    """How a mission's tasks find their assignee (a collective's default, each mission's own)."""

    LEAD_ASSIGNS = "lead_assigns", _("The lead assigns tasks")
    SELF_SERVICE = "self_service", _("Members take tasks themselves")
    BY_ROLE = "by_role", _("Tasks go to the member holding the role")


class RitualKind(models.TextChoices):
    """A mission's weekly ritual (a collective's default, each mission's own)."""

    SYNC_CALL = "sync_call", _("Weekly call")
    ASYNC_VIDEO = "async_video", _("Weekly video")


class Collective(models.Model):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(
        _("address of the page"),
        max_length=60,
        unique=True,
        validators=[slug_validator],
        error_messages={"unique": _("This address is already taken by another collective.")},
    )
    tagline = models.CharField(_("tagline"), max_length=160, blank=True)
    description = models.TextField(
        _("description"), blank=True, max_length=10_000, help_text=_("Markdown is supported.")
    )
    expertises = models.JSONField(_("expertises"), default=list, blank=True)
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/Paris"
    )
    website = models.URLField(_("website"), blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Generic sender identities of the automated emails (the seed's feedback@ address).
    feedback_sender_name = models.CharField(_("feedback sender name"), max_length=120, blank=True)
    feedback_sender_email = models.EmailField(_("feedback sender address"), blank=True)
    notification_sender_name = models.CharField(_("notification sender name"), max_length=120, blank=True)
    notification_sender_email = models.EmailField(_("notification sender address"), blank=True)
    # Defaults for missions (seed, Conseil 2 and 3); a mission can override them.
    hours_per_day = models.DecimalField(
        _("hours in a working day"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("7"),
        validators=[MinValueValidator(Decimal("1"))],
    )
    margin_percent = models.PositiveSmallIntegerField(
        _("safety margin (% of the working days)"),
        default=20,
        help_text=_("Announced dates are the internal dates plus this share of the working days."),
    )
    margin_min_business_days = models.PositiveSmallIntegerField(
        _("minimum margin (business days)"), default=2
    )
    delay_notice_min_business_days = models.PositiveSmallIntegerField(
        _("minimum notice for a delay (business days)"), default=5
    )
    default_assignment_mode = models.CharField(
        _("default task assignment"), max_length=15, default="lead_assigns"
    )
    default_recaps_per_week = models.PositiveSmallIntegerField(_("recaps per week"), default=1)
    default_ritual_kind = models.CharField(_("weekly ritual"), max_length=12, default="sync_call")
    feedback_first_after_days = models.PositiveSmallIntegerField(_("first survey after (days)"), default=14)
    feedback_every_days = models.PositiveSmallIntegerField(_("then a survey every (days)"), default=30)
    recaps_auto_send = models.BooleanField(
        _("send untouched recap drafts automatically"),
        default=False,
        help_text=_("A draft the lead did not edit goes out at the hour below on its day."),
    )
    recaps_auto_send_hour = models.PositiveSmallIntegerField(
        _("automatic sending hour"), default=17, validators=[MaxValueValidator(23)]
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("collective")
        verbose_name_plural = _("collectives")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("collectives:dashboard", args=[self.slug])

    def get_public_url(self):
        return reverse("public:collective", args=[self.slug])

    @property
    def description_html(self) -> str:
        return render_markdown(self.description)

    def feedback_sender_identity(self) -> tuple[str, str]:
        """Name and address surveys come from: ("Feedback — Studio Cordée", "feedback+studio@…")."""
        return (
            self.feedback_sender_name or f"Feedback — {self.name}",
            self.feedback_sender_email or f"feedback+{self.slug}@{settings.EMAIL_SENDER_DOMAIN}",
        )

    def notification_sender_identity(self) -> tuple[str, str]:
        return (
            self.notification_sender_name or self.name,
            self.notification_sender_email or f"noreply+{self.slug}@{settings.EMAIL_SENDER_DOMAIN}",
        )

    def feedback_sender(self) -> str:
        """The From header of surveys, e.g. "Feedback — Studio Cordée" <feedback+studio@…>."""
        name, address = self.feedback_sender_identity()
        return str(Address(display_name=name, addr_spec=address))

    def notification_sender(self) -> str:
        name, address = self.notification_sender_identity()
        return str(Address(display_name=name, addr_spec=address))


class ActiveMembershipManager(models.Manager):
    """Memberships that are current: a member who left or was removed is archived, not deleted, and is
    nowhere a member any more (access, lists, pickers, counts). Queries that join through
    `memberships__…` bypass managers and filter `memberships__archived_at__isnull=True` themselves."""

    def get_queryset(self):
        return super().get_queryset().filter(archived_at__isnull=True)


class AnyMembershipManager(models.Manager):
    """Current and archived memberships: for bringing a former member back and for the admin."""


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Admin")
        MEMBER = "member", _("Member")

    class ArchiveReason(models.TextChoices):
        LEFT = "left", _("Left the collective")
        REMOVED = "removed", _("Removed by an admin")

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role, default=Role.MEMBER)
    title = models.CharField(
        _("title in the collective"),
        max_length=120,
        blank=True,
        help_text=_("For example: UX designer, back-end developer."),
    )
    skills = models.JSONField(_("skills"), default=list, blank=True)
    day_rate = models.DecimalField(
        _("day rate (€, excl. VAT)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)
    # Leaving or being removed archives the membership: what the member did stays theirs, and a new
    # invitation accepted later makes the same row current again.
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("archived by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    archive_reason = models.CharField(_("reason"), max_length=10, choices=ArchiveReason, blank=True)

    objects = ActiveMembershipManager()
    with_archived = AnyMembershipManager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["joined_at"]
        constraints = [
            models.UniqueConstraint(fields=["collective", "user"], name="membership_unique_user"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.collective}"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN and self.archived_at is None

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Reference(models.Model):
    """A past project shown on the public page."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="references")
    title = models.CharField(_("title"), max_length=160)
    client_name = models.CharField(_("client"), max_length=160, blank=True)
    year = models.PositiveSmallIntegerField(
        _("year"), null=True, blank=True, validators=[MinValueValidator(1950)]
    )
    text = models.TextField(_("text"), blank=True, max_length=3000)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("reference")
        verbose_name_plural = _("references")
        ordering = ["position", "-year", "pk"]

    def __str__(self):
        return self.title
