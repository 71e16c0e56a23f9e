// The live chat window (inside the widget's iframe). Text is always inserted
// as text, never as HTML; the visitor key is the only credential it holds.
(function () {
  "use strict";
  var root = document.querySelector("[data-chat]");
  if (!root) return;
  var url = root.dataset.messagesUrl;
  var storageKey = "helpdesk-chat:" + root.dataset.key;
  var log = root.querySelector("[data-log]");
  var form = root.querySelector("[data-form]");
  var error = root.querySelector("[data-error]");
  var visitor = null;
  var lastId = 0;
  var polling = false;
  try { visitor = window.localStorage.getItem(storageKey); } catch (e) { visitor = null; }

  function bubble(text, mine, name, pending) {
    var item = document.createElement("li");
    item.className = "chat-message " + (mine ? "chat-mine" : "chat-agent") + (pending ? " is-pending" : "");
    if (name) {
      var who = document.createElement("span");
      who.className = "chat-name";
      who.textContent = name;
      item.appendChild(who);
    }
    var body = document.createElement("p");
    body.textContent = text;
    item.appendChild(body);
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
    return item;
  }

  function poll() {
    if (!visitor || polling) return;
    polling = true;
    fetch(url + "?visitor=" + encodeURIComponent(visitor) + "&after=" + lastId, { credentials: "omit" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        (data.messages || []).forEach(function (m) {
          lastId = Math.max(lastId, m.id);
          if (m.mine) {
            var pending = log.querySelector(".is-pending");
            if (pending) { pending.classList.remove("is-pending"); return; }
          }
          bubble(m.text, m.mine, m.mine ? "" : m.name, false);
        });
      })
      .catch(function () {})
      .then(function () { polling = false; });
  }

  function newId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = form.elements.text.value.trim();
    if (!text) return;
    error.hidden = true;
    var pending = bubble(text, true, "", true);
    var payload = {
      visitor: visitor, text: text, id: newId(),
      name: form.elements.name.value, email: form.elements.email.value,
    };
    form.elements.text.value = "";
    fetch(url, {
      method: "POST", credentials: "omit",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload),
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (!result.ok) throw new Error(result.data.error || root.dataset.failed);
      visitor = result.data.visitor;
      try { window.localStorage.setItem(storageKey, visitor); } catch (e) { /* private mode */ }
      poll();
    }).catch(function (failure) {
      pending.remove();
      form.elements.text.value = text;
      error.textContent = failure.message || root.dataset.failed;
      error.hidden = false;
    });
  });

  form.elements.text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  poll();
  window.setInterval(poll, 2000);
})();
