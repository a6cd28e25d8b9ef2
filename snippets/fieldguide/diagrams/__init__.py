"""Diagrams drawn as SVG at build time from ``servecalc``'s numbers, one kind per module.

* :mod:`.request_path` -- a request's way through a serving stack, with its clocks;
* :mod:`.timeline` -- prefill then decode steps of one request, to scale;
* :mod:`.memory` -- a GPU's memory: weights, KV cache and what is left;
* :mod:`.batching` -- requests joining and leaving a batch, from the simulator;
* :mod:`.roofline` -- the roofline with the chosen decode steps on it;
* :mod:`.hour` -- where a paid GPU-hour goes, and what a million tokens cost;
* :mod:`.scatter` -- predicted against measured, log-log, with a tolerance band.

Each returns an HTML ``<figure>`` (:func:`.svg.figure`): an inline SVG with a
title and a description (its alt text, which says the numbers the picture
shows) and a caption. Chapters place them with ``{{ calc.diagram_...() }}``
placeholders (:mod:`fieldguide.prose.diagrams`).
"""
