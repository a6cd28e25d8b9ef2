"""fieldguide: the site layer on top of servecalc.

A formula goes in ``servecalc``; a sentence or a page goes here:

* ``prose/``: the numbers that sentences print (``{{ calc.NAME(...) }}``);
* ``cells``: runs a page cell, at build time and in the browser's worker;
* ``calculators`` and its ``calc_*``, ``forms``, ``fields``, ``html``,
  ``charts`` modules: calculator forms, result tables and pygal charts;
* ``validation``: published and measured cases with their sources;
* ``build/``: what the MkDocs hooks run (fences, placeholders, the wheel, the
  browser assets). It needs MkDocs and is not shipped in the wheel.

The calculators need pygal (``pip install .[charts]``); servecalc needs nothing.
"""
