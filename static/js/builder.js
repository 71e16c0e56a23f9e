// The action builder of macros (and rules) in the settings: rows come from the
// server by htmx; removing one is only taking it off the page before saving.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var remove = event.target.closest("[data-remove-row]");
    if (remove) remove.closest("[data-action-row]").remove();
  });
})();
