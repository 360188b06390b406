from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yibao.domain import idnumber
from yibao.domain.errors import YibaoError
from yibao.domain.idnumber_bulk import mask_column, region_status_expr, validate_id_numbers
from yibao.domain.region_codes_data import CURRENT, HISTORICAL

ON = date(2024, 1, 1)


def test_standard_example_from_gb_11643() -> None:
    resident = idnumber.parse("11010519491231002X", on=ON)
    assert resident.birth_date == date(1949, 12, 31)
    assert resident.sex is idnumber.Sex.FEMALE
    assert resident.region_status is idnumber.RegionStatus.CURRENT
    assert resident.age_on(date(2018, 12, 30)) == 68
    assert resident.age_on(date(2018, 12, 31)) == 69
    assert resident.masked == "110***********002X"


def test_check_character_formula() -> None:
    # (12 - sum mod 11) mod 11, with 10 written X
    for first17 in ("11010519491231002", "12011919800501011", "44030419900101123"):
        total = sum(int(d) * w for d, w in zip(first17, idnumber.WEIGHTS, strict=True))
        value = (12 - total % 11) % 11
        assert idnumber.check_character(first17) == ("X" if value == 10 else str(value))


def test_fifteen_digit_upgrade() -> None:
    assert idnumber.upgrade_15("110105491231002") == "11010519491231002X"
    resident = idnumber.parse("110105491231002", on=ON)
    assert resident.number == "11010519491231002X"
    assert [w.code for w in resident.warnings] == ["ID_NUMBER_UPGRADED"]


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("1101051949123100", "ID_NUMBER_FORMAT"),
        ("11010519491231002Y", "ID_NUMBER_FORMAT"),
        ("110105194902300021", "ID_NUMBER_BIRTH_DATE"),
        ("000000000001010000", "ID_NUMBER_BIRTH_DATE"),  # year 0: found by the bulk-vs-scalar property
        ("110105203001010011", "ID_NUMBER_BIRTH_FUTURE"),
        ("110105194912310021", "ID_NUMBER_CHECK_DIGIT"),
    ],
)
def test_rejections(number: str, code: str) -> None:
    with pytest.raises(YibaoError) as raised:
        idnumber.parse(number, on=ON)
    assert raised.value.code == code
    assert raised.value.field == "id_number"
    assert raised.value.message  # a Chinese message for the clerk


def test_abolished_region_is_a_warning_not_a_rejection() -> None:
    number = idnumber.make("120225", date(1960, 5, 5), 31)  # 蓟县, now 蓟州区
    resident = idnumber.parse(number, on=ON)
    assert resident.region_status is idnumber.RegionStatus.HISTORICAL
    assert [w.code for w in resident.warnings] == ["ID_REGION_HISTORICAL"]


def test_unknown_region_is_a_warning() -> None:
    resident = idnumber.parse(idnumber.make("999999", date(1960, 5, 5), 31), on=ON)
    assert resident.region_status is idnumber.RegionStatus.UNKNOWN


def test_full_width_and_lower_case_x() -> None:
    assert idnumber.parse("１１０１０５１９４９１２３１００２ｘ", on=ON).number == "11010519491231002X"


def test_born_on_29_february_turns_older_on_1_march() -> None:
    resident = idnumber.parse(idnumber.make("110105", date(2000, 2, 29), 1), on=ON)
    assert resident.age_on(date(2018, 2, 28)) == 17
    assert resident.age_on(date(2018, 3, 1)) == 18


births = st.dates(min_value=date(1900, 1, 1), max_value=ON)
regions = st.sampled_from(["110105", "120119", "120225", "530127", "370481", "999999"])


@given(regions, births, st.integers(0, 999))
def test_made_numbers_parse_back(region: str, birth: date, sequence: int) -> None:
    resident = idnumber.parse(idnumber.make(region, birth, sequence), on=ON)
    assert (resident.region_code, resident.birth_date, resident.sequence) == (region, birth, sequence)
    assert resident.sex is (idnumber.Sex.MALE if sequence % 2 else idnumber.Sex.FEMALE)


@given(regions, births, st.integers(0, 999), st.sampled_from("0123456789X"))
def test_any_other_check_character_is_rejected(region: str, birth: date, sequence: int, last: str) -> None:
    number = idnumber.make(region, birth, sequence)
    if last != number[-1]:
        assert not idnumber.is_valid(number[:-1] + last, on=ON)


