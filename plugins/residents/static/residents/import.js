// The import form's progress: the upload's share while the file travels, then "checking every row"
// until the report arrives (htmx events; the page works without this script, just without the bar).
document.addEventListener("htmx:xhr:progress", function (event) {
  var bar = document.getElementById("import-progress");
  if (!bar || !event.detail.lengthComputable) return;
  bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  if (event.detail.loaded >= event.detail.total) {
    document.getElementById("import-checking").hidden = false;
  }
});
document.addEventListener("htmx:beforeRequest", function () {
  var bar = document.getElementById("import-progress");
  if (bar) bar.value = 0;
  var checking = document.getElementById("import-checking");
  if (checking) checking.hidden = true;
});
