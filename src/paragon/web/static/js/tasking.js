// The tasking maps: next month's predicted hotspot cells by demand and by harm (GeoJSON embedded
// in the page) on a plain background, shaded by their rank within their LPU. The patrol and harm
// lists on the page hold the same cells, so a map is never the only way to read them.
import * as maplibregl from "/static/vendor/maplibre-gl.mjs";
import { BLANK_STYLE, bounds } from "/static/js/mapbase.js";

async function draw(el) {
  const cells = JSON.parse(document.getElementById(el.dataset.source).textContent);
  const harm = el.dataset.value === "expected_harm";
  const dark = harm ? "#54278f" : "#b30000";
  const light = harm ? "#9e9ac8" : "#fc8d59";
  if (!cells.features.length) { return; }
  const fetched = el.dataset.lpus
    ? await fetch(el.dataset.lpus).then((r) => (r.ok ? r.json() : null)).catch(() => null) : null;
  // LPU outlines are drawn only when they are where the cells are (another force's outlines
  // would pull the view away from the cells).
  const cb = bounds(cells.features);
  const lb = fetched && fetched.features && fetched.features.length ? bounds(fetched.features) : null;
  const areaEl = el.dataset.area && document.getElementById(el.dataset.area);
  const area = areaEl ? JSON.parse(areaEl.textContent) : null;
  const lpus = lb && lb[0][0] <= cb[1][0] && cb[0][0] <= lb[1][0] && lb[0][1] <= cb[1][1]
    && cb[0][1] <= lb[1][1] ? fetched : null;
  const map = new maplibregl.Map({
    // The whole force when its LPU outlines are known, so cells are seen in place.
    container: el, style: BLANK_STYLE,
    bounds: lpus ? bounds([...lpus.features, ...cells.features])
      : (area && area.features.length ? bounds([...area.features, ...cells.features]) : cb),
    fitBoundsOptions: { padding: 30 }, attributionControl: false, dragRotate: false,
    pitchWithRotate: false, cooperativeGestures: true,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
  map.on("load", () => {
    if (!lpus && area && area.features.length) {
      map.addSource("area", { type: "geojson", data: area });
      map.addLayer({ id: "area-fill", type: "fill", source: "area", paint: { "fill-color": "#f4f6f8" } });
      map.addLayer({ id: "area-line", type: "line", source: "area", paint: { "line-color": "#0b2545", "line-width": 1, "line-dasharray": [2, 2] } });
    }
    if (lpus) {
      map.addSource("lpus", { type: "geojson", data: lpus });
      map.addLayer({ id: "lpu-fill", type: "fill", source: "lpus", paint: { "fill-color": "#f4f6f8" } });
      map.addLayer({ id: "lpu-line", type: "line", source: "lpus", paint: { "line-color": "#0b2545", "line-width": 1 } });
    }
    map.addSource("cells", { type: "geojson", data: cells });
    map.addLayer({ id: "cells", type: "fill", source: "cells",
      paint: { "fill-color": ["interpolate", ["linear"], ["get", "rank"], 1, dark, 5, light],
        "fill-outline-color": "#000000", "fill-opacity": 0.9 } });
    map.addLayer({ id: "cells-ring", type: "circle", source: "cells",
      paint: { "circle-radius": 7, "circle-color": "rgba(0,0,0,0)", "circle-stroke-color": dark, "circle-stroke-width": 2 } });
    map.on("click", "cells", (e) => {
      const p = e.features && e.features[0] && e.features[0].properties;
      if (p) {
        new maplibregl.Popup().setLngLat(e.lngLat)
          .setText(harm
            ? `${p.lpu} #${p.rank}: cell ${p.cell}, expected harm ${Number(p.expected_harm).toFixed(0)}`
            : `${p.lpu} #${p.rank}: cell ${p.cell}, ${Number(p.expected_crimes).toFixed(2)} expected crimes`)
          .addTo(map);
      }
    });
    map.once("idle", () => el.setAttribute("data-ready", "true"));
  });
}

document.querySelectorAll(".map[data-source]").forEach((el) => {
  draw(el).catch((err) => {
    const p = document.createElement("p");
    p.className = "map-note";
    p.textContent = "The map cannot be shown in this browser. The lists below have the same cells.";
    el.appendChild(p);
    el.setAttribute("data-ready", "error");
    if (window.console) { console.error(err); }
  });
});
