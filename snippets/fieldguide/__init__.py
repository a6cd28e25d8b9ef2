"""fieldguide: the site's presentation layer on top of servecalc.

Calculator forms, result tables and pygal charts. The same functions render
the build-time HTML (hooks/live.py) and re-render it in the browser's Pyodide
worker when a reader changes a control. Unlike servecalc it needs pygal.
"""
