from ponder.questions.models import Idea, Vote


def test_it_walks_the_core_loop_with_plain_form_posts(question, alice, bob):
    page = bob.get(f"/q/{question.pk}/")
    assert page.status_code == 200
    response = bob.post(f"/q/{question.pk}/ideas/", {"title": "The lake house", "description": ""})
    assert response.status_code == 302
    idea = Idea.objects.get(title="The lake house")
    assert bob.post(f"/q/{question.pk}/ideas/{idea.pk}/vote/").status_code == 302
    assert Vote.objects.filter(idea=idea).count() == 1
    assert alice.post(f"/q/{question.pk}/close/").status_code == 302
    result = bob.get(f"/q/{question.pk}/")
    assert "The question was completed. Here is the result:" in result.content.decode()
