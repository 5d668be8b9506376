"""tmeprog: tumour-microenvironment features for breast-cancer prognosis and therapy response."""

__version__ = "0.1.0"
