"""Comments, follows, reports and moderation, under /api/v1/.

Comments are a flat list, oldest first, each with its `parent` id (null for a
top-level comment): parents always come before their replies, so clients build the
thread tree in one pass. Hidden comments: see renewal.selectors.engagement (a
placeholder with `is_hidden: true`, no author and no body, when it has replies).
Projects hidden by moderation answer 404 here for everyone but their proposer, the
staff of their city and moderators (visible_projects in renewal.selectors.projects).
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework_gis.fields import GeometryField

from config.api import WriteThrottleMixin
from core.errors import NotPermitted
from renewal.api.geometry import validate_korean_point
from renewal.models.engagement import (
    AreaFollow,
    Comment,
    ContentReport,
    ModerationAction,
)
from renewal.models.projects import ProjectCategory, RenewalProject
from renewal.selectors.engagement import (
    MODERATED_MODELS,
    comment_is_masked,
    comment_list,
    content_get,
    pending_reports,
)
from renewal.selectors.projects import sees_hidden_content, visible_projects
from renewal.services.engagement import (
    area_follow_create,
    area_follow_delete,
    comment_post,
    content_hide,
    content_report,
    content_unhide,
    project_follow,
    project_unfollow,
)


def _visible_project(request, pk: int) -> RenewalProject:
    return get_object_or_404(
        visible_projects(RenewalProject.objects.all(), request.user), pk=pk
    )


# Comments


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ["id", "parent", "author", "body", "is_hidden", "created_at"]
        read_only_fields = fields

    def _masked(self, comment) -> bool:
        return comment_is_masked(
            comment,
            user=self.context["request"].user,
            sees_hidden=self.context["sees_hidden"],
        )

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_author(self, comment) -> str | None:
        return None if self._masked(comment) else comment.author.username

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_body(self, comment) -> str | None:
        return None if self._masked(comment) else comment.body


class CommentInputSerializer(serializers.Serializer):
    # Emptiness and length are the service's to judge, with its own messages.
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)
    parent = serializers.IntegerField(
        required=False, allow_null=True, help_text="Id of the comment replied to."
    )


class ProjectCommentsView(WriteThrottleMixin, generics.ListCreateAPIView):
    """A project's comments, oldest first; post a comment or a reply (`parent`)."""

    serializer_class = CommentSerializer
    write_throttle_scope = "comment"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Comment.objects.none()
        project = _visible_project(self.request, self.kwargs["pk"])
        return comment_list(project=project, user=self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["sees_hidden"] = sees_hidden_content(self.request.user)
        return context

    @extend_schema(request=CommentInputSerializer, responses={201: CommentSerializer})
    def post(self, request, pk: int):
        project = _visible_project(request, pk)
        payload = CommentInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        parent = None
        parent_id = payload.validated_data.get("parent")
        if parent_id is not None:
            parent = Comment.objects.filter(pk=parent_id).first()
            if parent is None:
                raise ValidationError({"parent": [_("No such comment.")]})
        comment = comment_post(
            author=request.user,
            project=project,
            body=payload.validated_data["body"],
            parent=parent,
        )
        return Response(
            self.get_serializer(comment).data, status=status.HTTP_201_CREATED
        )


# Follows

FollowState = inline_serializer(
    "FollowState", fields={"following": serializers.BooleanField()}
)


class ProjectFollowView(generics.GenericAPIView):
    """Follow a project (POST; repeating is not an error) or stop (DELETE)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=FollowState)
    def post(self, request, pk: int):
        project_follow(user=request.user, project=_visible_project(request, pk))
        return Response({"following": True})

    # A body, not the 204 that drf-spectacular assumes for DELETE.
    @extend_schema(request=None, responses={200: FollowState})
    def delete(self, request, pk: int):
        project_unfollow(user=request.user, project=_visible_project(request, pk))
        return Response({"following": False})


class AreaFollowSerializer(serializers.ModelSerializer):
    center = GeometryField(help_text="GeoJSON Point, EPSG:4326.")
    # Range and category are checked by the service, with its own messages.
    radius_m = serializers.IntegerField(help_text="Metres, 100 to 20,000.")
    category = serializers.ChoiceField(
        choices=ProjectCategory.choices, required=False, allow_blank=True, default=""
    )

    class Meta:
        model = AreaFollow
        fields = ["id", "center", "radius_m", "category", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_center(self, center):
        return validate_korean_point(center)


class AreaFollowListView(generics.ListCreateAPIView):
    """The caller's followed areas: new projects within `radius_m` of `center`,
    optionally of one `category`, are notified."""

    serializer_class = AreaFollowSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return AreaFollow.objects.none()
        return AreaFollow.objects.filter(user=self.request.user).order_by("id")

    def perform_create(self, serializer):
        serializer.instance = area_follow_create(
            user=self.request.user, **serializer.validated_data
        )


class AreaFollowDetailView(generics.DestroyAPIView):
    """Stop following an area. Other people's areas are 404."""

    serializer_class = AreaFollowSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return AreaFollow.objects.none()
        return AreaFollow.objects.filter(user=self.request.user)

    def perform_destroy(self, instance):
        area_follow_delete(user=self.request.user, area_follow=instance)


# Reports and moderation


class ContentReferenceSerializer(serializers.Serializer):
    content_type = serializers.ChoiceField(choices=list(MODERATED_MODELS))
    id = serializers.IntegerField()
    # Required, but judged by the service so that the message says why.
    reason = serializers.CharField(allow_blank=True, trim_whitespace=False)


class ReportSerializer(serializers.Serializer):
    content_type = serializers.CharField()
    id = serializers.IntegerField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class PendingReportSerializer(serializers.Serializer):
    content_type = serializers.CharField(source="content_kind")
    id = serializers.IntegerField(source="object_id")
    project = serializers.IntegerField(source="project_id", allow_null=True)
    excerpt = serializers.CharField(allow_null=True)
    is_hidden = serializers.BooleanField(allow_null=True)
    report_count = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())
    first_reported_at = serializers.DateTimeField()
    last_reported_at = serializers.DateTimeField()


