// The economic units' map: GeoJSON points over configured tiles, or over a blank map when there are none.
// Reads its settings from the data-* attributes of #eu-map (no inline script: the page's CSP forbids it).
(function () {
  "use strict";
  var box = document.getElementById("eu-map");
  if (!box || typeof L === "undefined") { return; }
  var colours = { active: "#1b7f3b", suspended: "#c77700", closed: "#8a8a8a" };
  var map = L.map(box, { zoomControl: true, attributionControl: true, preferCanvas: false });
  map.setView([16.0, 106.0], 5);
  var tiles = box.getAttribute("data-tiles");
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 19, attribution: box.getAttribute("data-attribution") || "" }).addTo(map);
  } else {
    box.classList.add("eu-map-blank");
  }
  function text(value) { return value === null || value === undefined ? "" : String(value); }
  function popup(props) {
    var root = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = text(props.name);
    root.appendChild(title);
    [props.tax_code, props.address, props.section + " · " + text(props.section_title),
     text(props.labour) + " " + (box.getAttribute("data-labour-label") || ""), props.ward].forEach(function (line) {
      if (line) { var p = document.createElement("div"); p.textContent = text(line); root.appendChild(p); }
    });
    return root;
  }
  fetch(box.getAttribute("data-geojson"), { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        pointToLayer: function (feature, latlng) {
          var props = feature.properties || {};
          return L.circleMarker(latlng, {
            radius: 5 + Math.min(10, Math.sqrt(props.labour || 0)),
            color: "#ffffff", weight: 1.5, fillOpacity: 0.9,
            fillColor: colours[props.status] || "#1f5fa8",
            className: "eu-point eu-section-" + text(props.section) + " eu-status-" + text(props.status)
          });
        },
        onEachFeature: function (feature, marker) {
          marker.bindPopup(popup(feature.properties || {}));
          marker.bindTooltip(text((feature.properties || {}).name));
          var path = marker.getElement && marker.getElement();
          if (path) { path.setAttribute("data-unit", text(feature.id)); }
        }
      }).addTo(map);
      layer.eachLayer(function (marker) {
        var path = marker.getElement && marker.getElement();
        if (path) {
          path.setAttribute("data-unit", text(marker.feature.id));
          path.setAttribute("data-name", text(marker.feature.properties.name));
        }
      });
      var bounds = layer.getBounds();
      if (bounds.isValid()) { map.fitBounds(bounds.pad(0.2), { maxZoom: 17 }); }
      box.setAttribute("data-points", String(data.features.length));
      box.setAttribute("data-state", "ready");
    })
    .catch(function (error) {
      box.setAttribute("data-state", "error");
      var note = document.getElementById("eu-map-error");
      if (note) { note.hidden = false; note.textContent = note.textContent + " (" + error.message + ")"; }
    });
}());
