"""The read API for feedback and accounts: one class per operation, serializers nested inside it.

Writes (the ingest POSTs) come in later issues and will call `insights.services`.
"""

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from insights.models import Customer, Feedback, Plan, Region, Segment
from insights.permissions import (
    HasRequiredPermissions,
    feedback_text_for,
    user_can_view_original_text,
)
from insights.selectors import CustomerFilters, FeedbackFilters, customer_list, feedback_list


class ListPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


def _paginated_response(
    *,
    view: APIView,
    request: Request,
    queryset: QuerySet,
    serializer_class: type[serializers.Serializer],
    context: dict | None = None,
) -> Response:
    paginator = ListPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    serializer = serializer_class(page, many=True, context=context or {})
    return paginator.get_paginated_response(serializer.data)


class FeedbackListApi(APIView):
    """Feedback, newest first. The text is redacted unless the caller may see the original."""

    permission_classes = [IsAuthenticated, HasRequiredPermissions]
    required_permissions = ("insights.view_feedback",)

    class FilterSerializer(serializers.Serializer):
        source = serializers.ChoiceField(choices=Feedback.Source.choices, required=False)
        received_from = serializers.DateField(required=False, help_text="First day, included.")
        received_to = serializers.DateField(required=False, help_text="Last day, included.")
        customer = serializers.CharField(
            required=False, max_length=100, help_text="The account's external id."
        )

        def validate(self, attrs: dict) -> dict:
            start, end = attrs.get("received_from"), attrs.get("received_to")
            if start and end and start > end:
                raise serializers.ValidationError("received_from is after received_to.")
            return attrs

    class OutputSerializer(serializers.Serializer):
        class CustomerSerializer(serializers.Serializer):
            class Meta:
                ref_name = "FeedbackCustomer"

            id = serializers.IntegerField()
            external_id = serializers.CharField()
            name = serializers.CharField()

        class ThemeSerializer(serializers.Serializer):
            class Meta:
                ref_name = "FeedbackTheme"

            id = serializers.IntegerField()
            label = serializers.CharField()

        class Meta:
            # Every API class nests an "OutputSerializer"; the schema needs distinct names.
            ref_name = "Feedback"

        id = serializers.IntegerField()
        source = serializers.CharField()
        channel = serializers.CharField()
        question = serializers.CharField()
        received_at = serializers.DateTimeField()
        text = serializers.SerializerMethodField()
        redacted = serializers.SerializerMethodField()
        nps = serializers.IntegerField(allow_null=True)
        csat = serializers.IntegerField(allow_null=True)
        ces = serializers.IntegerField(allow_null=True)
        sentiment = serializers.FloatField(allow_null=True)
        sentiment_label = serializers.CharField()
        language = serializers.CharField()
        customer = CustomerSerializer(allow_null=True)
        theme = ThemeSerializer(allow_null=True)

        @extend_schema_field(OpenApiTypes.STR)
        def get_text(self, feedback: Feedback) -> str:
            return feedback_text_for(feedback, show_original=self.context["show_original"])

        @extend_schema_field(OpenApiTypes.BOOL)
        def get_redacted(self, feedback: Feedback) -> bool:
            return not self.context["show_original"] and bool(feedback.redacted_text)

    @extend_schema(parameters=[FilterSerializer], responses=OutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        filter_serializer = self.FilterSerializer(data=request.query_params)
        filter_serializer.is_valid(raise_exception=True)
        data = filter_serializer.validated_data
        filters = FeedbackFilters(
            source=data.get("source", ""),
            received_from=data.get("received_from"),
            received_to=data.get("received_to"),
            customer_external_id=data.get("customer", ""),
        )
        return _paginated_response(
            view=self,
            request=request,
            queryset=feedback_list(filters=filters),
            serializer_class=self.OutputSerializer,
            context={"show_original": user_can_view_original_text(request.user)},
        )


class CustomerListApi(APIView):
    """Accounts by name."""

    permission_classes = [IsAuthenticated, HasRequiredPermissions]
    required_permissions = ("insights.view_customer",)

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

    @extend_schema(parameters=[FilterSerializer], responses=OutputSerializer(many=True))
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
