/* The inbox refreshes itself: new and changed tickets appear without a reload.
 *
 * The desk socket (/ws/desk/, through socket.js) says which tickets changed: reference, version,
 * status, kinds of change, who; never their text. When a change could concern this list (a row it
 * shows, or a ticket whose new status the list can hold), the page asks /inbox/rows/ for its own
 * rows again (same view, filters, sort and page) at most once every two seconds, and merges them
 * in place: changed rows replaced, new ones marked for a moment, those that left the list removed.
 * Ticked boxes, the keyboard-focused row and what the agent is looking at stay where they were.
 *
 * The rows come from the server already escaped (the same renderer as the page); they are parsed
 * by DOMParser into an inert document and moved in as nodes, never written with innerHTML. The
 * list works without this file: the page is complete as served.
 */
(function () {
  "use strict";

  var table = document.getElementById("ticket-table");
  if (!table || !table.dataset.liveRows || !table.dataset.liveSocket) return;
  if (typeof window.helpdeskSocket !== "function" || typeof window.DOMParser !== "function" || !window.fetch) return;
  var tbody = table.tBodies[0];
  if (!tbody) return;

  var MIN_GAP_MS = 2000; // at most one refresh every two seconds, however busy the desk
  var SETTLE_MS = 250; // the lines of one bulk change arrive together: one refresh for all
  var MARK_MS = 4000; // how long new and changed rows stay highlighted
  var STATE_CLASSES = ["is-selected", "is-focused", "is-new", "is-changed"];

  var statuses = (table.dataset.liveStatuses || "").split(" ").filter(Boolean);
  var searching = table.hasAttribute("data-live-searching");
  var note = document.getElementById("live-note");
  var lastRefresh = 0;
  var timer = null;
  var inFlight = false;
  var pending = false;
  var stopped = false;
  var greeted = false;
  var pressed = false;

  // The page scrolls by hand around merged rows; the browser's own anchoring would add its own jump.
  document.documentElement.classList.add("live-list");

  var ticketRows = function () {
    return Array.prototype.slice.call(tbody.querySelectorAll("tr.ticket-row"));
  };

  var shows = function (reference) {
    return ticketRows().some(function (row) { return row.getAttribute("data-reference") === reference; });
  };

  // Whether a changed ticket could appear in, change in, or leave this list.
  var concerns = function (line) {
    if (!line || typeof line.ticket !== "string") return false;
    var kinds = Array.isArray(line.changes) ? line.changes : [];
    // An internal note changes no column of the list; only a search can find its words.
    if (!searching && kinds.length && kinds.every(function (kind) { return kind === "note"; })) return false;
    return shows(line.ticket) || statuses.indexOf(line.status) >= 0;
  };

  var say = function (text) {
    if (note) note.textContent = text;
  };

  var stop = function (text) {
    stopped = true;
    if (timer !== null) { clearTimeout(timer); timer = null; }
    say(text);
  };

  var schedule = function () {
    pending = true;
    if (timer !== null || inFlight || stopped || document.hidden) return;
    timer = setTimeout(refresh, Math.max(SETTLE_MS, lastRefresh + MIN_GAP_MS - Date.now()));
  };

  var refresh = function () {
    timer = null;
    if (!pending || stopped) return;
    if (pressed) { // a click is under way on the list: rows must not move under the pointer
      timer = setTimeout(refresh, SETTLE_MS);
      return;
    }
    pending = false;
    inFlight = true;
    lastRefresh = Date.now();
    fetch(table.dataset.liveRows, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        // Redirected: signed out, or no longer on the desk (the sign-in or portal page answered).
        if (response.redirected || !response.ok || type.indexOf("application/json") !== 0) {
          stop("Live updates stopped. Reload the page to see the current list.");
          return null;
        }
        return response.json();
      })
      .then(function (data) {
        if (data && typeof data.rows === "string") merge(data);
        if (data && data.counts) updateCounts(data.counts);
      })
      .catch(function () { /* offline for a moment: the socket's reconnect asks again */ })
      .then(function () {
        inFlight = false;
        if (pending) schedule();
      });
  };

  // --- merging the rows in place ----------------------------------------------------------------

  var unchanged = function (old, fresh) {
    var copy = old.cloneNode(true);
    STATE_CLASSES.forEach(function (name) { copy.classList.remove(name); });
    return copy.outerHTML === fresh.outerHTML;
  };

  var topbarBottom = function () {
    var bar = document.querySelector(".topbar");
    return bar ? Math.max(0, bar.getBoundingClientRect().bottom) : 0;
  };

  // The row the agent is looking at: the first one below the sticky top bar, when the list's start is
  // scrolled out of sight. With the start in sight new rows push the list down where they can be seen.
  var anchorRow = function (staying) {
    var top = topbarBottom();
    var rows = ticketRows();
    if (!rows.length || rows[0].getBoundingClientRect().top >= top) return null;
    for (var i = 0; i < rows.length; i += 1) {
      var rect = rows[i].getBoundingClientRect();
      var reference = rows[i].getAttribute("data-reference");
      if (rect.bottom > top && staying[reference]) return { reference: reference, top: rect.top };
    }
    return null;
  };

  var mark = function (row, name) {
    row.classList.add(name);
    setTimeout(function () { row.classList.remove(name); }, MARK_MS);
  };

  var summary = function (added, changed, left) {
    var parts = [];
    if (added) parts.push(added + " new");
    if (changed) parts.push(changed + " changed");
    if (left) parts.push(left + " left this page");
    return parts.length ? "List updated: " + parts.join(", ") + "." : "";
  };

  var merge = function (data) {
    var parsed = new DOMParser().parseFromString("<table><tbody>" + data.rows + "</tbody></table>", "text/html");
    var freshBody = parsed.querySelector("tbody");
    if (!freshBody) return;
    var fresh = Array.prototype.slice.call(freshBody.children);

    var before = {};
    var ticked = {};
    var focused = null;
    var focusedIndex = -1;
    ticketRows().forEach(function (row, index) {
      var reference = row.getAttribute("data-reference");
      before[reference] = row;
      var box = row.querySelector('input[name="tickets"]');
      if (box && box.checked) ticked[reference] = true;
      if (row.classList.contains("is-focused")) { focused = reference; focusedIndex = index; }
    });
    var active = document.activeElement;
    var activeRow = active && tbody.contains(active) ? active.closest("tr.ticket-row") : null;
    var activeReference = activeRow ? activeRow.getAttribute("data-reference") : null;
    var activeSelector = active && active.matches && active.matches('input[name="tickets"]') ?
      'input[name="tickets"]' : "a.ticket-link";

    var staying = {};
    fresh.forEach(function (row) {
      var reference = row.getAttribute("data-reference");
      if (reference && before[reference]) staying[reference] = true;
    });
    var anchor = anchorRow(staying);
    var hadRows = Object.keys(before).length > 0;
    var added = 0;
    var changed = 0;

    var nodes = fresh.map(function (row) {
      var reference = row.getAttribute("data-reference");
      var old = reference ? before[reference] : tbody.querySelector("tr.empty-row");
      if (old && unchanged(old, row)) return old;
      var node = document.importNode(row, true);
      if (!reference) return node;
      var box = node.querySelector('input[name="tickets"]');
      if (box && ticked[reference]) box.checked = true;
      if (reference === focused) node.classList.add("is-focused");
      if (!old) {
        if (hadRows) mark(node, "is-new");
        added += 1;
      } else if (old.getAttribute("data-version") !== row.getAttribute("data-version")) {
        mark(node, "is-changed");
        changed += 1;
      }
      return node;
    });
    var left = Object.keys(before).filter(function (reference) { return !staying[reference]; }).length;

    // Rows not kept go first; then each node is put at its place, so that rows which stay are not
    // moved one by one (a moved node loses the keyboard focus, and costs a layout).
    Array.prototype.slice.call(tbody.children).forEach(function (child) {
      if (nodes.indexOf(child) < 0) tbody.removeChild(child);
    });
    nodes.forEach(function (node, index) {
      var at = tbody.children[index];
      if (at !== node) tbody.insertBefore(node, at || null);
    });

    // The focused row left the list: the one now in its place takes the mark, as after deleting a message.
    var rowsNow = ticketRows();
    if (focused && !staying[focused] && focusedIndex >= 0 && rowsNow.length) {
      var heir = rowsNow[Math.min(focusedIndex, rowsNow.length - 1)];
      heir.classList.add("is-focused");
      if (activeReference === focused) activeReference = heir.getAttribute("data-reference");
    }
    if (activeReference) {
      var owner = rowsNow.filter(function (row) { return row.getAttribute("data-reference") === activeReference; })[0];
      var target = owner && owner.querySelector(activeSelector);
      if (target && document.activeElement !== target) target.focus({ preventScroll: true });
    }
    updatePager(data);
    // desk.js collects the rows again and recomputes the bulk bar (whose height can change with it).
    table.dispatchEvent(new CustomEvent("helpdesk:rows-changed", { bubbles: true }));
    if (anchor) {
      var again = rowsNow.filter(function (row) { return row.getAttribute("data-reference") === anchor.reference; })[0];
      var shift = again ? again.getBoundingClientRect().top - anchor.top : 0;
      if (Math.abs(shift) >= 1) window.scrollBy(0, shift);
    }
    if (added || changed || left) say(summary(added, changed, left));
  };

  // The sidebar's counts come with the rows: each view's count as the server writes it.
  var updateCounts = function (counts) {
    Object.keys(counts).forEach(function (view) {
      var count = counts[view];
      if (!count || typeof count.text !== "string") return;
      var links = document.querySelectorAll("a[data-view]");
      for (var i = 0; i < links.length; i++) {
        if (links[i].getAttribute("data-view") !== view) continue;
        var shown = links[i].querySelector(".view-count");
        if (!shown) continue;
        shown.textContent = count.text;
        shown.setAttribute("title", count.title || "");
      }
    });
  };

  var updatePager = function (data) {
    var pager = document.querySelector("nav.pager");
    var onLaterPage = new URLSearchParams(window.location.search).has("cursor");
    var bulkForm = document.getElementById("bulk-form");
    if (bulkForm) bulkForm.toggleAttribute("data-list-longer", !!data.next || onLaterPage);
    if (!pager) return;
    var next = pager.querySelector('a[rel="next"]');
    var count = pager.querySelector(".pager-note");
    if (typeof data.next === "string" && data.next.charAt(0) === "?") {
      if (!next) {
        next = document.createElement("a");
        next.className = "btn btn-small";
        next.rel = "next";
        next.textContent = "Next page »";
        pager.insertBefore(next, count);
      }
      next.setAttribute("href", data.next);
    } else if (next) {
      next.remove();
    }
    var onPage = typeof data.on_page === "number" ? data.on_page : 0;
    if (onPage) {
      if (!count) {
        count = document.createElement("span");
        count.className = "muted pager-note";
        pager.appendChild(count);
      }
      count.textContent = onPage + " ticket" + (onPage === 1 ? "" : "s") + " on this page";
    } else if (count) {
      count.remove();
    }
  };

  // --- the socket ----------------------------------------------------------------------------------

  tbody.addEventListener("mousedown", function () { pressed = true; });
  document.addEventListener("mouseup", function () { pressed = false; }, true);
  window.addEventListener("blur", function () { pressed = false; });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && pending) schedule();
  });

  window.helpdeskSocket(table.dataset.liveSocket, {
    onFrame: function (frame) {
      if (frame.type === "hello") {
        // After a reconnect the lines sent while it was down are lost: ask for the rows once.
        if (greeted) schedule();
        greeted = true;
      } else if (frame.type === "desk.tickets_changed" && Array.isArray(frame.tickets)) {
        if (frame.tickets.some(concerns)) schedule();
      }
    },
    onStop: function () {
      stop("Live updates stopped. Reload the page to see the current list.");
    },
  });
})();
