"""The site build: what the MkDocs hooks (``hooks/*.py``, thin shims) run.

* :mod:`fieldguide.build.fences` renders the ``pycell`` and ``calculator``
  fences (runs each cell now and writes its output into the HTML);
* :mod:`fieldguide.build.numbers` replaces ``{{ calc.NAME(...) }}``
  placeholders with what :mod:`fieldguide.prose` prints;
* :mod:`fieldguide.build.wheels` builds the wheel the browser loads and the
  ``pyodide-lock.json`` that registers it;
* :mod:`fieldguide.build.assets` bundles the editor and copies Pyodide, the
  wheels, fonts and the runtime scripts into the site;
* :mod:`fieldguide.build.cache` keys the slow steps (``pip wheel``, esbuild)
  on a hash of their inputs, so ``mkdocs serve`` reloads skip them;
* :mod:`fieldguide.build.hooks` wires these into MkDocs' events.

Nothing here downloads anything, and none of it ships in the wheel: it needs
MkDocs, which the browser does not have.
"""
