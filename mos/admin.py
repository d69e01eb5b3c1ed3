from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ApiKey, AuditEntry, Invitation, Membership, User, Workspace


@admin.register(User)
class MosUserAdmin(UserAdmin):
    list_display = ("email", "name", "is_staff", "date_joined")
    search_fields = ("email", "name")
    ordering = ("email",)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "business", "currency", "created_at")
    search_fields = ("name", "slug")
    inlines = [MembershipInline]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "workspace", "scope", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "hashed_secret")
    actions = ["revoke"]

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        # one save per key: the post_save signal drops each from the API-key cache at once
        for key in queryset.filter(revoked_at__isnull=True):
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "workspace", "role", "created_at", "accepted_at")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "workspace", "actor", "api_key", "action", "object_repr")
    list_filter = ("action",)
