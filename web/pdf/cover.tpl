{# Cover of the PDF (mkdocs-print-site-plugin renders it with `config`).
   tools/pdf.py puts the version (git describe --tags --always) and the build
   date into config.extra.pdf before the build. #}
<div class="pdf-cover">
  <p class="pdf-cover-kicker">Offline edition</p>
  <p class="pdf-cover-title">{{ config.site_name }}</p>
  <p class="pdf-cover-subtitle">Latency, batching and cost per token</p>
  <p class="pdf-cover-description">{{ config.site_description }}</p>
  <dl class="pdf-cover-meta">
    <dt>Version</dt><dd class="pdf-version">{{ config.extra.pdf.version }}</dd>
    <dt>Built</dt><dd class="pdf-date">{{ config.extra.pdf.date }}</dd>
  </dl>
</div>
