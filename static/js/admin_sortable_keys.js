// Settings: rows in an order (statuses, web form fields, chatbot answers,
// pipelines, properties) are dragged by their handle (django-admin-sortable2),
// and the same handle is a button that the keyboard moves: ArrowUp/ArrowDown
// one place, Home/End to the first or last. Each move is announced in the
// page's live region (#sortable-keys, which also carries the translated words).
// In a form the hidden position inputs are renumbered and saved with the form;
// in a list the new order is saved at once, through the library's own URL.
"use strict";
(function () {
  const KEYS = { ArrowUp: -1, ArrowDown: 1, Home: -Infinity, End: Infinity };

  function words() {
    return document.getElementById("sortable-keys");
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, (_, key) => values[key]);
  }

  function announce(text) {
    const live = words();
    if (!live) return;
    // A new text node each time, so that the same words are announced again.
    live.textContent = "";
    window.setTimeout(() => { live.textContent = text; }, 50);
  }

  function gripIcon(sprite) {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "icon");
    svg.setAttribute("width", "16");
    svg.setAttribute("height", "16");
    svg.setAttribute("aria-hidden", "true");
    const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
    use.setAttribute("href", sprite + "#grip-vertical");
    svg.appendChild(use);
    return svg;
  }

  // Where `row` lands among `rows` for `key`, or -1 when it stays.
  function target(rows, row, key) {
    const from = rows.indexOf(row);
    const to = Math.max(0, Math.min(rows.length - 1, from + KEYS[key]));
    return to === from ? -1 : to;
  }

  function place(rows, row, to) {
    const from = rows.indexOf(row);
    const anchor = rows[to];
    anchor.insertAdjacentElement(to < from ? "beforebegin" : "afterend", row);
  }

  // --- inlines: statuses of a pipeline, fields of a web form, chatbot answers

  function inlineRows(group) {
    return Array.from(group.querySelectorAll("tr.has_original, .inline-related.has_original"));
  }

  function renumber(group) {
    const rows = inlineRows(group);
    const reversed = group.classList.contains("reversed");
    rows.forEach((row, index) => {
      const input = row.querySelector("input._reorder_");
      if (input) input.value = String(reversed ? rows.length - index : index + 1);
    });
    // The preview (js/admin_preview.js) follows the order as it follows typing.
    group.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // The row's name as typed now (a status renamed before it moves), else as saved.
  function rowName(row, saved) {
    const input = row.querySelector("input[type=text]");
    return ((input && input.value) || saved).trim();
  }

  function setUpInline(group) {
    const live = words();
    inlineRows(group).forEach((row) => {
      const holder = row.querySelector("td.original p, h3");
      if (!holder || holder.querySelector(".sort-handle")) return;
      const label = holder.querySelector(".inline_label");
      const saved = (label || holder).firstChild ? (label || holder).firstChild.textContent : "";
      const handle = document.createElement("button");
      handle.type = "button";
      handle.className = "sort-handle";
      handle.setAttribute("aria-label", fill(live.dataset.handle, { name: rowName(row, saved) }));
      handle.title = handle.getAttribute("aria-label");
      handle.appendChild(gripIcon(live.dataset.sprite));
      holder.insertBefore(handle, holder.firstChild);
      handle.addEventListener("keydown", (event) => {
        if (!(event.key in KEYS)) return;
        event.preventDefault();
        const rows = inlineRows(group);
        const to = target(rows, row, event.key);
        if (to < 0) return;
        place(rows, row, to);
        renumber(group);
        handle.focus();
        const position = inlineRows(group).indexOf(row) + 1;
        const count = rows.length;
        const moved = fill(live.dataset.moved, { name: rowName(row, saved), position, count });
        announce(moved + " " + live.dataset.unsaved);
      });
    });
  }

  // --- lists: pipelines, ticket properties (saved at once)

  function listRows(table) {
    return Array.from(table.querySelectorAll("tbody tr")).filter((row) =>
      row.querySelector(".drag.handle"),
    );
  }

  function csrf() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function saveList(table, url) {
    const rows = listRows(table);
    const handles = rows.map((row) => row.querySelector(".drag.handle"));
    let orders = handles.map((h) => parseInt(h.getAttribute("order"), 10)).sort((a, b) => a - b);
    // Rows that share a position (older data) get distinct ones from the first.
    if (new Set(orders).size < orders.length) orders = orders.map((_, i) => orders[0] + i);
    const changed = [];
    handles.forEach((handle, index) => {
      if (parseInt(handle.getAttribute("order"), 10) !== orders[index]) {
        handle.setAttribute("order", String(orders[index]));
        changed.push([handle.getAttribute("pk"), orders[index]]);
      }
    });
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ updatedItems: changed }),
    });
    return response.ok;
  }

  function setUpList(table, config) {
    const live = words();
    listRows(table).forEach((row) => {
      const handle = row.querySelector(".drag.handle");
      const link = row.querySelector("th a, td a");
      const name = link ? link.textContent.trim() : "";
      handle.tabIndex = 0;
      handle.setAttribute("role", "button");
      handle.setAttribute("aria-label", fill(live.dataset.handle, { name }));
      handle.title = handle.getAttribute("aria-label");
      handle.textContent = "";
      handle.appendChild(gripIcon(live.dataset.sprite));
      handle.addEventListener("keydown", async (event) => {
        if (!(event.key in KEYS)) return;
        event.preventDefault();
        const rows = listRows(table);
        const to = target(rows, row, event.key);
        if (to < 0) return;
        place(rows, row, to);
        handle.focus();
        const ok = await saveList(table, config.update_url);
        const position = listRows(table).indexOf(row) + 1;
        announce(
          ok
            ? fill(live.dataset.moved, { name, position, count: rows.length })
            : live.dataset.failed,
        );
      });
    });
  }

  // After the library's own "load" handler, which makes the rows draggable.
  window.addEventListener("load", () => {
    if (!words()) return;
    document.querySelectorAll("fieldset.sortable").forEach(setUpInline);
    const config = document.getElementById("admin_sortable2_config");
    const table = document.getElementById("result_list");
    if (config && table) setUpList(table, JSON.parse(config.textContent));
  });
})();
