from django.contrib import admin

from .models import Company, Contact, Deal


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "domain"]
    search_fields = ["name", "domain"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "phone", "company"]
    search_fields = ["first_name", "last_name", "email", "phone", "mobile"]
    autocomplete_fields = ["company"]


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = ["name", "stage", "amount", "company"]
    list_filter = ["stage"]
    search_fields = ["name"]
    autocomplete_fields = ["company"]
