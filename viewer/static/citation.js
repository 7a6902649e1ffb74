// The copy button of the suggested citation (templates/_citation.html). Without the script the
// citation is selectable text and the button stays hidden.
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
})();
