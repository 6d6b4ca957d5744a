"""dates: every common format and six languages to ISO 8601."""

from __future__ import annotations

import pytest

from inboxd.documents.dates import find_dates, parse_date


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2026-03-15", "2026-03-15"),
        ("15.03.2026", "2026-03-15"),
        ("15.03.26", "2026-03-15"),
        ("1.5.2026", "2026-05-01"),
        ("15/03/2026", "2026-03-15"),
        ("15-03-2026", "2026-03-15"),
        ("8-9-2022", None),  # ambiguous without a hint
        ("3 March 2026", "2026-03-03"),
        ("3rd of March 2026", "2026-03-03"),
        ("March 3, 2026", "2026-03-03"),
        ("August 3 , 2014", "2014-08-03"),  # pypdf puts a space before the comma
        ("Jan 1, 2022", "2022-01-01"),
        ("3. März 2026", "2026-03-03"),
        ("3. Mrz. 2026", None),  # not a known abbreviation
        ("le 3 mars 2026", "2026-03-03"),
        ("02 Juillet 2015", "2015-07-02"),
        ("1er février 2026", "2026-02-01"),
        ("7 de marzo de 2026", "2026-03-07"),
        ("9 marzo 2026", "2026-03-09"),
        ("11 maart 2026", "2026-03-11"),
        ("19 april 2014", "2014-04-19"),
        ("31.02.2026", None),  # no such day
        ("12.10.1850", None),  # outside the plausible years
        ("99.99.2026", None),
    ],
)
def test_parse_date(raw: str, iso: str | None) -> None:
    """Each format and language comes out as the same ISO date."""
    assert parse_date(raw) == iso


@pytest.mark.parametrize(
    ("raw", "day_first", "iso"),
    [
        ("03/04/2026", True, "2026-04-03"),
        ("03/04/2026", False, "2026-03-04"),
        ("03/04/2026", None, None),
        ("04/14/2026", None, "2026-04-14"),  # 14 cannot be a month
        ("8-9-2022", True, "2022-09-08"),
        ("03.04.2026", False, "2026-04-03"),  # dots are day-first everywhere
    ],
)
def test_ambiguous_dates_follow_the_hint(raw: str, day_first: bool | None, iso: str | None) -> None:
    """a/b/yyyy is read with the document's convention, and refused without one."""
    assert parse_date(raw, day_first) == iso


def test_find_dates_in_order_without_overlaps() -> None:
    """Dates come in text order; a date inside another is not counted twice."""
    text = "Period 01.05.2014 - 31.05.2014, printed 2 June 2014"
    assert [d.iso for d in find_dates(text)] == ["2014-05-01", "2014-05-31", "2014-06-02"]
