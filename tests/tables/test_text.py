"""Text cells parsed as numbers with Arrow's correctly rounding parser."""

import numpy as np
import pandas as pd

from tmeprog.tables.text import parse_numbers


def test_parse_numbers_marks_non_numbers_missing():
    s = pd.Series(["0.1", None, "abc", "-2.5e-3", " 7"], index=list("abcde"))
    got = parse_numbers(s)
    assert got.index.tolist() == list("abcde")
    np.testing.assert_array_equal(got.to_numpy()[[0, 3]], [0.1, -2.5e-3])
    assert got.isna().tolist()[1:3] == [True, True]
