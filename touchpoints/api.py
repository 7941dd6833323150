"""Touchpoints over the API: GET /api/touchpoints/ lists, POST /api/touchpoints/ logs one.

Everyone who may view touchpoints may list them; logging needs `touchpoints.add_touchpoint` and
goes through `touchpoint_log`, so the caller is always one of the touchpoint's engineers.
"""

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from insights.api.common import (
    AUTH_HELP,
    MAX_ID,
    ErrorSerializer,
    IngestJSONParser,
    ListPagination,
    MethodRoutedApi,
    _paginated_response,
    _read_responses,
    _request_data,
    validate_storable_json,
)
from insights.models import Customer
from insights.permissions import HasRequiredPermissions
from touchpoints.forms import (
    MAX_CUSTOMERS,
    MAX_DURATION_MINUTES,
    MAX_OBSERVATION_LENGTH,
    MAX_OBSERVATIONS,
    engineer_choices,
)
from touchpoints.models import Observation, PartnerTeam, Touchpoint, TouchpointKind
from touchpoints.selectors import touchpoint_list
from touchpoints.services import touchpoint_log

MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_TEXT = 10_000


def _text(**kwargs) -> serializers.CharField:
    return serializers.CharField(validators=[validate_storable_json], **kwargs)


class TouchpointOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "Touchpoint"

    id = serializers.IntegerField()
    kind = serializers.CharField()
    occurred_on = serializers.DateField()
    duration_minutes = serializers.IntegerField()
    partner_team = serializers.CharField()
    engineers = serializers.SerializerMethodField()
    customers = serializers.SerializerMethodField()
    logged_by = serializers.SerializerMethodField()
    summary = serializers.CharField()
    follow_ups = serializers.CharField()

    def get_engineers(self, obj: Touchpoint) -> list[str]:
        return sorted(user.get_username() for user in obj.engineers.all())

    def get_customers(self, obj: Touchpoint) -> list[int]:
        return sorted(customer.pk for customer in obj.customers.all())

    def get_logged_by(self, obj: Touchpoint) -> str | None:
        return obj.logged_by.get_username() if obj.logged_by else None


