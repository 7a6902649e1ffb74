/* The vertical (traditional-Mongolian) interface scrolls sideways: its columns run from left to
   right. A mouse wheel turned down moves the page, or the sideways-scrolling box under the
   pointer (a long transcription), to the right, to the next columns, as it moves a horizontal
   page down; browsers leave a wheel's vertical turn unused where only a sideways scroll is
   possible. What scrolls up and down, or zooms (the deep-zoom image, Mirador), keeps the wheel. */
(function () {
  "use strict";
  var root = document.documentElement;

  function scrolls(el, axis) {
    var s = window.getComputedStyle(el);
    var overflow = axis === "x" ? s.overflowX : s.overflowY;
    var more = axis === "x" ? el.scrollWidth > el.clientWidth : el.scrollHeight > el.clientHeight;
    return more && (overflow === "auto" || overflow === "scroll");
  }

  window.addEventListener("wheel", function (e) {
    if (e.ctrlKey || e.shiftKey || Math.abs(e.deltaX) >= Math.abs(e.deltaY)) { return; }
    var target = root;
    for (var el = e.target; el && el !== root && el !== document.body; el = el.parentElement) {
      if (el.id === "osd" || el.classList.contains("mirador-box")) { return; }
      if (scrolls(el, "y")) { return; }
      if (scrolls(el, "x")) { target = el; break; }
    }
    if (target === root && root.scrollWidth <= root.clientWidth) { return; }
    var unit = e.deltaMode === 1 ? 16 : (e.deltaMode === 2 ? target.clientWidth : 1);
    if (target === root) {
      window.scrollBy(e.deltaY * unit, 0);
    } else {
      target.scrollLeft += e.deltaY * unit;
    }
    e.preventDefault();
  }, { passive: false });
})();
