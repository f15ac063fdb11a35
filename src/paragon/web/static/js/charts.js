// Render every Vega-Lite spec on the page with the vendored vega-embed. `ast: true` uses the
// CSP-safe expression interpreter (no eval), so the page's Content-Security-Policy can forbid it.
(function () {
  "use strict";
  function render() {
    if (typeof window.vegaEmbed !== "function") { return; }
    document.querySelectorAll(".vega[data-spec]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-spec"));
      if (!source) { return; }
      var spec = JSON.parse(source.textContent);
      window.vegaEmbed(el, spec, { renderer: "svg", actions: false, ast: true })
        .then(function () { el.setAttribute("data-rendered", "true"); })
        .catch(function (err) {
          el.textContent = "The chart could not be drawn; the table below has the same figures.";
          if (window.console) { console.error(err); }
        });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
