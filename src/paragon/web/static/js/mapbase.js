// What every Paragon map shares: a plain background style (no tile server, no glyph server) and
// the box around a set of GeoJSON features.

export const BLANK_STYLE = {
  version: 8,
  sources: {},
  layers: [{ id: "background", type: "background", paint: { "background-color": "#e7edf2" } }],
};

// The box around every ring of the features (Polygon or MultiPolygon); features without a
// geometry are passed over.
export function bounds(features) {
  let minX = 180, minY = 90, maxX = -180, maxY = -90;
  const visit = (c) => {
    if (typeof c[0] === "number") {
      minX = Math.min(minX, c[0]); maxX = Math.max(maxX, c[0]);
      minY = Math.min(minY, c[1]); maxY = Math.max(maxY, c[1]);
    } else { c.forEach(visit); }
  };
  features.forEach((f) => f.geometry && visit(f.geometry.coordinates));
  return [[minX, minY], [maxX, maxY]];
}
