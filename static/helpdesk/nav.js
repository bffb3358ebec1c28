// The desk's top bar: the unread notification count, fetched after the page loads, whenever the
// notification socket says a notice arrived (/ws/notifications/, socket.js), and once a minute
// besides (the socket may be down: a proxy without websockets).
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
  if (window.helpdeskSocket) {
    window.helpdeskSocket("/ws/notifications/", {
      onFrame: function (frame) { if (frame && frame.type === "notification.new") refresh(); },
      onOpen: refresh
    });
  }
  document.addEventListener("visibilitychange", refresh);
})();
