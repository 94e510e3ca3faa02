"""How times are shown to people (app/formatting/timefmt.py): site zone named, GOV.UK style."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.formatting.timefmt import clock_time, from_local, local_time, to_local, zone_label
from tests.support.clients import utc

LONDON = ZoneInfo("Europe/London")


def test_deadline_sentence() -> None:
    assert local_time(utc(2027, 3, 1, 17), LONDON) == "5pm UK time on 1 March 2027"


@pytest.mark.parametrize(
    "hour, minute, shown",
    [
        (9, 30, "9:30am"),
        (9, 0, "9am"),
        (12, 0, "midday"),
        (0, 0, "midnight"),
        (12, 30, "12:30pm"),
        (0, 5, "12:05am"),
        (11, 59, "11:59am"),
        (13, 0, "1pm"),
        (23, 45, "11:45pm"),
    ],
)
def test_clock_time(hour: int, minute: int, shown: str) -> None:
    assert clock_time(utc(2027, 1, 15, hour, minute)) == shown


def test_seconds_are_not_shown() -> None:
    assert clock_time(utc(2027, 1, 15, 12, 0, 59)) == "midday"
    assert clock_time(utc(2027, 1, 15, 9, 30, 30)) == "9:30am"


@pytest.mark.parametrize(
    "moment, shown",
    [
        (utc(2027, 1, 15, 9, 30), "9:30am UK time on 15 January 2027"),
        (utc(2027, 1, 15, 12), "midday UK time on 15 January 2027"),
        (utc(2027, 7, 15, 11), "midday UK time on 15 July 2027"),
        (utc(2027, 1, 15, 0), "midnight UK time on 15 January 2027"),
        (utc(2027, 6, 30, 23), "midnight UK time on 1 July 2027"),
    ],
)
def test_midday_and_midnight_in_sentences(moment: datetime, shown: str) -> None:
    assert local_time(moment, LONDON) == shown


@pytest.mark.parametrize(
    "moment, shown",
    [
        pytest.param(utc(2027, 3, 1, 16), "4pm UK time on 1 March 2027", id="GMT"),
        pytest.param(utc(2027, 7, 1, 16), "5pm UK time on 1 July 2027", id="BST"),
        pytest.param(
            utc(2027, 10, 29, 16), "5pm UK time on 29 October 2027", id="BST, last Friday"
        ),
        pytest.param(utc(2027, 11, 1, 16), "4pm UK time on 1 November 2027", id="GMT again"),
        pytest.param(
            utc(2027, 6, 30, 23, 30), "12:30am UK time on 1 July 2027", id="BST moves the date"
        ),
    ],
)
def test_same_utc_hour_in_summer_and_winter(moment: datetime, shown: str) -> None:
    assert local_time(moment, LONDON) == shown


def test_the_morning_clocks_go_forward() -> None:
    # 28 March 2027: 01:00 GMT becomes 02:00 BST; there is no 1:30am that day.
    assert local_time(utc(2027, 3, 28, 0, 30), LONDON) == "12:30am UK time on 28 March 2027"
    assert local_time(utc(2027, 3, 28, 1, 0), LONDON) == "2am UK time on 28 March 2027"
    assert local_time(utc(2027, 3, 28, 1, 30), LONDON) == "2:30am UK time on 28 March 2027"


def test_the_morning_clocks_go_back() -> None:
    # 31 October 2027: 02:00 BST becomes 01:00 GMT, so 1:30am is shown twice.
    assert local_time(utc(2027, 10, 31, 0, 30), LONDON) == "1:30am UK time on 31 October 2027"
    assert local_time(utc(2027, 10, 31, 1, 30), LONDON) == "1:30am UK time on 31 October 2027"
    assert local_time(utc(2027, 10, 31, 2, 30), LONDON) == "2:30am UK time on 31 October 2027"


@pytest.mark.parametrize(
    "wall, instant",
    [
        pytest.param(datetime(2027, 3, 1, 17), utc(2027, 3, 1, 17), id="winter"),
        pytest.param(datetime(2027, 7, 1, 17), utc(2027, 7, 1, 16), id="summer"),
        pytest.param(datetime(2027, 3, 28, 0, 59), utc(2027, 3, 28, 0, 59), id="before spring gap"),
        pytest.param(datetime(2027, 3, 28, 2, 0), utc(2027, 3, 28, 1, 0), id="after spring gap"),
        pytest.param(
            datetime(2027, 10, 31, 0, 59), utc(2027, 10, 30, 23, 59), id="before autumn repeat"
        ),
        pytest.param(
            datetime(2027, 10, 31, 2, 0), utc(2027, 10, 31, 2, 0), id="after autumn repeat"
        ),
    ],
)
def test_from_local_reads_wall_clock_in_site_zone(wall: datetime, instant: datetime) -> None:
    result = from_local(wall, LONDON)
    assert result == instant
    assert result.utcoffset().total_seconds() == 0


def test_from_local_takes_the_earlier_of_the_repeated_autumn_hour() -> None:
    # 1:30am on 31 October 2027 happens at 00:30 UTC (BST) and again at 01:30 UTC (GMT).
    assert from_local(datetime(2027, 10, 31, 1, 30), LONDON) == utc(2027, 10, 31, 0, 30)


def test_from_local_moves_the_skipped_spring_hour_forward() -> None:
    # 1:30am on 28 March 2027 never happens; it is read as 01:30 UTC, which is 2:30am BST.
    moment = from_local(datetime(2027, 3, 28, 1, 30), LONDON)
    assert moment == utc(2027, 3, 28, 1, 30)
    assert local_time(moment, LONDON) == "2:30am UK time on 28 March 2027"


@pytest.mark.parametrize(
    "moment, value",
    [
        (utc(2027, 3, 1, 17), "2027-03-01T17:00"),
        (utc(2027, 7, 1, 16), "2027-07-01T17:00"),
        (utc(2027, 6, 30, 23, 30), "2027-07-01T00:30"),
    ],
)
def test_to_local(moment: datetime, value: str) -> None:
    assert to_local(moment, LONDON).strftime("%Y-%m-%dT%H:%M") == value


def test_form_value_round_trips_in_summer() -> None:
    moment = utc(2027, 8, 2, 8, 15)
    shown = to_local(moment, LONDON)
    assert shown == datetime(2027, 8, 2, 9, 15)
    assert from_local(shown, LONDON) == moment


def test_zone_label_for_london() -> None:
    assert zone_label(LONDON) == "UK time"


def test_zone_label_for_another_zone() -> None:
    assert zone_label(ZoneInfo("America/New_York")) == "America/New York time"
    assert zone_label(ZoneInfo("Europe/Paris")) == "Europe/Paris time"


def test_sentence_in_another_site_zone() -> None:
    # 16:00 UTC on 1 March 2027 is 5pm in Paris (CET) and 11am in New York (EST).
    assert local_time(utc(2027, 3, 1, 16), ZoneInfo("Europe/Paris")) == (
        "5pm Europe/Paris time on 1 March 2027"
    )
    assert local_time(utc(2027, 3, 1, 16), ZoneInfo("America/New_York")) == (
        "11am America/New York time on 1 March 2027"
    )
