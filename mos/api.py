"""The API's base viewsets (every queryset starts from the request's workspace) and the
first resources: /api/v1/me and /api/v1/workspace."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from mos.validation import validate_currency, validate_timezone
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from .api_base import resolve_workspace
from .codes import as_code
from .selectors import user_workspaces

# The scoped lookups every workspace viewset shares; a subclass refines them through the hooks
# (scope_queryset, find_object), and a class that replaces one is refused when it is defined.
SEALED = ("get_queryset", "get_object")


class WorkspaceScopedMixin:
    """Binds request.workspace itself before any permission check, and starts every queryset
    from it. Subclasses refine with `scope_queryset(qs)` and, for objects that are not rows of
    the queryset, `find_object(workspace, lookup)`; overriding get_queryset or get_object is
    refused at class creation (as PostHog's TeamAndOrgViewSetMixin does)."""

    queryset = None
    model = None
    lookup_field = "code"
    read_perm = "workspace.view"
    write_perm = "workspace.settings"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in SEALED:
            if getattr(cls, name) is not getattr(WorkspaceScopedMixin, name):
                raise TypeError(f"{cls.__qualname__} overrides {name}: refine the workspace's "
                                "rows with scope_queryset() or find_object() instead.")

    def check_permissions(self, request):
        resolve_workspace(request)  # request.workspace and request.actor, from the key or user
        super().check_permissions(request)

    def scope_queryset(self, qs):
        """Refine the workspace's rows (filters, select_related); never widen them."""
        return qs

    def find_object(self, workspace, lookup):
        """The object named by `lookup` in `workspace`, for objects that are not plain rows of
        the queryset; None: look it up in get_queryset()."""
        return None

    def get_object(self):
        lookup = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        obj = self.find_object(self.request.workspace, lookup)
        if obj is None:
            return super().get_object()  # DRF: filter get_queryset() by the lookup, 404
        self.check_object_permissions(self.request, obj)
        return obj

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # OpenAPI generation: no request
            return self.model._default_manager.none()
        qs = self.model._default_manager.filter(workspace=self.request.workspace)
        return self.scope_queryset(qs)

    def get_serializer_context(self):
        ctx = super().get_serializer_context()
        ctx["workspace"] = getattr(self.request, "workspace", None)
        ctx["actor"] = getattr(self.request, "actor", None)
        return ctx


class WorkspaceViewSet(WorkspaceScopedMixin, viewsets.GenericViewSet):
    pass


class WorkspaceModelViewSet(WorkspaceScopedMixin, mixins.ListModelMixin,
                            mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                            mixins.UpdateModelMixin, mixins.DestroyModelMixin,
                            viewsets.GenericViewSet):
    pass


class WorkspaceRelatedField(serializers.SlugRelatedField):
    """A relation named by a slug (code, key…) and looked up among the rows of the serializer
    context's workspace only: another workspace's row reads as missing. A malformed code fails
    with `bad_code` ("invalid" or "does_not_exist")."""

    def __init__(self, model, slug_field="code", *, bad_code="invalid", **kwargs):
        self.model = model
        self.bad_code = bad_code
        super().__init__(slug_field=slug_field, queryset=model._default_manager.none(),
                         **kwargs)

    def get_queryset(self):
        return self.model._default_manager.filter(workspace=self.context["workspace"])

    def to_internal_value(self, data):
        if self.slug_field == "code" and as_code(data) is None:
            self.fail(self.bad_code, slug_name=self.slug_field, value=str(data))
        return super().to_internal_value(data)


class ServiceWritesMixin:
    """Writes of a model viewset go through the app's services (which validate, audit and keep
    history): create_service(actor=, **data), update_service(actor=, <object_arg>=obj, **data)
    and, where deleting is allowed, delete_service(actor=, <object_arg>=obj)."""

    object_arg = ""

    def perform_create(self, serializer):
        serializer.instance = type(self).create_service(actor=self.request.actor,
                                                        **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = type(self).update_service(
            actor=self.request.actor, **{self.object_arg: serializer.instance},
            **serializer.validated_data)

    def perform_destroy(self, instance):
        type(self).delete_service(actor=self.request.actor, **{self.object_arg: instance})


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Tells the OpenAPI schema that mos.api_base.ApiKeyAuthentication is a bearer key."""

    target_class = "mos.api_base.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}


# --- the first resources ------------------------------------------------------------------

class MembershipOutSerializer(serializers.Serializer):
    workspace = serializers.CharField(source="workspace.slug")
    workspace_name = serializers.CharField(source="workspace.name")
    role = serializers.CharField()


class MeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["user", "api_key"])
    email = serializers.EmailField(required=False)
    name = serializers.CharField(required=False)
    api_key = serializers.CharField(required=False, help_text="The key's visible prefix.")
    scope = serializers.CharField(required=False)
    workspace = serializers.CharField(help_text="The workspace this request acts in.")
    role = serializers.CharField()
    memberships = MembershipOutSerializer(many=True, required=False)


class MeView(APIView):
    """Who is calling: the signed-in person or the API key, and the workspace it acts in."""

    read_perm = "workspace.view"

    @extend_schema(responses=MeSerializer, operation_id="me")
    def get(self, request):
        actor = request.actor
        if actor.api_key is not None:
            data = {"kind": "api_key", "api_key": actor.api_key.prefix,
                    "scope": actor.api_key.scope, "workspace": actor.workspace.slug,
                    "role": actor.role}
        else:
            data = {"kind": "user", "email": actor.user.email, "name": actor.user.name,
                    "workspace": actor.workspace.slug, "role": actor.role,
                    "memberships": MembershipOutSerializer(
                        user_workspaces(actor.user), many=True).data}
        return Response(data)


class WorkspaceSerializer(serializers.Serializer):
    code = serializers.UUIDField(read_only=True)
    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(max_length=120)
    currency = serializers.CharField(max_length=3, validators=[validate_currency])
    timezone = serializers.CharField(max_length=64, validators=[validate_timezone])
    business = serializers.ChoiceField(choices=["subscription", "transactional"])
    default_margin = serializers.DecimalField(max_digits=5, decimal_places=4, min_value=0,
                                              max_value=1)
    activity_window_days = serializers.IntegerField(min_value=1, max_value=3650)
    attribution_model = serializers.CharField()
    attribution_lookback_days = serializers.IntegerField(min_value=1, max_value=365)


class WorkspaceView(APIView):
    """The workspace this request acts in; admins may change its settings (PATCH)."""

    read_perm = "workspace.view"
    write_perm = "workspace.settings"

    @extend_schema(responses=WorkspaceSerializer, operation_id="workspace_retrieve")
    def get(self, request):
        return Response(WorkspaceSerializer(request.workspace).data)

    @extend_schema(request=WorkspaceSerializer, responses=WorkspaceSerializer,
                   operation_id="workspace_update")
    def patch(self, request):
        from .services import workspace_update

        ser = WorkspaceSerializer(request.workspace, data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        ws = workspace_update(actor=request.actor, workspace=request.workspace,
                              **ser.validated_data)
        return Response(WorkspaceSerializer(ws).data, status=status.HTTP_200_OK)
