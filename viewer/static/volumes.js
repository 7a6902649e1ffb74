/* The volume switcher of a multi-volume work, in the reader and the embed (templates/_volumes.html).
   Choosing a volume opens it; on a volume's last leaf "next page" (the arrow, and the keys that
   turn pages) opens the next volume's first leaf, and on its first leaf "previous page" opens
   the previous volume's last leaf. The citation under the bar names the volume and the folio
   label of the page shown ("vol. ka, f. 12a"), following the reader's page turns (its
   sudur:view event), and so does the address bar. reader.js turns pages within one volume; this script only acts at the
   volume's two ends. */
(function () {
  "use strict";
  var nav = document.getElementById("volumes");
  var root = document.getElementById("reader");
  if (!nav || !root) { return; }
  var ds = nav.dataset;
  var rtl = root.dataset.direction === "right-to-left";

  var select = document.getElementById("volume-select");
  if (select) {
    select.addEventListener("change", function () {
      var opt = select.options[select.selectedIndex];
      if (opt && opt.dataset.href) { location.href = opt.dataset.href; }
    });
  }

  function order() { return parseInt(root.dataset.page, 10); }
  function atLast() { return order() === parseInt(root.dataset.last, 10); }
  function atFirst() { return order() === parseInt(root.dataset.first, 10); }
  function folio() {
    var box = document.getElementById("page-select");
    return box && box.value ? box.value : String(order());
  }

  function crossLink(kind, href, aria, arrow) {
    var a = document.createElement("a");
    a.className = kind + " cross-volume";
    a.href = href;
    a.setAttribute("aria-label", aria);
    a.textContent = arrow;
    var t = document.createElement("span");
    t.className = "label";
    t.textContent = " " + aria;
    a.appendChild(t);
    return a;
  }

  // The reader draws its arrows again at every page turn: the ends are mended after each.
  function mend() {
    var turn = root.querySelector(".page-turn");
    if (turn && ds.nextUrl && atLast()) {
      var n = turn.querySelector(".next.disabled");
      if (n) { n.replaceWith(crossLink("next", ds.nextUrl, ds.labelNext, rtl ? "←" : "→")); }
    }
    if (turn && ds.prevUrl && atFirst()) {
      var p = turn.querySelector(".prev.disabled");
      if (p) { p.replaceWith(crossLink("prev", ds.prevUrl, ds.labelPrev, rtl ? "→" : "←")); }
    }
    // The reader's URL names the page by its order; a volume's is named by its folio label,
    // as it is cited, when every label of the volume reads back as its page (data-citable).
    if (ds.citable === "1" && folio() !== String(order())) {
      var params = new URLSearchParams(location.search);
      if (params.get("page") === String(order())) {
        params.set("page", folio());
        history.replaceState(null, "", location.pathname + "?" + params.toString());
      }
    }
    var cite = nav.querySelector(".cite-link");
    if (cite) {
      var f = folio();
      cite.textContent = ds.cite.replace("{volume}", ds.volume).replace("{folio}", f);
      cite.href = ds.citeBase + "?volume=" + encodeURIComponent(ds.volume) +
        "&page=" + encodeURIComponent(f);
    }
  }

  // Capture, before reader.js, which would turn to a page of this volume instead.
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest ? ev.target.closest("a.cross-volume") : null;
    if (a) { ev.stopPropagation(); }
  }, true);

  document.addEventListener("keydown", function (ev) {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) { return; }
    var t = ev.target;
    if (t && (/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(t.tagName) || t.isContentEditable)) { return; }
    var osd = document.getElementById("osd");
    if (osd && osd.contains(t)) { return; }
    var forward = null;
    switch (ev.key) {
      case "ArrowRight": forward = !rtl; break;
      case "ArrowLeft": forward = rtl; break;
      case "PageDown": case "n": forward = true; break;
      case "PageUp": case "p": forward = false; break;
      default: return;
    }
    if (forward && atLast() && ds.nextUrl) { ev.preventDefault(); location.href = ds.nextUrl; }
    if (!forward && atFirst() && ds.prevUrl) { ev.preventDefault(); location.href = ds.prevUrl; }
  });

  document.addEventListener("sudur:view", mend);
  mend();
})();
