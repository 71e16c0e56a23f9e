// The live workspace (issue 19): every few seconds one cheap check asks which
// tickets the agent may see changed since the last one (tickets/views/live.py).
// Rows the list shows are redrawn in place; the view's other changed tickets
// are counted in a bar the agent clicks to see them, so rows never jump under
// the cursor. Something changed: the sidebar's counts follow (not more often
// than NAV_EVERY), and the open ticket's header too when its ticket changed.
(function () {
  "use strict";

  var INTERVAL = 5000;
  var NAV_EVERY = 15000;
  var busy = false;
  var checkAgain = false; // asked while a check was on its way
  var lastNav = 0;
  var list = null;      // the [data-live] box the pending tickets belong to
  var pending = {};     // id -> stamp: the view's tickets the list does not show
  var headerDue = null; // {id, stamp}: the open ticket's header to draw again

  function box() { return document.querySelector("[data-live]"); }

  function get(url, html, target) {
    var headers = html ? { "HX-Request": "true" } : { "Accept": "application/json" };
    if (target) headers["HX-Target"] = target;
    return fetch(url, { credentials: "same-origin", headers: headers }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return html ? response.text() : response.json();
    });
  }

  function check() {
    var live = box();
    if (!live || busy) return;
    if (live !== list) { list = live; pending = {}; }
    busy = true;
    get(live.dataset.liveUrl + "?since=" + encodeURIComponent(live.dataset.since), false)
      .then(function (answer) { if (live.isConnected) apply(live, answer); })
      .catch(function () { /* offline or signed out: the next turn asks again */ })
      .then(function () {
        busy = false;
        if (checkAgain) { checkAgain = false; check(); }
      });
  }

  function apply(live, answer) {
    live.dataset.since = answer.since;
    var redraw = [];
    var changed = false;
    var detail = document.getElementById("detail-pane");
    var openId = detail ? detail.dataset.ticket : "";
    var header = document.getElementById("ticket-header");
    answer.changed.forEach(function (change) {
      var id = String(change[0]);
      var stamp = change[1];
      var inView = change[2];
      var active = change[3];
      var row = document.getElementById("row-" + id);
      if (row) {
        if (row.dataset.changed !== stamp) { redraw.push(id); changed = true; }
      } else if (inView && active) {
        if (pending[id] !== stamp) { pending[id] = stamp; changed = true; }
      } else if (id in pending && !inView) {
        delete pending[id];  // it left the view before the agent looked
        changed = true;
      } else if (inView) {
        changed = true;  // a ticket further down changed: the counts may too
      }
      if (id === openId && header && Number(header.dataset.changed) < Number(stamp)) {
        headerDue = { id: id, stamp: stamp };
      }
    });
    // Seen changed while the agent worked in it: tried again each turn, even
    // once the change is older than what the checks look back on.
    var headerChanged = !!headerDue && !!header && headerDue.id === openId &&
      Number(header.dataset.changed) < Number(headerDue.stamp);
    if (headerDue && !headerChanged) headerDue = null;
    showBar(live);
    if (redraw.length) redrawRows(live, redraw);
    if (headerChanged) refreshHeader(live, openId, header);
    if (changed) refreshNav();
  }

  function showBar(live) {
    var bar = live.querySelector("[data-live-bar]");
    var count = Object.keys(pending).length;
    if (!count) { bar.hidden = true; return; }
    var forms = JSON.parse(live.dataset.forms);
    var category = new Intl.PluralRules(document.documentElement.lang || "en").select(count);
    var sentence = (forms[category] || forms.other).replace("{n}", count.toLocaleString(document.documentElement.lang || "en"));
    var text = bar.querySelector("[data-live-text]");
    if (text.textContent !== sentence) text.textContent = sentence;
    bar.hidden = false;
  }

  function redrawRows(live, ids) {
    get(live.dataset.rowsUrl + "?ids=" + ids.join(","), true).then(function (html) {
      var template = document.createElement("template");
      template.innerHTML = html;
      template.content.querySelectorAll("li.ticket-row").forEach(function (fresh) {
        var row = document.getElementById(fresh.id);
        if (!row) return;
        // The agent's place in the list stays: the active and focused marks.
        ["is-active", "is-focused"].forEach(function (mark) {
          fresh.classList.toggle(mark, row.classList.contains(mark));
        });
        var hadFocus = row.contains(document.activeElement);
        row.replaceWith(fresh);
        window.htmx.process(fresh);
        if (hadFocus) fresh.querySelector(".row-link").focus();
      });
    }).catch(function () {});
  }

  // The open ticket changed (status, owner, tags...): its header is drawn
  // again, unless the agent is working in it (then the next turn tries again).
  function working(header) {
    var focused = document.activeElement;
    return (header.contains(focused) && focused.matches("input, select, textarea, [contenteditable]")) ||
      !!header.querySelector("details[open], form:not([hidden]) .field-error") ||
      !!document.querySelector("#dialog-root > *");
  }

  function refreshHeader(live, id, header) {
    if (working(header)) return;
    get(live.dataset.rowUrl + id + "/", true, "ticket-header").then(function (html) {
      var current = document.getElementById("ticket-header");
      if (!current || working(current)) return;
      var template = document.createElement("template");
      template.innerHTML = html;
      var fresh = template.content.getElementById("ticket-header");
      if (!fresh) return;
      // The focus stays where it was (the heading, a button of the header).
      var focused = current.contains(document.activeElement) ? document.activeElement : null;
      var path = focused && focused.id ? "#" + focused.id : (focused && focused.tagName === "H2" ? "h2" : "");
      current.replaceWith(fresh);
      window.htmx.process(fresh);
      var again = path && fresh.querySelector(path);
      if (again) again.focus();
    }).catch(function () { /* gone from sight: the presence line says so */ });
  }

  // The sidebar asks for its counts (tickets/views/workspace.py, view_counts),
  // which land in place: the sidebar is not drawn again.
  function refreshNav() {
    var nav = document.getElementById("nav-pane");
    if (!nav || Date.now() - lastNav < NAV_EVERY) return;
    lastNav = Date.now();
    window.htmx.trigger(nav, "refresh");
  }

  setInterval(check, INTERVAL);
  // Asked now (static/js/workspace.js, a row behind its ticket): a check
  // already on its way is followed by another.
  document.addEventListener("live:check", function () {
    if (busy) checkAgain = true; else check();
  });

  // The list drawn again (the bar clicked, another view): nothing is pending.
  document.addEventListener("htmx:afterSettle", function () {
    var live = box();
    if (live && live !== list) { list = live; pending = {}; }
  });
})();

// After a reply or a comment the thread shows it: its end scrolls into view.
(function () {
  "use strict";
  var sent = false;
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.matches && event.detail.elt.matches("[data-composer]")) sent = true;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!sent) return;
    var thread = document.getElementById("thread");
    var all = thread ? thread.querySelectorAll("article.message") : [];
    var last = all[all.length - 1];
    if (!thread || !document.querySelector("#detail-pane [data-composer-dock]")) return;
    sent = false;
    thread.scrollTop = thread.scrollHeight;
    if (last) last.scrollIntoView({ block: "nearest" });
  });
})();
