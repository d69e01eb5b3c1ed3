"""Bulk ingest endpoints: POST {"rows": [...]} (≤ 10,000 rows) to /api/v1/<thing>/bulk.

The answer is 200 whenever the envelope was readable, with one result per row in order
(created / updated / duplicate / merged / rejected with the row's errors); 400 only for a
malformed envelope or too many rows. An Idempotency-Key header makes a retry safe."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from mos.idempotency import idempotent
from mos.parsers import JSONParser

from .common import MAX_ROWS
from .consent import consent_bulk
from .contacts import contacts_bulk
from .events import events_bulk
from .orders import orders_bulk
from .rates import exchange_rates_bulk
from .spend import spend_bulk
from .subscriptions import subscriptions_bulk

_ROW_RESULT = inline_serializer("BulkRowResult", {
    "index": serializers.IntegerField(),
    "status": serializers.ChoiceField(
        choices=["created", "updated", "unchanged", "duplicate", "merged", "rejected"]),
    "code": serializers.CharField(required=False),
    "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                    required=False),
})
_RESPONSE = inline_serializer("BulkResponse", {
    "summary": inline_serializer("BulkSummary", {
        f: serializers.IntegerField()
        for f in ("received", "created", "updated", "unchanged", "rejected", "duplicates")}),
    "results": _ROW_RESULT.__class__(many=True),
})


def _envelope_error(code: str, message: str, fields=None) -> Response:
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return Response(body, status=400)


class BulkView(APIView):
    """Base of the bulk endpoints: subclasses name the ingest function."""

    read_perm = "crm.edit"
    write_perm = "crm.edit"
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    ingest = None  # <thing>_bulk(actor=, rows=)

    @idempotent
    def post(self, request):
        data = request.data
        rows = data.get("rows") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            return _envelope_error("invalid", "The body must be {\"rows\": [ … ]}.",
                                   {"rows": ["Expected a list of row objects."]})
        if len(rows) > MAX_ROWS:
            return _envelope_error(
                "too_many_rows",
                f"At most {MAX_ROWS} rows per request; this one has {len(rows)}.",
                {"rows": [f"At most {MAX_ROWS} rows."]})
        result = type(self).ingest(actor=request.actor, rows=rows)
        return Response(result.as_dict(), status=200)


def _view(name: str, ingest, doc: str):
    schema = extend_schema(
        operation_id=f"{name}_bulk", summary=doc,
        request=inline_serializer(f"{name.title()}BulkRequest", {
            "rows": serializers.ListField(child=serializers.DictField(), max_length=10_000)}),
        responses={200: _RESPONSE})
    def post(self, request):  # its own function, so each endpoint has its own schema
        return BulkView.post(self, request)

    return type(f"{name.title()}BulkView", (BulkView,),
                {"ingest": staticmethod(ingest), "__doc__": doc, "post": schema(post)})


ContactsBulkView = _view("contacts", contacts_bulk,
                         "Upsert contacts by external_id, else e-mail, else phone.")
EventsBulkView = _view("events", events_bulk,
                       "Ingest events (touchpoints); repeats of a sender id are duplicates.")
OrdersBulkView = _view("orders", orders_bulk, "Upsert orders by external_id.")
SpendBulkView = _view("spend", spend_bulk,
                      "Daily spend per channel and campaign; re-sending a day replaces it.")
ConsentBulkView = _view("consent", consent_bulk, "Append consent rows to the ledger.")
SubscriptionsBulkView = _view(
    "subscriptions", subscriptions_bulk,
    "Upsert subscriptions by external_id; MRR given, or amount per interval × quantity.")

ExchangeRatesBulkView = _view(
    "exchange_rates", exchange_rates_bulk,
    "Upsert daily exchange rates (one unit of `currency` in the workspace currency) by date "
    "and currency; orders and spend in that currency are converted with them.")


# --- one order by code: read, correct (PATCH), delete (both audited) -------------------------

from rest_framework import mixins  # noqa: E402

from mos.api import WorkspaceViewSet  # noqa: E402

from crm.models import ExchangeRate, Order  # noqa: E402

from .orders import order_delete, order_update  # noqa: E402


class OrderSerializer(serializers.ModelSerializer):
    contact = serializers.UUIDField(source="contact.code", read_only=True)
    amount = serializers.DecimalField(max_digits=15, decimal_places=3, min_value=0,
                                      required=False)
    margin = serializers.DecimalField(max_digits=5, decimal_places=4, min_value=0, max_value=1,
                                      required=False, allow_null=True)

    class Meta:
        model = Order
        fields = ["code", "contact", "external_id", "kind", "status", "amount", "currency", "margin",
                  "occurred_at", "created_at", "original_amount", "original_currency"]
        # amount is in the workspace currency; the original is what was sent (converted
        # with the exchange rates, crm.ingest.currency)
        read_only_fields = ["code", "contact", "created_at", "original_amount",
                            "original_currency"]

    def to_representation(self, instance):
        from mos.validation import money_text

        data = super().to_representation(instance)
        data["amount"] = money_text(instance.amount, instance.currency)
        return data


class OrderViewSet(mixins.RetrieveModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin,
                   WorkspaceViewSet):
    """One order by its code: correct it (PATCH, validated like a bulk row) or delete it;
    both are audited. Create orders with POST /api/v1/orders/bulk."""

    model = Order
    serializer_class = OrderSerializer
    read_perm = "crm.view"
    write_perm = "crm.edit"
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def scope_queryset(self, qs):
        return qs.select_related("contact")

    def perform_update(self, serializer):
        serializer.instance = order_update(actor=self.request.actor, order=serializer.instance,
                                           **serializer.validated_data)

    def perform_destroy(self, instance):
        order_delete(actor=self.request.actor, order=instance)


class ExchangeRateSerializer(serializers.ModelSerializer):
    rate = serializers.DecimalField(max_digits=24, decimal_places=10, read_only=True)

    class Meta:
        model = ExchangeRate
        fields = ["date", "currency", "rate", "source"]
        read_only_fields = fields


from rest_framework import generics  # noqa: E402

from mos.api import WorkspaceScopedMixin  # noqa: E402


class ExchangeRateList(WorkspaceScopedMixin, generics.ListAPIView):
    """The workspace's exchange rates, newest first; filter with ?currency=EUR, ?since=
    and ?until= (YYYY-MM-DD)."""

    model = ExchangeRate
    serializer_class = ExchangeRateSerializer
    read_perm = "crm.view"
    write_perm = "crm.edit"

    def scope_queryset(self, qs):
        from datetime import date

        p = self.request.query_params
        if p.get("currency"):
            qs = qs.filter(currency=p["currency"].upper()[:3])
        for key, lookup in (("since", "date__gte"), ("until", "date__lte")):
            try:
                qs = qs.filter(**{lookup: date.fromisoformat(p[key])}) if p.get(key) else qs
            except ValueError:
                from rest_framework.exceptions import ValidationError

                raise ValidationError({key: ["Not an ISO 8601 date (YYYY-MM-DD)."]}) from None
        return qs.order_by("-date", "currency")


def register(router):
    """Explicit paths, matched before the router's `<thing>/<code>` detail routes."""
    router.register("orders", OrderViewSet, basename="order")
    return [
        path("contacts/bulk", ContactsBulkView.as_view(), name="api-contacts-bulk"),
        path("events/bulk", EventsBulkView.as_view(), name="api-events-bulk"),
        path("orders/bulk", OrdersBulkView.as_view(), name="api-orders-bulk"),
        path("spend/bulk", SpendBulkView.as_view(), name="api-spend-bulk"),
        path("consent/bulk", ConsentBulkView.as_view(), name="api-consent-bulk"),
        path("subscriptions/bulk", SubscriptionsBulkView.as_view(),
             name="api-subscriptions-bulk"),
        path("exchange-rates/bulk", ExchangeRatesBulkView.as_view(),
             name="api-exchange-rates-bulk"),
        path("exchange-rates", ExchangeRateList.as_view(), name="api-exchange-rates"),
    ]
