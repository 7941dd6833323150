"""What every endpoint shares: limits, errors, the JSON parser, pagination, single-or-batch bodies,
idempotent writes and routing one URL's methods to one API class each."""

import re
from collections.abc import Callable
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db.models import QuerySet
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
)
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ParseError, ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from insights.services.idempotency import (
    KEY_MAX_LENGTH,
    IdempotencyKeyBusy,
    IdempotencyKeyReused,
    IdempotentOutcome,
    StoredResponse,
    idempotency_request_sha256,
    idempotent_call,
)

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
