"""A service's refusal on a page: its message in the reader's language, back to
the page (or the form again), nothing changed; a refusal for lack of permission
is a 403."""

from renewal.models import Comment, InventoryChange, RenewalProject, VacantSpace
from tests.factories import RenewalProjectFactory, VacantSpaceFactory
from tests.helpers import page_client


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_a_refused_space_transition_is_shown_in_korean_and_changes_nothing(
    personas, city
):
    space = VacantSpaceFactory(municipality=city, status="available")

    response = page_client(personas["city_editor"]).post(
        f"/ko/spaces/{space.pk}/transitions/", {"to": "in_use"}, follow=True
    )

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"/ko/spaces/{space.pk}/"
    shown = page_messages(response)
    # The sentence and the field's message, both in Korean.
    assert any("상태의 공간은" in message for message in shown), shown
    assert any(message.startswith("가능한 상태:") for message in shown), shown
    assert VacantSpace.objects.get(pk=space.pk).status == "available"
    assert not InventoryChange.objects.filter(
        object_id=space.pk, action="transition"
    ).exists()


def test_the_same_refusal_reads_in_english_on_english_pages(personas, city):
    space = VacantSpaceFactory(municipality=city, status="available")

    response = page_client(personas["city_editor"]).post(
        f"/en/spaces/{space.pk}/transitions/", {"to": "in_use"}, follow=True
    )

    assert any("cannot become" in message for message in page_messages(response)), (
        page_messages(response)
    )


def test_a_refused_comment_returns_to_the_comments_and_posts_nothing(personas, city):
    project = RenewalProjectFactory(municipality=city, status="approved")
    client = page_client(personas["resident"])

    response = client.post(f"/ko/projects/{project.pk}/comments/", {"body": "   "})

    # The page again, the refusal next to the comment box (not a redirect, which
    # would lose what was typed).
    assert response.status_code == 400
    assert page_messages(response) == [
        "내용을 입력한 뒤 등록하세요.",
        "댓글 내용이 비어 있습니다.",
    ]
    page = response.content.decode()
    assert page.index('id="comments"') < page.index('id="message"')
    assert not Comment.objects.exists()


def test_a_refusal_for_lack_of_permission_is_a_403_and_changes_nothing(personas, city):
    project = RenewalProjectFactory(municipality=city, status="proposed")

    response = page_client(personas["resident"]).post(
        f"/ko/projects/{project.pk}/transitions/", {"to": "under_review"}
    )

    assert response.status_code == 403
    assert RenewalProject.objects.get(pk=project.pk).status == "proposed"
