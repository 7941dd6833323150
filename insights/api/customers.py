"""Accounts: GET /api/customers/ and the upsert POST."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from insights.api.common import (
    AUTH_HELP,
    IDEMPOTENCY_KEY,
    MAX_ITEMS,
    REPLAYED,
    WRITE_HELP,
    IngestJSONParser,
    ListPagination,
    MethodRoutedApi,
    SingleOrBatch,
    _created_or_ok,
    _idempotent_response,
    _paginated_response,
    _read_responses,
    _validated_items,
    _write_responses,
    validate_storable_json,
)
from insights.models import Customer, Plan, Region, Segment
from insights.permissions import (
    HasRequiredPermissions,
)
from insights.selectors import (
    CustomerFilters,
    customer_list,
)
from insights.services.customers import ContactInput, CustomerInput, customers_upsert
from insights.services.idempotency import (
    StoredResponse,
)
from insights.services.usage import MAX_COUNT


class CustomerListApi(APIView):
    """Accounts by name."""

    permission_classes = [IsAuthenticated, HasRequiredPermissions]
    required_permissions = ("insights.view_customer",)
    pagination_class = ListPagination

    class FilterSerializer(serializers.Serializer):
        segment = serializers.ChoiceField(choices=Segment.choices, required=False)
        plan = serializers.ChoiceField(choices=Plan.choices, required=False)
        region = serializers.ChoiceField(choices=Region.choices, required=False)
        churned = serializers.BooleanField(allow_null=True, default=None)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "Customer"

        id = serializers.IntegerField()
        external_id = serializers.CharField()
        name = serializers.CharField()
        domain = serializers.CharField()
        segment = serializers.CharField()
        plan = serializers.CharField()
        region = serializers.CharField()
        arr = serializers.DecimalField(max_digits=14, decimal_places=2)
        seats = serializers.IntegerField()
        customer_since = serializers.DateField(allow_null=True)
        churned = serializers.BooleanField()
        churned_on = serializers.DateField(allow_null=True)
        feedback_count = serializers.IntegerField()

    @extend_schema(
        operation_id="customers_list",
        description="Accounts by name.\n\n" + AUTH_HELP,
        parameters=[FilterSerializer],
        responses=_read_responses(OutputSerializer(many=True)),
    )
    def get(self, request: Request) -> Response:
        filter_serializer = self.FilterSerializer(data=request.query_params)
        filter_serializer.is_valid(raise_exception=True)
        data = filter_serializer.validated_data
        filters = CustomerFilters(
            segment=data.get("segment", ""),
            plan=data.get("plan", ""),
            region=data.get("region", ""),
            churned=data.get("churned"),
        )
        queryset: QuerySet[Customer] = customer_list(filters=filters)
        return _paginated_response(
            view=self,
            request=request,
            queryset=queryset,
            serializer_class=self.OutputSerializer,
        )


class CustomerUpsertApi(APIView):
    """Accounts in: created or updated by external id."""

    permission_classes = [IsAuthenticated, HasRequiredPermissions]
    required_permissions = ("insights.add_customer", "insights.change_customer")
    parser_classes = [IngestJSONParser]

    class InputSerializer(serializers.Serializer):
        class ContactSerializer(serializers.Serializer):
            class Meta:
                ref_name = "CustomerContactItem"

            email = serializers.EmailField(max_length=254)
            name = serializers.CharField(default="", allow_blank=True, max_length=200)
            title = serializers.CharField(default="", allow_blank=True, max_length=200)

        class Meta:
            ref_name = "CustomerItem"

        external_id = serializers.CharField(min_length=1, max_length=100)
        name = serializers.CharField(min_length=1, max_length=200)
        domain = serializers.CharField(
            default="",
            allow_blank=True,
            max_length=200,
            help_text="Email domain used to match respondents.",
        )
        segment = serializers.ChoiceField(choices=Segment.choices, default="", allow_blank=True)
        plan = serializers.ChoiceField(choices=Plan.choices, default="", allow_blank=True)
        region = serializers.ChoiceField(choices=Region.choices, default="", allow_blank=True)
        arr = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, default=0)
        seats = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, default=0)
        customer_since = serializers.DateField(default=None, allow_null=True)
        churned = serializers.BooleanField(default=False)
        churned_on = serializers.DateField(
            default=None, allow_null=True, help_text="Only for a churned account."
        )
        attributes = serializers.DictField(
            default=dict, validators=[validate_storable_json], help_text="Any JSON object."
        )
        contacts = ContactSerializer(
            many=True,
            required=False,
            max_length=MAX_ITEMS,
            help_text="Added or updated by email (never removed); leave out to keep them as is.",
        )

        def validate(self, attrs: dict) -> dict:
            if attrs["churned_on"] and not attrs["churned"]:
                raise serializers.ValidationError(
                    {"churned_on": ["Only a churned account has a churn date."]}
                )
            return attrs

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CustomerUpsertResult"

        created = serializers.IntegerField()
        updated = serializers.IntegerField()

    @extend_schema(
        operation_id="customers_upsert",
        description="Create or update accounts by external_id. An item replaces every field of "
        "the account (fields left out get their defaults), except contacts, which are only "
        "added or updated. An external_id repeated in one batch: the last item wins.\n\n"
        + WRITE_HELP
        + "\n\nRequires the permissions insights.add_customer and insights.change_customer. "
        + AUTH_HELP,
        request=SingleOrBatch(component_name="CustomerUpsert", item=InputSerializer),
        parameters=[IDEMPOTENCY_KEY, REPLAYED],
        responses=_write_responses(OutputSerializer),
    )
    def post(self, request: Request) -> Response:
        return _idempotent_response(request, endpoint="customers-upsert", run=self._upsert)

    def _upsert(self, data: Any) -> StoredResponse:
        items = _validated_items(data, self.InputSerializer)
        inputs = [
            CustomerInput(
                external_id=item["external_id"],
                name=item["name"],
                domain=item["domain"],
                segment=item["segment"],
                plan=item["plan"],
                region=item["region"],
                arr=item["arr"],
                seats=item["seats"],
                customer_since=item["customer_since"],
                churned=item["churned"],
                churned_on=item["churned_on"],
                attributes=item["attributes"],
                contacts=(
                    tuple(ContactInput(**contact) for contact in item["contacts"])
                    if "contacts" in item
                    else None
                ),
            )
            for item in items
        ]
        result = customers_upsert(items=inputs)
        body = dict(self.OutputSerializer(result).data)
        return StoredResponse(status=_created_or_ok(result.created), body=body)


class CustomerApi(MethodRoutedApi):
    """/api/customers/: GET lists, POST upserts."""

    operations = {"get": CustomerListApi, "post": CustomerUpsertApi}
