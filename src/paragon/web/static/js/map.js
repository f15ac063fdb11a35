// Maps: Paragon's own GeoJSON on a plain background (no tile server, no glyph server; labels are
// HTML markers). Selecting an area opens its page. Without WebGL the map says so and the lists on
// the page remain the way to choose an area.
import * as maplibregl from "/static/vendor/maplibre-gl.mjs";
import { BLANK_STYLE, bounds } from "/static/js/mapbase.js";

async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/geo+json" } });
  if (!response.ok) { throw new Error(`${url}: ${response.status}`); }
  return response.json();
}

function shade(maxValue) {
  return ["interpolate", ["linear"], ["coalesce", ["get", "per_1000"], 0],
    0, "#deebf7", Math.max(maxValue, 1), "#08519c"];
}

function note(el, text) {
  const p = document.createElement("p");
  p.className = "map-note";
  p.textContent = text;
  el.appendChild(p);
}

function label(map, text, lngLat) {
  const span = document.createElement("span");
  span.className = "map-label";
  span.textContent = text;
  new maplibregl.Marker({ element: span }).setLngLat(lngLat).addTo(map);
}

function clickable(map, layer, hrefOf) {
  map.on("click", layer, (e) => {
    const f = e.features && e.features[0];
    if (f) { window.location.href = hrefOf(f.properties); }
  });
  map.on("mouseenter", layer, () => { map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", layer, () => { map.getCanvas().style.cursor = ""; });
}

async function draw(el) {
  const lpus = await getJSON(el.dataset.lpus);
  const focus = el.dataset.focus;
  const hoodsUrl = el.dataset.neighbourhoods;
  const hoods = hoodsUrl ? await getJSON(hoodsUrl) : null;
  const points = el.dataset.points ? await getJSON(el.dataset.points) : null;
  const focusFeatures = focus ? lpus.features.filter((f) => f.properties.id === focus) : lpus.features;
  const map = new maplibregl.Map({
    container: el, style: BLANK_STYLE, bounds: bounds(focusFeatures.length ? focusFeatures : lpus.features),
    fitBoundsOptions: { padding: 20 }, attributionControl: false, dragRotate: false,
    pitchWithRotate: false, cooperativeGestures: true,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
  map.on("load", () => {
    const maxLpu = Math.max(...lpus.features.map((f) => f.properties.per_1000 || 0));
    map.addSource("lpus", { type: "geojson", data: lpus });
    map.addLayer({ id: "lpu-fill", type: "fill", source: "lpus",
      paint: { "fill-color": hoods ? "#f4f6f8" : shade(maxLpu), "fill-opacity": 0.85 } });
    if (hoods) {
      const maxHood = Math.max(...hoods.features.map((f) => f.properties.per_1000 || 0));
      map.addSource("hoods", { type: "geojson", data: hoods });
      map.addLayer({ id: "hood-fill", type: "fill", source: "hoods",
        paint: { "fill-color": shade(maxHood), "fill-opacity": 0.8 } });
      map.addLayer({ id: "hood-line", type: "line", source: "hoods",
        paint: { "line-color": "#ffffff", "line-width": ["case", ["==", ["get", "id"], el.dataset.highlight || ""], 4, 1] } });
      clickable(map, "hood-fill", (p) => `/areas/neighbourhood/${encodeURIComponent(p.id)}`);
    } else {
      clickable(map, "lpu-fill", (p) => `/areas/lpu/${encodeURIComponent(p.id)}`);
      if (el.clientWidth >= 600) {
        lpus.features.forEach((f) => label(map, f.properties.name, [f.properties.label_lon, f.properties.label_lat]));
      }
    }
    map.addLayer({ id: "lpu-line", type: "line", source: "lpus",
      paint: { "line-color": "#0b2545", "line-width": ["case", ["==", ["get", "id"], focus || ""], 3, 1.2] } });
    if (points) {
      map.addSource("points", { type: "geojson", data: points });
      map.addLayer({ id: "points", type: "circle", source: "points",
        paint: { "circle-color": "#b35900", "circle-opacity": 0.85, "circle-stroke-color": "#fff",
          "circle-stroke-width": 1, "circle-radius": ["interpolate", ["linear"], ["sqrt", ["get", "crimes"]], 0, 3, 30, 18] } });
      const around = hoods ? hoods.features.filter((f) => f.properties.id === el.dataset.highlight)
        : points.features;
      if (around.length) { map.fitBounds(bounds(around), { padding: 30, animate: false }); }
    }
    map.once("idle", () => el.setAttribute("data-ready", "true"));
  });
}

document.querySelectorAll(".map[data-lpus]").forEach((el) => {
  draw(el).catch((err) => {
    note(el, "The map cannot be shown in this browser. Use the list of areas on this page instead.");
    el.setAttribute("data-ready", "error");
    if (window.console) { console.error(err); }
  });
});
