{# Cover of the PDF (mkdocs-print-site-plugin renders it with `config`).
   tools/pdf.py puts the version (git describe --tags --always) and the build
   date into config.extra.pdf before the build. The subtitle is said once (the
   site's description repeats it, so the cover has its own). #}
<div class="pdf-cover">
  <p class="pdf-cover-kicker">Offline edition</p>
  <p class="pdf-cover-title">{{ config.site_name }}</p>
  <p class="pdf-cover-subtitle">Latency, batching and cost per token</p>
  <p class="pdf-cover-description">How large language models are served, for engineers preparing
    for LLM-serving interviews and for practitioners sizing a real deployment. Every number is
    computed by servecalc, the tested Python library that ships with the guide.</p>
  <dl class="pdf-cover-meta">
    <dt>Version</dt><dd class="pdf-version">{{ config.extra.pdf.version }}</dd>
    <dt>Built</dt><dd class="pdf-date">{{ config.extra.pdf.date }}</dd>
  </dl>
</div>
