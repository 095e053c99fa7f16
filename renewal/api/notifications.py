"""The signed-in user's in-app notifications and e-mail preference.

Only one's own notifications exist here: another user's id is 404, like an id that
was never issued. Each message and link is written in the request's language
(Accept-Language); `kind` and `params` carry the same facts for programs.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from renewal.models import EmailMode, Notification, NotificationPreference
from renewal.selectors.notifications import notification_list
from renewal.services.notifications import (
    MESSAGE_LANGUAGES,
    notification_mark_all_read,
    notification_mark_read,
    notification_preference_get,
    notification_preference_set,
)


class NotificationSerializer(serializers.ModelSerializer):
    message = serializers.CharField(read_only=True)
    link = serializers.CharField(source="get_absolute_url", read_only=True)
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "message",
            "link",
            "params",
            "project",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields

    def get_is_read(self, notification) -> bool:
        return notification.read_at is not None


class NotificationPreferenceSerializer(serializers.ModelSerializer):
    email_mode = serializers.ChoiceField(choices=EmailMode.choices)
    # The language of e-mail; left out, it keeps its value.
    language = serializers.ChoiceField(choices=MESSAGE_LANGUAGES, required=False)

    class Meta:
        model = NotificationPreference
        fields = ["email_mode", "language"]


class NotificationListView(generics.ListAPIView):
    """Your notifications, newest first; `?unread=true` for the unread ones only."""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("unread", bool, description="Only unread notifications")
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Notification.objects.none()
        notifications = notification_list(user=self.request.user)
        unread = self.request.query_params.get("unread", "").lower()
        if unread in {"1", "true", "yes"}:
            notifications = notifications.filter(read_at__isnull=True)
        return notifications


class NotificationReadView(APIView):
    """Mark one notification read (repeating it changes nothing)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request, pk: int):
        notification = get_object_or_404(notification_list(user=request.user), pk=pk)
        notification = notification_mark_read(
            user=request.user, notification=notification
        )
        return Response(NotificationSerializer(notification).data)


class NotificationReadAllView(APIView):
    """Mark all your notifications read."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "NotificationsMarkedRead", fields={"marked": serializers.IntegerField()}
        ),
    )
    def post(self, request):
        return Response({"marked": notification_mark_all_read(user=request.user)})


class NotificationPreferenceView(APIView):
    """How you receive e-mail (immediately, as a daily digest, or not at all) and in
    which language."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=NotificationPreferenceSerializer)
    def get(self, request):
        preference = notification_preference_get(user=request.user)
        return Response(NotificationPreferenceSerializer(preference).data)

    @extend_schema(
        request=NotificationPreferenceSerializer,
        responses=NotificationPreferenceSerializer,
    )
    def put(self, request):
        payload = NotificationPreferenceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        preference = notification_preference_set(
            user=request.user,
            email_mode=payload.validated_data["email_mode"],
            language=payload.validated_data.get("language"),
        )
        return Response(NotificationPreferenceSerializer(preference).data)