def _scalar_outcome(raw: str, *, from_sheet: bool = False) -> tuple[str | None, str | None, str | None]:
    try:
        resident = idnumber.parse(raw, on=ON, from_sheet=from_sheet)
    except YibaoError as error:
        return error.code, None, None
    return None, resident.number, resident.region_status.value


id_like = st.one_of(
    st.builds(idnumber.make, regions, births, st.integers(0, 999)),
    st.builds(
        lambda n, i, c: n[:i] + c + n[i + 1 :],
        st.builds(idnumber.make, regions, births, st.integers(0, 999)),
        st.integers(0, 17),
        st.sampled_from("0123456789Xx "),
    ),
    st.text(alphabet="0123456789Xx", min_size=14, max_size=19),
    # as a spreadsheet stores a number: its last digits zeros, in scientific notation, with a decimal part
    st.builds(
        lambda n, k: n[: 18 - k] + "0" * k,
        st.builds(idnumber.make, regions, births, st.integers(0, 999)),
        st.integers(1, 4),
    ),
    st.builds(
        lambda n, k: f"{n[0]}.{n[1:k]}E+{len(n) - 1}",
        st.builds(idnumber.make, regions, births, st.integers(0, 999)),
        st.integers(1, 15),
    ),
    st.builds(lambda n: str(int(float(n[:15]) * 1000)), st.builds(idnumber.make, regions, births, st.integers(0, 999))),
    st.builds(lambda n: f"{n}.0", st.builds(idnumber.make, regions, births, st.integers(0, 999))),
)


@settings(max_examples=300)
@given(st.lists(id_like, min_size=1, max_size=40), st.booleans())
def test_bulk_check_agrees_with_scalar_check(numbers: list[str], from_sheet: bool) -> None:
    frame = validate_id_numbers(pl.DataFrame({"raw": numbers}), "raw", on=ON, from_sheet=from_sheet)
    outcomes = frame.select("id_error", "id_number", "region_status").rows()
    for raw, (error, number, status) in zip(numbers, outcomes, strict=True):
        expected_error, expected_number, expected_status = _scalar_outcome(raw, from_sheet=from_sheet)
        assert error == expected_error, raw
        if expected_error is None:
            assert (number, status) == (expected_number, expected_status)


def test_region_status_of_every_code_as_the_scalar_check_gives_it() -> None:
    codes = sorted({*CURRENT, *HISTORICAL, "000000", "120100", "999999", "110199"})
    bulk = pl.DataFrame({"code": codes}).select(region_status_expr(pl.col("code"))).to_series().to_list()
    assert bulk == [idnumber.region_status(code).value for code in codes]
    assert {"current", "historical", "unknown"} <= set(bulk)


def test_region_status_of_what_is_no_code_is_null() -> None:
    frame = pl.DataFrame({"code": ["12A119", "", None, "-12345", "１２０１１９"]}, schema={"code": pl.String})
    assert frame.select(region_status_expr(pl.col("code"))).to_series().to_list() == [None] * 5


@given(st.lists(st.text(alphabet="0123456789X*电话-", max_size=20), max_size=30))
def test_masking_a_column_is_masking_each_number(numbers: list[str]) -> None:
    column = pl.DataFrame({"n": numbers}, schema={"n": pl.String}).select(mask_column(pl.col("n"))).to_series()
    assert column.to_list() == [idnumber.mask(number) for number in numbers]


def test_a_number_a_spreadsheet_stored_as_a_number_is_told_as_such() -> None:
    number = idnumber.make("120119", date(1990, 1, 1), 123)
    for shown in (f"{number[0]}.{number[1:6]}E+17", f"{number}.0"):
        with pytest.raises(YibaoError) as caught:
            idnumber.parse(shown, on=ON)
        assert caught.value.code == "ID_NUMBER_STORED_AS_NUMBER"
        assert "文本" in caught.value.message
    zeros = number[:15] + "000"
    if zeros != number:
        with pytest.raises(YibaoError) as caught:
            idnumber.parse(zeros, on=ON, from_sheet=True)
        assert caught.value.code == "ID_NUMBER_STORED_AS_NUMBER"
        with pytest.raises(YibaoError) as caught:  # typed at the counter: a wrong digit, no more
            idnumber.parse(zeros, on=ON)
        assert caught.value.code != "ID_NUMBER_STORED_AS_NUMBER"
