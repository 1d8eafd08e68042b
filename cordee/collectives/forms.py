from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cordee.collectives.models import AssignmentMode, Collective, Membership, Reference, RitualKind
from cordee.collectives.services import collective_slug_check, collective_slug_suggest
from cordee.core.fields import CommaSeparatedListField
from cordee.core.uploads import validate_image_upload

ACCEPTED_IMAGE_TYPES = "image/png,image/jpeg,image/webp"


def _normalise_slug(value: str) -> str:
    """Accept "Atelier Rive Gauche" typed in the address field and keep only what an address can hold."""
    return collective_slug_suggest(value or "")


class CollectiveCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the collective"),
        max_length=Collective._meta.get_field("name").max_length,
        widget=forms.TextInput(attrs={"autocomplete": "organization", "data-slug-source": "id_slug"}),
    )
    slug = forms.CharField(
        label=_("Address of the public page"),
        max_length=Collective._meta.get_field("slug").max_length,
        required=False,
        help_text=_("Lowercase letters, digits and hyphens. Leave empty to derive it from the name."),
        widget=forms.TextInput(
            attrs={"autocapitalize": "none", "spellcheck": "false", "data-slug-target": ""}
        ),
    )
    tagline = forms.CharField(
        label=_("Tagline"),
        max_length=Collective._meta.get_field("tagline").max_length,
        required=False,
        help_text=_("One sentence for your public page. You can change it later."),
    )

    def address_fields(self):
        return [self["name"], self["slug"]]

    def tagline_fields(self):
        return [self["tagline"]]

    def clean_slug(self):
        slug = _normalise_slug(self.cleaned_data.get("slug"))
        if not slug and self.cleaned_data.get("name"):
            slug = collective_slug_suggest(self.cleaned_data["name"])
        if slug:
            collective_slug_check(slug)
        return slug

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("name") and not cleaned_data.get("slug") and "slug" not in self.errors:
            self.add_error("slug", _("We could not derive an address from this name: type one."))
        return cleaned_data


