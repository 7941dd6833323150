"""The REST API: one class per operation, serializers nested inside it; writes call services.

Reads list feedback and accounts; writes ingest feedback, accounts and usage in batches of up to
`MAX_ITEMS`, all-or-nothing, optionally made idempotent by an Idempotency-Key header
(`insights.services.idempotency`). Where two operations share a URL (GET and POST /api/feedback/),
`MethodRoutedApi` sends each HTTP method to its own class.
"""

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ParseError, ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser
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
from insights.records import FeedbackRecord, UsageRecord
from insights.selectors import (
    SCORE_FILTERS,
    CustomerFilters,
    FeedbackFilters,
    customer_list,
    feedback_list,
)
from insights.services.analysis import feedback_analyze_soon
from insights.services.customers import ContactInput, CustomerInput, customers_upsert
from insights.services.feedback import feedback_content_hash, feedback_records_insert
from insights.services.idempotency import (
    KEY_MAX_LENGTH,
    IdempotencyKeyBusy,
    IdempotencyKeyReused,
    IdempotentOutcome,
    StoredResponse,
    idempotency_request_sha256,
    idempotent_call,
)
from insights.services.matching import CustomerMatcher
from insights.services.usage import MAX_COUNT, usage_records_upsert

MAX_ITEMS = 1_000
# Ids are 64-bit; a larger number in a filter would overflow the database driver.
MAX_ID = 2**63 - 1
# Free-form JSON (metadata, attributes) deeper than this is refused rather than stored.
MAX_JSON_DEPTH = 32
_UNSTORABLE_CHARACTER = re.compile("[\x00\ud800-\udfff]")

AUTH_HELP = (
    "Authenticate with a token: `Authorization: Token <key>`. An administrator creates one in "
    "the Django admin (Auth Token → Tokens → Add) or with "
    "`python manage.py drf_create_token <username>`."
)
WRITE_HELP = (
    "The body is one item (a JSON object) or a batch (a JSON array of at most 1,000 items). "
    "A batch is all-or-nothing: when any item is invalid the answer is 400 with the errors of "
    'each invalid item under its index (`{"errors": {"3": {"nps": ["…"]}}}`) and nothing is '
    "stored. The answer is 201 when something was created, 200 when nothing was new.\n\n"
    "Send an `Idempotency-Key` header to make a retry safe: the first successful answer for "
    "your user and that key is stored for 24 hours, a repeat with the same body gets it back "
    "(same status and body, header `Idempotent-Replayed: true`) without being done again, and "
    "the same key with another body is refused with 422. Errors are not stored: a request "
    "refused with 400 may be corrected and sent again with the same key."
)


# ------------------------------------------------------------------------------------------------
# Shared plumbing
# ------------------------------------------------------------------------------------------------


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


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class UnprocessableKeyReuse(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


class KeyConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_busy"


class IngestJSONParser(JSONParser):
    """JSON only, and a body nested deeper than Python's recursion limit is a parse error (a
    400), not a crash. (Django already refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE.)"""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None


def _request_data(request: Request) -> Any:
    """The parsed body; too large a body is a 413 rather than Django's bare 400."""
    try:
        return request.data
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raise PayloadTooLarge(f"The request body is larger than {limit:,} bytes.") from None


class ErrorSerializer(serializers.Serializer):
    """What a refused request answers (schema only)."""

    class Meta:
        ref_name = "IngestError"

    detail = serializers.CharField()
    errors = serializers.DictField(
        required=False,
        help_text="Field errors: by field for one item, by item index then field for a batch.",
    )


IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key",
    type={"type": "string", "minLength": 1, "maxLength": KEY_MAX_LENGTH, "pattern": r"\S"},
    location=OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (a UUID is a good choice) to make retrying this request safe.",
)
REPLAYED = OpenApiParameter(
    name="Idempotent-Replayed",
    type=str,
    location=OpenApiParameter.HEADER,
    response=[200, 201],
    description='"true" when the answer is the stored one of an earlier request with this key.',
)


