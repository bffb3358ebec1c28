/* The triage board and an escalation page keep themselves current (escalations/consumers.py).
 *
 * On an "escalation.changed" frame the board fetches its rows again (X-Board-Rows) and the
 * escalation page its content (X-Escalation-Live), at most once a second. The page is not
 * replaced while someone is writing in one of its forms: it says what changed and offers a
 * reload instead, so nothing typed is lost.
 */
(function () {
  "use strict";

  function liveRegion(root, selector, header, noteSelector) {
    var target = root.querySelector(selector);
    var note = document.querySelector(noteSelector);
    var pending = null;
    var url = root.getAttribute("data-rows-url") || window.location.pathname + window.location.search;

    function typing() {
      var fields = target.querySelectorAll("textarea, input[type=text], input:not([type])");
      for (var i = 0; i < fields.length; i++) {
        if (fields[i].value && fields[i].defaultValue !== fields[i].value) return true;
        if (document.activeElement === fields[i]) return true;
      }
      return false;
    }

    function say(text) {
      if (!note) return;
      note.textContent = text;
      note.hidden = false;
    }

    function refresh(frame) {
      var who = frame.by ? " by " + frame.by : "";
      if (typing()) {
        say(frame.reference + " changed (" + frame.change.replace("_", " ") + who + "). Reload the page to see it; what you typed stays until you do.");
        return;
      }
      var headers = { Accept: "text/html" };
      headers[header] = "1";
      fetch(url, { credentials: "same-origin", headers: headers })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html === null) return;
          target.innerHTML = html;
          say(frame.reference + " " + frame.change.replace("_", " ") + who + " just now.");
        })
        .catch(function () { /* offline: the next event or a reload brings it */ });
    }

    return function (frame) {
      if (!frame || frame.type !== "escalation.changed") return;
      if (pending) clearTimeout(pending);
      pending = setTimeout(function () { pending = null; refresh(frame); }, 300);
    };
  }

  var board = document.getElementById("escalation-board");
  if (board && window.helpdeskSocket) {
    window.helpdeskSocket(board.getAttribute("data-ws-path"), {
      onFrame: liveRegion(board, "#board-rows", "X-Board-Rows", "#board-live")
    });
  }
  var page = document.getElementById("escalation-page");
  if (page && window.helpdeskSocket) {
    window.helpdeskSocket(page.getAttribute("data-ws-path"), {
      onFrame: liveRegion(page, "#escalation-live", "X-Escalation-Live", "#escalation-live-note")
    });
  }
})();
