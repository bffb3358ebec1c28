/* Live chat in the browser: the customer's chat, the agent's console panes, the shadow view, the dashboard.
 *
 * The socket is the record's messenger, not the record: every line carries its number (seq) from the
 * database. A pane remembers the highest number it has shown, drops anything at or below it (so nothing
 * shows twice) and reconnects with ?after=<that number> (so nothing is missed), whether the network
 * blinked, the server process restarted or Redis did. A line typed while the socket is down waits in
 * the pane (shown as "sending…") and is sent again on reconnect with the same client_id; the server
 * stores it once and echoes the stored line, which replaces the pending one.
 *
 * Everything a person wrote is put in the page with textContent: HTML in a message is shown as text.
 */
(function () {
  "use strict";

  var FINAL_CODES = [4400, 4401, 4403, 4404];
  var PING_EVERY_MS = 25000;
  var MAX_PAUSE_MS = 10000;
  var TYPING_SHOWN_MS = 4000;
  var TYPING_SENT_EVERY_MS = 2000;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function clientId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return "c" + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function timeOf(iso) {
    try {
      return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    } catch (error) {
      return "";
    }
  }

  /* One socket on a chat path that resumes where it left off.
   * handlers: onFrame(frame), onState("connecting" | "open" | "down" | "stopped", code). */
  function chatSocket(basePath, handlers, lastSeq) {
    var socket = null;
    var attempts = 0;
    var stopped = false;
    var pinger = null;

    function url() {
      var target = new URL(basePath, window.location.href);
      target.protocol = target.protocol === "https:" ? "wss:" : "ws:";
      target.searchParams.set("after", String(lastSeq()));
      return target.toString();
    }

    function connect() {
      if (stopped) return;
      handlers.onState("connecting");
      try {
        socket = new WebSocket(url());
      } catch (error) {
        handlers.onState("stopped", 0);
        return;
      }
      socket.addEventListener("open", function () {
        attempts = 0;
        handlers.onState("open");
        clearInterval(pinger);
        var opened = socket;
        pinger = setInterval(function () {
          if (opened.readyState === WebSocket.OPEN) opened.send(JSON.stringify({ type: "ping" }));
        }, PING_EVERY_MS);
      });
      socket.addEventListener("message", function (event) {
        var frame = null;
        try { frame = JSON.parse(event.data); } catch (error) { return; }
        if (frame && typeof frame === "object") handlers.onFrame(frame);
      });
      socket.addEventListener("close", function (event) {
        clearInterval(pinger);
        if (stopped) return;
        if (event.code === 1000 || FINAL_CODES.indexOf(event.code) >= 0) {
          stopped = true;
          handlers.onState("stopped", event.code);
          return;
        }
        handlers.onState("down", event.code);
        attempts += 1;
        setTimeout(connect, Math.min(MAX_PAUSE_MS, 500 * Math.pow(2, Math.min(attempts, 5))));
      });
    }

    window.addEventListener("pagehide", function () {
      stopped = true;
      if (socket) { try { socket.close(); } catch (error) { /* closing anyway */ } }
    });
    // Back to a page the browser kept in memory: its socket is closed; load it afresh.
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) window.location.reload();
    });
    connect();
    return {
      send: function (frame) {
        if (!socket || socket.readyState !== WebSocket.OPEN) return false;
        socket.send(JSON.stringify(frame));
        return true;
      },
      isOpen: function () { return !!socket && socket.readyState === WebSocket.OPEN; }
    };
  }

  /* A chat pane: [data-chat-pane] with data-ws, data-role (customer | agent | listener), data-me. */
  function mountPane(root) {
    var role = root.getAttribute("data-role");
    var me = root.getAttribute("data-me");
    // The pane's own parts, and the controls of the page around it (the shadow view's whisper and
    // barge tools, the portal's end button and notes) inside the nearest [data-chat-scope].
    var scope = root.closest("[data-chat-scope]") || root;
    var log = root.querySelector("[data-chat-log]");
    var typingNote = root.querySelector("[data-chat-typing]");
    var listenersNote = root.querySelector("[data-chat-listeners]");
    var stateNote = root.querySelector("[data-chat-state]");
    var composer = scope.querySelector("form[data-chat-compose]");
    var whisperForm = scope.querySelector("form[data-chat-whisper]");
    var coachingUrl = root.getAttribute("data-coaching-url");
    var shown = 0;           // highest seq dealt with
    var pending = {};        // client_id -> { frame, node }
    var typingTimer = null;
    var typingSentAt = 0;
    var ended = root.getAttribute("data-live") !== "1";
    var barged = root.getAttribute("data-barged") === "1";

    function setState(text) {
      if (stateNote) stateNote.textContent = text;
    }

    function scrollDown() {
      log.scrollTop = log.scrollHeight;
    }

    function lineNode(frame, isPending) {
      var kind = frame.kind || "message";
      var who = frame.sender || {};
      var mine = who.username && who.username === me;
      var item = el("li", "chat-line chat-" + kind + " from-" + (who.role || "system") + (mine ? " mine" : "") + (isPending ? " pending" : ""));
      if (frame.seq) item.setAttribute("data-seq", String(frame.seq));
      if (kind !== "system") {
        var head = el("div", "chat-line-head");
        head.appendChild(el("span", "chat-who", kind === "whisper" ? "Whisper from " + (who.name || "") : who.name || ""));
        if (who.role === "manager" && kind === "message") head.appendChild(el("span", "chat-badge", "manager"));
        head.appendChild(el("time", "chat-time", isPending ? "sending…" : timeOf(frame.created)));
        item.appendChild(head);
      }
      item.appendChild(el("div", "chat-body", frame.body));
      if (coachingUrl && frame.seq && kind === "message" && who.role === "agent") {
        var mark = el("button", "link chat-coach", "Mark for coaching");
        mark.type = "button";
        mark.addEventListener("click", function () { coach(frame.seq, item); });
        item.appendChild(mark);
      }
      return item;
    }

    function coach(seq, item) {
      var comment = window.prompt("What should the agent learn from this message?");
      if (!comment) return;
      fetch(coachingUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ seq: seq, comment: comment })
      }).then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        item.appendChild(el("div", "chat-coached", "Marked for coaching: " + comment));
      }).catch(function () {
        setState("The coaching mark was not saved; try again.");
      });
    }

    function showLine(frame) {
      if (!frame.seq || frame.seq <= shown) {
        // Already shown (a replay after reconnect, or a resend's echo): only settle a pending copy.
        settle(frame);
        return;
      }
      shown = frame.seq;
      var node = lineNode(frame, false);
      var waiting = frame.client_id && pending[frame.client_id];
      if (waiting && frame.sender && frame.sender.username === me) {
        waiting.node.replaceWith(node);
        delete pending[frame.client_id];
      } else {
        log.appendChild(node);
      }
      if (frame.sender && typingNote) typingNote.textContent = "";
      scrollDown();
    }

    function settle(frame) {
      var waiting = frame.client_id && pending[frame.client_id];
      if (waiting && frame.sender && frame.sender.username === me) {
        waiting.node.remove();
        delete pending[frame.client_id];
      }
    }

    function showListeners(people) {
      if (!listenersNote) return;
      var names = people.map(function (person) { return person.name || person.username; });
      listenersNote.textContent = names.length ? "Listening: " + names.join(", ") : "Nobody is listening.";
    }

    function showTyping(sender) {
      if (!typingNote) return;
      typingNote.textContent = (sender.name || sender.username || "Someone") + " is typing…";
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typingNote.textContent = ""; }, TYPING_SHOWN_MS);
    }

    function setBarged(value) {
      barged = value;
      root.setAttribute("data-barged", value ? "1" : "0");
      var bargeButton = scope.querySelector("[data-chat-barge]");
      var leaveButton = scope.querySelector("[data-chat-leave]");
      if (bargeButton) bargeButton.hidden = value;
      if (leaveButton) leaveButton.hidden = !value;
      if (composer && role === "listener") composer.hidden = !value;
    }

    function finish() {
      ended = true;
      root.setAttribute("data-live", "0");
      if (composer) composer.hidden = true;
      if (whisperForm) whisperForm.hidden = true;
      Array.prototype.forEach.call(scope.querySelectorAll("[data-chat-ended]"), function (node) { node.hidden = false; });
      Array.prototype.forEach.call(scope.querySelectorAll("[data-chat-end], [data-waiting-note], [data-chat-barge], [data-chat-leave]"), function (node) { node.hidden = true; });
      Object.keys(pending).forEach(function (id) { failed(id, "Not sent: the chat has ended."); });
      setState("This chat has ended.");
    }

    function failed(id, reason) {
      var waiting = pending[id];
      if (!waiting) return;
      delete pending[id];
      waiting.node.classList.remove("pending");
      waiting.node.classList.add("failed");
      var stamp = waiting.node.querySelector(".chat-time");
      if (stamp) stamp.textContent = reason;
    }

    function onSession(frame) {
      var session = frame.session || {};
      if (session.status === "active") {
        Array.prototype.forEach.call(scope.querySelectorAll("[data-waiting-note]"), function (node) { node.hidden = true; });
      }
      if (frame.type === "session.ended" || session.status === "ended") finish();
    }

    var socket = chatSocket(root.getAttribute("data-ws"), {
      onFrame: function (frame) {
        if (frame.type === "message") showLine(frame);
        else if (frame.type === "typing") showTyping(frame.sender || {});
        else if (frame.type === "listeners") showListeners(frame.listeners || []);
        else if (frame.type === "mode") setBarged(frame.mode === "barge");
        else if (frame.type === "session.updated" || frame.type === "session.ended") onSession(frame);
        else if (frame.type === "error") {
          // A refused line (too long, too fast, not barged in, the chat over) is marked, never resent.
          if (frame.client_id && pending[frame.client_id]) failed(frame.client_id, "Not sent: " + (frame.detail || frame.code));
          else setState(frame.detail || "That did not work.");
        }
        else if (frame.type === "live") setState("Live.");
      },
      onState: function (state, code) {
        if (state === "open") {
          setState(role === "listener" ? "Live." : "Connected.");
          resendPending();
        } else if (state === "connecting") {
          setState("Connecting…");
        } else if (state === "down") {
          setState("Connection lost; reconnecting…");
        } else if (code === 1000 || ended) {
          finish();
        } else if (code === 4401) {
          setState("You were signed out. Sign in again to go on.");
        } else {
          setState("This chat is not available to you.");
        }
      }
    }, function () { return shown; });

    function resendPending() {
      Object.keys(pending).forEach(function (id) { socket.send(pending[id].frame); });
    }

    function sendLine(type, input) {
      var body = input.value.trim();
      if (!body) return;
      var frame = { type: type, body: body, client_id: clientId() };
      var node = lineNode({ kind: type === "whisper" ? "whisper" : "message", sender: { username: me, name: "You", role: role }, body: body }, true);
      log.appendChild(node);
      pending[frame.client_id] = { frame: frame, node: node };
      socket.send(frame);
      input.value = "";
      scrollDown();
    }

    if (composer) {
      var input = composer.querySelector("textarea");
      composer.addEventListener("submit", function (event) {
        event.preventDefault();
        sendLine("message", input);
      });
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey) {
          event.preventDefault();
          sendLine("message", input);
        }
      });
      input.addEventListener("input", function () {
        var now = Date.now();
        if (now - typingSentAt > TYPING_SENT_EVERY_MS && socket.isOpen()) {
          typingSentAt = now;
          socket.send({ type: "typing" });
        }
      });
    }
    if (whisperForm) {
      var whisperInput = whisperForm.querySelector("textarea");
      whisperForm.addEventListener("submit", function (event) {
        event.preventDefault();
        sendLine("whisper", whisperInput);
      });
    }
    var bargeButton = scope.querySelector("[data-chat-barge]");
    if (bargeButton) bargeButton.addEventListener("click", function () { socket.send({ type: "barge" }); });
    var leaveButton = scope.querySelector("[data-chat-leave]");
    if (leaveButton) leaveButton.addEventListener("click", function () { socket.send({ type: "leave" }); });
    if (role === "listener") setBarged(barged);
    if (ended) finish();
  }

  /* The dashboard (/ws/live/) or the agents' queue (/ws/chat/queue/): [data-session-list] holding a tbody. */
  function mountSessionList(root) {
    var body = root.querySelector("tbody");
    var empty = root.querySelector("[data-empty]");
    var mode = root.getAttribute("data-mode"); // "dashboard" or "queue"
    var me = root.getAttribute("data-me");
    var sessions = {};

    function age(started) {
      var seconds = Math.max(0, Math.round((Date.now() - new Date(started).getTime()) / 1000));
      if (seconds < 60) return seconds + " s";
      if (seconds < 3600) return Math.floor(seconds / 60) + " min";
      return Math.floor(seconds / 3600) + " h " + Math.floor((seconds % 3600) / 60) + " min";
    }

    function row(session) {
      var tr = el("tr", "session-row status-" + session.status);
      tr.setAttribute("data-session", String(session.id));
      var customer = el("td");
      customer.appendChild(el("span", "session-customer", session.customer_name || session.customer));
      if (session.organization) {
        customer.appendChild(el("br"));
        customer.appendChild(el("span", "muted small", session.organization));
        if (session.key_account) customer.appendChild(el("span", "badge key-account", "key account"));
      }
      tr.appendChild(customer);
      var subject = el("td");
      subject.appendChild(el("span", "session-subject", session.subject));
      subject.appendChild(el("br"));
      subject.appendChild(el("span", "muted small", session.ticket));
      tr.appendChild(subject);
      tr.appendChild(el("td", "session-status", session.status === "waiting" && session.offered_to ? "waiting (offered to " + session.offered_to + ")" : session.status));
      tr.appendChild(el("td", "session-agent", session.agent || "—"));
      var ageCell = el("td", "session-age", age(session.started));
      ageCell.setAttribute("data-started", session.started);
      tr.appendChild(ageCell);
      tr.appendChild(el("td", "session-count num", String(session.message_count)));
      if (mode === "dashboard") {
        tr.appendChild(el("td", "session-listeners", (session.listeners || []).join(", ") || "—"));
        var action = el("td");
        var link = el("a", "btn btn-small", "Listen");
        link.href = "/live/" + session.id + "/";
        action.appendChild(link);
        tr.appendChild(action);
      } else {
        var accept = el("td");
        if (session.status === "waiting") {
          var form = el("form");
          form.method = "post";
          form.action = "/chat/" + session.id + "/accept/";
          var token = el("input");
          token.type = "hidden"; token.name = "csrfmiddlewaretoken"; token.value = csrfToken();
          form.appendChild(token);
          var button = el("button", "btn btn-small btn-primary" + (session.offered_to === me ? " offered" : ""), session.offered_to === me ? "Accept (offered to you)" : "Accept");
          button.type = "submit";
          form.appendChild(button);
          accept.appendChild(form);
        }
        tr.appendChild(accept);
      }
      return tr;
    }

    function render() {
      var ids = Object.keys(sessions).sort(function (a, b) {
        return new Date(sessions[a].started) - new Date(sessions[b].started);
      });
      body.textContent = "";
      ids.forEach(function (id) { body.appendChild(row(sessions[id])); });
      if (empty) empty.hidden = ids.length > 0;
    }

    function keep(session) {
      var wanted = mode === "dashboard" ? session.status !== "ended" : session.status === "waiting";
      if (wanted) sessions[session.id] = session;
      else delete sessions[session.id];
    }

    chatSocket(root.getAttribute("data-ws"), {
      onFrame: function (frame) {
        if (frame.type === "sessions") {
          sessions = {};
          (frame.sessions || []).forEach(keep);
          render();
        } else if (frame.type === "session.started" || frame.type === "session.updated" || frame.type === "session.ended") {
          keep(frame.session);
          render();
          if (mode === "queue" && frame.session.agent === me && frame.session.status === "active" && frame.type === "session.updated") {
            openTransferredPane(frame.session.id);
          }
        }
      },
      onState: function (state) {
        var note = root.querySelector("[data-list-state]");
        if (note) note.textContent = state === "open" ? "Live." : state === "stopped" ? "Not live: reload the page." : "Connecting…";
      }
    }, function () { return 0; });

    setInterval(function () {
      Array.prototype.forEach.call(body.querySelectorAll("[data-started]"), function (cell) {
        cell.textContent = age(cell.getAttribute("data-started"));
      });
    }, 10000);
  }

  /* A chat transferred to this agent opens in the console as it arrives: its pane is fetched and mounted. */
  var opening = {};
  function openTransferredPane(sessionId) {
    var panes = document.querySelector("[data-chat-panes]");
    if (!panes || opening[sessionId] || document.querySelector('[data-chat-pane][data-session="' + sessionId + '"]')) return;
    opening[sessionId] = true;
    var fallback = function () {
      var note = document.querySelector("[data-console-note]");
      if (note) note.hidden = false;
    };
    fetch("/chat/" + sessionId + "/pane/", { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (answer) {
        if (!answer.ok) throw new Error("pane " + answer.status);
        return answer.text();
      })
      .then(function (markup) {
        if (document.querySelector('[data-chat-pane][data-session="' + sessionId + '"]')) return;
        var holder = document.createElement("div");
        holder.innerHTML = markup;
        var scope = holder.querySelector("[data-chat-scope]");
        if (!scope) throw new Error("no pane");
        panes.appendChild(scope);
        var none = document.querySelector("[data-no-chats]");
        if (none) none.hidden = true;
        Array.prototype.forEach.call(scope.querySelectorAll("[data-chat-pane]"), mountPane);
      })
      .catch(fallback)
      .then(function () { delete opening[sessionId]; });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chat-pane]"), mountPane);
    Array.prototype.forEach.call(document.querySelectorAll("[data-session-list]"), mountSessionList);
    // The shadow view's ticket panels (pull the cord, link) open beside the conversation.
    Array.prototype.forEach.call(document.querySelectorAll("[data-open-beside] a"), function (link) {
      link.target = "_blank";
      link.rel = "noopener";
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