def _read_responses(output: serializers.Serializer) -> dict:
    return {
        200: output,
        400: OpenApiResponse(
            OpenApiTypes.OBJECT, description="A filter is invalid: {parameter: [messages]}."
        ),
        401: OpenApiResponse(ErrorSerializer, description="No or a wrong token."),
        403: OpenApiResponse(ErrorSerializer, description="The user lacks the permission."),
    }


def _write_responses(output: type[serializers.Serializer]) -> dict:
    return {
        201: OpenApiResponse(output, description="Stored; something was created."),
        200: OpenApiResponse(output, description="Stored; nothing was new."),
        400: OpenApiResponse(ErrorSerializer, description="Invalid; nothing was stored."),
        401: OpenApiResponse(ErrorSerializer, description="No or a wrong token."),
        403: OpenApiResponse(ErrorSerializer, description="The user lacks the permission."),
        409: OpenApiResponse(
            ErrorSerializer,
            description="A concurrent request with the same key got in first and its answer "
            "cannot be read; retry.",
        ),
        413: OpenApiResponse(ErrorSerializer, description="The body is too large."),
        415: OpenApiResponse(ErrorSerializer, description="The body is not JSON."),
        422: OpenApiResponse(
            ErrorSerializer, description="The Idempotency-Key was used for another request."
        ),
    }


class SingleOrBatch(serializers.Serializer):
    """Schema only: a request body that is one `item`, or an array of 1…MAX_ITEMS of them.
    (drf-spectacular's PolymorphicProxySerializer cannot bound the array.)"""

    def __init__(self, *, component_name: str, item: type[serializers.Serializer]) -> None:
        super().__init__()
        self.component_name = component_name
        self.item = item


class SingleOrBatchExtension(OpenApiSerializerExtension):
    target_class = SingleOrBatch

    def get_name(self, auto_schema, direction) -> str:
        return self.target.component_name

    def map_serializer(self, auto_schema, direction) -> dict:
        item = auto_schema.resolve_serializer(self.target.item, direction).ref
        batch = {"type": "array", "items": item, "minItems": 1, "maxItems": MAX_ITEMS}
        return {"oneOf": [item, batch]}


def validate_storable_json(value: Any, *, depth: int = 0) -> Any:
    """Free-form JSON must survive every database: no NUL characters (PostgreSQL's jsonb refuses
    them) and no lone surrogates (not encodable as UTF-8), in keys or values, and bounded
    nesting."""
    if depth > MAX_JSON_DEPTH:
        raise serializers.ValidationError(f"Nested more than {MAX_JSON_DEPTH} levels deep.")
    if isinstance(value, str):
        if _UNSTORABLE_CHARACTER.search(value):
            raise serializers.ValidationError("Text may not contain NUL or surrogate characters.")
    elif isinstance(value, dict):
        for key, inner in value.items():
            validate_storable_json(key, depth=depth + 1)
            validate_storable_json(inner, depth=depth + 1)
    elif isinstance(value, list):
        for inner in value:
            validate_storable_json(inner, depth=depth + 1)
    return value


def _validated_items(data: Any, serializer_class: type[serializers.Serializer]) -> list[dict]:
    """Validate one item or a batch; raise a 400 that names each invalid item, or return the
    validated items."""
    if isinstance(data, dict):
        serializer = serializer_class(data=data)
        if not serializer.is_valid():
            raise ValidationError(
                {"detail": "The item is invalid; nothing was stored.", "errors": serializer.errors}
            )
        return [serializer.validated_data]
    if not isinstance(data, list):
        raise ValidationError({"detail": "Send a JSON object or an array of JSON objects."})
    if not data:
        raise ValidationError({"detail": "The array is empty: send at least one item."})
    if len(data) > MAX_ITEMS:
        raise ValidationError(
            {
                "detail": f"Send at most {MAX_ITEMS:,} items per request; this one has "
                f"{len(data):,}. Nothing was stored."
            }
        )
    serializer = serializer_class(data=data, many=True)
    if not serializer.is_valid():
        # DRF reports a batch's errors by index (LIST_SERIALIZER_ERRORS_AS_DICT), or as a list
        # with an empty entry per valid item when a project opts out.
        by_index = serializer.errors
        if isinstance(by_index, list):
            by_index = dict(enumerate(by_index))
        errors = {str(index): error for index, error in by_index.items() if error}
        raise ValidationError(
            {
                "detail": f"{len(errors)} of {len(data)} items are invalid; nothing was stored.",
                "errors": errors,
            }
        )
    return serializer.validated_data


