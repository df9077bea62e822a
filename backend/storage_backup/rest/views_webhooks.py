# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``/v1/webhooks``: a project's signed webhooks (``storage_backup.services.webhooks``). The signing secret is in
the answer to the POST only; no other call returns it."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from storage_backup.notifications import events, signing
from storage_backup.rest.serializers import StrictSerializer
from storage_backup.rest.views import ALL_PROJECTS, PROJECT_FILTER, READ_ERRORS, WRITE_ERRORS, ServiceView, _errors
from storage_backup.services import webhooks

EVENTS_HELP = ("The event types the webhook wants: " + ", ".join(events.EVENT_FILTERS) + ". An empty list (or none "
               "given) wants every event of the project's backups, restores and verifications.")


@extend_schema_field({"type": "array", "items": {"type": "string", "enum": list(events.EVENT_FILTERS)},
                      "maxItems": len(events.EVENT_FILTERS)})
class EventFilterField(serializers.ListField):
    """A webhook's ``events``: checked by ``events.check_event_filter`` as a whole, so a refusal names ``events``
    and lists what is allowed (not a list item's index)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(child=serializers.CharField(), help_text=EVENTS_HELP, **kwargs)

    def to_internal_value(self, data):
        try:
            return events.check_event_filter(data)
        except events.EventFilterInvalid as error:
            raise serializers.ValidationError(str(error)) from None


class WebhookSerializer(serializers.Serializer):
    id = serializers.CharField()
    project_id = serializers.CharField()
    url = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    enabled = serializers.BooleanField()
    events = EventFilterField()
    created_by = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    last_delivery_at = serializers.DateTimeField(allow_null=True)
    last_delivery_status = serializers.CharField(allow_blank=True)


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(help_text=f"The HMAC-SHA256 key of the {signing.HEADER} header "
                                             "(t=<unix time>,v1=<hex of HMAC(secret, '<t>.<body>')>). Shown this "
                                             "once: keep it now.")


class WebhookWriteSerializer(StrictSerializer):
    url = serializers.CharField(max_length=2048, help_text="http:// or https:// URL the events are POSTed to.")
    description = serializers.CharField(required=False, allow_blank=True, max_length=255)
    enabled = serializers.BooleanField(required=False)
    events = EventFilterField(required=False)


class WebhookUpdateSerializer(WebhookWriteSerializer):
    url = serializers.CharField(max_length=2048, required=False)


class WebhookList(ServiceView, generics.ListAPIView):
    serializer_class = WebhookSerializer

    def get_queryset(self):
        return webhooks.list_webhooks(self.caller, self.project_filter())

    @extend_schema(parameters=[ALL_PROJECTS, PROJECT_FILTER],
                   responses={200: WebhookSerializer(many=True), **_errors(400, 401)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=WebhookWriteSerializer, responses={201: WebhookCreatedSerializer, **WRITE_ERRORS},
                   description="Register a URL for the project's job events (backup, restore, verify: start, end, "
                               "error), all of them or those its `events` lists. The answer holds the signing "
                               "secret, once.")
    def post(self, request: Request) -> Response:
        hook, secret = webhooks.create_webhook(self.caller, self.parse(WebhookWriteSerializer))
        return Response({**WebhookSerializer(hook).data, "secret": secret}, status=status.HTTP_201_CREATED)


class WebhookSecret(ServiceView):
    serializer_class = WebhookCreatedSerializer

    @extend_schema(request=None, responses={200: WebhookCreatedSerializer, **WRITE_ERRORS},
                   description="A new signing secret for the webhook, in this answer only; the old one signs nothing "
                               "from now on.")
    def post(self, request: Request, webhook_id: str) -> Response:
        hook, secret = webhooks.new_secret(self.caller, webhook_id)
        return Response({**WebhookSerializer(hook).data, "secret": secret})


class WebhookDetail(ServiceView):
    serializer_class = WebhookSerializer

    @extend_schema(responses={200: WebhookSerializer, **READ_ERRORS})
    def get(self, request: Request, webhook_id: str) -> Response:
        return Response(WebhookSerializer(webhooks.get_webhook(self.caller, webhook_id)).data)

    @extend_schema(request=WebhookUpdateSerializer, responses={200: WebhookSerializer, **WRITE_ERRORS})
    def patch(self, request: Request, webhook_id: str) -> Response:
        hook = webhooks.update_webhook(self.caller, webhook_id, self.parse(WebhookUpdateSerializer, partial=True))
        return Response(WebhookSerializer(hook).data)

    @extend_schema(responses={204: None, **WRITE_ERRORS})
    def delete(self, request: Request, webhook_id: str) -> Response:
        webhooks.delete_webhook(self.caller, webhook_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
