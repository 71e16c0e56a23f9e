// The rule builder (settings): remove a condition row, and show the fields of
// the chosen trigger only (events for "when something happens"; the moment,
// hours and business hours for "when time passes").
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var remove = event.target.closest("[data-remove-rule-row]");
    if (remove) remove.closest("[data-rule-row]").remove();
  });

  function showTrigger() {
    var chosen = document.querySelector("[name=trigger]:checked, select[name=trigger]");
    if (!chosen) return;
    var time = chosen.value === "time";
    document.querySelectorAll(".field-events").forEach(function (row) { row.hidden = time; });
    document.querySelectorAll(".field-moment, .field-hours, .field-business_hours").forEach(
      function (row) { row.hidden = !time; }
    );
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "trigger") showTrigger();
  });
  document.addEventListener("DOMContentLoaded", showTrigger);
})();