class CollectivePageForm(forms.ModelForm):
    expertises = CommaSeparatedListField(
        label=_("Expertises"),
        help_text=_("Separate items with commas, for example: UX design, Django, Product management."),
    )
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG or WebP."),
        widget=forms.FileInput(attrs={"accept": ACCEPTED_IMAGE_TYPES}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the current logo"), required=False)

    field_order = ["tagline", "description", "expertises", "logo", "remove_logo", "website", "contact_email"]

    class Meta:
        model = Collective
        fields = ["tagline", "description", "expertises", "website", "contact_email"]
        widgets = {"description": forms.Textarea(attrs={"rows": 12})}
        help_texts = {
            "description": _(
                "Markdown is supported: **bold**, *italic*, lists with “-”, links as [text](https://…)."
            ),
            "contact_email": _("Shown on the public page. Leave empty to show only the proposal form."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from django.conf import settings
        from django.template.defaultfilters import filesizeformat

        self.fields["logo"].help_text = _("PNG, JPEG or WebP, %(max)s at most.") % {
            "max": filesizeformat(settings.LOGO_MAX_BYTES)
        }
        if not self.instance.logo:
            del self.fields["remove_logo"]

    def presentation_fields(self):
        return [
            self[name]
            for name in ("tagline", "description", "expertises", "logo", "remove_logo")
            if name in self.fields
        ]

    def contact_fields(self):
        return [self["website"], self["contact_email"]]

    def clean_logo(self):
        logo = self.files.get(self.add_prefix("logo"))
        if logo is None:
            return None
        validate_image_upload(logo)
        return logo


class ReferenceForm(forms.ModelForm):
    class Meta:
        model = Reference
        fields = ["title", "client_name", "year", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 5})}
        help_texts = {"text": _("What you did, for whom, and the result. A few sentences are enough.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].widget.attrs.update(
            {"min": 1950, "max": timezone.now().year + 1, "inputmode": "numeric"}
        )

    def clean_year(self):
        year = self.cleaned_data.get("year")
        if year and year > timezone.now().year + 1:
            raise ValidationError(_("This year is in the future."), code="future")
        return year


class MembershipForm(forms.ModelForm):
    """A member edits their title, skills and day rate; an admin also edits the role."""

    skills = CommaSeparatedListField(label=_("Skills"), help_text=_("Separate skills with commas."))

    class Meta:
        model = Membership
        fields = ["role", "title", "skills", "day_rate"]
        widgets = {"role": forms.RadioSelect}

    def __init__(self, *args, can_edit_role: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day_rate"].widget.attrs.update({"step": "10", "min": "0", "inputmode": "decimal"})
        self.fields["day_rate"].help_text = _("Visible to the members of the collective only.")
        if not can_edit_role:
            del self.fields["role"]


class CollectiveSettingsForm(forms.ModelForm):
    # Defaults of new missions (seed, Conseil 2 and 3). Each is optional in the post: a missing value
    # keeps the current one, so that a form without the "Missions" fieldset still saves.
    MISSION_DEFAULT_FIELDS = (
        "default_assignment_mode",
        "default_recaps_per_week",
        "default_ritual_kind",
        "delay_notice_min_business_days",
        "margin_percent",
        "margin_min_business_days",
        "hours_per_day",
        "feedback_first_after_days",
        "feedback_every_days",
    )

    default_assignment_mode = forms.ChoiceField(
        label=_("Task assignment"), choices=AssignmentMode.choices, required=False
    )
    default_recaps_per_week = forms.TypedChoiceField(
        label=_("Progress recaps per week"),
        choices=[(1, _("Once a week")), (2, _("Twice a week"))],
        coerce=int,
        required=False,
    )
    default_ritual_kind = forms.ChoiceField(
        label=_("Weekly ritual"), choices=RitualKind.choices, required=False
    )
    delay_notice_min_business_days = forms.IntegerField(
        label=_("Minimum notice for a delay (business days)"), min_value=0, max_value=60, required=False
    )
    margin_percent = forms.IntegerField(
        label=_("Safety margin (% of the working days)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Announced dates are the internal dates plus this share of the working days."),
    )
    margin_min_business_days = forms.IntegerField(
        label=_("Minimum margin (business days)"), min_value=0, max_value=30, required=False
    )
    hours_per_day = forms.DecimalField(
        label=_("Hours in a working day"),
        min_value=1,
        max_value=24,
        max_digits=4,
        decimal_places=2,
        required=False,
        help_text=_("Time logged in days is converted with it."),
    )
    feedback_first_after_days = forms.IntegerField(
        label=_("First satisfaction survey after (days)"), min_value=1, max_value=365, required=False
    )
    feedback_every_days = forms.IntegerField(
        label=_("Then a survey every (days)"), min_value=1, max_value=365, required=False
    )

    class Meta:
        model = Collective
        fields = [
            "name",
            "slug",
            "time_zone",
            "contact_email",
            "feedback_sender_name",
            "feedback_sender_email",
            "notification_sender_name",
            "notification_sender_email",
        ]
        help_texts = {
            "slug": _(
                "Changing it changes the address of your public page: links shared before will stop working."
            ),
            "time_zone": _("Deadlines, reminders and recaps follow this time zone."),
            "contact_email": _("Where the collective can be reached."),
            "feedback_sender_email": _(
                "Satisfaction surveys come from this address. Leave empty to use the default shown. Use an address "
                "on a domain your email service is allowed to send for."
            ),
            "notification_sender_email": _("Notifications to clients and members come from this address."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Placeholders show the defaults that apply when a field is left empty.
        defaults = Collective(name=self.instance.name, slug=self.instance.slug)
        feedback_name, feedback_email = defaults.feedback_sender_identity()
        notification_name, notification_email = defaults.notification_sender_identity()
        self.fields["feedback_sender_name"].widget.attrs["placeholder"] = feedback_name
        self.fields["feedback_sender_email"].widget.attrs["placeholder"] = feedback_email
        self.fields["notification_sender_name"].widget.attrs["placeholder"] = notification_name
        self.fields["notification_sender_email"].widget.attrs["placeholder"] = notification_email
        self.fields["slug"].widget.attrs.update({"autocapitalize": "none", "spellcheck": "false"})
        for name in self.MISSION_DEFAULT_FIELDS:
            self.initial.setdefault(name, getattr(self.instance, name))

    def general_fields(self):
        return [self[name] for name in ("name", "slug", "time_zone", "contact_email")]

    def sender_fields(self):
        return [self[name] for name in self.Meta.fields if name.endswith(("_sender_name", "_sender_email"))]

    def mission_fields(self):
        return [self[name] for name in self.MISSION_DEFAULT_FIELDS]

    def clean_slug(self):
        slug = _normalise_slug(self.cleaned_data.get("slug"))
        collective_slug_check(slug, exclude=self.instance)
        return slug

    def clean(self):
        cleaned_data = super().clean()
        for name in self.MISSION_DEFAULT_FIELDS:
            if cleaned_data.get(name) in ("", None):
                cleaned_data[name] = None  # not posted: the service keeps the current value
        return cleaned_data
