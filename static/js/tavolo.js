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

  function isNativelyFocusable(element) {
    return /^(INPUT|SELECT|TEXTAREA|BUTTON|A|SUMMARY)$/.test(element.tagName);
  }

  function focusOn(element) {
    if (!element.hasAttribute("tabindex") && !isNativelyFocusable(element)) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus();
  }

  // Controls that only work with JavaScript (the formatting toolbar, the @mention picker, the
  // live preview, "Stampa") are hidden in the HTML and shown here: without JavaScript a page
  // offers nothing that does nothing. htmx:load also covers content swapped in later.
  function reveal(root) {
    if (!root || !root.querySelectorAll) { return; }
    var hidden = root.querySelectorAll("[data-needs-js][hidden]");
    Array.prototype.forEach.call(hidden, function (element) { element.hidden = false; });
    if (root.hasAttribute && root.hasAttribute("data-needs-js")) { root.hidden = false; }
  }
  document.addEventListener("htmx:load", function (event) { reveal(event.detail.elt); });

  var PROBLEM = ".error-summary, .conflict, [aria-invalid='true'], [role='alert']";

  // A page that comes back with a problem (form errors, an editing conflict) starts with the
  // keyboard focus on it, so it is the first thing read and the next Tab goes to its links.
  document.addEventListener("DOMContentLoaded", function () {
    reveal(document);
    var main = document.getElementById("main");
    var problem = main && main.querySelector(".error-summary, .conflict");
    if (problem) { focusOn(problem); }
  });

  // The messages a page arrives with (a save, a sign-in) are said again once the page has
  // loaded: a screen reader announces a change to a live region, not what was already there.
  // Each message's text is put back as it is, so nothing moves on the screen.
  window.addEventListener("load", function () {
    window.setTimeout(function () {
      var alerts = document.getElementById("alerts");
      if (!alerts) { return; }
      Array.prototype.forEach.call(alerts.querySelectorAll(".alert"), function (message) {
        message.textContent = message.textContent;
      });
    }, 250);
  });

  // Each htmx request, remembered from the moment it leaves: whether the person asked for it
  // (polls, the first load of a preview, autosaves and anything marked data-quiet did not),
  // and whether the keyboard focus was in what sent it or in the region it will replace.
  var requests = new WeakMap();
  var busy = 0;

  function isQuiet(element) {
    var trigger = element.getAttribute("data-hx-trigger") || "";
    return element.hasAttribute("data-quiet") || /(^|,)\s*(every|load)\b/.test(trigger) &&
      !/\b(input|change|submit|click|keyup|search)\b/.test(trigger);
  }

  // While a request the person asked for is in flight: the bar at the top of the page (shown
  // after a blink, see tavolo.css) and aria-busy on the region it will replace. Both end when
  // the request ends however it ends (answer, error, abort, timeout), even if what sent it was
  // removed from the page meanwhile, and even if the answer went to another region.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var detail = event.detail, elt = detail.elt, target = detail.target, xhr = detail.xhr;
    if (!elt || !xhr) { return; }
    var active = document.activeElement;
    var record = {
      quiet: isQuiet(elt),
      hadFocus: !!active && active !== document.body &&
        (elt.contains(active) || (!!target && target.contains(active)))
    };
    requests.set(xhr, record);
    if (record.quiet) { return; }
    busy += 1;
    document.body.classList.add("is-busy");
    if (target && target.setAttribute) { target.setAttribute("aria-busy", "true"); }
    xhr.addEventListener("loadend", function () {
      busy = Math.max(0, busy - 1);
      if (!busy) { document.body.classList.remove("is-busy"); }
      if (target && target.removeAttribute) { target.removeAttribute("aria-busy"); }
    });
  });

  // After a swap the person asked for, with the focus in what was sent or replaced, put the
  // focus somewhere sensible. A problem in the new content (error summary, conflict, invalid
  // field) takes it. Focus lost with the replaced content goes to the element of the same id
  // if there is one, else to what the content marks with data-focus-after-swap, else to its
  // first heading, else to the content itself. Focus the person has put elsewhere, and any
  // background swap, are left alone (a role="alert" is announced without the focus).
  var focusedId = null;
  document.addEventListener("htmx:beforeSwap", function () {
    var active = document.activeElement;
    focusedId = active && active !== document.body ? active.id || null : null;
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var record = event.detail.xhr && requests.get(event.detail.xhr);
    if (!record || record.quiet || !record.hadFocus) { return; }
    var region = event.detail.target;
    if (!region || !region.isConnected) {
      region = document.getElementById(event.detail.target && event.detail.target.id);
    }
    if (!region) { return; }
    var active = document.activeElement;
    var lost = !active || active === document.body || !active.isConnected;
    if (!lost && !region.contains(active)) { return; }
    var problem = region.querySelector(PROBLEM);
    if (problem) { focusOn(problem); return; }
    if (!lost) { return; }
    var same = focusedId && document.getElementById(focusedId);
    if (same && region.contains(same) && (isNativelyFocusable(same) || same.hasAttribute("tabindex"))) {
      same.focus();
      return;
    }
    focusOn(region.querySelector("[data-focus-after-swap]") ||
            region.querySelector("h1, h2, h3, h4") || region);
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

  // The words put in the text come from the toolbar, in the page's language.
  function snippets(toolbar) {
    var text = toolbar.getAttribute("data-text") || "";
    var column = toolbar.getAttribute("data-column") || "";
    return {
      bold: { before: "**", after: "**", placeholder: text },
      italic: { before: "_", after: "_", placeholder: text },
      link: { before: "[", after: "](https://)", placeholder: toolbar.getAttribute("data-link-text") || text },
      heading: { line: "## " },
      list: { line: "- " },
      numbered: { line: "1. " },
      quote: { line: "> " },
      table: { block: "\n| " + column + " 1 | " + column + " 2 |\n| --- | --- |\n| | |\n" }
    };
  }

  function apply(textarea, kind, toolbar) {
    var snippet = snippets(toolbar)[kind];
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
    if (textarea) { apply(textarea, button.getAttribute("data-md"), toolbar); }
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
