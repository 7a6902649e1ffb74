// The citation partial (templates/_citation.html): the copy button of the suggested citation,
// and, in the reader, the citation of the page turned to. Without the script the citation is
// selectable text, the button stays hidden and the citation names the page first shown.
(function () {
  "use strict";

  function selectText(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  function copyBySelection(el) {
    // browsers without the asynchronous clipboard (or outside a secure context)
    selectText(el);
    try {
      return document.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  document.querySelectorAll("button.copy-citation").forEach(function (button) {
    var target = document.getElementById(button.dataset.copy);
    var status = button.parentNode.querySelector(".copy-status");
    if (!target) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = target.textContent.replace(/\s+/g, " ").trim();
      function report(ok) {
        if (!ok) {
          selectText(target);
        }
        if (status) {
          status.textContent = ok ? button.dataset.copied : button.dataset.failed;
        }
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { report(true); },
          function () { report(copyBySelection(target)); });
      } else {
        report(copyBySelection(target));
      }
    });
  });

  // --- the reader turns pages without reloading: cite the page it shows ----------------------
  var box = document.querySelector("details.citation-page[data-api]");
  if (!box) {
    return;
  }
  var wanted = box.dataset.order;  // the page the citation names, or is being fetched for
  var asked = 0;

  function setMeta(name, value) {
    var meta = document.head.querySelector('meta[name="' + name + '"]');
    if (meta) { meta.content = value; }
  }

  function refresh(order) {
    var ticket = ++asked;
    var json = box.dataset.api + "?page=" + encodeURIComponent(order);
    var txt = json.replace(/\.json\?/, ".txt?");
    Promise.all([fetch(json).then(function (r) { return r.ok ? r.json() : null; }),
                 fetch(txt).then(function (r) { return r.ok ? r.text() : null; })])
      .then(function (answers) {
        var csl = answers[0] && answers[0][0];
        if (ticket !== asked || !csl || answers[1] === null) { return; }
        var address = new URL(csl.URL).searchParams.get("page") || String(order);
        var link = box.querySelector("a.cite-url");
        if (link) { link.href = csl.URL; link.textContent = csl.URL; }
        document.getElementById("cite-text").textContent = answers[1].trim();
        box.querySelectorAll(".cite-exports a").forEach(function (a) {
          var u = new URL(a.href);
          u.searchParams.set("page", address);
          a.href = u.pathname + u.search;
        });
        setMeta("citation_firstpage", csl.page || "");
        setMeta("citation_public_url", csl.URL);
        var status = box.querySelector(".copy-status");
        if (status) { status.textContent = ""; }
      })
      .catch(function () { /* the citation keeps naming the page it named */ });
  }

  document.addEventListener("sudur:view", function (e) {
    var order = e.detail && e.detail.page;
    if (order !== undefined && String(order) !== wanted) {
      wanted = String(order);
      refresh(order);
    }
  });
})();
