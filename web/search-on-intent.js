// Material's search downloads its index (the whole site's text, about 110 KB
// gzip) on every page load, before anyone searches. This holds that one
// request back until the reader shows intent to search: pointer or focus on
// the search box or its button, or a keyboard shortcut that opens it. The
// request is the same; it is only sent later. Loaded before Material's bundle.
(() => {
  const INDEX = /\/search\/search_index\.json(\?|$)/;
  const held = [];
  let wanted = false;

  const open = XMLHttpRequest.prototype.open;
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url, ...rest) {
    this.searchIndex = INDEX.test(String(url));
    return open.call(this, method, url, ...rest);
  };
  XMLHttpRequest.prototype.send = function (...args) {
    if (this.searchIndex && !wanted) {
      held.push(() => send.apply(this, args));
      return undefined;
    }
    return send.apply(this, args);
  };

  function release() {
    if (wanted) return;
    wanted = true;
    held.splice(0).forEach((go) => go());
  }
  const isSearch = (target) =>
    target instanceof Element && target.closest(".md-search, label[for='__search'], #__search");
  for (const type of ["pointerdown", "pointerover", "focusin", "change"]) {
    document.addEventListener(type, (event) => isSearch(event.target) && release(), { capture: true, passive: true });
  }

  // The practice page's links read ?q=KIND&seed=N (docs/practice.md), and
  // Material opens its search for a ?q= it finds when it starts. On that page
  // (this script runs at the end of <body>, before Material's bundle), hide q
  // from it; web/practice.js reads it here and puts the link back.
  const params = new URLSearchParams(location.search);
  if (params.has("q") && document.querySelector("[data-practice-page]")) {
    window.practiceLink = { q: params.get("q"), seed: params.get("seed") };
    params.delete("q");
    const query = params.toString();
    history.replaceState(history.state, "", `${location.pathname}${query ? `?${query}` : ""}${location.hash}`);
  }
})();
