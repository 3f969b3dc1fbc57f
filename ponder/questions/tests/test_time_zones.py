"""The time zone of a deadline: the settings form offers the common canonical zones, grouped by
region with their offsets, not the tz database's 600 names; page and API accept any canonical
zone and refuse old aliases and garbage with a message; a deadline is whole minutes everywhere."""

import re
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from ponder.api.tests.conftest import Caller
from ponder.lib import zones
from ponder.questions.models import Question

from .test_bad_input import field_error

ALIASES = ("US/Eastern", "W-SU", "Factory", "localtime", "posixrules", "Asia/Calcutta", "GMT+0")


def _options(html: str) -> list[tuple[str, str]]:
    select = re.search(r'<select name="time_zone".*?</select>', html, re.S)
    assert select, html
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select[0])


def _settings(**changes: str) -> dict[str, str]:
    return {"title": "Q", "description": "", "time_zone": "UTC", **changes}


def test_canonical_zones_hold_no_aliases_and_every_common_zone():
    canonical = zones.canonical()
    assert not canonical & set(ALIASES)
    assert {"UTC", "Europe/Berlin", "Asia/Kolkata", "America/Argentina/Buenos_Aires"} <= canonical
    assert set(zones.COMMON) <= canonical  # no name of the list is lost on this tz database
    assert len(canonical) < len(zoneinfo.available_timezones())


def test_the_form_offers_the_common_zones_by_region_with_their_offsets(question, alice):
    html = alice.get(f"/q/{question.pk}/settings/").content.decode()
    options = _options(html)
    values = [value for value, _label in options]
    assert values[0] == "UTC"  # the site's default comes first, chosen
    assert re.search(r'<option value="UTC" selected>UTC \(UTC\+00:00\)</option>', html)
    assert sorted(values) == sorted(zones.COMMON)
    assert not set(values) & set(ALIASES)
    groups = re.findall(r'<optgroup label="([^"]+)">', html)
    assert groups[:3] == ["Europe", "America", "Africa"]
    berlin = dict(options)["Europe/Berlin"]
    assert berlin in ("Europe/Berlin (UTC+01:00)", "Europe/Berlin (UTC+02:00)")
    assert dict(options)["America/New_York"].startswith("America/New York (UTC-0")
    assert dict(options)["Asia/Kolkata"] == "Asia/Kolkata (UTC+05:30)"


def test_labels_carry_the_offset_of_the_day():
    winter, summer = datetime(2027, 1, 15, tzinfo=UTC), datetime(2027, 7, 15, tzinfo=UTC)
    assert zones.label("Europe/Berlin", winter) == "Europe/Berlin (UTC+01:00)"
    assert zones.label("Europe/Berlin", summer) == "Europe/Berlin (UTC+02:00)"
    assert zones.label("America/St_Johns", winter) == "America/St Johns (UTC-03:30)"
    assert zones.label("Pacific/Chatham", winter) == "Pacific/Chatham (UTC+13:45)"


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Africa/Bamako", "America/Boise"])
def test_the_form_takes_any_canonical_zone(question, alice, zone):
    """Also one it does not list: the browser's own zone, which the script puts first."""
    response = alice.post(
        f"/q/{question.pk}/settings/", _settings(deadline="2999-07-01T12:00", time_zone=zone)
    )
    assert response.status_code == 302, field_error(response.content.decode(), "time_zone")
    question.refresh_from_db()
    assert question.time_zone == zone
    # Shown again chosen; first, when it is not one of the common zones.
    html = alice.get(f"/q/{question.pk}/settings/").content.decode()
    assert re.findall(r'<option value="([^"]+)" selected>', html) == [zone]
    assert zone in zones.COMMON or _options(html)[0][0] == zone


@pytest.mark.parametrize("zone", [*ALIASES, "Mars/Olympus_Mons", "", "Europe/Berlin "])
def test_the_form_refuses_aliases_and_garbage_next_to_the_field(question, alice, zone):
    response = alice.post(
        f"/q/{question.pk}/settings/", _settings(deadline="2999-07-01T12:00", time_zone=zone)
    )
    assert response.status_code == 422
    assert field_error(response.content.decode(), "time_zone") in (
        "Choose a time zone from the list, for example Europe/Berlin.",
        "This field is required.",
    )
    question.refresh_from_db()
    assert (question.time_zone, question.deadline) == ("UTC", None)


