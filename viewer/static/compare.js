/* Compare: Mirador with the chosen items side by side, from this server only. Mirador draws its
   own interface (titles, search field, snippets) in its own language, which it sets as the lang
   of its box: it is handed the font chain typography.css gives that language, so its text uses
   the shipped Noto faces, as the rest of the site does. */
(function () {
  "use strict";
  var el = document.getElementById("mirador");
  if (!el || !window.Mirador) { return; }
  var manifests = JSON.parse(el.dataset.manifests);
  var language = el.dataset.language || "en";
  var probe = document.createElement("span");
  probe.lang = language;
  el.appendChild(probe);
  var fontFamily = window.getComputedStyle(probe).fontFamily;
  el.removeChild(probe);
  window.Mirador.viewer({
    id: "mirador",
    language: language,
    theme: { typography: { fontFamily: fontFamily } },
    windows: manifests.map(function (m) { return { manifestId: m, thumbnailNavigationPosition: "far-bottom" }; }),
    workspace: { type: "mosaic" },
    workspaceControlPanel: { enabled: false }
  });
})();
