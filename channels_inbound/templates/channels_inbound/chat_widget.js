/* Help desk live chat: adds a chat button to this page (one script tag). */
(function () {
  "use strict";
  if (window.helpdeskChatLoaded) return;
  window.helpdeskChatLoaded = true;
  var url = "{{ base|escapejs }}/chat/{{ widget.key|escapejs }}/";
  var frame = null;
  var button = document.createElement("button");
  button.type = "button";
  button.setAttribute("aria-label", "{{ widget.name|escapejs }}");
  button.setAttribute("aria-expanded", "false");
  button.textContent = "{{ label|escapejs }}";
  button.style.cssText = "position:fixed;right:20px;bottom:20px;z-index:2147483000;min-width:64px;height:48px;" +
    "padding:0 18px;border:0;border-radius:24px;background:#1d4ed8;color:#fff;font:600 15px system-ui,sans-serif;" +
    "box-shadow:0 6px 20px rgba(0,0,0,.25);cursor:pointer";
  button.addEventListener("click", function () {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = url;
      frame.title = "{{ widget.name|escapejs }}";
      frame.style.cssText = "position:fixed;right:20px;bottom:80px;z-index:2147483000;width:360px;height:520px;" +
        "max-width:calc(100vw - 40px);max-height:calc(100vh - 100px);border:0;border-radius:12px;" +
        "box-shadow:0 10px 40px rgba(0,0,0,.25);background:#fff";
      document.body.appendChild(frame);
    } else {
      frame.hidden = !frame.hidden;
    }
    button.setAttribute("aria-expanded", String(!frame.hidden));
  });
  document.body.appendChild(button);
})();
