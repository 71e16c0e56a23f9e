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
  var options = root.querySelector("[data-options]");
  var visitor = null;
  var lastId = 0;
  var polling = false;
  // Bubbles of the chatbot conversation, shown until the ticket's messages
  // (which include that conversation) replace them.
  var botBubbles = [];
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
        var messages = data.messages || [];
        if (messages.length && !data.bot) {
          // A person has the conversation now (the ticket holds the bot's part).
          botBubbles.forEach(function (item) { item.remove(); });
          botBubbles = [];
          if (options) options.hidden = true;
        }
        messages.forEach(function (m) {
          lastId = Math.max(lastId, m.id);
          if (m.mine) {
            var pending = log.querySelector(".is-pending");
            if (pending) { pending.classList.remove("is-pending"); return; }
          }
          bubble(m.text, m.mine, m.mine ? "" : m.name, false);
        });
        if (data.survey && !surveyShown) showSurvey(data.survey);
        if (data.bot && !botBubbles.length) {
          data.bot.forEach(function (line) {
            botBubbles.push(bubble(line.text, line.mine, line.mine ? "" : root.dataset.bot, false));
          });
        }
      })
      .catch(function () {})
      .then(function () { polling = false; });
  }

  // The satisfaction survey of a closed chat: the question and one link per
  // answer; each opens the survey page (a new tab), which sends it.
  var surveyShown = false;
  function showSurvey(survey) {
    surveyShown = true;
    var item = bubble(survey.question, false, "", false);
    item.classList.add("chat-survey");
    var answers = document.createElement("div");
    answers.className = "chat-survey-answers";
    survey.answers.forEach(function (answer) {
      var link = document.createElement("a");
      link.href = answer.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = answer.label;
      link.addEventListener("click", function () { item.classList.add("is-answered"); });
      answers.appendChild(link);
    });
    item.appendChild(answers);
    log.scrollTop = log.scrollHeight;
  }

  function newId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function send(text, option) {
    error.hidden = true;
    var pending = bubble(text, true, "", true);
    var payload = {
      visitor: visitor, text: text, id: newId(), option: option || "",
      name: form.elements.name.value, email: form.elements.email.value,
    };
    if (!option) form.elements.text.value = "";
    fetch(url, {
      method: "POST", credentials: "omit",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload),
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (!result.ok) throw new Error(result.data.error || root.dataset.failed);
      visitor = result.data.visitor;
      try { window.localStorage.setItem(storageKey, visitor); } catch (e) { /* private mode */ }
      if (result.data.bot) {
        // The chatbot answered at once; nothing reaches an agent yet.
        pending.classList.remove("is-pending");
        botBubbles.push(pending);
        result.data.bot.forEach(function (reply) {
          botBubbles.push(bubble(reply, false, root.dataset.bot, false));
        });
        if (options) options.hidden = result.data.person;
      }
      poll();
    }).catch(function (failure) {
      pending.remove();
      if (!option) form.elements.text.value = text;
      error.textContent = failure.message || root.dataset.failed;
      error.hidden = false;
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = form.elements.text.value.trim();
    if (text) send(text, "");
  });

  if (options) {
    options.addEventListener("click", function (event) {
      var button = event.target.closest("[data-option]");
      if (button) send(button.textContent.trim(), button.dataset.option);
    });
  }

  form.elements.text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  poll();
  window.setInterval(poll, 2000);
})();
