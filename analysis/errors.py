"""The one error the analysis library raises for bad input, with a message naming what is wrong."""


class AnalysisInputError(ValueError):
    """Bad data or margins: the message names the variable and category at fault."""
