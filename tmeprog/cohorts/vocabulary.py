"""The one clinical vocabulary every cohort is mapped to, and the endpoint names.

Clinical columns (all optional; a cohort carries those its source records):

========================  ========  =====================================================
column                    dtype     meaning
========================  ========  =====================================================
``age``                   float     age at diagnosis / surgery, years
``er``, ``pr``, ``her2``  Int       receptor status, 1 positive, 0 negative
``hr``                    Int       hormone-receptor status (ER or PR positive)
``grade``                 Int       histological grade 1-3
``tumor_size_mm``         float     largest tumour diameter, mm
``t_stage``               Int       T category 1-4
``node_status``           Int       1 any positive lymph node, 0 none
``n_nodes``               float     number of positive lymph nodes
``subtype``               string    receptor subtype: ``HR+/HER2-``, ``HER2+``, ``TNBC``
``pam50``                 string    PAM50 intrinsic subtype (LumA, LumB, Her2, Basal, Normal,
                                    claudin-low)
``er_expression``,        Int       receptor status inferred from expression (1/0; see
``pr_expression``,                  :mod:`tmeprog.features.subtypes.receptors`)
``her2_expression``
``er_source``             string    where ``er`` comes from: ``recorded`` or ``expression``
``subtype_source``        string    where ``subtype`` comes from: ``recorded`` or
                                    ``expression`` (any receptor inferred)
``menopause``             string    ``pre`` or ``post``
``chemotherapy``          Int       received chemotherapy (1/0)
``hormone_therapy``       Int       received endocrine therapy (1/0)
``radiotherapy``          Int       received radiotherapy (1/0)
``arm``                   string    trial treatment arm
``stil_pct``              float     pathologist stromal TIL percentage
========================  ========  =====================================================

Endpoints: survival endpoints are stored as ``<name>_time`` (months) and ``<name>_event``
(1 event, 0 censored); binary endpoints as ``<name>`` (1/0).
"""

from __future__ import annotations

import re

import pandas as pd

CLINICAL_DTYPES: dict[str, str] = {
    "age": "float64",
    "er": "Int64",
    "pr": "Int64",
    "her2": "Int64",
    "hr": "Int64",
    "grade": "Int64",
    "tumor_size_mm": "float64",
    "t_stage": "Int64",
    "node_status": "Int64",
    "n_nodes": "float64",
    "subtype": "string",
    "pam50": "string",
    "er_expression": "Int64",
    "pr_expression": "Int64",
    "her2_expression": "Int64",
    "er_source": "string",
    "subtype_source": "string",
    "menopause": "string",
    "chemotherapy": "Int64",
    "hormone_therapy": "Int64",
    "radiotherapy": "Int64",
    "arm": "string",
    "stil_pct": "float64",
}

SURVIVAL_ENDPOINTS: dict[str, str] = {
    "os": "overall survival (death from any cause)",
    "dss": "disease-specific survival (death from breast cancer)",
    "dmfs": "distant-metastasis-free survival",
    "drfs": "distant-relapse-free survival",
    "rfs": "relapse-free survival",
    "dfs": "disease-free survival",
}

BINARY_ENDPOINTS: dict[str, str] = {
    "pcr": "pathological complete response after neoadjuvant therapy",
}

SUBTYPES = ("HR+/HER2-", "HER2+", "TNBC")

# ----------------------------------------------------------------------------- spellings
# How user files spell the vocabulary: column names (compared after
# :func:`normalise_column_name`) and cell values.

DAYS_PER_MONTH = 365.25 / 12

CLINICAL_SYNONYMS: dict[str, tuple[str, ...]] = {
    "age": ("age", "age_at_diagnosis", "age_at_dx", "age_years", "age_at_surgery", "patient_age",
            "age_diagnosis", "age_at_initial_pathologic_diagnosis"),
    "er": ("er", "er_status", "er_ihc", "estrogen_receptor", "estrogen_receptor_status",
           "er_status_by_ihc", "er_positive", "esr1_status"),
    "pr": ("pr", "pgr", "pr_status", "pgr_status", "pr_ihc", "progesterone_receptor",
           "progesterone_receptor_status", "pr_status_by_ihc", "pr_positive"),
    "her2": ("her2", "her2_status", "erbb2", "erbb2_status", "her2_ihc", "her2_status_by_ihc",
             "her2_final_status", "her2_positive"),
    "hr": ("hr", "hr_status", "hormone_receptor", "hormone_receptor_status", "hr_positive"),
    "grade": ("grade", "histological_grade", "histologic_grade", "tumor_grade", "tumour_grade",
              "nottingham_grade", "neoplasm_histologic_grade", "elston_grade"),
    "tumor_size_mm": ("tumor_size_mm", "tumour_size_mm", "tumor_size", "tumour_size", "size_mm",
                      "size"),
    "t_stage": ("t_stage", "tstage", "t", "pathologic_t", "t_category", "ajcc_pathologic_t",
                "clinical_t"),
    "node_status": ("node_status", "lymph_node_status", "ln_status", "nodal_status", "node",
                    "n_status", "node_positive", "ln", "nodes_status"),
    "n_nodes": ("n_nodes", "positive_nodes", "nodes_positive", "pnodes",
                "lymph_nodes_examined_positive", "lymph_nodes_positive",
                "number_of_positive_nodes"),
    "subtype": ("subtype", "receptor_subtype", "clinical_subtype"),
    "pam50": ("pam50", "pam50_subtype", "pam50_call", "claudin_subtype",
              "pam50_claudin_low_subtype", "intrinsic_subtype", "pam50_claudin_low"),
    "menopause": ("menopause", "menopausal_status", "menopause_status",
                  "inferred_menopausal_state", "menopausal_state", "meno"),
    "chemotherapy": ("chemotherapy", "chemo", "chemo_therapy", "received_chemotherapy"),
    "hormone_therapy": ("hormone_therapy", "hormonal_therapy", "endocrine_therapy", "horth",
                        "hormon"),
    "radiotherapy": ("radiotherapy", "radio_therapy", "radiation_therapy", "radiation"),
    "arm": ("arm", "treatment_arm", "arm_short_name", "trial_arm", "arm_name"),
    "stil_pct": ("stil_pct", "stils", "stil", "tils", "stromal_tils", "tils_pct"),
}
SIZE_CM = ("tumor_size_cm", "tumour_size_cm", "size_cm")
BINARY_COLUMNS = ("er", "pr", "her2", "hr", "node_status", "chemotherapy", "hormone_therapy",
                  "radiotherapy")
