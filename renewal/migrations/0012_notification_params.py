"""Notifications store their kind's parameters instead of a text written once in
Korean and English; users get a language for their e-mail.

Earlier notifications are rebuilt from the event their key names (the transition,
progress update, comment, project or moderation entry), so that they read in one
language like the new ones. The few whose event is gone keep their two-language
text in `legacy_message`.
"""

from django.db import migrations, models
from django.utils import translation

BATCH = 1000


def _by_prefix(notifications) -> dict[str, dict[int, list]]:
    grouped: dict[str, dict[int, list]] = {}
    for notification in notifications:
        prefix, _sep, object_id = notification.event_key.partition(":")
        if object_id.isdigit():
            grouped.setdefault(prefix, {}).setdefault(int(object_id), []).append(
                notification
            )
    return grouped


def _params_of(apps, prefix: str, ids) -> dict[int, dict]:
    """Event id → parameters, for the events of one kind that still exist."""
    get = apps.get_model
    if prefix == "status":
        return {
            t.pk: {"title": t.project.title, "status": t.to_status, "reason": t.reason}
            for t in get("renewal", "ProjectTransition")
            .objects.filter(pk__in=ids)
            .select_related("project")
        }
    if prefix == "progress":
        return {
            u.pk: {
                "title": u.project.title,
                "percent": u.percent_complete,
                "milestone": u.milestone,
            }
            for u in get("renewal", "ProgressUpdate")
            .objects.filter(pk__in=ids)
            .select_related("project")
        }
    if prefix == "reply":
        return {
            c.pk: {"title": c.project.title, "comment": c.pk}
            for c in get("renewal", "Comment")
            .objects.filter(pk__in=ids)
            .select_related("project")
        }
    if prefix == "new_project":
        return {
            p.pk: {"title": p.title, "category": p.category}
            for p in get("renewal", "RenewalProject").objects.filter(pk__in=ids)
        }
    if prefix == "moderation":
        return _moderation_params(apps, ids)
    return {}


def _moderation_params(apps, ids) -> dict[int, dict]:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Project = apps.get_model("renewal", "RenewalProject")
    Comment = apps.get_model("renewal", "Comment")
    kinds = {
        ct.pk: ct.model
        for ct in ContentType.objects.filter(
            app_label="renewal", model__in=["renewalproject", "comment"]
        )
    }
    params = {}
    for log in apps.get_model("renewal", "ModerationLog").objects.filter(pk__in=ids):
        kind = kinds.get(log.content_type_id)
        values = {
            "reason": log.reason,
            "action": "hide" if log.action == "hide" else "unhide",
        }
        if kind == "renewalproject":
            project = Project.objects.filter(pk=log.object_id).first()
            if project:
                params[log.pk] = {
                    **values,
                    "title": project.title,
                    "content": "project",
                }
        elif kind == "comment":
            comment = (
                Comment.objects.filter(pk=log.object_id)
                .select_related("project")
                .first()
            )
            if comment:
                params[log.pk] = {
                    **values,
                    "title": comment.project.title,
                    "content": "comment",
                    "comment": comment.pk,
                }
    return params


def rebuild_params(apps, schema_editor):
    Notification = apps.get_model("renewal", "Notification")
    pending = Notification.objects.filter(params={}).order_by("pk")
    last = 0
    while True:
        batch = list(pending.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        last = batch[-1].pk
        changed = []
        for prefix, by_event in _by_prefix(batch).items():
            for event_id, params in _params_of(apps, prefix, list(by_event)).items():
                for notification in by_event[event_id]:
                    notification.params = params
                    notification.legacy_message = ""
                    changed.append(notification)
        Notification.objects.bulk_update(changed, ["params", "legacy_message"])


def write_back_texts(apps, schema_editor):
    """Back to one stored text in Korean and English, as before."""
    from renewal.models.notifications import NOTIFICATION_TEXTS

    Notification = apps.get_model("renewal", "Notification")
    changed = []
    for notification in Notification.objects.filter(legacy_message="").iterator():
        texts = []
        for language in ("ko", "en"):
            with translation.override(language):
                try:
                    texts.append(
                        str(NOTIFICATION_TEXTS[notification.kind](notification.params))
                    )
                except (KeyError, TypeError, ValueError):
                    texts.append(notification.kind)
        notification.legacy_message = " / ".join(dict.fromkeys(texts))
        changed.append(notification)
    Notification.objects.bulk_update(changed, ["legacy_message"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("renewal", "0011_downtown_health_counts_fill"),
    ]

    operations = [
        migrations.RenameField(
            model_name="notification", old_name="message", new_name="legacy_message"
        ),
        migrations.AlterField(
            model_name="notification",
            name="legacy_message",
            field=models.TextField(blank=True, verbose_name="earlier message"),
        ),
        migrations.AddField(
            model_name="notification",
            name="params",
            field=models.JSONField(blank=True, default=dict, verbose_name="parameters"),
        ),
        migrations.AddField(
            model_name="notificationpreference",
            name="language",
            field=models.CharField(
                choices=[("ko", "Korean"), ("en", "English")],
                default="ko",
                max_length=10,
                verbose_name="language",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("status_changed", "Project status changed"),
                    ("progress_update", "New progress update"),
                    ("comment_reply", "Reply to your comment"),
                    ("new_project_nearby", "New project in an area you follow"),
                    ("content_hidden", "Your content was hidden"),
                    ("city_proposal", "New proposal in your city"),
                    ("match_status", "Match status changed"),
                    ("agreement_ending", "Use agreement ending"),
                    ("import_finished", "Import finished"),
                    ("content_reported", "Content reported"),
                ],
                max_length=30,
                verbose_name="kind",
            ),
        ),
        migrations.RunPython(rebuild_params, write_back_texts),
    ]
