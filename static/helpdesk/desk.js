/* Desk behaviour: keyboard shortcuts, bulk selection, composer modes and drafts, collision notices
 * (over socket.js; the inbox's live refresh is inbox-live.js).
 *
 * Everything here is an accelerator: without this file every form still posts and every link works.
 * User data only ever reaches the page through textContent, never innerHTML.
 */
(function () {
  "use strict";

  function isTyping(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function plainKey(event) {
    return !event.ctrlKey && !event.metaKey && !event.altKey;
  }

  function submitForm(form, button) {
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit(button || undefined);
    } else if (button) {
      button.click();
    } else {
      form.submit();
    }
  }

  // Partial answers: a 400 carries a message naming the bad value, so it is shown in place.
  // Anything else that is not the fragment asked for (the sign-in page after the session
  // ended, a ticket that is gone) is not put inside the page: the browser goes there instead.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr) return;
    if (xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      return;
    }
    var redirected = xhr.responseURL && new URL(xhr.responseURL).pathname !== new URL(event.detail.pathInfo.finalRequestPath || event.detail.pathInfo.requestPath, window.location.href).pathname;
    if (xhr.status >= 300 || redirected) {
      event.detail.shouldSwap = false;
      var link = event.detail.elt && event.detail.elt.getAttribute("href");
      window.location.assign(redirected ? xhr.responseURL : (link || window.location.href));
    }
  });

  // --- shortcut help ------------------------------------------------------------------
  var help = document.getElementById("shortcuts");
  function showHelp() {
    if (help && typeof help.showModal === "function" && !help.open) help.showModal();
  }
  document.querySelectorAll("[data-shortcuts]").forEach(function (button) {
    button.addEventListener("click", showHelp);
  });

  // --- filters: keep empty fields out of the URL (site.js applies them on change) ------------
  var filterForm = document.getElementById("filter-form");
  if (filterForm) {
    filterForm.addEventListener("submit", function () {
      var emptied = [];
      Array.prototype.forEach.call(filterForm.elements, function (field) {
        if (field.name && !field.disabled && field.value === "" && field.type !== "submit") {
          field.disabled = true;
          emptied.push(field);
        }
      });
      // Re-enable after the browser has collected the values (and for back/forward cache).
      setTimeout(function () {
        emptied.forEach(function (field) { field.disabled = false; });
      }, 0);
    });
  }

  // --- Ctrl/Cmd+Enter submits the form being typed in ----------------------------------
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var target = event.target;
    if (!isTyping(target) || !target.form) return;
    event.preventDefault();
    var form = target.form;
    var button = null;
    if (form.id === "composer") {
      var thenNext = form.querySelector('input[name="then_next"]');
      // Shift sends and opens the next ticket this once; without it the box says what happens.
      if (thenNext && event.shiftKey) thenNext.checked = true;
      var mode = form.dataset.mode || form.dataset.defaultMode || "reply";
      button = form.querySelector('button[name="kind"][value="' + mode + '"]') ||
               form.querySelector('button[name="kind"]');
    }
    submitForm(form, button);
  });

  // --- inbox -----------------------------------------------------------------------------
  var table = document.getElementById("ticket-table");
  if (table) {
    // Rows come and go (inbox-live.js merges the list in place): listeners sit on the table, and
    // rows and boxes are collected again whenever it says the rows changed.
    var rows = [];
    var boxes = [];
    var collectRows = function () {
      rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr.ticket-row"));
      boxes = rows.map(function (row) { return row.querySelector('input[name="tickets"]'); });
    };
    collectRows();
    var current = -1;
    var search = document.getElementById("search");
    var selectAll = document.getElementById("select-all");
    var countLabel = document.getElementById("bulk-count");
    var needSelection = document.querySelectorAll("[data-needs-selection]");

    // The bulk bar: which statuses the selection may take, and "select all N matching".
    var bulkForm = document.getElementById("bulk-form");
    var statusSelect = document.getElementById("bulk-status");
    var statusNote = document.getElementById("bulk-status-note");
    var scopeInput = document.getElementById("bulk-scope");
    var matchingBar = document.getElementById("bulk-matching");
    var matchingToggle = document.getElementById("bulk-matching-toggle");
    var readJson = function (id, fallback) {
      var source = document.getElementById(id);
      if (!source) return fallback;
      try { return JSON.parse(source.textContent); } catch (error) { return fallback; }
    };
    var transitions = readJson("status-transitions", { labels: {}, next: {} });
    var matching = null; // the server's summary of the whole list, once "select all matching" is chosen
    var counting = false;

    // A target is offered when every selected ticket either may move to it or already has it,
    // and at least one of them would move. The server checks each ticket again regardless.
    var offeredStatuses = function (statuses) {
      return Object.keys(transitions.labels).filter(function (target) {
        var moves = false;
        for (var i = 0; i < statuses.length; i += 1) {
          if (statuses[i] === target) continue;
          if ((transitions.next[statuses[i]] || []).indexOf(target) < 0) return false;
          moves = true;
        }
        return moves;
      });
    };

    var updateStatusOptions = function (statuses) {
      if (!statusSelect) return;
      var offered = offeredStatuses(statuses);
      Array.prototype.forEach.call(statusSelect.options, function (option) {
        if (!option.value) return;
        var off = statuses.length > 0 && offered.indexOf(option.value) < 0;
        option.disabled = off;
        option.hidden = off;
      });
      if (statusSelect.selectedOptions.length && statusSelect.selectedOptions[0].disabled) statusSelect.value = "";
      var button = document.getElementById("bulk-status-button");
      if (button && statuses.length && !offered.length) button.disabled = true;
      if (statusNote) {
        var labels = statuses.map(function (s) { return (transitions.labels[s] || s).toLowerCase(); });
        statusNote.textContent = !statuses.length ? "" :
          (!offered.length ? "No status fits every selected ticket (" + labels.join(", ") + ")." :
           "Statuses offered: those every selected ticket can move to.");
      }
    };

    var showMatchingBar = function (selected, available) {
      if (!matchingBar || !bulkForm) return;
      var longer = bulkForm.hasAttribute("data-list-longer");
      var text = matchingBar.querySelector(".bulk-matching-text");
      if (matching) {
        var limit = parseInt(bulkForm.dataset.matchingLimit, 10) || 500;
        text.textContent = "All " + matching.label + " matching tickets are selected." +
          (matching.count > limit || matching.more ? " An action changes the first " + limit + " of them." : "");
        matchingToggle.textContent = "Select only this page";
        matchingBar.hidden = false;
      } else if (longer && available > 0 && selected === available) {
        text.textContent = "All " + available + " tickets on this page are selected.";
        matchingToggle.textContent = counting ? "Counting…" : "Select all matching tickets";
        matchingBar.hidden = false;
      } else {
        matchingBar.hidden = true;
      }
    };

    var updateBulk = function () {
      var selected = 0;
      var statuses = [];
      rows.forEach(function (row, index) {
        var box = boxes[index];
        var on = !!(box && box.checked);
        row.classList.toggle("is-selected", on);
        if (on) {
          selected += 1;
          if (box.dataset.status && statuses.indexOf(box.dataset.status) < 0) statuses.push(box.dataset.status);
        }
      });
      var available = boxes.filter(Boolean).length;
      if (matching && selected !== available) matching = null; // unticking one leaves "all matching"
      if (scopeInput) scopeInput.value = matching ? "matching" : "selected";
      if (matching) statuses = matching.statuses.slice();
      if (countLabel) {
        countLabel.textContent = matching ? matching.label + " selected" :
          (selected ? selected + " selected" : "Select tickets to change them together");
      }
      needSelection.forEach(function (button) { button.disabled = selected === 0 && !matching; });
      updateStatusOptions(statuses);
      showMatchingBar(selected, available);
      if (selectAll) {
        selectAll.checked = selected > 0 && selected === available;
        selectAll.indeterminate = selected > 0 && selected < available;
      }
    };

    if (matchingToggle && bulkForm) {
      matchingToggle.addEventListener("click", function () {
        if (matching) {
          matching = null;
          updateBulk();
          return;
        }
        if (counting) return;
        counting = true;
        updateBulk();
        fetch(bulkForm.dataset.matchingUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (summary) {
            counting = false;
            if (summary && typeof summary.count === "number") {
              matching = { count: summary.count, more: !!summary.more, label: String(summary.label),
                           statuses: Array.isArray(summary.statuses) ? summary.statuses : [] };
            }
            updateBulk();
          })
          .catch(function () { counting = false; updateBulk(); });
      });
    }

    // The tickets just changed stay ticked after the page comes back.
    var kept = readJson("bulk-kept-selection", []);
    if (Array.isArray(kept) && kept.length) {
      boxes.forEach(function (box) { if (box && kept.indexOf(box.value) >= 0) box.checked = true; });
    }

    var focusRow = function (index) {
      if (!rows.length) return;
      index = Math.max(0, Math.min(rows.length - 1, index));
      if (current >= 0 && rows[current]) rows[current].classList.remove("is-focused");
      current = index;
      var row = rows[current];
      row.classList.add("is-focused");
      var link = row.querySelector("a.ticket-link");
      if (link) link.focus({ preventScroll: true });
      row.scrollIntoView({ block: "nearest" });
    };

    var openRow = function (index, newTab) {
      var link = rows[index] && rows[index].querySelector("a.ticket-link");
      if (!link) return;
      if (newTab) window.open(link.href, "_blank", "noopener");
      else window.location.href = link.href;
    };

    table.addEventListener("change", function (event) {
      if (event.target.name === "tickets") updateBulk();
    });
    if (selectAll) {
      selectAll.addEventListener("change", function () {
        boxes.forEach(function (box) { if (box) box.checked = selectAll.checked; });
        updateBulk();
      });
    }
    var rowOf = function (target) {
      var row = target && target.closest ? target.closest("tr.ticket-row") : null;
      return row && table.contains(row) ? row : null;
    };
    table.addEventListener("click", function (event) {
      var row = rowOf(event.target);
      if (!row) return;
      // Clicking the row's blank space opens it, as in every help desk; links and boxes keep their own meaning.
      if (event.target.closest("a, input, button, label, select")) return;
      if (window.getSelection && String(window.getSelection()).length) return;
      openRow(rows.indexOf(row), event.ctrlKey || event.metaKey);
    });
    table.addEventListener("focusin", function (event) {
      var row = rowOf(event.target);
      if (!row || !event.target.matches("a.ticket-link")) return;
      var index = rows.indexOf(row);
      if (current !== index) {
        if (current >= 0 && rows[current]) rows[current].classList.remove("is-focused");
        current = index;
        row.classList.add("is-focused");
      }
    });
    // The live refresh replaced, added or removed rows; it kept the ticks and the focused row's mark.
    table.addEventListener("helpdesk:rows-changed", function () {
      collectRows();
      // "All matching" stays chosen: the rows that arrived belong to the list too.
      if (matching) boxes.forEach(function (box) { if (box) box.checked = true; });
      current = -1;
      rows.forEach(function (row, index) { if (row.classList.contains("is-focused")) current = index; });
      updateBulk();
    });
    updateBulk();

    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && isTyping(event.target)) {
        event.target.blur();
        return;
      }
      if (isTyping(event.target) || !plainKey(event) || (help && help.open)) return;
      switch (event.key) {
        case "j":
          focusRow(current + 1);
          break;
        case "k":
          focusRow(current < 0 ? 0 : current - 1);
          break;
        case "x":
          if (current < 0) focusRow(0);
          if (boxes[current]) {
            boxes[current].checked = !boxes[current].checked;
            updateBulk();
          }
          break;
        case "o":
          if (current >= 0) openRow(current, false);
          break;
        case "Enter":
          // A focused link opens by itself; Enter elsewhere opens the focused row.
          if (document.activeElement && document.activeElement.tagName === "A") return;
          if (current >= 0) openRow(current, false);
          break;
        case "/":
          if (search) {
            search.focus();
            search.select();
          }
          break;
        case "?":
          showHelp();
          break;
        default:
          return;
      }
      event.preventDefault();
    });
  }

  // --- ticket page ---------------------------------------------------------------------
  var composer = document.getElementById("composer");
  var page = document.getElementById("ticket-page");

  // Reply or note: tints the composer, picks the button Ctrl+Enter presses, and words the
  // "keep status" choice for what the service will do (a first reply opens a new ticket, a note does not).
  var setMode = function (mode) {
    if (!composer || !composer.querySelector('button[name="kind"][value="' + mode + '"]')) return false;
    composer.dataset.mode = mode;
    composer.classList.toggle("mode-reply", mode === "reply");
    composer.classList.toggle("mode-note", mode === "note");
    var keep = composer.querySelector("select[name=status] option[value='']");
    if (keep && keep.dataset.replyLabel) {
      keep.textContent = mode === "note" ? keep.dataset.noteLabel : keep.dataset.replyLabel;
    }
    return true;
  };

  if (composer) {
    var body = composer.querySelector("textarea[name=body]");
    var draftState = composer.querySelector(".draft-state");
    setMode(composer.classList.contains("mode-note") ? "note" : composer.dataset.defaultMode || "reply");

    // Drafts survive a reload, a field update or a crash; they are dropped once sent.
    var storage = null;
    try { storage = window.localStorage; } catch (error) { storage = null; }
    var key = composer.dataset.draftKey;
    if (storage && key && body) {
      var saved = null;
      try { saved = storage.getItem(key); } catch (error) { saved = null; }
      if (saved && !body.value.trim()) {
        body.value = saved;
        if (draftState) draftState.textContent = "Draft restored";
      } else if (body.value.trim()) {
        // The server gave back refused words (the draft was dropped when they were sent):
        // keep them again, so a reload of this page does not lose them.
        try { storage.setItem(key, body.value); } catch (error) { /* ignore */ }
      }
      var timer = null;
      body.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          try {
            if (body.value.trim()) storage.setItem(key, body.value);
            else storage.removeItem(key);
            if (draftState) draftState.textContent = body.value.trim() ? "Draft saved" : "";
          } catch (error) { /* storage full or disabled: drafts are a convenience */ }
        }, 400);
      });
      composer.addEventListener("submit", function () {
        clearTimeout(timer);
        try { storage.removeItem(key); } catch (error) { /* ignore */ }
      });
    }
    // "Then open the next ticket" stays as the agent left it, from one ticket to the next.
    var thenNextBox = composer.querySelector("input[data-remember]");
    if (thenNextBox && storage) {
      var rememberKey = thenNextBox.dataset.remember;
      try {
        if (!thenNextBox.checked && storage.getItem(rememberKey) === "1") thenNextBox.checked = true;
      } catch (error) { /* ignore */ }
      thenNextBox.addEventListener("change", function () {
        try { storage.setItem(rememberKey, thenNextBox.checked ? "1" : "0"); } catch (error) { /* ignore */ }
      });
    }
    composer.querySelectorAll('button[name="kind"]').forEach(function (button) {
      button.addEventListener("focus", function () { setMode(button.value); });
    });
    if (body && body.getAttribute("aria-invalid") === "true") body.focus();
  }

  // A macro chosen in the picker is applied at once (the form still works without script, by its button).
  var macroSelect = document.getElementById("macro-select");
  if (macroSelect) {
    macroSelect.addEventListener("change", function () {
      if (!macroSelect.value) return;
      var key = composer && composer.dataset.draftKey;
      // The macro's text replaces the draft: drop the saved one, or it would come back over it.
      try { if (key) window.localStorage.removeItem(key); } catch (error) { /* ignore */ }
      macroSelect.form.submit();
    });
  }

  if (page) {
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && isTyping(event.target)) {
        event.target.blur();
        return;
      }
      if (isTyping(event.target) || !plainKey(event) || (help && help.open)) return;
      var body = composer && composer.querySelector("textarea[name=body]");
      if ((event.key === "r" || event.key === "n") && body) {
        if (!setMode(event.key === "r" ? "reply" : "note")) return;
        body.focus();
        body.scrollIntoView({ block: "center" });
      } else if (event.key === "m" && document.getElementById("macro-select")) {
        document.getElementById("macro-select").focus();
      } else if (event.key === "u") {
        var back = document.querySelector(".back-link");
        if (back) window.location.href = back.href;
      } else if (event.key === "?") {
        showHelp();
      } else {
        return;
      }
      event.preventDefault();
    });
    watchTicket(page);
  }

  // --- collision notice: someone else changed this ticket; who else is viewing or typing ------------
  function watchTicket(root) {
    var banner = document.getElementById("collision");
    if (!banner || typeof window.helpdeskSocket !== "function" || !root.dataset.wsPath) return;
    var presence = watchPresence(root);
    var rendered = parseInt(root.dataset.version, 10) || 0;
    var names = {};
    try {
      var source = document.getElementById("desk-people");
      if (source) names = JSON.parse(source.textContent) || {};
    } catch (error) { names = {}; }
    var me = root.dataset.me || "";
    var people = [];
    var changes = [];

    var show = function () {
      var who = people.length ? people.join(", ") : "Someone";
      var what = changes.length ? " (" + changes.join(", ") + ")" : "";
      banner.querySelector(".collision-text").textContent = who + " changed this ticket" + what + " —";
      banner.hidden = false;
    };

    var onFrame = function (frame) {
      if (frame.type === "presence") { presence.heard(frame); return; }
      if (frame.type === "hello") presence.reset();  // after a reconnect the others announce themselves again
      if (typeof frame.version !== "number" || frame.version <= rendered) return;
      if (frame.type === "hello") {
        // Changed between this page's render and the socket opening (or while it was down).
        if (!people.length) people.push("Someone");
        show();
      } else if (frame.type === "ticket.changed") {
        if (frame.by && frame.by === me) return;
        var who = frame.by ? (names[frame.by] || frame.by) : "The system";
        if (people.indexOf(who) < 0) people.push(who);
        people = people.filter(function (name) { return name !== "Someone"; });
        (Array.isArray(frame.changes) ? frame.changes : []).forEach(function (kind) {
          if (typeof kind === "string" && changes.indexOf(kind) < 0) changes.push(kind);
        });
        show();
      }
    };

    var dismiss = banner.querySelector(".collision-dismiss");
    if (dismiss) dismiss.addEventListener("click", function () { banner.hidden = true; });
    // The version check refuses a stale save anyway; the socket only warns before one is typed.
    presence.use(window.helpdeskSocket(root.dataset.wsPath, { onFrame: onFrame }));
  }

  // Who else has this ticket open, and who is typing a reply or a note. The server sends a viewer's
  // presence when they arrive, on every heartbeat (their ping, every 30 s) and when they leave;
  // a viewer not heard for 75 s (a closed laptop) and typing not heard for 6 s are dropped here.
  var VIEWER_EXPIRES_MS = 75000;
  var TYPING_EXPIRES_MS = 6000;
  var TYPING_SEND_EVERY_MS = 2000;

  function watchPresence(root) {
    var line = document.getElementById("presence");
    var me = root.dataset.me || "";
    var others = {};  // by connection: a person may have the ticket open twice
    var socket = null;

    var render = function () {
      if (!line) return;
      var now = Date.now();
      var typing = {};
      var viewing = {};
      Object.keys(others).forEach(function (conn) {
        var seen = others[conn];
        if (now - seen.at > VIEWER_EXPIRES_MS) { delete others[conn]; return; }
        if (seen.typingUntil > now) typing[seen.name] = seen.mode;
        else viewing[seen.name] = true;
      });
      var parts = [];
      Object.keys(typing).sort().forEach(function (name) {
        parts.push(name + " is typing " + (typing[name] === "note" ? "an internal note" : "a reply"));
        delete viewing[name];
      });
      var lookers = Object.keys(viewing).sort();
      if (lookers.length) parts.push(lookers.join(", ") + (lookers.length > 1 ? " are" : " is") + " viewing");
      line.textContent = parts.join(" · ");
      line.hidden = !parts.length;
      line.classList.toggle("presence-typing", Object.keys(typing).length > 0);
    };
    setInterval(render, 2000);

    var composer = document.getElementById("composer");
    var body = composer && composer.querySelector("textarea[name=body]");
    if (body) {
      var lastSent = 0;
      body.addEventListener("input", function () {
        var now = Date.now();
        if (!socket || now - lastSent < TYPING_SEND_EVERY_MS) return;
        var mode = composer.dataset.mode === "note" ? "note" : "reply";
        if (socket.send({ type: "typing", mode: mode })) lastSent = now;
      });
    }

    return {
      use: function (handle) { socket = handle; },
      reset: function () { others = {}; render(); },
      heard: function (frame) {
        var user = frame.user || {};
        if (typeof frame.conn !== "string" || !user.username || user.username === me) return;
        if (frame.state === "left") {
          delete others[frame.conn];
        } else {
          var entry = others[frame.conn] || { typingUntil: 0, mode: "reply" };
          entry.name = String(user.name || user.username);
          entry.at = Date.now();
          if (frame.state === "typing") {
            entry.typingUntil = Date.now() + TYPING_EXPIRES_MS;
            entry.mode = frame.mode === "note" ? "note" : "reply";
          }
          others[frame.conn] = entry;
        }
        render();
      }
    };
  }
})();

/* The requester lookup's suggestions: a click names that customer in the requester field. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var pick = event.target.closest ? event.target.closest(".lookup-pick[data-email]") : null;
    var field = document.getElementById("n-requester");
    if (!pick || !field) return;
    field.value = pick.getAttribute("data-email");
    field.dispatchEvent(new Event("change", { bubbles: true }));
    field.focus();
  });
})();
