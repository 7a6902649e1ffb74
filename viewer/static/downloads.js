/* Downloads (issue 15). In the reader: the download menu follows the page turns the reader makes
   without reloading (the "sudur:view" event), so "this page as an image" and the PDF's page
   field name the page shown. On a PDF's progress page: follow the status JSON and show the
   progress and the download link as they come, instead of the page reloading itself (which is
   what happens without JavaScript). */
(function () {
  "use strict";

  var menu = document.getElementById("download-menu");
  var reader = document.getElementById("reader");
  if (menu && reader && reader.dataset.pageApi) {
    document.addEventListener("sudur:view", function (ev) {
      var d = ev.detail || {};
      if (!d.page || d.item !== menu.dataset.item) { return; }
      var field = menu.querySelector("#dl-pages");
      if (field && !field.matches(":focus")) { field.value = String(d.page); }
      var old = menu.dataset.image;
      if (!old) { return; }
      // The page's image id and width, from the page API the reader reads (its cache answers).
      fetch(reader.dataset.pageApi.replace("{order}", String(d.page)),
            { headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
        .then(function (p) {
          if (!p.image || p.image.id === old) { return; }
          menu.querySelectorAll(".dl-images a").forEach(function (a) {
            a.href = a.getAttribute("href").split("/" + old + "/").join("/" + p.image.id + "/");
            var w = parseInt(a.dataset.size, 10);
            a.parentNode.hidden = !isNaN(w) && w >= p.image.width;
          });
          menu.dataset.image = p.image.id;
        })
        .catch(function () { /* the links keep naming the page they named */ });
    });
  }

  var job = document.getElementById("download-job");
  if (!job) { return; }
  var bar = document.getElementById("job-progress");
  var done = job.querySelector(".job-done");
  var get = job.querySelector(".job-get");

  function show(state) {
    job.dataset.state = state;
    job.querySelectorAll(".job-state > span").forEach(function (s) {
      s.hidden = !s.classList.contains("s-" + state);
    });
  }

  function poll() {
    fetch(job.dataset.status, { headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (s) {
        bar.max = s.total || 1;
        bar.value = s.state === "done" ? bar.max : s.done;
        bar.textContent = s.percent + "%";
        done.textContent = String(s.state === "done" ? s.total : s.done);
        show(s.state);
        if (s.state === "failed") {
          job.querySelector(".s-failed").textContent += s.error;
        }
        if (s.state === "queued" || s.state === "building") {
          setTimeout(poll, 700);
        } else {
          get.hidden = false;
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (job.dataset.state === "queued" || job.dataset.state === "building") { poll(); }
})();
