/* The kiosk: one page at a time, auto-advancing; a visitor's touch pauses it, and after the
   idle time it returns to the first page and starts again. No links, no text entry. */
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

  function show(n) {
    if (!slides.length) { return; }
    index = (n + slides.length) % slides.length;
    slides.forEach(function (s, k) { s.hidden = k !== index; });
    body.dataset.slide = String(index);
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
  var startX = null;
  document.addEventListener("pointerdown", function (ev) { startX = ev.clientX; touched(); });
  document.addEventListener("pointerup", function (ev) {
    if (startX === null) { return; }
    var dx = ev.clientX - startX;
    startX = null;
    if (Math.abs(dx) > 60) { setPlaying(false); show(index + (dx < 0 ? 1 : -1)); }
  });
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
