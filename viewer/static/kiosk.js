/* The kiosk: one page at a time, auto-advancing; a visitor's touch pauses it, and after the
   idle time it returns to the first page, at its whole-page view, and starts again. The page
   shown is a deep-zoom image (OpenSeadragon, when loaded): a pinch or the wheel zooms it, a
   drag pans it once zoomed. One viewer at a time: it is made for the page shown and destroyed
   when the page changes, so a long slide show holds one image's tiles. No links, no text entry. */
(function () {
  "use strict";
  var body = document.body;
  var slides = Array.prototype.slice.call(document.querySelectorAll(".slide"));
  var idleMs = parseFloat(body.dataset.idle) * 1000;
  var advanceMs = parseFloat(body.dataset.advance) * 1000;
  var index = 0;
  var playing = true;     // attract mode: advancing on its own
  var advanceTimer = null;
  var idleTimer = null;
  var pauseBtn = document.querySelector(".k-pause");
  var viewer = null;      // the deep-zoom viewer of the page shown
  var resetting = false;  // a zoom made by the kiosk itself, not by a visitor
  var fingers = 0, multiTouch = false;

  function zoomedIn() {
    if (!viewer || !viewer.world.getItemCount()) { return false; }
    return viewer.viewport.getZoom(true) > viewer.viewport.getHomeZoom() * 1.02;
  }
  function deepZoom(slide) {
    if (viewer) { viewer.destroy(); viewer = null; }
    body.dataset.zoomed = "0";
    var el = slide.querySelector(".k-osd");
    if (!el || !window.OpenSeadragon) { return; }
    el.dataset.drawn = "";
    viewer = window.OpenSeadragon({
      element: el, tileSources: el.dataset.info, prefixUrl: body.dataset.osdPrefix, drawer: "canvas",
      showNavigationControl: false, visibilityRatio: 1, constrainDuringPan: true,
      minZoomImageRatio: 1, maxZoomPixelRatio: 2, crossOriginPolicy: false,
      gestureSettingsMouse: { clickToZoom: false, dblClickToZoom: true },
      gestureSettingsTouch: { pinchRotate: false, flickEnabled: false }
    });
    viewer.addHandler("tile-drawn", function () {
      el.dataset.drawn = "1";
      slide.querySelector(".k-view").classList.add("k-live");
    });
    viewer.addHandler("zoom", function () {
      if (resetting) { return; }
      if (zoomedIn()) {
        // a visitor is looking closely: hold the slide show until the idle time passes
        body.dataset.zoomed = "1";
        if (playing) { setPlaying(false); }
        touched();
      }
    });
  }

  function show(n) {
    if (!slides.length) { return; }
    var was = index;
    index = (n + slides.length) % slides.length;
    slides.forEach(function (s, k) { s.hidden = k !== index; });
    body.dataset.slide = String(index);
    if (!viewer || was !== index) { deepZoom(slides[index]); }
    // Warm the next image so the change is instant on a slow kiosk.
    var next = slides[(index + 1) % slides.length].querySelector("img");
    if (next && next.loading === "lazy") { next.loading = "eager"; }
  }
  function schedule() {
    clearInterval(advanceTimer);
    if (playing && slides.length > 1) {
      advanceTimer = setInterval(function () { show(index + 1); }, advanceMs);
    }
  }
  function setPlaying(on) {
    playing = on;
    if (pauseBtn) {
      pauseBtn.textContent = on ? "❚❚" : "▶";
      pauseBtn.setAttribute("aria-label", on ? pauseBtn.dataset.labelPause : pauseBtn.dataset.labelPlay);
    }
    schedule();
  }
  function backToStart() {
    if (viewer && index === 0) {  // the first page already: back to its whole-page view
      resetting = true;
      viewer.viewport.goHome(true);
      resetting = false;
      body.dataset.zoomed = "0";
    }
    show(0);
    body.dataset.returns = String(parseInt(body.dataset.returns || "0", 10) + 1);
    setPlaying(true);
  }
  // Any touch, click or key stops the slide show for a while; idleness brings it back.
  function touched() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(backToStart, idleMs);
  }

  function onControl(sel, fn) {
    var el = document.querySelector(sel);
    if (el) { el.addEventListener("click", function (ev) { ev.stopPropagation(); touched(); fn(); }); }
  }
  onControl(".k-prev", function () { setPlaying(false); show(index - 1); });
  onControl(".k-next", function () { setPlaying(false); show(index + 1); });
  onControl(".k-pause", function () { setPlaying(!playing); });
  onControl(".k-full", function () {
    var el = document.documentElement;
    if (document.fullscreenElement) { document.exitFullscreen(); }
    else if (el.requestFullscreen) { el.requestFullscreen().catch(function () { /* refused: stay windowed */ }); }
  });

  // Swipe left/right on touch screens.
  // (Not while the page is zoomed in, where a drag pans it, nor after a pinch.)
  var startX = null;
  document.addEventListener("pointerdown", function (ev) {
    fingers += 1;
    if (fingers > 1) { multiTouch = true; }
    startX = ev.clientX;
    touched();
  }, true);
  function lifted(ev) {
    fingers = Math.max(0, fingers - 1);
    if (startX === null || ev.type === "pointercancel") { startX = null; return; }
    var dx = ev.clientX - startX;
    var swipe = !multiTouch && !zoomedIn() && Math.abs(dx) > 60;
    startX = null;
    if (fingers === 0) { multiTouch = false; }
    if (swipe) { setPlaying(false); show(index + (dx < 0 ? 1 : -1)); }
  }
  document.addEventListener("pointerup", lifted, true);
  document.addEventListener("pointercancel", lifted, true);
  document.addEventListener("wheel", touched, { capture: true, passive: true });
  document.addEventListener("keydown", function (ev) {
    touched();
    if (ev.key === "ArrowRight") { setPlaying(false); show(index + 1); }
    else if (ev.key === "ArrowLeft") { setPlaying(false); show(index - 1); }
    else if (ev.key === " ") { ev.preventDefault(); setPlaying(!playing); }
  });
  document.addEventListener("contextmenu", function (ev) { ev.preventDefault(); });

  show(0);
  setPlaying(true);
})();