def test_a_question_keeps_an_old_zone_name_it_has_when_other_settings_change(question, alice):
    """Questions from before keep their zone, even an alias no longer offered."""
    Question.objects.filter(pk=question.pk).update(time_zone="US/Eastern")
    options = _options(alice.get(f"/q/{question.pk}/settings/").content.decode())
    assert options[0][0] == "US/Eastern"
    response = alice.post(
        f"/q/{question.pk}/settings/", _settings(title="Renamed", time_zone="US/Eastern")
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert (question.title, question.time_zone) == ("Renamed", "US/Eastern")


# The page holds other menus (the header's language menu comes first): find this one by its id.
ZONE_SELECT = r'<select [^>]*id="id_time_zone"[^>]*>'


def test_the_browser_zone_is_asked_for_only_while_no_deadline_is_set(question, alice):
    url = f"/q/{question.pk}/settings/"
    select = re.search(ZONE_SELECT, alice.get(url).content.decode())[0]
    assert 'data-browser-zone="This device&#x27;s time zone"' in select
    others = re.search(r'data-zones="([^"]+)"', select)[1].split()
    assert set(others) == zones.canonical() - set(zones.COMMON)
    alice.post(url, _settings(deadline="2999-07-01T12:00", time_zone="Asia/Tokyo"))
    select = re.search(ZONE_SELECT, alice.get(url).content.decode())[0]
    assert "data-browser-zone" not in select  # the organiser chose one: it stays chosen


# The API: the same zones, the same minutes ---------------------------------------------------


@pytest.fixture
def organiser(db: None) -> tuple[str, Caller]:
    response = Caller().post("/questions", {"title": "Where should the team offsite be?"})
    return response.data["id"], Caller(response.data["admin_token"])


def test_the_api_takes_a_canonical_zone_the_form_does_not_list(organiser):
    qid, alice = organiser
    response = alice.patch(f"/questions/{qid}", {"settings": {"time_zone": "Africa/Bamako"}})
    assert response.status_code == 200, response.data
    assert Question.objects.get(pk=qid).time_zone == "Africa/Bamako"


def test_the_openapi_document_lists_the_canonical_zones(db, client):
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["SettingsIn"]
    assert set(schema["properties"]["time_zone"]["enum"]) == zones.canonical()


def test_a_deadline_keeps_its_whole_minute_exactly(organiser):
    qid, alice = organiser
    moment = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    response = alice.patch(f"/questions/{qid}", {"settings": {"deadline": moment.isoformat()}})
    assert response.status_code == 200, response.data
    assert Question.objects.get(pk=qid).deadline == moment


def test_a_stored_deadline_with_seconds_does_not_block_other_changes(organiser, client):
    """A deadline saved with seconds before they were refused is kept as it is, by the API and by
    the settings page, whose field shows whole minutes."""
    qid, alice = organiser
    odd = (timezone.now() + timedelta(days=3)).replace(second=42, microsecond=0)
    Question.objects.filter(pk=qid).update(deadline=odd)

    response = alice.patch(f"/questions/{qid}", {"title": "Renamed"})
    assert response.status_code == 200, response.data
    assert Question.objects.get(pk=qid).deadline == odd

    question = Question.objects.get(pk=qid)
    client.get(f"/q/{qid}/a/{alice.token}/")
    shown = re.search(
        r'name="deadline" value="([^"]+)"', client.get(f"/q/{qid}/settings/").content.decode()
    )[1]
    assert shown == odd.astimezone(zoneinfo.ZoneInfo(question.time_zone)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/q/{qid}/settings/", _settings(title="Again", deadline=shown, time_zone="UTC")
    )
    assert response.status_code == 302
    assert Question.objects.get(pk=qid).deadline == odd


def test_the_regions_and_messages_are_in_german_too(question, alice):
    german = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}
    html = alice.get(f"/q/{question.pk}/settings/", **german).content.decode()
    assert re.findall(r'<optgroup label="([^"]+)">', html)[:3] == ["Europa", "Amerika", "Afrika"]
    assert 'data-browser-zone="Zeitzone dieses Geräts"' in html
    response = alice.post(
        f"/q/{question.pk}/settings/",
        _settings(deadline="2999-07-01T12:00:30", time_zone="W-SU"),
        **german,
    )
    page = response.content.decode()
    assert field_error(page, "time_zone") == (
        "Wählen Sie eine Zeitzone aus der Liste, zum Beispiel Europe/Berlin."
    )
