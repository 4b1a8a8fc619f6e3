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
