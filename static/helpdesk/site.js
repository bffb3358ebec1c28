/* Behaviour every page shares (desk, portal, sign-in): loaded by base.html.
 *
 * The Content-Security-Policy allows no inline script, so what templates used to do with
 * onchange= lives here, keyed by data- attributes.
 */
(function () {
  "use strict";

  // Unsent replies and notes are kept in localStorage under this prefix (desk.js writes them).
  var DRAFT_PREFIX = "draft:";

  function clearDrafts() {
    var storage = null;
    try { storage = window.localStorage; } catch (error) { return; }
    if (!storage) return;
    try {
      var keys = [];
      for (var i = 0; i < storage.length; i += 1) {
        var key = storage.key(i);
        if (key && key.indexOf(DRAFT_PREFIX) === 0) keys.push(key);
      }
      keys.forEach(function (key) { storage.removeItem(key); });
    } catch (error) { /* storage disabled: nothing was kept either */ }
  }
  window.helpdeskClearDrafts = clearDrafts;

  // Signing out leaves nothing of the person's unsent words on this computer: cleared as the
  // sign-out form is sent, and again on the page that follows a sign-out (the admin's sign-out,
  // or a sign-out from another tab, lands there too).
  document.querySelectorAll("form[data-sign-out]").forEach(function (form) {
    form.addEventListener("submit", clearDrafts);
  });
  if (document.body && document.body.hasAttribute("data-signed-out")) clearDrafts();

  // Selects that apply themselves on change (the inbox filters, the portal's sort).
  document.querySelectorAll("[data-autosubmit]").forEach(function (field) {
    field.addEventListener("change", function () {
      var form = field.form;
      if (!form) return;
      if (typeof form.requestSubmit === "function") form.requestSubmit();
      else form.submit();
    });
  });
})();
