/* One desk websocket kept open: the ticket page's collision notice (desk.js) and the live inbox
 * (inbox-live.js) both use it.
 *
 * helpdeskSocket(path, { onFrame(frame), onOpen(), onStop(code) }) connects to this origin's
 * ws:// or wss:// path, hands each JSON frame to onFrame, pings every 30 seconds (so the server
 * re-checks the person's rights even when nothing happens), and reconnects with a growing pause
 * when the connection drops. It gives up for good on the server's refusals: 4401 signed out or
 * password changed (the next page load asks to sign in), 4403 account switched off or right
 * withdrawn, 4404 no such ticket; retrying would not help. Without websockets (an old proxy, a
 * policy) it does nothing: every page works without it.
 *
 * It returns { send(frame) }: sends a JSON frame on the connection open now, and returns false
 * (sending nothing) while there is none.
 */
(function () {
  "use strict";

  var PING_EVERY_MS = 30000;
  var MAX_ATTEMPTS = 6;
  var MAX_PAUSE_MS = 30000;
  var FINAL_CODES = [4401, 4403, 4404];

  window.helpdeskSocket = function (path, handlers) {
    if (!("WebSocket" in window) || !path) return null;
    handlers = handlers || {};
    var attempts = 0;
    var socket = null;
    var leaving = false;
    var pinger = null;

    var stopPinging = function () {
      if (pinger !== null) { clearInterval(pinger); pinger = null; }
    };

    var connect = function () {
      try {
        var url = new URL(path, window.location.href);
        url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
        socket = new WebSocket(url.toString());
      } catch (error) {
        return;
      }
      socket.addEventListener("open", function () {
        attempts = 0;
        stopPinging();
        var opened = socket;
        pinger = setInterval(function () {
          if (opened.readyState !== WebSocket.OPEN) return;
          try {
            opened.send(JSON.stringify({ type: "ping" }));
          } catch (error) { /* closing: the close handler follows */ }
        }, PING_EVERY_MS);
        if (handlers.onOpen) handlers.onOpen();
      });
      socket.addEventListener("message", function (event) {
        var frame = null;
        try { frame = JSON.parse(event.data); } catch (error) { return; }
        if (frame && typeof frame === "object" && handlers.onFrame) handlers.onFrame(frame);
      });
      socket.addEventListener("close", function (event) {
        stopPinging();
        if (leaving) return;
        if (FINAL_CODES.indexOf(event.code) >= 0 || attempts >= MAX_ATTEMPTS) {
          if (handlers.onStop) handlers.onStop(event.code);
          return;
        }
        attempts += 1;
        setTimeout(connect, Math.min(MAX_PAUSE_MS, 1000 * Math.pow(2, attempts)));
      });
    };

    window.addEventListener("pagehide", function () {
      leaving = true;
      if (socket) { try { socket.close(); } catch (error) { /* ignore */ } }
    });
    connect();
    return {
      send: function (frame) {
        if (!socket || socket.readyState !== WebSocket.OPEN) return false;
        try { socket.send(JSON.stringify(frame)); } catch (error) { return false; }
        return true;
      }
    };
  };
})();
