// Copy buttons and the report's print button. Without JavaScript the buttons stay hidden: the
// link is in a read-only field to select and copy, and the browser's own Print menu prints.
(function () {
  "use strict";

  function say(button, text) {
    // Spoken and shown beside the button; the button keeps its name.
    var note = button.nextElementSibling;
    if (!note || !note.classList.contains("copy-note")) {
      note = document.createElement("span");
      note.className = "copy-note";
      note.setAttribute("role", "status");
      button.insertAdjacentElement("afterend", note);
    }
    note.textContent = text;
  }

  function copy(button) {
    var field = document.getElementById(button.dataset.copy);
    if (!field) return;
    var done = function () { say(button, button.dataset.copied || ""); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () { select(field); });
    } else {
      select(field);
      // The old way, for pages served over plain HTTP where the Clipboard API is missing.
      if (document.execCommand && document.execCommand("copy")) done();
    }
  }

  function select(field) {
    field.focus();
    field.select();
  }

  document.querySelectorAll("button.copy-button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { copy(button); });
  });
  document.querySelectorAll("input.copy[readonly], textarea.copy[readonly]").forEach(function (field) {
    field.addEventListener("focus", function () { field.select(); });
  });
  document.querySelectorAll("button.print-button").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
