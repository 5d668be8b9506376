"""Coverage audit of a served model: imputable features and the gene-universe route."""

import warnings

import pytest

from tmeprog.cohorts import load_cohort
from tmeprog.errors import InputError
from tmeprog.features.extractor import TMEFeatureExtractor
from tmeprog.scoring.coverage import CoverageModel
from tmeprog.serving.scorer import Scorer


@pytest.fixture(scope="module")
def parts():
    mine = load_cohort("gse1992").expression.iloc[:10]
    other = load_cohort("gse4335").expression.iloc[:5]  # 2 of the 7 Treg genes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ext = TMEFeatureExtractor(features=["cell_treg", "cell_b"]).fit(mine)
    return ext, other


def _scorer(ext, imputable):
    return Scorer(task="prognosis", model=None, design_columns=["cell_treg", "cell_b"],
                  clinical_columns=[], extractor=ext, imputable=imputable)


def test_low_coverage_error_names_the_gene_universe_route(parts):
    ext, other = parts
    cov = CoverageModel.of(_scorer(ext, []))
    with pytest.raises(InputError, match=r"cell_treg 2/7 .*--gene-universe"):
        cov.audit(other.columns, "cohort 'gse4335'")
    with pytest.raises(InputError, match="--gene-universe"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _scorer(ext, []).design(other)
    _, fail = cov.per_sample(other)
    assert fail.str.contains("cell_treg").all()


def test_imputable_feature_is_noted_not_refused(parts):
    ext, other = parts
    sc = _scorer(ext, ["cell_treg"])
    cov = CoverageModel.of(sc)
    notes = cov.audit(other.columns, "cohort 'gse4335'")
    assert any("cell_treg 2/7" in n and "imputed" in n for n in notes)
    warn, fail = cov.per_sample(other)
    assert (fail == "").all() and warn.str.contains("imputed").all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X = sc.design(other)
    assert X["cell_treg"].isna().all() and X["cell_b"].notna().all()
