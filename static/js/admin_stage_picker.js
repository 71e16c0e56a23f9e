// Settings: a channel's first status is picked among its pipeline's statuses.
// The server refuses any other (NewTickets.clean); this only narrows the list
// to what it accepts, as the pipeline changes.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const pipeline = document.querySelector("select[name=pipeline]");
  const stage = document.querySelector("select[name=stage]");
  if (!pipeline || !stage) return;
  const narrow = () => {
    for (const option of stage.options) {
      const other = option.dataset.pipeline && option.dataset.pipeline !== pipeline.value;
      option.hidden = Boolean(other);
      option.disabled = Boolean(other);
    }
    const chosen = stage.selectedOptions[0];
    if (chosen && chosen.disabled) stage.value = "";
  };
  pipeline.addEventListener("change", narrow);
  narrow();
});
