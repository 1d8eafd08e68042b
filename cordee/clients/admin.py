from django.contrib import admin

from cordee.clients.models import Client, ClientContact


class ClientContactInline(admin.TabularInline):
    model = ClientContact
    extra = 0
    fields = ["full_name", "email", "phone", "job_title", "role", "language"]
    exclude = ["collective"]


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "collective", "siren", "vat_number", "city", "created_at"]
    list_filter = ["country", "created_at"]
    search_fields = ["name", "siren", "siret", "vat_number", "city", "collective__name", "collective__slug"]
    list_select_related = ["collective"]
    autocomplete_fields = ["collective"]
    readonly_fields = ["created_at"]
    date_hierarchy = "created_at"
    inlines = [ClientContactInline]

    def save_formset(self, request, form, formset, change):
        """Contacts added inline belong to the client's collective."""
        for contact in formset.save(commit=False):
            contact.collective_id = form.instance.collective_id
            contact.save()
        for deleted in formset.deleted_objects:
            deleted.delete()


@admin.register(ClientContact)
class ClientContactAdmin(admin.ModelAdmin):
    list_display = ["full_name", "email", "client", "role", "language", "collective"]
    list_filter = ["role", "language"]
    search_fields = ["full_name", "email", "client__name", "collective__name"]
    list_select_related = ["client", "collective"]
    raw_id_fields = ["client"]
    autocomplete_fields = ["collective"]
    readonly_fields = ["created_at"]