class ModerationLogSerializer(serializers.Serializer):
    content_type = serializers.CharField()
    id = serializers.IntegerField()
    action = serializers.ChoiceField(choices=ModerationAction.choices)
    reason = serializers.CharField()
    moderator = serializers.CharField()
    is_hidden = serializers.BooleanField()
    at = serializers.DateTimeField()


class ReportListView(WriteThrottleMixin, generics.GenericAPIView):
    """POST: report a project or comment (once per user; repeating is not an error).
    GET (moderators): open reports grouped by content, most reported first."""

    serializer_class = PendingReportSerializer
    permission_classes = [IsAuthenticated]
    write_throttle_scope = "report"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ContentReport.objects.none()
        return pending_reports()

    @extend_schema(responses=PendingReportSerializer(many=True))
    def get(self, request):
        if not request.user.has_perm("renewal.moderate_content"):
            raise NotPermitted(_("Only moderators see the reports."))
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=ContentReferenceSerializer,
        responses={201: ReportSerializer, 200: ReportSerializer},
    )
    def post(self, request):
        payload = ContentReferenceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        kind = payload.validated_data["content_type"]
        content = content_get(
            kind=kind, pk=payload.validated_data["id"], user=request.user
        )
        report, created = content_report(
            reporter=request.user,
            content=content,
            reason=payload.validated_data["reason"],
        )
        body = {
            "content_type": kind,
            "id": content.pk,
            "reason": report.reason,
            "created_at": report.created_at,
        }
        return Response(
            ReportSerializer(body).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ModerationView(generics.GenericAPIView):
    """Hide or show again a project or comment, with a reason the author is told."""

    permission_classes = [IsAuthenticated]
    serializer_class = ModerationLogSerializer
    decide = None  # staticmethod(content_hide) or staticmethod(content_unhide)

    @extend_schema(
        request=ContentReferenceSerializer, responses=ModerationLogSerializer
    )
    def post(self, request):
        payload = ContentReferenceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        kind = payload.validated_data["content_type"]
        content = content_get(
            kind=kind, pk=payload.validated_data["id"], user=request.user
        )
        entry = self.decide(
            moderator=request.user,
            content=content,
            reason=payload.validated_data["reason"],
        )
        body = {
            "content_type": kind,
            "id": content.pk,
            "action": entry.action,
            "reason": entry.reason,
            "moderator": request.user.username,
            "is_hidden": content.is_hidden,
            "at": entry.at,
        }
        return Response(ModerationLogSerializer(body).data)


class HideView(ModerationView):
    decide = staticmethod(content_hide)


class UnhideView(ModerationView):
    decide = staticmethod(content_unhide)
