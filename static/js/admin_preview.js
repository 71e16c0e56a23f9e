// Settings: the preview beside a web form's or chat widget's settings. On
// every change (typing, a field added, removed or moved) the whole settings
// form is posted, after a pause, to the preview URL, which draws the public
// page from it without saving anything; the answer replaces the frame's page,
// keeping its scroll. The frame is sandboxed without scripts or forms.
"use strict";
(function () {
  const PAUSE = 300;

  function setUp(frame) {
    const form = document.querySelector("#content-main form");
    const status = document.querySelector("[data-preview-status]");
    if (!form) return;
    const idle = status ? status.textContent : "";
    let timer = 0;
    let latest = 0;
    // The chat widget's screens (welcome, topic answers, ...): the one shown
    // is posted with the settings; those of the chatbot show while it is on.
    const screens = document.querySelector("[data-preview-screens]");
    let screen = "";

    function offerScreens() {
      if (!screens) return;
      let shown = false;
      screens.querySelectorAll("[data-preview-screen]").forEach((button) => {
        const needs = button.dataset.needs && form.elements[button.dataset.needs];
        button.hidden = Boolean(needs && !needs.checked);
        if (button.hidden && button.getAttribute("aria-pressed") === "true") {
          button.setAttribute("aria-pressed", "false");
        }
        shown = shown || button.getAttribute("aria-pressed") === "true";
      });
      if (!shown) screens.querySelector("[data-preview-screen]").setAttribute("aria-pressed", "true");
      screen = screens.querySelector("[aria-pressed=true]").dataset.previewScreen;
    }

    if (screens) {
      offerScreens();
      screens.addEventListener("click", (event) => {
        const button = event.target.closest("[data-preview-screen]");
        if (!button) return;
        screens.querySelectorAll("[data-preview-screen]").forEach((other) => {
          other.setAttribute("aria-pressed", String(other === button));
        });
        screen = button.dataset.previewScreen;
        refresh();
      });
    }

    async function refresh() {
      const asked = ++latest;
      if (status) status.textContent = status.dataset.updating;
      let html;
      const data = new FormData(form);
      if (screens) {
        offerScreens();
        data.append("_preview_screen", screen);
      }
      try {
        const response = await fetch(frame.dataset.previewUrl, {
          method: "POST",
          body: data,
          headers: { "X-CSRFToken": form.elements.csrfmiddlewaretoken.value },
          credentials: "same-origin",
        });
        if (!response.ok) throw new Error(String(response.status));
        html = await response.text();
      } catch (error) {
        if (asked === latest && status) status.textContent = status.dataset.failed;
        return;
      }
      if (asked !== latest) return; // a later change is on its way
      const view = frame.contentWindow;
      const scroll = view ? view.scrollY : 0;
      frame.addEventListener("load", () => {
        if (frame.contentWindow) frame.contentWindow.scrollTo(0, scroll);
        frame.dataset.ready = String(asked);
      }, { once: true });
      frame.srcdoc = html;
      if (status) status.textContent = idle;
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, PAUSE);
    }

    form.addEventListener("input", later);
    form.addEventListener("change", later);
    // A row dragged to a new place (django-admin-sortable2 renumbers on drop),
    // added or removed (Django's inlines.js).
    form.addEventListener("dragend", later);
    document.addEventListener("formset:added", later);
    document.addEventListener("formset:removed", later);
    refresh();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const frame = document.querySelector("iframe[data-preview-url]");
    if (frame) setUp(frame);
  });
})();
