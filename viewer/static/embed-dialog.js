/* The Embed dialog: keeps the iframe code pointing at the page and region being viewed. */
(function () {
  "use strict";
  var area = document.getElementById("embed-code");
  if (!area) { return; }
  document.addEventListener("sudur:view", function (ev) {
    var d = ev.detail;
    var src = location.origin + d.embedBase + "?page=" + d.page +
      (d.region ? "&region=" + d.region.join(",") : "");
    area.value = area.value.replace(/src="[^"]*"/, 'src="' + src.replace(/&/g, "&amp;") + '"');
  });
  var copy = document.querySelector(".copy-embed");
  if (copy && navigator.clipboard) {
    copy.hidden = false;
    copy.addEventListener("click", function () { navigator.clipboard.writeText(area.value); });
  }
})();
