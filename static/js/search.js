// The top bar's search (issue 19): the type-ahead under the box comes from the
// server (htmx, tickets/views/search.py); here it opens and closes, and the
// arrow keys move through its options. Enter opens the option chosen, else
// submits the box: all results, at an address of their own.
(function () {
  "use strict";

  function parts() {
    var form = document.querySelector("[data-search]");
    if (!form) return null;
    return { form: form, input: form.querySelector("input[name=q]"), list: form.querySelector("#search-suggest") };
  }

  function open(p, yes) {
    p.list.hidden = !yes;
    p.input.setAttribute("aria-expanded", String(yes));
    if (!yes) choose(p, null);
  }

  function options(p) { return Array.from(p.list.querySelectorAll("[role=option]")); }

  function choose(p, option) {
    options(p).forEach(function (o) {
      var on = o === option;
      o.setAttribute("aria-selected", String(on));
      o.classList.toggle("is-active", on);
    });
    if (option) {
      p.input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      p.input.removeAttribute("aria-activedescendant");
    }
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var p = parts();
    if (!p || event.detail.target !== p.list) return;
    open(p, document.activeElement === p.input && options(p).length > 0);
  });

  document.addEventListener("keydown", function (event) {
    var p = parts();
    if (!p || event.target !== p.input) return;
    var all = options(p);
    var current = all.findIndex(function (o) { return o.classList.contains("is-active"); });
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!all.length) return;
      if (p.list.hidden) open(p, true);
      var step = event.key === "ArrowDown" ? 1 : -1;
      var next = current === -1 ? (step > 0 ? 0 : all.length - 1) : (current + step + all.length) % all.length;
      choose(p, all[next]);
      event.preventDefault();
    } else if (event.key === "Enter" && !p.list.hidden && current !== -1) {
      event.preventDefault();
      window.location.assign(all[current].href);
    } else if (event.key === "Escape") {
      if (!p.list.hidden) { open(p, false); event.stopPropagation(); }
      else { p.input.blur(); }
    }
  }, true);

  document.addEventListener("mousedown", function (event) {
    var p = parts();
    if (p && !p.form.contains(event.target)) open(p, false);
  });
  document.addEventListener("focusin", function (event) {
    var p = parts();
    if (p && !p.form.contains(event.target)) open(p, false);
  });
})();
