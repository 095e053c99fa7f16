from django.contrib.contenttypes.models import ContentType
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from renewal.models import InventoryChange


class InventoryChangeSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = InventoryChange
        fields = ["at", "action", "actor", "changes", "reason"]


class HistoryMixin:
    """`GET …/{id}/history/`: every recorded change of an inventory record, newest
    first, for staff of the record's city."""

    # The whole history, unpaginated: pagination_class=None says so to the schema.
    @extend_schema(responses=InventoryChangeSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, pk=None):
        record = self.get_object()
        if not request.user.has_perm("renewal.view_inventory_history", record):
            raise PermissionDenied()
        changes = InventoryChange.objects.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk
        ).select_related("actor")
        return Response(InventoryChangeSerializer(changes, many=True).data)