def _idempotent_response(
    request: Request, *, endpoint: str, run: Callable[[Any], StoredResponse]
) -> Response:
    """Run a write on the request's body, through the Idempotency-Key machinery when the request
    carries a key."""
    data = _request_data(request)
    key = request.headers.get("Idempotency-Key")
    if key is None:
        outcome = IdempotentOutcome(response=run(data), replayed=False)
    else:
        key = key.strip()
        if not key or len(key) > KEY_MAX_LENGTH:
            raise ValidationError(
                {"detail": f"The Idempotency-Key must have 1 to {KEY_MAX_LENGTH} characters."}
            )
        try:
            outcome = idempotent_call(
                user_id=request.user.pk,
                key=key,
                endpoint=endpoint,
                request_sha256=idempotency_request_sha256(body=data),
                call=lambda: run(data),
            )
        except IdempotencyKeyReused:
            raise UnprocessableKeyReuse(
                "This Idempotency-Key was already used for a different request (another body "
                "or another endpoint). Use a new key for a new request."
            ) from None
        except IdempotencyKeyBusy:
            raise KeyConflict(
                "A concurrent request with this Idempotency-Key got in first and its answer "
                "cannot be read; retry shortly."
            ) from None
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return Response(outcome.response.body, status=outcome.response.status, headers=headers)


def _created_or_ok(created: int) -> int:
    return status.HTTP_201_CREATED if created else status.HTTP_200_OK


class MethodRoutedApi(APIView):
    """One URL served by one API class per operation: each HTTP method in `operations` is
    dispatched, untouched, to its class (its own authentication, permissions, parsers and
    serializers). The handlers and the per-method settings are also exposed here, so that
    drf-spectacular documents each method as its own class would."""

    operations: ClassVar[dict[str, type[APIView]]] = {}

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls._views = {method.upper(): api.as_view() for method, api in cls.operations.items()}
        for method, api in cls.operations.items():
            setattr(cls, method, getattr(api, method))

    def dispatch(self, request, *args, **kwargs):
        method = "GET" if request.method == "HEAD" else request.method
        view = self._views.get(method)
        if view is None:
            return super().dispatch(request, *args, **kwargs)
        return view(request, *args, **kwargs)

    # What follows is read by drf-spectacular, which sets `request` to a mock of each method.
    def _operation(self) -> APIView | None:
        request = getattr(self, "request", None)
        api = self.operations.get(request.method.lower()) if request is not None else None
        return api() if api is not None else None

    def get_parsers(self):
        operation = self._operation()
        return operation.get_parsers() if operation else super().get_parsers()

    def get_authenticators(self):
        operation = self._operation()
        return operation.get_authenticators() if operation else super().get_authenticators()

    def get_permissions(self):
        operation = self._operation()
        return operation.get_permissions() if operation else super().get_permissions()

    @property
    def pagination_class(self):
        return getattr(self._operation(), "pagination_class", None)


# ------------------------------------------------------------------------------------------------
# Feedback
# ------------------------------------------------------------------------------------------------


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


# ------------------------------------------------------------------------------------------------
# Accounts
# ------------------------------------------------------------------------------------------------


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


