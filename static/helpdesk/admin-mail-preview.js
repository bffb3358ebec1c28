/* The email template page: the preview follows the subject and text as they are typed, before saving.
 *
 * It posts both fields to the template's preview/ address (nothing is saved there) 500 ms after the
 * last key, and puts the answer, HTML the server built and sanitized, in place of the preview.
 */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("mail-preview");
    var form = document.getElementById("mailtemplate_form");
    if (!box || !form || typeof fetch !== "function") return;
    var subject = form.querySelector("[name=subject]");
    var body = form.querySelector("[name=body]");
    var token = form.querySelector("[name=csrfmiddlewaretoken]");
    if (!subject || !body || !token) return;
    var url = new URL(box.dataset.previewUrl, window.location.href).toString();
    var timer = null;
    var asked = 0;

    var refresh = function () {
      var data = new FormData();
      data.append("subject", subject.value);
      data.append("body", body.value);
      var mine = ++asked;
      fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRFToken": token.value } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          // Only the latest answer counts: an earlier, slower one must not overwrite it.
          if (html !== null && mine === asked) box.innerHTML = html;
        })
        .catch(function () { /* offline: the saved preview stays */ });
    };
    var later = function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 500);
    };
    subject.addEventListener("input", later);
    body.addEventListener("input", later);
  });
})();
