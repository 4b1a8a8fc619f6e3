/* Tavolo: the little behaviour htmx does not give. No inline script anywhere (strict CSP). */
(function () {
  "use strict";

  // Plain (non-htmx) forms that ask for confirmation before a destructive post.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // After a swap, put the keyboard focus somewhere sensible: the error summary, the first
  // invalid field, or the region that was replaced.
  document.addEventListener("htmx:afterSwap", function (event) {
    var region = event.detail.target;
    if (!region || !region.isConnected) {
      region = document.getElementById(event.detail.target && event.detail.target.id);
    }
    if (!region) { return; }
    var focusable = region.querySelector(".error-summary, [aria-invalid='true'], [role='alert']");
    if (focusable) {
      if (!focusable.hasAttribute("tabindex") && !/^(INPUT|SELECT|TEXTAREA|BUTTON|A)$/.test(focusable.tagName)) {
        focusable.setAttribute("tabindex", "-1");
      }
      focusable.focus();
    }
  });

  // A request that never reached the server: say so in the alert area, keep the page as it is.
  document.addEventListener("htmx:sendError", function () {
    var alerts = document.getElementById("alerts");
    if (!alerts) { return; }
    var message = document.createElement("p");
    message.className = "alert alert--error";
    message.textContent = document.body.getAttribute("data-network-error");
    alerts.replaceChildren(message);
  });
})();

/* The editor's formatting toolbar: wraps the selection in Markdown for people who do not
   know Markdown. Buttons carry data-md; the textarea is the toolbar's aria-controls. */
(function () {
  "use strict";

  var SNIPPETS = {
    bold: { before: "**", after: "**", placeholder: "testo" },
    italic: { before: "_", after: "_", placeholder: "testo" },
    link: { before: "[", after: "](https://)", placeholder: "testo del link" },
    heading: { line: "## " },
    list: { line: "- " },
    numbered: { line: "1. " },
    quote: { line: "> " },
    table: { block: "\n| Colonna 1 | Colonna 2 |\n| --- | --- |\n| | |\n" }
  };

  function apply(textarea, kind) {
    var snippet = SNIPPETS[kind];
    if (!snippet) { return; }
    var start = textarea.selectionStart, end = textarea.selectionEnd;
    var value = textarea.value, selected = value.slice(start, end);
    var replacement, cursorStart, cursorEnd;
    if (snippet.block) {
      replacement = snippet.block;
      cursorStart = cursorEnd = start + replacement.length;
    } else if (snippet.line) {
      var lineStart = value.lastIndexOf("\n", start - 1) + 1;
      start = lineStart;
      selected = value.slice(start, end);
      replacement = selected.split("\n").map(function (line) { return snippet.line + line; }).join("\n");
      cursorStart = start;
      cursorEnd = start + replacement.length;
    } else {
      var inner = selected || snippet.placeholder;
      replacement = snippet.before + inner + snippet.after;
      cursorStart = start + snippet.before.length;
      cursorEnd = cursorStart + inner.length;
    }
    textarea.setRangeText(replacement, start, end, "end");
    textarea.focus();
    textarea.setSelectionRange(cursorStart, cursorEnd);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-md]");
    if (!button) { return; }
    var toolbar = button.closest("[role='toolbar']");
    var textarea = toolbar && document.getElementById(toolbar.getAttribute("aria-controls"));
    if (textarea) { apply(textarea, button.getAttribute("data-md")); }
  });
})();

/* The print view's "Stampa" button (no inline handlers under the CSP). */
document.addEventListener("click", function (event) {
  "use strict";
  if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
});

/* Discussions: put a chosen @mention into the message at the cursor; and never show the same
   message twice when a reply and the poll for new messages bring it at the same time. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-mention-insert]");
    if (!button) { return; }
    var picker = button.closest("[data-mention-picker]");
    var input = picker && picker.querySelector("[data-mention-input]");
    var textarea = picker && document.getElementById(picker.getAttribute("data-target"));
    if (!input || !textarea) { return; }
    var handle = input.value.trim();
    if (!handle) { input.focus(); return; }
    if (handle.charAt(0) !== "@") { handle = "@" + handle; }
    var start = textarea.selectionStart, end = textarea.selectionEnd;
    var before = textarea.value.slice(0, start);
    var text = (before && !/\s$/.test(before) ? " " : "") + handle + " ";
    textarea.setRangeText(text, start, end, "end");
    input.value = "";
    textarea.focus();
  });

  document.addEventListener("htmx:afterSettle", function () {
    var lists = document.querySelectorAll(".thread__list");
    Array.prototype.forEach.call(lists, function (list) {
      var seen = {};
      Array.prototype.forEach.call(list.querySelectorAll("article.message"), function (message) {
        if (seen[message.id]) { message.remove(); } else { seen[message.id] = true; }
      });
    });
  });
})();
