// The filing form's map: a click sets the latitude and longitude fields. Vendored Leaflet, no CDN, no inline
// script (the page's CSP forbids it); tiles from data-tiles when the deployment configures them, else a blank grid.
(function () {
  "use strict";
  var box = document.getElementById("fb-map");
  if (!box || typeof L === "undefined") { return; }
  var lat = document.getElementById("fb-lat"), lng = document.getElementById("fb-lng");
  var map = L.map(box, { zoomControl: true });
  var start = lat.value && lng.value ? [parseFloat(lat.value), parseFloat(lng.value)] : [16.0, 106.0];
  map.setView(start, lat.value ? 16 : 5);
  var tiles = box.getAttribute("data-tiles");
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
  } else {
    box.classList.add("fb-map-blank");
  }
  var marker = lat.value && lng.value ? L.marker(start).addTo(map) : null;
  map.on("click", function (event) {
    lat.value = event.latlng.lat.toFixed(6);
    lng.value = event.latlng.lng.toFixed(6);
    if (marker) { marker.setLatLng(event.latlng); } else { marker = L.marker(event.latlng).addTo(map); }
  });
})();
