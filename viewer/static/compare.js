/* Compare: Mirador with the chosen items side by side, from this server only. */
(function () {
  "use strict";
  var el = document.getElementById("mirador");
  if (!el || !window.Mirador) { return; }
  var manifests = JSON.parse(el.dataset.manifests);
  window.Mirador.viewer({
    id: "mirador",
    language: el.dataset.language || "en",
    windows: manifests.map(function (m) { return { manifestId: m, thumbnailNavigationPosition: "far-bottom" }; }),
    workspace: { type: "mosaic" },
    workspaceControlPanel: { enabled: false }
  });
})();