class TouchpointListApi(APIView):
    """Touchpoints, newest first."""

    permission_classes = [IsAuthenticated, HasRequiredPermissions]
    required_permissions = ("touchpoints.view_touchpoint",)
    pagination_class = ListPagination

    class FilterSerializer(serializers.Serializer):
        year = serializers.IntegerField(min_value=MIN_YEAR, max_value=MAX_YEAR, required=False)
        engineer = serializers.IntegerField(
            min_value=1, max_value=MAX_ID, required=False, help_text="A user id."
        )

    @extend_schema(
        operation_id="touchpoints_list",
        description="Touchpoints, newest first; filter by year and by engineer (user id).\n\n"
        + AUTH_HELP,
        parameters=[FilterSerializer],
        responses=_read_responses(TouchpointOutputSerializer(many=True)),
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        queryset: QuerySet[Touchpoint] = touchpoint_list(year=data.get("year")).select_related(
            "logged_by"
        )
        if "engineer" in data:
            queryset = queryset.filter(engineers__id=data["engineer"])
        return _paginated_response(
            view=self,
            request=request,
            queryset=queryset,
            serializer_class=TouchpointOutputSerializer,
        )


class TouchpointLogApi(APIView):
    """Log one touchpoint the caller took part in."""

    permission_classes = [IsAuthenticated, HasRequiredPermissions]
    required_permissions = ("touchpoints.add_touchpoint",)
    parser_classes = [IngestJSONParser]

    class InputSerializer(serializers.Serializer):
        class ObservationSerializer(serializers.Serializer):
            class Meta:
                ref_name = "TouchpointObservationItem"

            text = _text(min_length=1, max_length=MAX_OBSERVATION_LENGTH)
            severity = serializers.ChoiceField(
                choices=Observation.Severity.choices, default="", allow_blank=True
            )

        class Meta:
            ref_name = "TouchpointLog"

        kind = serializers.ChoiceField(choices=TouchpointKind.choices)
        occurred_on = serializers.DateField(help_text="Not in the future.")
        duration_minutes = serializers.IntegerField(
            min_value=5, max_value=MAX_DURATION_MINUTES, default=60
        )
        partner_team = serializers.ChoiceField(
            choices=PartnerTeam.choices, default="", allow_blank=True
        )
        customers = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
            default=list,
            max_length=MAX_CUSTOMERS,
            help_text="Customer ids.",
        )
        co_attendees = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
            default=list,
            max_length=MAX_CUSTOMERS,
            help_text="User ids of the other engineers there; the caller is always one.",
        )
        observations = ObservationSerializer(many=True, required=False, max_length=MAX_OBSERVATIONS)
        summary = _text(default="", allow_blank=True, max_length=MAX_TEXT)
        follow_ups = _text(default="", allow_blank=True, max_length=MAX_TEXT)

        def validate_occurred_on(self, value):
            if value > timezone.localdate():
                raise serializers.ValidationError("The date is in the future.")
            return value

        def validate_customers(self, value: list[int]) -> list[Customer]:
            wanted = list(dict.fromkeys(value))
            found = Customer.objects.in_bulk(wanted)
            unknown = [pk for pk in wanted if pk not in found]
            if unknown:
                raise serializers.ValidationError(f"Unknown customer ids: {unknown}.")
            return [found[pk] for pk in wanted]

        def validate_co_attendees(self, value: list[int]) -> list:
            wanted = list(dict.fromkeys(value))
            found = engineer_choices().in_bulk(wanted)
            unknown = [pk for pk in wanted if pk not in found]
            if unknown:
                raise serializers.ValidationError(
                    f"These ids are not engineers who log touchpoints: {unknown}."
                )
            return [found[pk] for pk in wanted]

    @extend_schema(
        operation_id="touchpoints_create",
        description="Log a touchpoint. The caller is always one of its engineers; each "
        "observation also becomes feedback. Requires touchpoints.add_touchpoint.\n\n" + AUTH_HELP,
        request=InputSerializer,
        responses={
            201: TouchpointOutputSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Invalid; nothing was stored."),
            401: OpenApiResponse(ErrorSerializer, description="No or a wrong token."),
            403: OpenApiResponse(ErrorSerializer, description="The user lacks the permission."),
            413: OpenApiResponse(ErrorSerializer, description="The body is too large."),
            415: OpenApiResponse(ErrorSerializer, description="The body is not JSON."),
        },
    )
    def post(self, request: Request) -> Response:
        data = _request_data(request)
        if not isinstance(data, dict):
            raise serializers.ValidationError({"detail": "Send one JSON object."})
        serializer = self.InputSerializer(data=data)
        if not serializer.is_valid():
            raise serializers.ValidationError(
                {
                    "detail": "The touchpoint is invalid; nothing was stored.",
                    "errors": serializer.errors,
                }
            )
        item = serializer.validated_data
        touchpoint = touchpoint_log(
            logged_by=request.user,
            kind=item["kind"],
            occurred_on=item["occurred_on"],
            duration_minutes=item["duration_minutes"],
            partner_team=item["partner_team"],
            customers=item["customers"],
            co_attendees=[u for u in item["co_attendees"] if u.pk != request.user.pk],
            observations=[(o["text"], o["severity"]) for o in item.get("observations", [])],
            summary=item["summary"],
            follow_ups=item["follow_ups"],
        )
        touchpoint = touchpoint_list().select_related("logged_by").get(pk=touchpoint.pk)
        return Response(TouchpointOutputSerializer(touchpoint).data, status=status.HTTP_201_CREATED)


class TouchpointApi(MethodRoutedApi):
    """/api/touchpoints/: GET lists, POST logs one."""

    operations = {"get": TouchpointListApi, "post": TouchpointLogApi}


__all__ = ["TouchpointApi"]
