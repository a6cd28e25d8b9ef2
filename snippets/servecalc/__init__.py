"""servecalc: the serving math behind the LLM Serving Field Guide.

Standard library only, so the same code runs on CPython at build time and on
Pyodide in the browser.

>>> import servecalc
>>> servecalc.__version__
'0.1.0'
"""

__version__ = "0.1.0"
