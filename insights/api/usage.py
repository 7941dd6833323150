"""Usage snapshots: POST /api/usage/ upserts monthly usage per account."""

import datetime as dt
from typing import Any

from django.db import transaction
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from insights.api.common import (
    AUTH_HELP,
    IDEMPOTENCY_KEY,
    REPLAYED,
    WRITE_HELP,
    IngestJSONParser,
    SingleOrBatch,
    _created_or_ok,
    _idempotent_response,
    _validated_items,
    _write_responses,
    validate_storable_json,
)
from insights.permissions import (
    HasRequiredPermissions,
)
from insights.records import UsageRecord
from insights.services.idempotency import (
    StoredResponse,
)
from insights.services.matching import CustomerMatcher
from insights.services.usage import MAX_COUNT, usage_records_upsert


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
