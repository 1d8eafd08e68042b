from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from cordee.accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "legal_form", "siret", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "is_staff", "legal_form", "vat_regime", "language"]
    search_fields = ["email", "full_name", "business_name", "siret", "vat_number"]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            _("Profile"),
            {"fields": ["full_name", "language", "photo", "headline", "skills", "default_day_rate"]},
        ),
        (
            _("Legal identity"),
            {
                "fields": [
                    "legal_form",
                    "business_name",
                    "siret",
                    "share_capital",
                    "rcs_city",
                    "vat_regime",
                    "vat_number",
                    "address_line",
                    "postal_code",
                    "city",
                    "country",
                ]
            },
        ),
        (_("Bank details"), {"fields": ["iban", "bic", "account_holder"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
