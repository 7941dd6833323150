"""POST /api/feedback/ (single or batch, idempotent) and GET /api/feedback/ (filtered)."""

import datetime as dt
from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from insights.api.common import (
    AUTH_HELP,
    IDEMPOTENCY_KEY,
    MAX_ID,
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
from insights.models import Feedback
from insights.permissions import (
    HasRequiredPermissions,
    feedback_text_for,
    user_can_view_original_text,
)
from insights.records import FeedbackRecord
from insights.selectors import (
    SCORE_FILTERS,
    FeedbackFilters,
    feedback_list,
)
from insights.services.analysis import feedback_analyze_soon
from insights.services.feedback import feedback_content_hash, feedback_records_insert
from insights.services.idempotency import (
    StoredResponse,
)
from insights.services.matching import CustomerMatcher


class FeedbackListApi(APIView):
    """Feedback, newest first. The text is redacted unless the caller may see the original."""

    permission_classes = [IsAuthenticated, HasRequiredPermissions]
    required_permissions = ("insights.view_feedback",)
    # For the schema: the list is paginated by `_paginated_response`.
    pagination_class = ListPagination

    class FilterSerializer(serializers.Serializer):
        source = serializers.ChoiceField(choices=Feedback.Source.choices, required=False)
        received_from = serializers.DateField(required=False, help_text="First day, included.")
        received_to = serializers.DateField(required=False, help_text="Last day, included.")
        customer = serializers.CharField(
            required=False, max_length=100, help_text="The account's external id."
        )
        theme = serializers.IntegerField(
            required=False, min_value=1, max_value=MAX_ID, help_text="The pain point's id."
        )
        sentiment = serializers.ChoiceField(
            choices=Feedback.SentimentLabel.choices,
            required=False,
            help_text="The sentiment label found by the analysis.",
        )
        score = serializers.ChoiceField(
            choices=list(SCORE_FILTERS),
            required=False,
            help_text="; ".join(f"`{key}`: {label}" for key, (label, _) in SCORE_FILTERS.items()),
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

    @extend_schema(
        operation_id="feedback_list",
        description="Feedback, newest first, filtered by the query parameters (all optional, "
        "combined with AND). The text is the redacted one unless the user holds "
        "insights.view_original_text.\n\n" + AUTH_HELP,
        parameters=[FilterSerializer],
        responses=_read_responses(OutputSerializer(many=True)),
    )
    def get(self, request: Request) -> Response:
        filter_serializer = self.FilterSerializer(data=request.query_params)
        filter_serializer.is_valid(raise_exception=True)
        data = filter_serializer.validated_data
        filters = FeedbackFilters(
            source=data.get("source", ""),
            received_from=data.get("received_from"),
            received_to=data.get("received_to"),
            customer_external_id=data.get("customer", ""),
            theme_id=data.get("theme"),
            sentiment_label=data.get("sentiment", ""),
            score=data.get("score", ""),
        )
        return _paginated_response(
            view=self,
            request=request,
            queryset=feedback_list(filters=filters),
            serializer_class=self.OutputSerializer,
            context={"show_original": user_can_view_original_text(request.user)},
        )


class FeedbackCreateApi(APIView):
    """Feedback in: one item or a batch, stored once (a re-sent item is counted as a duplicate)."""

    permission_classes = [IsAuthenticated, HasRequiredPermissions]
    required_permissions = ("insights.add_feedback",)
    parser_classes = [IngestJSONParser]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FeedbackItem"

        text = serializers.CharField(
            default="", allow_blank=True, max_length=settings.BACKLIGHT_IMPORT_MAX_CELL_CHARS
        )
        source = serializers.ChoiceField(
            choices=Feedback.Source.choices, default=Feedback.Source.API
        )
        channel = serializers.CharField(
            default="", allow_blank=True, max_length=100, help_text="e.g. in-app NPS, email"
        )
        question = serializers.CharField(default="", allow_blank=True, max_length=500)
        received_at = serializers.DateTimeField(
            help_text="When the customer said it, ISO 8601. Without an offset it is taken in "
            f"the site's time zone ({settings.TIME_ZONE})."
        )
        email = serializers.EmailField(
            default="",
            allow_blank=True,
            max_length=254,
            help_text="The respondent's; matches a contact, or an account by its domain.",
        )
        customer = serializers.CharField(
            default="",
            allow_blank=True,
            max_length=100,
            help_text="The account's external id, when the email does not identify it.",
        )
        nps = serializers.IntegerField(default=None, allow_null=True, min_value=0, max_value=10)
        csat = serializers.IntegerField(default=None, allow_null=True, min_value=1, max_value=5)
        ces = serializers.IntegerField(default=None, allow_null=True, min_value=1, max_value=7)
        external_id = serializers.CharField(
            default="",
            allow_blank=True,
            max_length=200,
            help_text="Your id for it, unique per source: a re-sent id is a duplicate.",
        )
        metadata = serializers.DictField(
            default=dict, validators=[validate_storable_json], help_text="Any JSON object."
        )

        def validate_received_at(self, value: dt.datetime) -> dt.datetime:
            # One offset for every stored instant, so that the same moment sent with two offsets
            # is the same feedback to the de-duplication.
            try:
                return value.astimezone(dt.UTC)
            except OverflowError:
                raise serializers.ValidationError("Datetime is out of range.") from None

        def validate(self, attrs: dict) -> dict:
            if not attrs["text"] and all(attrs[s] is None for s in ("nps", "csat", "ces")):
                raise serializers.ValidationError("Give a text, a score, or both.")
            return attrs

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FeedbackIngestResult"

        created = serializers.IntegerField()
        duplicates = serializers.IntegerField(help_text="Already stored, or repeated in the batch.")
        unmatched = serializers.IntegerField(help_text="Created without an account.")

    @extend_schema(
        operation_id="feedback_create",
        description="Store feedback. Items already stored (same source and external_id, or the "
        "same content) are counted as duplicates and not stored again.\n\n"
        + WRITE_HELP
        + "\n\nRequires the permission insights.add_feedback. "
        + AUTH_HELP,
        request=SingleOrBatch(component_name="FeedbackIngest", item=InputSerializer),
        parameters=[IDEMPOTENCY_KEY, REPLAYED],
        responses=_write_responses(OutputSerializer),
    )
    def post(self, request: Request) -> Response:
        return _idempotent_response(request, endpoint="feedback-create", run=self._create)

    def _create(self, data: Any) -> StoredResponse:
        items = _validated_items(data, self.InputSerializer)
        records = [
            FeedbackRecord(
                source=item["source"],
                received_at=item["received_at"],
                text=item["text"],
                channel=item["channel"],
                question=item["question"],
                external_id=item["external_id"],
                email=item["email"],
                customer_external_id=item["customer"],
                nps=item["nps"],
                csat=item["csat"],
                ces=item["ces"],
                metadata=item["metadata"],
            )
            for item in items
        ]
        result = feedback_records_insert(records=records, matcher=CustomerMatcher.load())
        if result.created and settings.BACKLIGHT_ANALYZE_ON_ARRIVAL:
            # Themed within seconds by an nlp worker, not in this request.
            feedback_analyze_soon(
                content_hashes=[feedback_content_hash(record) for record in records]
            )
        body = dict(self.OutputSerializer(result).data)
        return StoredResponse(status=_created_or_ok(result.created), body=body)


class FeedbackApi(MethodRoutedApi):
    """/api/feedback/: GET lists, POST ingests."""

    operations = {"get": FeedbackListApi, "post": FeedbackCreateApi}