NUMERIC_COLUMNS = ("age", "tumor_size_mm", "n_nodes", "stil_pct")

ENDPOINT_ALIASES: dict[str, tuple[str, ...]] = {
    "os": ("os", "overall_survival"),
    "dss": ("dss", "bcss", "disease_specific_survival"),
    "dmfs": ("dmfs", "mfs", "distant_metastasis_free_survival"),
    "drfs": ("drfs", "distant_relapse_free_survival"),
    "rfs": ("rfs", "relapse_free_survival", "recurrence_free_survival"),
    "dfs": ("dfs", "disease_free_survival"),
}
TIME_PATTERNS = {  # column-name pattern -> divisor to months
    "{a}_time": 1.0, "{a}_months": 1.0, "{a}_month": 1.0, "{a}_time_months": 1.0,
    "t_{a}": 1.0, "{a}time": 1.0, "time_{a}": 1.0,
    "{a}_days": DAYS_PER_MONTH, "{a}_time_days": DAYS_PER_MONTH,
    "{a}_years": 1 / 12, "{a}_time_years": 1 / 12,
}
EVENT_PATTERNS = ("{a}_event", "{a}_status", "{a}event", "event_{a}", "{a}_ind", "{a}")
PCR_NAMES = ("pcr", "pathologic_complete_response", "pathological_complete_response",
             "pcr_status", "pcr_binary", "pcr_ypt0ypn0")

TRUE_WORDS = {"1", "positive", "pos", "+", "yes", "y", "true", "t", "p"}
FALSE_WORDS = {"0", "negative", "neg", "-", "no", "n", "false", "f"}
EVENT_TRUE_WORDS = {"1", "dead", "deceased", "died", "death", "yes", "true", "event", "recurred",
                    "relapsed", "relapse", "recurrence", "progressed", "metastasis", "y"}
EVENT_FALSE_WORDS = {"0", "alive", "living", "no", "false", "censored", "not recurred",
                     "diseasefree", "disease free", "no recurrence", "n"}
PAM50_SPELLINGS = {
    "luma": "LumA", "luminal a": "LumA", "lumb": "LumB", "luminal b": "LumB",
    "her2": "Her2", "her2-enriched": "Her2", "her2e": "Her2", "her2 enriched": "Her2",
    "basal": "Basal", "basal-like": "Basal", "normal": "Normal", "normal-like": "Normal",
    "claudin-low": "claudin-low", "claudin low": "claudin-low", "claudinlow": "claudin-low"}
SUBTYPE_SPELLINGS = {
    "hr+her2-": "HR+/HER2-", "her2+": "HER2+", "hr+her2+": "HER2+", "hr-her2+": "HER2+",
    "hr-her2-": "TNBC", "tnbc": "TNBC", "tn": "TNBC", "triplenegative": "TNBC",
    "triple-negative": "TNBC"}


def normalise_column_name(name: str) -> str:
    """Lower-case, runs of non-alphanumerics to ``_``, trimmed (``Arm..short.name.`` ->
    ``arm_short_name``)."""
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def hormone_receptor(er: pd.Series, pr: pd.Series) -> pd.Series:
    """HR positive if ER or PR is positive; negative only when both are known negative."""
    out = pd.Series(pd.NA, index=er.index, dtype="Int64")
    out[((er == 0) & (pr == 0)).fillna(False)] = 0
    out[((er == 1) | (pr == 1)).fillna(False)] = 1
    return out


def receptor_subtype(hr, her2):
    """Receptor subtype from hormone-receptor and HER2 status (Series of 0/1 with NA).

    Parameters
    ----------
    hr, her2 : pandas.Series
        Status coded 1 positive / 0 negative, nullable.

    Returns
    -------
    pandas.Series
        ``HER2+`` when HER2 is positive, ``HR+/HER2-`` when HR positive and HER2 negative,
        ``TNBC`` when both are negative, missing otherwise.
    """
    import pandas as pd  # on use: the vocabulary itself is plain data, importable without pandas

    out = pd.Series(pd.NA, index=hr.index, dtype="string")
    out[(her2 == 1).fillna(False)] = "HER2+"
    out[((hr == 1) & (her2 == 0)).fillna(False)] = "HR+/HER2-"
    out[((hr == 0) & (her2 == 0)).fillna(False)] = "TNBC"
    return out
