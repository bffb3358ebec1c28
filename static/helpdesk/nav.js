// The desk's top bar: the unread notification count, fetched after the page loads and once a minute.
(function () {
  "use strict";
  var link = document.querySelector("[data-notification-count]");
  if (!link) return;
  var badge = link.querySelector(".count-badge");
  function refresh() {
    if (document.hidden) return;
    fetch(link.getAttribute("data-notification-count"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        var unread = data.unread || 0;
        badge.textContent = unread > 99 ? "99+" : String(unread);
        badge.hidden = unread === 0;
        link.setAttribute("aria-label", "Notifications" + (unread ? ", " + unread + " unread" : ""));
      })
      .catch(function () { /* offline: keep the last count */ });
  }
  refresh();
  setInterval(refresh, 60000);
  document.addEventListener("visibilitychange", refresh);
})();
