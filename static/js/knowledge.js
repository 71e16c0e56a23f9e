// The article editor (knowledge base): place an uploaded image in the text.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-insert-image]");
    if (!button) return;
    var form = document.getElementById("article-form");
    var surface = form && form.querySelector("[data-editor]");
    if (!surface || !surface.squire) return;
    var img = document.createElement("img");
    img.setAttribute("src", button.dataset.insertImage);
    img.setAttribute("alt", button.dataset.alt || "");
    surface.squire.insertHTML(img.outerHTML);
    form.querySelector("[data-editor-html]").value = surface.squire.getHTML();
    surface.squire.focus();
  });
})();