# ------------------------------------------------------------------------------------------------
# Usage
# ------------------------------------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "string",
        "pattern": "^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$",
        "example": "2026-03",
        "description": "A month, YYYY-MM, or any day of it, YYYY-MM-DD.",
    }
)
class PeriodField(serializers.Field):
    """A month: "2026-03", or a date in it, which stands for its first day."""

    default_error_messages = {"invalid": "Give a month as YYYY-MM, or a date as YYYY-MM-DD."}

    def to_internal_value(self, data: Any) -> dt.date:
        if not isinstance(data, str) or len(data) not in (7, 10) or not data.isascii():
            self.fail("invalid")
        try:
            day = dt.date.fromisoformat(data if len(data) == 10 else f"{data}-01")
        except ValueError:
            self.fail("invalid")
        return day.replace(day=1)

    def to_representation(self, value: dt.date) -> str:
        return value.strftime("%Y-%m")


class UsageUpsertApi(APIView):
    """Usage in: one snapshot per account and month, created or updated."""

    permission_classes = [IsAuthenticated, HasRequiredPermissions]
    required_permissions = ("insights.add_usagesnapshot", "insights.change_usagesnapshot")
    parser_classes = [IngestJSONParser]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "UsageItem"

        customer = serializers.CharField(
            min_length=1, max_length=100, help_text="The account's external id."
        )
        period = PeriodField()
        active_users = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, default=0)
        feature_adoption = serializers.DictField(
            child=serializers.IntegerField(min_value=0, max_value=MAX_COUNT),
            default=dict,
            validators=[validate_storable_json],
            help_text="Feature name → number of users who used it.",
        )
        task_attempts = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, default=0)
        task_successes = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, default=0)

        def validate(self, attrs: dict) -> dict:
            if attrs["task_successes"] > attrs["task_attempts"]:
                raise serializers.ValidationError(
                    {"task_successes": ["Cannot exceed task_attempts."]}
                )
            return attrs

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "UsageUpsertResult"

        created = serializers.IntegerField()
        updated = serializers.IntegerField()

    @extend_schema(
        operation_id="usage_upsert",
        description="Store usage snapshots, one per account and month: sending the same account "
        "and month again updates it. Every account must exist already (see POST "
        "/api/customers/); an unknown one makes the whole request fail with 400 naming it. "
        "The same account and month twice in one batch: the last item wins.\n\n"
        + WRITE_HELP
        + "\n\nRequires the permissions insights.add_usagesnapshot and "
        "insights.change_usagesnapshot. " + AUTH_HELP,
        request=SingleOrBatch(component_name="UsageUpsert", item=InputSerializer),
        parameters=[IDEMPOTENCY_KEY, REPLAYED],
        responses=_write_responses(OutputSerializer),
    )
    def post(self, request: Request) -> Response:
        return _idempotent_response(request, endpoint="usage-upsert", run=self._upsert)

    def _upsert(self, data: Any) -> StoredResponse:
        items = _validated_items(data, self.InputSerializer)
        records = [
            UsageRecord(
                customer_external_id=item["customer"],
                period=item["period"],
                active_users=item["active_users"],
                feature_adoption=item["feature_adoption"],
                task_attempts=item["task_attempts"],
                task_successes=item["task_successes"],
                line=index,
            )
            for index, item in enumerate(items)
        ]
        # All-or-nothing: a rejected record rolls back the ones stored with it.
        with transaction.atomic():
            result = usage_records_upsert(records=records, matcher=CustomerMatcher.load())
            if result.rejections:
                # The serializer has checked the numbers: what the service can still reject is an
                # account it does not know.
                errors = {
                    str(rejection.line): {"customer": [rejection.reason]}
                    for rejection in result.rejections
                }
                raise ValidationError(
                    {
                        "detail": f"{len(errors)} of {len(records)} items cannot be stored; "
                        "nothing was stored.",
                        "errors": errors if isinstance(data, list) else errors["0"],
                    }
                )
        body = dict(self.OutputSerializer(result).data)
        return StoredResponse(status=_created_or_ok(result.created), body=body)
