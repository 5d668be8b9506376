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
    import pandas as pd

    out = pd.Series(pd.NA, index=hr.index, dtype="string")
    out[(her2 == 1).fillna(False)] = "HER2+"
    out[((hr == 1) & (her2 == 0)).fillna(False)] = "HR+/HER2-"
    out[((hr == 0) & (her2 == 0)).fillna(False)] = "TNBC"
    return out
