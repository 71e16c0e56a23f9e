// Keyboard shortcuts (issue 19), listed in the "?" dialog
// (templates/components/shortcuts.html). None fires while the agent types in
// a field, except Ctrl/⌘+Enter, which sends what the composer holds, and
// Alt+↑/↓, which moves a sidebar section. There is no global Enter: Enter
// stays with the element that has the focus (a row link opens its ticket,
// the Send button sends).
(function () {
  "use strict";

  var VIEWS = { u: "unassigned", m: "mine", t: "my-teams", o: "all-open", a: "all", d: "drafts", y: "my-tickets" };
  var G_WAIT = 1500;
  var gPressed = 0;
  var opening = null;  // the row link j/k clicked last
  var queued = 0;      // j/k pressed while it loaded

  function typing(target) {
    return target.closest && target.closest("input, textarea, select, [contenteditable], [role=textbox]");
  }

  function rows() { return Array.from(document.querySelectorAll("#ticket-list .ticket-row")); }

  // j / k: the next or previous ticket of the list opens, and its row takes
  // the focus (Enter or Tab go on from there, as from any link).
  function openNeighbour(step) {
    // Pressed again before the last ticket came: counted from it once it has.
    if (opening && opening.isConnected && opening.classList.contains("htmx-request")) {
      queued += step;
      return;
    }
    var all = rows();
    if (!all.length) return;
    var at = all.findIndex(function (r) { return r.classList.contains("is-active"); });
    if (at === -1) at = all.findIndex(function (r) { return r.contains(document.activeElement); });
    var next = at === -1 ? (step > 0 ? 0 : all.length - 1) : at + step;
    if (next < 0 || next >= all.length) return;
    var link = all[next].querySelector(".row-link");
    opening = link;
    all.forEach(function (r) {
      r.classList.remove("is-focused");
      r.classList.toggle("is-active", r === all[next]);
    });
    link.focus();
    link.scrollIntoView({ block: "nearest" });
    link.click();
  }

  // The row after the active one (before it, for the last row): where the
  // agent goes when the open ticket leaves the list.
  function nextRowId() {
    var all = rows();
    var at = all.findIndex(function (r) { return r.classList.contains("is-active"); });
    if (at === -1) return "";
    var row = all[at + 1] || all[at - 1];
    return row ? row.id.replace("row-", "") : "";
  }

  // The open ticket's posts (send, delete, spam, a new owner...) say which
  // ticket is next: the server opens it when this one leaves the agent's list.
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (event.detail.verb !== "post" || !elt.closest) return;
    if (!elt.closest("#detail-pane, #dialog-root")) return;
    var next = nextRowId();
    if (next && !("next" in event.detail.parameters)) event.detail.parameters.next = next;
  });

  // The header's previous and next buttons: usable when the list has a row there.
  function updateSteps() {
    var all = rows();
    var at = all.findIndex(function (r) { return r.classList.contains("is-active"); });
    document.querySelectorAll("[data-ticket-step]").forEach(function (button) {
      var target = at + Number(button.dataset.ticketStep);
      button.disabled = at === -1 || target < 0 || target >= all.length;
    });
  }
  document.addEventListener("htmx:afterSettle", function () {
    updateSteps();
    if (queued && !(opening && opening.classList.contains("htmx-request"))) {
      var step = queued > 0 ? 1 : -1;
      queued -= step;
      openNeighbour(step);
    }
  });
  document.addEventListener("DOMContentLoaded", updateSteps);
  document.addEventListener("click", function (event) {
    var step = event.target.closest && event.target.closest("[data-ticket-step]");
    if (step && !step.disabled) openNeighbour(Number(step.dataset.ticketStep));
  });

  // The header's fields save through their form's own address, whatever
  // event the form listens for.
  function assignToMe() {
    var form = document.getElementById("field-owner");
    var select = form && form.querySelector("select");
    var me = document.body.dataset.userId;
    if (!select || !me || select.value === me || !select.querySelector("option[value='" + me + "']")) return;
    select.value = me;
    window.htmx.ajax("POST", form.getAttribute("hx-post"), { source: form, target: form, swap: "outerHTML" });
  }

  function focus(selector) {
    var element = document.querySelector(selector);
    if (element) element.focus();
    return !!element;
  }

  function goToView(letter) {
    var slug = VIEWS[letter];
    if (!slug) return false;
    var link = document.querySelector("#nav-pane a[href$='/views/" + slug + "/']");
    if (link) link.click();
    // Without the sidebar (the table, search results), go by address; a view
    // this user does not have (a collaborator's, S2) is no page to go to.
    else if (!document.getElementById("nav-pane")) window.location.assign("/views/" + slug + "/");
    else return false;
    return true;
  }

  function showShortcuts() {
    var dialog = document.getElementById("shortcuts");
    if (!dialog) return;
    dialog.hidden = false;
    var close = dialog.querySelector("[data-dismiss]");
    if (close) close.focus();
  }

  // Ctrl/⌘+Enter in a composer: its Send button; with Shift, Send and next.
  function send(event) {
    var form = event.target.closest && event.target.closest("[data-composer]");
    if (!form) return false;
    var button = event.shiftKey
      ? form.querySelector("[data-send-next]")
      : form.querySelector("button[type=submit]:not([name]), button[type=submit][data-send]");
    if (!button || button.disabled) return false;
    button.click();
    return true;
  }

  // Alt+↑/↓ inside a sidebar section or property: it moves, and the new
  // order is saved as a drag would save it (static/js/workspace.js).
  function moveSortable(event) {
    var item = event.target.closest && event.target.closest("[data-sortable] > [data-key]");
    if (!item) return false;
    var list = item.parentElement;
    var sibling = event.key === "ArrowUp" ? item.previousElementSibling : item.nextElementSibling;
    while (sibling && !sibling.hasAttribute("data-key")) {
      sibling = event.key === "ArrowUp" ? sibling.previousElementSibling : sibling.nextElementSibling;
    }
    if (!sibling) return true;
    var focused = document.activeElement;
    if (event.key === "ArrowUp") list.insertBefore(item, sibling);
    else list.insertBefore(sibling, item);
    if (focused && focused !== document.activeElement) focused.focus();
    var body = new URLSearchParams();
    list.querySelectorAll(":scope > [data-key]").forEach(function (el) { body.append("order", el.dataset.key); });
    var csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    fetch(list.dataset.orderUrl, { method: "POST", body: body, credentials: "same-origin", headers: csrf });
    return true;
  }

  // Before the editor sees it (it would start a new line).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.isComposing) return;
    if (send(event)) { event.preventDefault(); event.stopPropagation(); }
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing) return;
    if (event.key === "Enter") return;
    if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      if (moveSortable(event)) event.preventDefault();
      return;
    }
    if (event.metaKey || event.ctrlKey || event.altKey || typing(event.target)) return;
    if (document.querySelector("#dialog-root > *") || !document.getElementById("shortcuts").hidden) {
      return;  // a dialog is open: its keys are its own
    }
    var key = event.key;
    if (gPressed && Date.now() - gPressed < G_WAIT) {
      gPressed = 0;
      if (goToView(key)) event.preventDefault();
      return;
    }
    gPressed = 0;
    var handled = true;
    if (key === "j") openNeighbour(1);
    else if (key === "k") openNeighbour(-1);
    else if (key === "a" || key === "e") assignToMe();
    else if (key === "s") handled = focus("#field-stage select");
    else if (key === "#") handled = focus("#ticket-tags input[name=add]");
    else if (key === "/") handled = focus("[data-search] input[name=q]");
    else if (key === "g") gPressed = Date.now();
    else if (key === "?") showShortcuts();
    else if (key === "r" && document.querySelector("[data-composer-dock] [data-tab='reply']")) {
      document.querySelector("[data-composer-dock] [data-tab='reply']").click();
    } else if (key === "c") {
      // With a ticket open, c writes a comment; otherwise it creates a ticket.
      var commentTab = document.querySelector("[data-tab='comment']");
      var create = document.querySelector("[data-shortcut='c']");
      if (commentTab) commentTab.click(); else if (create) create.click(); else handled = false;
    } else if (key === "m" && document.querySelector("[data-shortcut='m']")) {
      document.querySelector("[data-shortcut='m']").click();
    } else handled = false;
    if (handled) event.preventDefault();
  });
})();
