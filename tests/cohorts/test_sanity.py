"""Clinical sanity: ranges, units, strict 0/1 endpoints, cells named by column, row, value."""

import numpy as np
import pandas as pd
import pytest

from tmeprog.cohorts.sanity import check_time_scale, hint
from tmeprog.cohorts.user_clinical import map_clinical
from tmeprog.errors import InputError

N = 30


def _table(**cols) -> pd.DataFrame:
    idx = pd.Index([f"P{i}" for i in range(N)], name="sample_id")
    base = {"age": [str(40 + i) for i in range(N)],
            "os_months": [str(10.0 + 3 * i) for i in range(N)],
            "os_event": ["1" if i % 3 == 0 else "0" for i in range(N)]}
    base.update(cols)
    return pd.DataFrame({k: pd.Series(v, index=idx, dtype=object) for k, v in base.items()})


def _with(col, row, value, **cols):
    tab = _table(**cols)
    if col not in tab:
        fill = "LumA" if col == "pam50" else "1"
        tab[col] = pd.Series([fill] * N, index=tab.index, dtype=object)
    tab.loc[f"P{row}", col] = value
    return tab


def test_clean_table_maps():
    clin, ends, info, _, _ = map_clinical(_table(grade=["1", "II", "G3"] * 10))
    assert clin["age"].tolist() == [float(40 + i) for i in range(N)]
    assert clin["grade"].tolist()[:3] == [1, 2, 3]
    assert ends["os_time"].iloc[1] == 13.0 and "os" in info


@pytest.mark.parametrize(("col", "value", "expect"), [
    ("age", "73 years", "without a unit: '73'"),
    ("age", "73,4", "decimal comma: write '73.4'"),
    ("age", "old", "not an age in years"),
    ("tumor_size_mm", "2,5", "decimal comma"),
    ("n_nodes", "three", "not a count"),
    ("pam50", "LumC", "not a PAM50 subtype"),
])
def test_unreadable_cell_names_column_row_value(col, value, expect):
    with pytest.raises(InputError) as info:
        map_clinical(_with(col, 7, value), "c.tsv")
    msg = str(info.value)
    assert f"column {col!r}" in msg and "row 'P7'" in msg and repr(value) in msg
    assert expect in msg and "--allow-missing-covariates" in msg


def test_unreadable_cell_allowed_becomes_missing_and_is_reported():
    clin, _, _, _, report = map_clinical(_with("age", 7, "73 years"), "c.tsv",
                                         allow_missing=True)
    assert np.isnan(clin.loc["P7", "age"]) and clin["age"].notna().sum() == N - 1
    assert any("set missing" in r and "'age'" in r for r in report)


@pytest.mark.parametrize(("col", "value", "expect"), [
    ("age", "260", "age must be >= 15 and <= 110 years"),
    ("age", "3", ">= 15"),
    ("grade", "5", "grade must be >= 1 and <= 3"),
    ("grade", "0", "grade must be"),
    ("n_nodes", "-1", "n_nodes must be"),
    ("n_nodes", "2.5", "n_nodes must be"),
    ("tumor_size_mm", "900", "sizes are in mm"),
    ("stil_pct", "140", "stil_pct must be"),
])
def test_impossible_values_are_errors_even_when_missing_allowed(col, value, expect):
    with pytest.raises(InputError) as info:
        map_clinical(_with(col, 4, value), "c.tsv", allow_missing=True)
    msg = str(info.value)
    assert "impossible" in msg and "row 'P4'" in msg and expect in msg, msg


def test_ages_in_days_get_the_hint():
    tab = _table(age=[str(365 * (40 + i)) for i in range(N)])
    with pytest.raises(InputError, match=r"ages look like days .*365\.25"):
        map_clinical(tab)


def test_times_in_days_read_as_months_are_refused():
    tab = _table(os_months=[str(900 + 40 * i) for i in range(N)])
    with pytest.raises(InputError, match=r"look like days; name the column os_days"):
        map_clinical(tab)


def test_times_in_days_named_days_are_converted():
    tab = _table().rename(columns={"os_months": "os_days"})
    tab["os_days"] = [str(900 + 40 * i) for i in range(N)]
    _, ends, _, _, _ = map_clinical(tab)
    assert ends["os_time"].iloc[0] == pytest.approx(900 / (365.25 / 12))


def test_years_with_assumed_unit_are_refused_but_named_months_kept():
    years = [str(0.5 + 0.3 * i) for i in range(N)]
    tab = _table().drop(columns="os_months")
    tab["os_time"] = years
    with pytest.raises(InputError, match="look like years"):
        map_clinical(tab)
    tab = tab.rename(columns={"os_time": "os_months"})
    _, ends, _, _, _ = map_clinical(tab)
    assert ends["os_time"].max() == pytest.approx(0.5 + 0.3 * (N - 1))


def test_time_scale_needs_enough_samples():
    check_time_scale(pd.Series([900.0] * 5), "t", "os", True, "w")  # too few to judge


@pytest.mark.parametrize("value", ["2", "1/2", "positive?"])
def test_pcr_must_be_strict(value):
    tab = _table(pCR=["1", "0"] * 15)
    tab.loc["P3", "pCR"] = value
    with pytest.raises(InputError, match="pCR values must be 0 or 1") as info:
        map_clinical(tab)
    assert "row 'P3'" in str(info.value)


def test_pcr_coded_one_two_gets_the_hint():
    tab = _table(pCR=["1", "2"] * 15)
    with pytest.raises(InputError, match="1/2 coding"):
        map_clinical(tab)


def test_not_determined_spellings_are_missing_not_errors():
    tab = _table(her2=["3+", "2+", "0"] * 10, pam50=["LumA", "NC", "Basal"] * 10)
    clin, _, _, _, _ = map_clinical(tab)
    assert clin["her2"].isna().sum() == 10 and clin["pam50"].isna().sum() == 10


@pytest.mark.parametrize(("value", "expect"), [("73,4", "decimal comma"),
                                               ("73 years", "without a unit"),
                                               ("12 mm", "'12'"), ("abc", "")])
def test_hint(value, expect):
    assert expect in hint(value)
