"""What every CSV and XLSX the product writes shares: cells defused against formula injection."""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Defuse spreadsheet formulas in text cells (CSV injection): '=1+1' is written as "'=1+1"."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
