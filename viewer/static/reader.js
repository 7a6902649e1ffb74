/* The reader: OpenSeadragon deep zoom from the IIIF Image API beside the page's transcription.
   Turning the page moves both; the URL always names the page and the zoomed region
   (history.replaceState) so a view can be cited; search inside the item marks hits in the
   transcription and draws their boxes over the image. Works from data-* attributes only: the
   page holds no list of pages (a volume may have 10,000); each page's JSON names its
   neighbours, and hit labels are fetched by range of orders. */
(function () {
  "use strict";
  var root = document.getElementById("reader");
  if (!root) { return; }
  var ds = root.dataset;
  var itemId = ds.item;
  var firstOrder = parseInt(ds.first, 10);
  var lastOrder = parseInt(ds.last, 10);
  var rtl = ds.direction === "right-to-left";
  var q = ds.q || "";
  var exact = ds.exact === "1";
  var current = null;        // the page JSON being shown
  var order = parseInt(ds.page, 10);
  var region = parseRegion(ds.region);
  var transcription = document.getElementById("transcription");
  var hitsBox = document.getElementById("item-hits");
  var osdEl = document.getElementById("osd");
  var viewer = null;
  var boxes = [];

  function parseRegion(raw) {
    if (!raw) { return null; }
    var p = raw.split(",").map(Number);
    return p.length === 4 && p.every(isFinite) && p[2] > 0 && p[3] > 0 ? p : null;
  }
  function fmt(template, key, value) { return template.replace("{" + key + "}", value); }
  function inItem(o) { return isFinite(o) && o >= firstOrder && o <= lastOrder; }

  // --- the URL names page, region and query -------------------------------------------------
  function viewUrl() {
    var params = new URLSearchParams();
    params.set("page", String(order));
    if (region) { params.set("region", region.join(",")); }
    if (q) { params.set("q", q); }
    if (exact) { params.set("exact", "1"); }
    return location.pathname + "?" + params.toString();
  }
  function publish() {
    history.replaceState(null, "", viewUrl());
    document.dispatchEvent(new CustomEvent("sudur:view", {
      detail: { item: itemId, page: order, region: region, embedBase: ds.embedBase }
    }));
  }

  // --- deep zoom ----------------------------------------------------------------------------
  function makeViewer() {
    if (!window.OpenSeadragon || !osdEl) { return null; }
    var v = window.OpenSeadragon({
      element: osdEl,
      prefixUrl: ds.osdPrefix,
      drawer: "canvas",
      showNavigator: !root.classList.contains("embedded"),
      navigatorPosition: "BOTTOM_RIGHT",
      showRotationControl: true,
      gestureSettingsMouse: { clickToZoom: false, dblClickToZoom: true },
      gestureSettingsTouch: { pinchRotate: false },
      visibilityRatio: 0.5,
      crossOriginPolicy: false
    });
    v.addHandler("open", function () {
      if (region) {
        v.viewport.fitBounds(v.viewport.imageToViewportRectangle(
          region[0], region[1], region[2], region[3]), true);
      }
      drawBoxes();
      osdEl.dataset.loaded = "1";
    });
    v.addHandler("tile-drawn", function () { osdEl.dataset.drawn = "1"; });
    v.addHandler("animation-finish", function () { trackRegion(); });
    return v;
  }

  function trackRegion() {
    if (!viewer || !viewer.world.getItemCount() || !current || !current.image) { return; }
    var vp = viewer.viewport;
    if (vp.getZoom(true) <= vp.getHomeZoom() * 1.02) {
      region = null;  // the whole page (OSD's home view): no region in the URL
      publish();
      return;
    }
    var r = vp.viewportToImageRectangle(vp.getBounds(true));
    var w = current.image.width, h = current.image.height;
    var x0 = Math.max(0, Math.round(r.x)), y0 = Math.max(0, Math.round(r.y));
    var x1 = Math.min(w, Math.round(r.x + r.width)), y1 = Math.min(h, Math.round(r.y + r.height));
    if (x1 <= x0 || y1 <= y0) { return; }
    // The whole page in view is no region at all: keep the URL short.
    region = (x0 === 0 && y0 === 0 && x1 === w && y1 === h) ? null : [x0, y0, x1 - x0, y1 - y0];
    publish();
  }

  function drawBoxes() {
    if (!viewer || !viewer.world.getItemCount()) { return; }
    viewer.clearOverlays();
    boxes.forEach(function (b) {
      var el = document.createElement("div");
      el.className = "hit-box";
      el.setAttribute("aria-hidden", "true");
      viewer.addOverlay({ element: el,
        location: viewer.viewport.imageToViewportRectangle(b[0], b[1], b[2], b[3]) });
    });
  }

  function showImage(data) {
    var noImage = root.querySelector(".image-pane .no-image");
    if (!viewer) { return; }
    if (data.image) {
      osdEl.hidden = false;
      osdEl.dataset.drawn = "";
      osdEl.setAttribute("aria-label", fmt(ds.imageLabel, "label", data.label));
      if (noImage) { noImage.hidden = true; }
      viewer.open(data.image.info);
    } else {
      viewer.close();
      osdEl.hidden = true;
      if (noImage) { noImage.hidden = false; }
    }
  }

  // --- transcription ------------------------------------------------------------------------
  function renderText(data) {
    closeNote();
    if (typeof data.html === "string") {
      // The server renders the edition with the hits marked (viewer/edition.py): escaped text
      // in markup of its own, so it is set as it is.
      transcription.innerHTML = data.html;
    } else {
      renderPlain(data);
    }
    afterText(data);
  }

  function renderPlain(data) {
    var text = data.text || "";
    var frag = document.createDocumentFragment();
    var cursor = 0;
    (data.spans || []).slice().sort(function (a, b) { return a[0] - b[0]; }).forEach(function (s) {
      var a = Math.max(s[0], cursor), b = Math.min(s[1], text.length);
      if (a >= b) { return; }
      frag.appendChild(document.createTextNode(text.slice(cursor, a)));
      var m = document.createElement("mark");
      m.textContent = text.slice(a, b);
      frag.appendChild(m);
      cursor = b;
    });
    frag.appendChild(document.createTextNode(text.slice(cursor)));
    transcription.textContent = "";
    transcription.appendChild(frag);
  }

  function afterText(data) {
    var panes = root.querySelector(".reader-panes");
    if (panes) { panes.classList.toggle("text-only", !data.image); }
    var placeholder = root.querySelector(".placeholder-note");
    if (placeholder) { placeholder.hidden = !!(data.image || data.text); }
    enhanceEdition();
    transcription.setAttribute("lang", data.lang || "und");
    transcription.classList.toggle("mong", !!data.vertical);
    var label = root.querySelector(".current-label");
    if (label) {
      label.textContent = data.label;
      // A label written in the item's script (ᠨᠢᠭᠡ, 一) carries the item's language.
      if (/[^\u0000-\u024F]/.test(data.label)) { label.setAttribute("lang", data.lang || "und"); }
      else { label.removeAttribute("lang"); }
    }
    var count = root.querySelector(".mark-count");
    if (count) { count.hidden = true; }  // the server's count describes the first page only
    var first = transcription.querySelector("mark");
    if (first && first.scrollIntoView) { first.scrollIntoView({ block: "nearest", inline: "nearest" }); }
  }

  // --- the edition: note pop-ups, readings of a choice, the apparatus -------------------------
  var tools = root.querySelector(".edition-tools");
  var openNote = null;  // {ref, pop}

  function enhanceEdition() {
    var choices = transcription.querySelectorAll(".ed-choice");
    Array.prototype.forEach.call(choices, function (c) {
      c.setAttribute("role", "button");
      c.setAttribute("aria-pressed", c.classList.contains("swapped") ? "true" : "false");
    });
    Array.prototype.forEach.call(transcription.querySelectorAll(".ed-note-ref"), function (a) {
      a.setAttribute("aria-expanded", "false");
      a.setAttribute("aria-haspopup", "dialog");
    });
    if (tools) {
      var hasChoice = choices.length > 0;
      var hasApp = !!transcription.querySelector(".ed-rdgs");
      tools.hidden = !(hasChoice || hasApp);
      tools.querySelector(".toggle-readings").hidden = !hasChoice;
      tools.querySelector(".toggle-apparatus").hidden = !hasApp;
      var all = tools.querySelector(".toggle-readings").getAttribute("aria-pressed") === "true";
      if (all) { Array.prototype.forEach.call(choices, function (c) { swap(c, true); }); }
    }
  }

  function swap(choice, on) {
    choice.classList.toggle("swapped", on);
    choice.setAttribute("aria-pressed", on ? "true" : "false");
  }

  function closeNote(keepFocus) {
    if (!openNote) { return; }
    openNote.ref.setAttribute("aria-expanded", "false");
    if (openNote.pop.parentNode) { openNote.pop.parentNode.removeChild(openNote.pop); }
    if (keepFocus) { openNote.ref.focus(); }
    openNote = null;
  }

  function showNote(ref) {
    var same = openNote && openNote.ref === ref;
    closeNote(false);
    if (same) { return; }
    var source = document.getElementById(ref.dataset.note);
    if (!source) { return; }
    var pop = document.createElement("span");
    pop.className = "ed-note-pop";
    pop.setAttribute("role", "dialog");
    pop.setAttribute("aria-label", (tools && tools.dataset.labelNote || "Note") + " " + ref.textContent);
    pop.id = ref.dataset.note + "-pop";
    var close = document.createElement("button");
    close.type = "button";
    close.className = "ed-pop-close";
    close.setAttribute("aria-label", tools && tools.dataset.labelClose || "Close");
    close.textContent = "×";
    pop.appendChild(close);
    var body = document.createElement("span");
    body.className = "ed-pop-body";
    Array.prototype.forEach.call(source.childNodes, function (n) {
      if (!(n.classList && n.classList.contains("ed-back"))) { body.appendChild(n.cloneNode(true)); }
    });
    if (source.getAttribute("lang")) { body.setAttribute("lang", source.getAttribute("lang")); }
    pop.appendChild(body);
    ref.parentNode.insertBefore(pop, ref.nextSibling);
    // under the reference, kept inside the transcription pane
    var paneBox = transcription.getBoundingClientRect();
    var refBox = ref.getBoundingClientRect();
    var left = Math.min(refBox.left - paneBox.left + transcription.scrollLeft,
      Math.max(0, transcription.clientWidth - pop.offsetWidth - 8));
    pop.style.left = Math.max(0, left) + "px";
    pop.style.top = (refBox.bottom - paneBox.top + transcription.scrollTop + 4) + "px";
    ref.setAttribute("aria-expanded", "true");
    ref.setAttribute("aria-controls", pop.id);
    openNote = { ref: ref, pop: pop };
    close.focus();
  }

  transcription.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!t.closest) { return; }
    if (t.closest(".ed-pop-close")) { ev.preventDefault(); closeNote(true); return; }
    if (t.closest(".ed-note-pop")) { return; }
    var ref = t.closest(".ed-note-ref");
    if (ref) { ev.preventDefault(); showNote(ref); return; }
    var choice = t.closest(".ed-choice");
    if (choice) { swap(choice, !choice.classList.contains("swapped")); }
  });
  transcription.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && openNote) { ev.preventDefault(); closeNote(true); return; }
    var choice = ev.target.closest ? ev.target.closest(".ed-choice") : null;
    if (choice && (ev.key === "Enter" || ev.key === " ")) {
      ev.preventDefault();
      ev.stopPropagation();
      swap(choice, !choice.classList.contains("swapped"));
    }
  });
  if (tools) {
    tools.addEventListener("click", function (ev) {
      var b = ev.target.closest ? ev.target.closest("button") : null;
      if (!b) { return; }
      var on = b.getAttribute("aria-pressed") !== "true";
      b.setAttribute("aria-pressed", on ? "true" : "false");
      if (b.classList.contains("toggle-readings")) {
        Array.prototype.forEach.call(transcription.querySelectorAll(".ed-choice"),
          function (c) { swap(c, on); });
      } else {
        transcription.classList.toggle("hide-apparatus", !on);
      }
    });
  }

  // --- page turning -------------------------------------------------------------------------
  function renderNav(data) {
    var nav = root.querySelector(".page-turn");
    if (!nav) { return; }
    var prev = data.prev === undefined ? null : data.prev;
    var next = data.next === undefined ? null : data.next;
    function link(kind, target, arrow, aria, text) {
      if (target === null) {
        var span = document.createElement("span");
        span.className = kind + " disabled";
        span.setAttribute("aria-hidden", "true");
        span.textContent = arrow;
        return span;
      }
      var a = document.createElement("a");
      a.className = kind;
      a.rel = kind;
      a.href = location.pathname + "?page=" + target + (q ? "&q=" + encodeURIComponent(q) : "");
      a.setAttribute("aria-label", aria);
      a.dataset.page = String(target);
      a.textContent = arrow;
      var t = document.createElement("span");
      t.className = "label";
      t.textContent = " " + text;
      a.appendChild(t);
      return a;
    }
    var p = link("prev", prev, rtl ? "→" : "←", ds.labelPrev, ds.textPrev);
    var n = link("next", next, rtl ? "←" : "→", ds.labelNext, ds.textNext);
    nav.textContent = "";
    if (rtl) { nav.appendChild(n); nav.appendChild(p); } else { nav.appendChild(p); nav.appendChild(n); }
    var select = document.getElementById("page-select");
    if (select) { select.value = data.label || String(order); }
    var hidden = root.querySelector("#in-item-search input[name=page]");
    if (hidden) { hidden.value = String(order); }
  }

  function pageUrl(o) {
    var u = ds.pageApi.replace("{order}", String(o));
    if (q) { u += "?q=" + encodeURIComponent(q) + (exact ? "&exact=1" : ""); }
    return u;
  }

  function goTo(o, keepRegion) {
    if (!inItem(o)) { return Promise.resolve(); }
    return fetch(pageUrl(o), { headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (data) {
        var changed = !current || current.order !== data.order;
        current = data;
        order = data.order;
        boxes = (data.boxes && data.boxes.length) ? data.boxes : (q && iiifBoxes[data.order]) || [];
        if (!keepRegion) { region = null; }
        root.dataset.page = String(order);
        renderText(data);
        renderNav(data);
        if (changed || !viewer || !viewer.world.getItemCount()) { showImage(data); } else { drawBoxes(); }
        publish();
      });
  }

  function step(delta) {
    var target = current && (delta > 0 ? current.next : current.prev);
    if (target !== null && target !== undefined) { goTo(target, false); }
  }

  root.addEventListener("click", function (ev) {
    var a = ev.target.closest ? ev.target.closest(".page-turn a") : null;
    if (a && a.dataset.page) { ev.preventDefault(); goTo(parseInt(a.dataset.page, 10), false); return; }
    if (a) {
      ev.preventDefault();
      goTo(parseInt(new URL(a.href).searchParams.get("page"), 10), false);
    }
  });
  // The page box takes an order or a label as written (2b): the server resolves it, so the
  // form is submitted as it is.

  document.addEventListener("keydown", function (ev) {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) { return; }
    var t = ev.target;
    if (t && (/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(t.tagName) || t.isContentEditable)) { return; }
    if (osdEl && osdEl.contains(t)) { return; }  // arrows pan the image when it has focus
    var forward = null;
    switch (ev.key) {
      case "ArrowRight": forward = !rtl; break;
      case "ArrowLeft": forward = rtl; break;
      case "PageDown": case "n": forward = true; break;
      case "PageUp": case "p": forward = false; break;
      case "Home": ev.preventDefault(); goTo(firstOrder, false); return;
      case "End": ev.preventDefault(); goTo(lastOrder, false); return;
      default: return;
    }
    ev.preventDefault();
    step(forward ? 1 : -1);
  });

  // --- search inside the item (IIIF Content Search 2.0) ---------------------------------------
  var iiifBoxes = {};  // page order -> boxes from the Content Search targets

  function canvasOrder(target) {
    var id = typeof target === "string" ? target : (target && (target.source && (target.source.id || target.source))) || "";
    var m = /\/canvas\/(?:p)?(\d+)/.exec(String(id));
    return m ? parseInt(m[1], 10) : null;
  }
  function targetBox(target) {
    var raw = typeof target === "string" ? target : "";
    if (!raw && target && target.selector) {
      var sel = [].concat(target.selector).filter(function (x) { return x && x.value; })[0];
      raw = sel ? "#" + sel.value : "";
    }
    var m = /xywh=(?:pixel:)?(\d+),(\d+),(\d+),(\d+)/.exec(raw);
    return m ? [+m[1], +m[2], +m[3], +m[4]] : null;
  }

  function fetchAnnotationPages(url, acc, depth) {
    return fetch(url, { headers: { Accept: "application/ld+json, application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (page) {
        acc.items = acc.items.concat(page.items || page.resources || []);
        (page.annotations || []).forEach(function (ap) { acc.context = acc.context.concat(ap.items || []); });
        var next = page.next && (page.next.id || page.next);
        return next && depth < 10 ? fetchAnnotationPages(next, acc, depth + 1) : acc;
      });
  }

  function searchHits(q) {
    var url = ds.searchApi + "?q=" + encodeURIComponent(q);
    return fetchAnnotationPages(url, { items: [], context: [] }, 0).then(function (acc) {
      var contexts = {};
      acc.context.forEach(function (c) {
        var src = c.target && (c.target.source && (c.target.source.id || c.target.source));
        var sel = c.target && [].concat(c.target.selector || []).filter(function (x) {
          return x && x.type === "TextQuoteSelector"; })[0];
        if (src && sel) { contexts[src] = sel; }
      });
      var byPage = {};
      var orderList = [];
      iiifBoxes = {};
      acc.items.forEach(function (a) {
        var o = canvasOrder(a.target || a.on);
        if (o === null || !inItem(o)) { return; }
        if (!byPage[o]) { byPage[o] = { page: o, label: String(o), quotes: [] }; orderList.push(o); }
        var box = targetBox(a.target || a.on);
        if (box) { (iiifBoxes[o] = iiifBoxes[o] || []).push(box); }
        var quote = contexts[a.id] || { exact: a.body && a.body.value || "" };
        byPage[o].quotes.push(quote);
      });
      orderList.sort(function (a, b) { return a - b; });  // orders are reading order
      var hits = orderList.map(function (o) { return byPage[o]; });
      return labelsFor(orderList).then(function (labels) {
        hits.forEach(function (h) { if (labels[h.page]) { h.label = labels[h.page]; } });
        return hits;
      });
    });
  }

  // Labels as written on the leaves (1a, 155b), by range of orders: one request per thousand
  // orders that hold a hit, cached for the page's life.
  var labelCache = {};
  var RANGE = 1000;
  function labelsFor(orders) {
    var ranges = {};
    orders.forEach(function (o) {
      var lo = Math.floor((o - 1) / RANGE) * RANGE + 1;
      if (!labelCache[lo]) { ranges[lo] = true; }
    });
    var asks = Object.keys(ranges).map(function (lo) {
      lo = parseInt(lo, 10);
      var url = ds.labelsApi + "?from=" + lo + "&to=" + (lo + RANGE - 1);
      return fetch(url, { headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
        .then(function (data) {
          var map = {};
          (data.pages || []).forEach(function (p) { map[p.order] = p.label; });
          labelCache[lo] = map;
        });
    });
    return Promise.all(asks).then(function () {
      var out = {};
      orders.forEach(function (o) {
        var lo = Math.floor((o - 1) / RANGE) * RANGE + 1;
        var label = (labelCache[lo] || {})[o];
        if (label) { out[o] = label; }
      });
      return out;
    });
  }

  function listHits(hits) {
    hitsBox.textContent = "";
    if (!hits.length) {
      var none = document.createElement("p");
      none.textContent = ds.noHits;
      hitsBox.appendChild(none);
      return;
    }
    var h = document.createElement("p");
    h.textContent = fmt(ds.hitsLabel, "n", String(hits.length));
    hitsBox.appendChild(h);
    var ol = document.createElement("ol");
    hits.forEach(function (hit) {
      var li = document.createElement("li");
      var b = document.createElement("button");
      b.type = "button";
      b.className = "hit-jump";
      b.dataset.page = String(hit.page);
      b.textContent = fmt(ds.pageLabel, "label", hit.label || String(hit.page));
      b.addEventListener("click", function () { goTo(hit.page, false); });
      li.appendChild(b);
      var q0 = hit.quotes[0] || {};
      var snip = document.createElement("span");
      snip.className = "hit-snippet";
      snip.setAttribute("lang", root.dataset.lang || "und");
      snip.appendChild(document.createTextNode(" " + (q0.prefix || "")));
      var m = document.createElement("mark");
      m.textContent = q0.exact || "";
      snip.appendChild(m);
      snip.appendChild(document.createTextNode((q0.suffix || "")));
      li.appendChild(snip);
      ol.appendChild(li);
    });
    hitsBox.appendChild(ol);
  }

  function searchItem(query) {
    q = query;
    if (!q) { hitsBox.textContent = ""; iiifBoxes = {}; return goTo(order, true); }
    return searchHits(q).then(function (hits) {
      listHits(hits);
      var onThis = hits.some(function (h) { return h.page === order; });
      if (!onThis && hits.length) { return goTo(hits[0].page, false); }
      return goTo(order, true);
    });
  }

  var form = document.getElementById("in-item-search");
  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      searchItem(form.querySelector("input[name=q]").value.trim());
    });
  }

  // The download menu's panel hangs from its summary (downloads.css); where the bar has wrapped
  // and the menu stands near an edge of the window (its start, or in vertical lines its foot), it
  // would reach past it. Keep it on the screen: moved in from the edge, never larger than the
  // window (it scrolls within itself if it must).
  function keepOnScreen(menu) {
    var panel = menu.querySelector(".download-panel");
    if (!menu.open || !panel) { return; }
    var margin = 8;
    var vw = document.documentElement.clientWidth, vh = document.documentElement.clientHeight;
    var st = panel.style;
    st.left = st.right = st.top = st.bottom = "";
    st.maxWidth = (vw - 2 * margin) + "px";
    st.maxHeight = (vh - 2 * margin) + "px";
    st.overflow = "auto";
    var r = panel.getBoundingClientRect(), m = menu.getBoundingClientRect();
    if (r.left < margin) {
      st.right = "auto"; st.left = (margin - m.left) + "px";
    } else if (r.right > vw - margin) {
      st.left = "auto"; st.right = (m.right - vw + margin) + "px";
    }
    if (r.bottom > vh - margin) {
      st.bottom = "auto"; st.top = (vh - margin - r.height - m.top) + "px";
    }
  }
  var menu = root.querySelector(".reader-bar .download-menu");
  if (menu) {
    menu.addEventListener("toggle", function () { keepOnScreen(menu); });
    window.addEventListener("resize", function () { keepOnScreen(menu); });
  }

  // --- start --------------------------------------------------------------------------------
  enhanceEdition();
  viewer = makeViewer();
  current = null;
  goTo(inItem(order) ? order : firstOrder, true).then(function () {
    if (q) { searchHits(q).then(function (hits) { listHits(hits); drawBoxes(); }); }
  });
})();
