"""The lessons' browser posts the demo app's forms as a browser does: cookies and CSRF token."""

from classroom.web import Browser


def test_a_comment_posted_through_the_browser_lands_on_its_page(live_stack):
    browser = Browser(live_stack.django_url)
    seconds, landed = browser.submit("/comments/", author="sam", text="Hi @alice")
    assert landed.rstrip("/").split("/")[-1].isdigit()  # /comments/<id>/
    assert seconds < 5
    # the slow view only takes POSTs: the form's page gives the token
    _, landed = browser.submit("/comments/slow/", from_page="/comments/", author="sam", text="x")
    assert landed.rstrip("/").split("/")[-1].isdigit()
