// The workspace's only script: keyboard shortcuts, pickers, panels. Everything
// else is htmx attributes rendered by the server.
(function () {
  "use strict";

  function rows() {
    return Array.from(document.querySelectorAll(".ticket-row"));
  }

  function markActiveRow() {
    var detail = document.getElementById("detail-pane");
    var id = detail && detail.dataset.ticket;
    rows().forEach(function (row) {
      row.classList.toggle("is-active", !!id && row.id === "row-" + id);
    });
  }

  function moveFocus(step) {
    var all = rows();
    if (!all.length) return;
    var current = all.findIndex(function (r) { return r.classList.contains("is-focused"); });
    if (current === -1) current = all.findIndex(function (r) { return r.classList.contains("is-active"); });
    var next = Math.max(0, Math.min(all.length - 1, current + step));
    all.forEach(function (r) { r.classList.remove("is-focused"); });
    all[next].classList.add("is-focused");
    all[next].scrollIntoView({ block: "nearest" });
  }

  function closePanels() {
    document.querySelectorAll("[data-dismissable]").forEach(function (el) {
      if (el.id === "shortcuts") el.hidden = true; else el.remove();
    });
  }

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]");
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { closePanels(); return; }
    if (event.metaKey || event.ctrlKey || event.altKey || typing(event.target)) return;
    if (event.key === "j") { moveFocus(1); event.preventDefault(); }
    else if (event.key === "k") { moveFocus(-1); event.preventDefault(); }
    else if (event.key === "Enter") {
      var focused = document.querySelector(".ticket-row.is-focused .row-link");
      if (focused) { focused.click(); event.preventDefault(); }
    } else if (event.key === "c") {
      var create = document.querySelector("[data-shortcut='c']");
      if (create) { create.click(); event.preventDefault(); }
    } else if (event.key === "?") {
      document.getElementById("shortcuts").hidden = false;
    }
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest("[data-dismiss]")) {
      var box = target.closest("[data-dismissable]");
      if (box && box.id === "shortcuts") box.hidden = true; else if (box) box.remove();
      return;
    }
    if (target.classList && (target.classList.contains("overlay") || target.id === "shortcuts")) {
      closePanels();
      return;
    }
    if (target.closest("[data-action='shortcuts']")) {
      document.getElementById("shortcuts").hidden = false;
      return;
    }
    var toggle = target.closest("[data-toggle-next]");
    if (toggle) {
      var box2 = toggle.parentElement.nextElementSibling;
      box2.hidden = !box2.hidden;
      toggle.setAttribute("aria-expanded", String(!box2.hidden));
      if (!box2.hidden) box2.querySelector("input").focus();
      return;
    }
    var pick = target.closest("[data-pick]");
    if (pick) { choose(pick); return; }
    var unpick = target.closest("[data-unpick]");
    if (unpick) { unpick.closest(".chip").remove(); }
  });

  // A picker result becomes a chip holding a hidden input named after the picker.
  function choose(button) {
    var picker = button.closest("[data-picker]");
    var chips = picker.querySelector(".chips");
    var name = picker.dataset.picker;
    if (!picker.hasAttribute("data-multiple")) chips.replaceChildren();
    if (!chips.querySelector("input[value='" + button.dataset.pick + "']")) {
      var chip = document.createElement("span");
      chip.className = "chip";
      chip.append(button.dataset.label);
      var input = document.createElement("input");
      input.type = "hidden"; input.name = name; input.value = button.dataset.pick;
      var remove = document.createElement("button");
      remove.type = "button"; remove.className = "chip-remove"; remove.textContent = "×";
      remove.setAttribute("data-unpick", "");
      remove.setAttribute("aria-label", button.dataset.label);
      chip.append(input, remove);
      chips.append(chip);
    }
    picker.querySelector(".search-results").replaceChildren();
    var search = picker.querySelector("input[type=search]");
    search.value = "";
    search.focus();
  }

  // Full timestamp on hover, in the page's language and the user's time zone.
  document.addEventListener("mouseover", function (event) {
    var time = event.target.closest && event.target.closest("time[datetime]");
    if (!time || time.title) return;
    var moment = new Date(time.getAttribute("datetime"));
    var offset = time.getAttribute("datetime").slice(-6);
    time.title = moment.toLocaleString(document.documentElement.lang, {
      dateStyle: "full", timeStyle: "short", timeZone: zoneFor(offset)
    });
  });

  // The server renders times in the user's zone; show the hover text in that offset.
  function zoneFor(offset) {
    if (!/^[+-]\d\d:\d\d$/.test(offset) || offset === "+00:00") return "UTC";
    try {
      new Intl.DateTimeFormat("en", { timeZone: offset });
      return offset;
    } catch (e) {
      return undefined;
    }
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-autosubmit]")) event.target.form.submit();
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    markActiveRow();
    var panel = event.target.querySelector && event.target.querySelector(".panel input[name=name]");
    if (panel && !panel.value) panel.focus();
  });

})();
