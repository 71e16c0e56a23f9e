// Keyboard and screen-reader behaviour of the workspace (WCAG 2.1 AA): modal
// dialogs, the confirm dialog, menus with arrow keys, header selects that save
// on a deliberate choice, and where focus lands after an htmx swap.
(function () {
  "use strict";

  var FOCUSABLE = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), " +
    "select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1']), " +
    "[contenteditable=true]";

  function visible(el) {
    return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length) &&
      getComputedStyle(el).visibility !== "hidden";
  }

  function focusables(root) {
    return Array.from(root.querySelectorAll(FOCUSABLE)).filter(function (el) {
      return visible(el) && !el.closest("[inert]");
    });
  }

  function focusEl(el) {
    if (!el) return false;
    if (el.squire) { el.squire.focus(); return true; }
    el.focus({ preventScroll: false });
    return document.activeElement === el || el.contains(document.activeElement);
  }

  // ---- Modal dialogs --------------------------------------------------------
  // A dialog is any [role=dialog][aria-modal=true] on screen: the panels htmx
  // draws into #dialog-root, the shortcuts list and the confirm dialog. While
  // one is open the rest of the page is inert; closing it returns focus to the
  // control that opened it.

  var lastOutside = null;  // the last element focused outside any dialog
  var stack = [];          // open dialogs: {dialog, trigger, inerted}

  document.addEventListener("focusin", function (event) {
    if (!event.target.closest("[role=dialog]")) lastOutside = event.target;
  });

  function openDialogs() {
    return Array.from(document.querySelectorAll("[role=dialog][aria-modal=true]")).filter(function (d) {
      return d.isConnected && !d.closest("[hidden]");
    });
  }

  function firstField(dialog) {
    // An error first, then what the dialog asks for, then its first control.
    var invalid = dialog.querySelector(".has-error input, .has-error select, .has-error textarea, [aria-invalid=true]");
    if (invalid && visible(invalid)) return invalid;
    var auto = dialog.querySelector("[data-autofocus], [autofocus]");
    if (auto && visible(auto)) return auto;
    var fields = focusables(dialog.querySelector(".panel-body") || dialog).filter(function (el) {
      return !el.matches("[data-dismiss], .panel-header button");
    });
    return fields[0] || focusables(dialog)[0] || dialog;
  }

  function setInert(dialog) {
    var inerted = [];
    var holder = dialog;
    while (holder.parentElement && holder.parentElement !== document.body) holder = holder.parentElement;
    Array.from(document.body.children).forEach(function (child) {
      if (child === holder || child.id === "toasts" || child.tagName === "SCRIPT" || child.inert) return;
      child.inert = true;
      inerted.push(child);
    });
    return inerted;
  }

  function restoreFocus(trigger) {
    if (trigger && trigger.isConnected && visible(trigger) && !trigger.closest("[inert]")) {
      // A menu item's menu has closed: its summary is what the agent used.
      var menu = trigger.closest("details.menu");
      if (menu && !menu.open) trigger = menu.querySelector("summary");
      if (focusEl(trigger)) return;
    }
    if (trigger && trigger.id) {
      var again = document.getElementById(trigger.id);
      if (again && focusEl(again)) return;
    }
    var heading = document.querySelector("#detail-pane .ticket-title h2");
    if (heading) { focusEl(heading); return; }
    var main = document.querySelector("main, #workspace");
    if (main) focusEl(main);
  }

  function syncDialogs() {
    var open = openDialogs();
    // Closed ones (removed, or hidden like the shortcuts list).
    for (var i = stack.length - 1; i >= 0; i--) {
      var entry = stack[i];
      if (open.indexOf(entry.dialog) !== -1) continue;
      // Re-drawn in place (a form with errors): the new element takes over.
      var replaced = entry.dialog.id ? document.getElementById(entry.dialog.id) : null;
      var replacement = replaced && open.indexOf(replaced) !== -1 ? replaced : null;
      if (!replacement && entry.panelId) {
        var panel = document.getElementById(entry.panelId);
        replacement = panel && panel.querySelector("[role=dialog][aria-modal=true]");
        if (replacement && open.indexOf(replacement) === -1) replacement = null;
      }
      if (replacement) {
        entry.dialog = replacement;
        if (!replacement.contains(document.activeElement)) focusEl(firstField(replacement));
        continue;
      }
      stack.splice(i, 1);
      entry.inerted.forEach(function (el) { el.inert = false; });
      if (!stack.length || i === stack.length) restoreFocus(entry.trigger);
    }
    open.forEach(function (dialog) {
      if (stack.some(function (e) { return e.dialog === dialog; })) return;
      var overlay = dialog.closest("[data-dismissable]");
      var active = document.activeElement;
      var trigger = active && active !== document.body && !dialog.contains(active) ? active : lastOutside;
      stack.push({
        dialog: dialog,
        panelId: overlay && overlay.id,
        trigger: trigger,
        inerted: setInert(dialog),
      });
      if (!dialog.contains(document.activeElement)) focusEl(firstField(dialog));
    });
  }

  new MutationObserver(syncDialogs).observe(document.documentElement, {
    childList: true, subtree: true, attributes: true, attributeFilter: ["hidden"],
  });
  document.addEventListener("DOMContentLoaded", syncDialogs);

  // Tab and Shift+Tab go round inside the top dialog.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Tab" || !stack.length) return;
    var dialog = stack[stack.length - 1].dialog;
    var items = focusables(dialog);
    if (!items.length) { event.preventDefault(); return; }
    var first = items[0];
    var last = items[items.length - 1];
    var inside = dialog.contains(document.activeElement);
    if (event.shiftKey && (document.activeElement === first || !inside)) {
      last.focus(); event.preventDefault();
    } else if (!event.shiftKey && (document.activeElement === last || !inside)) {
      first.focus(); event.preventDefault();
    }
  }, true);

  // ---- The confirm dialog: our own, in the page's language -----------------

  function askConfirm(question, confirmLabel, onConfirm, onCancel) {
    var template = document.getElementById("confirm-template");
    if (!template) { if (window.confirm(question)) onConfirm(); else if (onCancel) onCancel(); return; }
    var overlay = template.content.firstElementChild.cloneNode(true);
    overlay.querySelector("[data-confirm-text]").textContent = question;
    var ok = overlay.querySelector("[data-confirm-ok]");
    if (confirmLabel) ok.querySelector("span").textContent = confirmLabel;
    var decided = false;
    function close(yes) {
      if (decided) return;
      decided = true;
      overlay.remove();
      // The dialog's removal restores focus first; the action may move it on.
      syncDialogs();
      if (yes) onConfirm(); else if (onCancel) onCancel();
    }
    ok.addEventListener("click", function () { close(true); });
    overlay.addEventListener("click", function (event) {
      // Not on to the workspace's handler, which would close the dialog below too.
      event.stopPropagation();
      if (event.target === overlay || event.target.closest("[data-confirm-cancel]")) close(false);
    });
    overlay.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.stopPropagation(); close(false); }
    });
    document.body.appendChild(overlay);
    syncDialogs();
    ok.focus();
  }
  window.helpdeskConfirm = askConfirm;

  // hx-confirm (delete a ticket, delete a view) asks here, not with confirm().
  document.addEventListener("htmx:confirm", function (event) {
    if (!event.detail.question) return;
    event.preventDefault();
    var elt = event.detail.elt;
    var label = elt.getAttribute("data-confirm-label") ||
      (elt.querySelector && elt.querySelector("[type=submit] span") || {}).textContent ||
      (elt.querySelector && elt.querySelector("span") || {}).textContent;
    askConfirm(event.detail.question, label, function () { event.detail.issueRequest(true); });
  });

  // A submit button with data-confirm (the table's bulk delete) asks the same way.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || !button.dataset.confirm) return;
    var form = event.target;
    if (form.dataset.confirmed === "1") { delete form.dataset.confirmed; return; }
    event.preventDefault();
    askConfirm(button.dataset.confirm, (button.querySelector("span") || button).textContent, function () {
      form.dataset.confirmed = "1";
      form.requestSubmit(button);
    });
  });

  // ---- Menus: arrow keys, Home/End, Esc back to the button ------------------

  function menuItems(menu) {
    return Array.from(menu.querySelectorAll("[role=menuitem], .menu-panel > .menu-form-spam input, .menu-panel > .menu-form-spam button"))
      .filter(visible);
  }

  document.addEventListener("keydown", function (event) {
    var menu = event.target.closest && event.target.closest("details.menu");
    if (!menu || !menu.querySelector("[role=menu]")) return;
    var summary = menu.querySelector("summary");
    var items = menuItems(menu);
    if (!items.length) return;
    var index = items.indexOf(event.target);
    var key = event.key;
    if (event.target === summary && (key === "ArrowDown" || key === "ArrowUp")) {
      menu.open = true;
      (key === "ArrowDown" ? items[0] : items[items.length - 1]).focus();
      event.preventDefault();
      return;
    }
    if (index === -1 && event.target !== summary) return;
    if (key === "ArrowDown") { items[(index + 1) % items.length].focus(); event.preventDefault(); }
    else if (key === "ArrowUp") { items[(index - 1 + items.length) % items.length].focus(); event.preventDefault(); }
    else if (key === "Home") { items[0].focus(); event.preventDefault(); }
    else if (key === "End") { items[items.length - 1].focus(); event.preventDefault(); }
    else if (key === "Escape" && menu.open) {
      menu.open = false;
      summary.focus();
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  // Opening a menu by Enter or Space puts focus on its first item.
  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (!menu.matches || !menu.matches("details.menu") || !menu.open) return;
    if (!menu.querySelector("[role=menu]") || document.activeElement !== menu.querySelector("summary")) return;
    if (menu.dataset.byPointer === "1") return;
    var items = menuItems(menu);
    if (items.length) items[0].focus();
  }, true);
  document.addEventListener("pointerdown", function (event) {
    var menu = event.target.closest && event.target.closest("details.menu");
    if (menu) {
      menu.dataset.byPointer = "1";
      setTimeout(function () { delete menu.dataset.byPointer; }, 400);
    }
  }, true);
  // Focus leaving a menu closes it.
  document.addEventListener("focusout", function (event) {
    var menu = event.target.closest && event.target.closest("details.menu");
    if (!menu || !menu.open) return;
    setTimeout(function () {
      if (menu.open && !menu.contains(document.activeElement) && document.activeElement !== document.body) {
        menu.open = false;
      }
    }, 0);
  });

  // ---- Header selects save on a deliberate choice ---------------------------
  // An arrow key in a closed select changes its value at once: saving then
  // moved a ticket to Closed by one key. A keyboard choice waits for Enter or
  // for focus to leave; a click in the open list saves at once. A closed
  // status chosen by keyboard asks first.

  var DELIBERATE = "select[data-commit]";

  function commit(select, byKeyboard) {
    delete select.dataset.pending;
    var form = select.form;
    var was = form.querySelector("input[name=was]");
    if (was && select.value === was.value) return;
    var option = select.options[select.selectedIndex];
    if (byKeyboard && option && option.hasAttribute("data-closed")) {
      var question = (select.dataset.closedQuestion || "{status}").replace("{status}", option.textContent.trim());
      askConfirm(question, select.dataset.closedConfirm, function () {
        htmx.trigger(form, "commit");
      }, function () {
        if (was) select.value = was.value;
        select.focus();
      });
      return;
    }
    htmx.trigger(form, "commit");
  }

  var lastKeyAt = 0;
  document.addEventListener("keydown", function (event) {
    var select = event.target.closest && event.target.closest(DELIBERATE);
    if (!select) return;
    lastKeyAt = Date.now();
    if (event.key === "Enter" && select.dataset.pending) {
      event.preventDefault();
      event.stopPropagation();
      commit(select, true);
    } else if (event.key === "Escape" && select.dataset.pending) {
      var was = select.form.querySelector("input[name=was]");
      if (was) select.value = was.value;
      delete select.dataset.pending;
      event.stopPropagation();
    }
  }, true);
  document.addEventListener("change", function (event) {
    var select = event.target.closest && event.target.closest(DELIBERATE);
    if (!select) return;
    // A change right after a key is the keyboard's: wait for Enter or blur.
    if (Date.now() - lastKeyAt < 500) select.dataset.pending = "1";
    else commit(select, false);
  });
  document.addEventListener("focusout", function (event) {
    var select = event.target.closest && event.target.closest(DELIBERATE);
    if (select && select.dataset.pending) commit(select, true);
  });

  // ---- Focus after htmx swaps -------------------------------------------------

  var pendingFocus = null;

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    var triggering = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    var active = document.activeElement;
    var user = !!triggering && /^(click|submit|change|commit|keydown|keyup|search)$/.test(triggering.type);
    if (!user && !(elt.matches && elt.matches("form[hx-trigger=commit]"))) return;
    pendingFocus = {
      elt: elt,
      composer: elt.closest && elt.closest("[data-composer]") ? elt.closest("[data-composer]").dataset.composer : null,
      id: active && active.id,
      field: active && active.dataset && active.dataset.field,
      name: active && active.name,
      row: elt.matches && elt.matches(".row-link, [data-row]"),
      view: elt.dataset && elt.dataset.view,
      xhr: event.detail.xhr,
    };
  });

  function settleFocus(target) {
    var want = pendingFocus;
    pendingFocus = null;
    if (!want || stack.length) return;
    var active = document.activeElement;
    var lost = !active || active === document.body || !active.isConnected;
    if (target.id === "detail-pane") {
      if (want.composer) {
        var form = target.querySelector("[data-composer='" + want.composer + "']:not([hidden])") ||
          target.querySelector("[data-composer]:not([hidden])");
        var surface = form && form.querySelector("[data-editor]");
        if (surface && focusEl(surface)) return;
      }
      if (want.row || lost) {
        var heading = target.querySelector(".ticket-title h2");
        if (heading) { focusEl(heading); return; }
      }
    }
    if (!lost) return;
    // A view opened from the navigation: its link again, now marked current.
    var link = want.view && document.querySelector("#nav-pane [data-view='" + want.view + "']");
    if (link) { focusEl(link); return; }
    var again = (want.id && document.getElementById(want.id)) ||
      (want.field && target.querySelector("[data-field='" + want.field + "']")) ||
      (want.name && target.querySelector("[name='" + want.name + "']:not([type=hidden])"));
    if (again && target.contains(again)) { focusEl(again); return; }
    var fallback = target.closest("#detail-pane") ? document.querySelector("#detail-pane .ticket-title h2") : null;
    focusEl(fallback || focusables(target)[0]);
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || !target.isConnected) {
      // Swapped outerHTML: the new element has the old one's id.
      var id = (target && target.id) || (event.detail.elt && event.detail.elt.id);
      target = id ? document.getElementById(id) : null;
    }
    // What the answer asks to focus (data-autofocus: the native attribute is
    // refused, with a console message, once the page has a focused element).
    var wanted = target && target.querySelector && target.querySelector("[data-autofocus]");
    if (wanted && visible(wanted) && !stack.length) { pendingFocus = null; focusEl(wanted); return; }
    // A popover that asks for more (a conditional status) takes focus.
    var popover = target && target.querySelector && target.querySelector(".popover[role=dialog]");
    if (popover) { pendingFocus = null; focusEl(firstField(popover)); return; }
    // Another request's answer (a type-ahead, a poll) settling first leaves
    // the focus the agent's own request asked for to that request's answer.
    var want = pendingFocus;
    if (want && want.xhr && event.detail.xhr && want.xhr !== event.detail.xhr) return;
    if (target && target.nodeType === 1) settleFocus(target);
  });

  // Closing the status popover returns to the status select.
  document.addEventListener("click", function (event) {
    var dismiss = event.target.closest && event.target.closest(".popover [data-dismiss]");
    if (!dismiss) return;
    setTimeout(function () {
      var select = document.querySelector("#field-stage select");
      if (select) select.focus();
    }, 0);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest || !event.target.closest(".popover[role=dialog]")) return;
    setTimeout(function () {
      var select = document.querySelector("#field-stage select");
      if (select) select.focus();
    }, 0);
  });

  // ---- The composer opens when used, and folds back to one line when left unwritten.

  // Not from the tab row: opening moves the row, and a click whose press and
  // release land on different elements is lost (a tab focuses its editor,
  // which opens the composer then).
  document.addEventListener("focusin", function (event) {
    var dock = event.target.closest && event.target.closest("[data-composer-dock]");
    if (dock && !event.target.closest(".composer-tabs")) dock.classList.add("is-open");
  });
  document.addEventListener("focusout", function (event) {
    var dock = event.target.closest && event.target.closest("[data-composer-dock]");
    if (!dock) return;
    setTimeout(function () {
      if (!dock.isConnected || dock.contains(document.activeElement) || document.activeElement === document.body) return;
      var written = Array.from(dock.querySelectorAll("[data-composer]")).some(function (form) {
        return form.dataset.written || form.querySelector("[data-upload-chips] .chip, .field-error:not(:empty), .alert") ||
          Array.from(form.querySelectorAll("input[name=cc], input[name=bcc]")).some(function (i) { return i.value; });
      });
      if (!written) dock.classList.remove("is-open");
    }, 0);
  });

  // The skip link to the reply editor: focus the editor of the open composer.
  document.addEventListener("click", function (event) {
    var skip = event.target.closest && event.target.closest("[data-skip-to-editor]");
    if (!skip) return;
    event.preventDefault();
    var form = document.querySelector("#detail-pane [data-composer]:not([hidden])");
    var surface = form && form.querySelector("[data-editor]");
    if (surface) focusEl(surface);
  });
})();
