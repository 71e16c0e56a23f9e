// The workspace's only script: keyboard shortcuts, pickers, panels. Everything
// else is htmx attributes rendered by the server.
(function () {
  "use strict";

  // The few requests htmx does not make (uploads, drafts, the mention menu, a
  // saved order) go through here, with the CSRF header htmx sends (hx-headers
  // on <body>) and the session cookie.
  function send(url, options) {
    var csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    var headers = Object.assign({}, csrf, (options && options.headers) || {});
    return fetch(url, Object.assign({ credentials: "same-origin" }, options, { headers: headers }));
  }

  function rows() {
    return Array.from(document.querySelectorAll(".ticket-row"));
  }

  function markActiveRow() {
    var detail = document.getElementById("detail-pane");
    var id = detail && detail.dataset.ticket;
    rows().forEach(function (row) {
      row.classList.toggle("is-active", !!id && row.id === "row-" + id);
    });
  }

  function closePanels() {
    document.querySelectorAll("[data-dismissable]").forEach(function (el) {
      if (el.id === "shortcuts") el.hidden = true; else el.remove();
    });
  }

  // Escape closes a panel; the other keys are static/js/shortcuts.js's.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closePanels();
  });

  // Enter in the macro search previews the first macro listed.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.matches("[data-macro-search]")) return;
    var first = document.querySelector("#macro-list [data-macro]");
    if (first) first.click();
    event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    // A menu closes once one of its items is chosen (the dialog it opens takes over).
    var item = target.closest("details.menu [role=menuitem]");
    if (item) { item.closest("details.menu").open = false; }
    if (target.closest("[data-dismiss]")) {
      var box = target.closest("[data-dismissable]");
      if (box && box.id === "shortcuts") box.hidden = true; else if (box) box.remove();
      return;
    }
    if (target.classList && (target.classList.contains("overlay") || target.id === "shortcuts")) {
      closePanels();
      return;
    }
    if (target.closest("[data-action='shortcuts']")) {
      document.getElementById("shortcuts").hidden = false;
      return;
    }
    var toggle = target.closest("[data-toggle-next]");
    if (toggle) {
      var box2 = toggle.parentElement.nextElementSibling;
      box2.hidden = !box2.hidden;
      toggle.setAttribute("aria-expanded", String(!box2.hidden));
      if (!box2.hidden) box2.querySelector("input:not([type=hidden])").focus();
      return;
    }
    var pick = target.closest("[data-pick]");
    if (pick) { choose(pick); return; }
    var unpick = target.closest("[data-unpick]");
    if (unpick) { unpick.closest(".chip").remove(); }
  });

  // A picker result carries its chip (a hidden input and a remove button),
  // rendered by the server like the chips of a re-rendered form.
  function choose(button) {
    var picker = button.closest("[data-picker]");
    var chips = picker.querySelector(".chips");
    if (!picker.hasAttribute("data-multiple")) chips.replaceChildren();
    if (!chips.querySelector("input[value='" + button.dataset.pick + "']")) {
      chips.append(button.querySelector("template").content.cloneNode(true));
    }
    picker.querySelector(".search-results").replaceChildren();
    var search = picker.querySelector("input[type=search]");
    search.value = "";
    search.focus();
  }

  // Full timestamp on hover, in the page's language and the user's time zone.
  document.addEventListener("mouseover", function (event) {
    var time = event.target.closest && event.target.closest("time[datetime]");
    if (!time || time.title) return;
    var moment = new Date(time.getAttribute("datetime"));
    var offset = time.getAttribute("datetime").slice(-6);
    time.title = moment.toLocaleString(document.documentElement.lang, {
      dateStyle: "full", timeStyle: "short", timeZone: zoneFor(offset)
    });
  });

  // The server renders times in the user's zone; show the hover text in that offset.
  function zoneFor(offset) {
    if (!/^[+-]\d\d:\d\d$/.test(offset) || offset === "+00:00") return "UTC";
    try {
      new Intl.DateTimeFormat("en", { timeZone: offset });
      return offset;
    } catch (e) {
      return undefined;
    }
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-autosubmit]")) event.target.form.submit();
    // Reports: a date typed makes the period a custom one.
    if (event.target.matches(".report-filters input[type=date]")) {
      var range = event.target.form.querySelector("[data-report-range]");
      if (range) range.value = "custom";
    }
  });


  // ---- Reply and comment editors (Squire) -----------------------------------

  var DRAFT_DELAY = 800;
  var lastTyping = { at: 0, kind: "" };

  // Pasted HTML is cleaned in the browser too: no inline styles (our CSP blocks
  // them anyway) and nothing active. The server cleans again with nh3.
  // The one image a reply may carry is the play thumbnail of an inserted
  // video (library); the server keeps it only at our own address.
  function toFragment(html) {
    var fragment = window.DOMPurify.sanitize(html, {
      RETURN_DOM_FRAGMENT: true,
      FORBID_ATTR: ["style", "class", "id"],
      FORBID_TAGS: ["style", "svg", "math", "form", "input"],
    });
    fragment.querySelectorAll("img").forEach(function (img) {
      if (!/^https?:\/\/[^/]+\/v\/thumbnail\.png$/.test(img.getAttribute("src") || "")) img.remove();
    });
    return document.importNode(fragment, true);
  }

  // The article editor (knowledge base) also keeps images, from the help
  // center's own files only; the server cleans again (knowledge/sanitize.py).
  function toArticleFragment(html) {
    var fragment = window.DOMPurify.sanitize(html, {
      RETURN_DOM_FRAGMENT: true,
      FORBID_ATTR: ["style", "class", "id"],
      FORBID_TAGS: ["style", "svg", "math", "form", "input"],
    });
    fragment.querySelectorAll("img").forEach(function (img) {
      if (!/^\/help\/files\//.test(img.getAttribute("src") || "")) img.remove();
    });
    return document.importNode(fragment, true);
  }

  function setupEditors(root) {
    var forms = Array.from(root.querySelectorAll("[data-composer]"));
    if (root.matches && root.matches("[data-composer]")) forms.push(root);
    forms.forEach(function (form) {
      var surface = form.querySelector("[data-editor]");
      if (!surface || surface.squire || !window.Squire) return;
      var hidden = form.querySelector("[data-editor-html]");
      var sanitize = form.hasAttribute("data-editor-images") ? toArticleFragment : toFragment;
      var editor = new window.Squire(surface, { blockTag: "P", sanitizeToDOMFragment: sanitize });
      surface.squire = editor;
      editor.setHTML(hidden.value || "");
      editor.addEventListener("input", function () {
        hidden.value = editor.getHTML();
        form.dataset.written = "1";
        scheduleDraft(form);
        lastTyping = { at: Date.now(), kind: form.dataset.composer };
        if (form.querySelector("[data-mention-menu]")) suggestMentions(form, editor);
      });
      form.addEventListener("input", function (event) {
        if (event.target !== surface && !surface.contains(event.target)) scheduleDraft(form);
      });
    });
    var dock = root.querySelector ? root.querySelector("[data-composer-dock]") : null;
    if (dock && dock.dataset.activeTab) showTab(dock, dock.dataset.activeTab);
  }

  // "@name" in a comment: offer the teammates who can see the ticket (S24).
  var MENTION_TYPED = /(?:^|\s)@([^\s@]{0,30})$/;

  function typedMention(editor) {
    var range = editor.getSelection();
    var node = range.startContainer;
    if (!range.collapsed || node.nodeType !== Node.TEXT_NODE) return null;
    var match = MENTION_TYPED.exec(node.data.slice(0, range.startOffset));
    return match ? { node: node, end: range.startOffset, query: match[1] } : null;
  }

  function suggestMentions(form, editor) {
    var menu = form.querySelector("[data-mention-menu]");
    var typed = typedMention(editor);
    if (!typed) { menu.hidden = true; return; }
    clearTimeout(menu.timer);
    menu.timer = setTimeout(function () {
      send(menu.dataset.mentionUrl + "?q=" + encodeURIComponent(typed.query), {
        headers: { "HX-Request": "true" },
      }).then(function (response) { return response.text(); }).then(function (html) {
        menu.innerHTML = html;
        menu.hidden = false;
      });
    }, 150);
  }

  function insertMention(button) {
    var form = button.closest("[data-composer]");
    var editor = form.querySelector("[data-editor]").squire;
    var menu = form.querySelector("[data-mention-menu]");
    var typed = typedMention(editor);
    if (typed) {
      var range = document.createRange();
      range.setStart(typed.node, typed.end - typed.query.length - 1);
      range.setEnd(typed.node, typed.end);
      editor.setSelection(range);
      editor.getSelection().deleteContents();
    }
    var chip = document.createElement("span");
    chip.setAttribute("data-mention", button.dataset.mentionId);
    chip.textContent = "@" + button.dataset.mentionLabel;
    editor.insertHTML(chip.outerHTML + "&nbsp;");
    menu.hidden = true;
    editor.focus();
  }

  // Attachments: by the paperclip or by dropping files on the editor.

  function upload(form, files) {
    var box = form.querySelector("[data-uploads]");
    var error = box.querySelector("[data-upload-error]");
    error.textContent = "";
    var max = Number(box.dataset.maxBytes || 0);
    Array.from(files).forEach(function (file) {
      // Too large: refused here, in the agent's language, before any upload.
      if (max && file.size > max) {
        error.textContent = box.dataset.tooLarge.replace("{name}", file.name);
        error.scrollIntoView({ block: "nearest" });
        return;
      }
      var data = new FormData();
      data.append("file", file);
      send(box.dataset.uploadUrl, { method: "POST", body: data })
        .then(function (response) {
          return response.text().then(function (text) { return { ok: response.ok, status: response.status, text: text }; });
        })
        .then(function (result) {
          if (result.ok) box.querySelector("[data-upload-chips]").insertAdjacentHTML("beforeend", result.text);
          // The size limit answers 413 before the app (and the agent's
          // language) is reached: say it with the composer's own sentence.
          else if (result.status === 413) error.textContent = box.dataset.tooLarge.replace("{name}", file.name);
          else error.textContent = result.text;
        });
    });
  }

  // A reply or comment refused for its size (413, pasted images): nothing to
  // swap, and no error for htmx to log; the composer says why, in the agent's
  // language.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    var form = source && source.closest && source.closest("[data-composer]");
    if (!form || event.detail.xhr.status !== 413) return;
    event.detail.shouldSwap = false;
    event.detail.isError = false;
    var box = form.querySelector("[data-uploads]");
    if (box) box.querySelector("[data-upload-error]").textContent = box.dataset.requestTooLarge;
  });

  // The last view or ticket opened wins: the answer to an earlier click that
  // comes after a later one's (a slow view) is not swapped in over it. Each
  // GET into the workspace or the ticket pane is numbered; only the latest
  // one for its pane may swap.
  var NAVIGATED = { workspace: true, "detail-pane": true };
  var opened = 0;
  var latest = {};
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    var config = event.detail.requestConfig;
    if (!target || !NAVIGATED[target.id] || !config || config.verb !== "get") return;
    opened += 1;
    latest[target.id] = opened;
    event.detail.xhr.opened = opened;
  });
  // What a swap draws works from the moment it shows: htmx wires it up when
  // it settles, 20 ms later, and a click or a j in between followed a row's
  // link as a full page load, and a choice in a field swapped back after a
  // conflict sent nothing. Every swap is wired at once (htmx does nothing
  // more for it when it settles). A settle delay of 0 would do it too, but
  // moves when focus is put back after a swap.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var shown = target && (target.isConnected ? target : document.getElementById(target.id));
    if (shown) window.htmx.process(shown);
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var number = event.detail.xhr && event.detail.xhr.opened;
    if (number && target && latest[target.id] !== number) event.detail.shouldSwap = false;
  });

  document.addEventListener("change", function (event) {
    if (!event.target.matches("[data-upload-input]")) return;
    upload(event.target.closest("[data-composer]"), event.target.files);
    event.target.value = "";
  });
  document.addEventListener("dragover", function (event) {
    if (event.target.closest && event.target.closest("[data-composer]")) event.preventDefault();
  });
  document.addEventListener("drop", function (event) {
    var form = event.target.closest && event.target.closest("[data-composer]");
    if (!form || !event.dataTransfer.files.length) return;
    event.preventDefault();
    event.stopPropagation();
    upload(form, event.dataTransfer.files);
  }, true);

  function scheduleDraft(form) {
    if (!form.dataset.draftUrl) return; // a new email from a record keeps no draft
    clearTimeout(form.draftTimer);
    form.dataset.dirty = "1";
    form.draftTimer = setTimeout(function () { saveDraft(form); }, DRAFT_DELAY);
  }

  function draftData(form) {
    var data = new FormData(form);
    var surface = form.querySelector("[data-editor]");
    if (surface && surface.squire) data.set("html", surface.squire.getHTML());
    return data;
  }

  function saveDraft(form) {
    if (!form.isConnected || form.dataset.dirty !== "1") return;
    form.dataset.dirty = "";
    var state = form.querySelector("[data-draft-state]");
    send(form.dataset.draftUrl, { method: "POST", body: draftData(form) })
      .then(function (response) {
        if (state && response.ok) state.textContent = state.dataset.saved || state.textContent;
        // A saved draft can open the Comment tab (S25): the answer carries the
        // tab list and the comment editor, swapped in out of band.
        if (response.status === 200) {
          response.text().then(function (html) {
            if (form.isConnected) window.htmx.swap(form, html, { swapStyle: "none" });
          });
        }
      });
  }

  // Leaving the ticket (another ticket, another view, or the page) flushes what
  // was typed, so no keystroke is lost between autosaves.
  function flushDrafts() {
    document.querySelectorAll("[data-composer]").forEach(function (form) {
      if (form.dataset.dirty !== "1") return;
      clearTimeout(form.draftTimer);
      form.dataset.dirty = "";
      navigator.sendBeacon(form.dataset.draftUrl, draftData(form));
    });
  }
  window.addEventListener("pagehide", flushDrafts);
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target.closest && event.target.closest("[data-composer]");
    if (!form) flushDrafts();
  });
  // An action on the open ticket answers with its list row, out of band,
  // only when the list shows that row (tickets.rendering.row_shown): htmx
  // logs an error for a row it cannot find (a ticket opened from a link, or
  // on another page of its view).
  //
  // A ticket opened by its address draws its list after the page: an edit
  // sent before that list came may be behind in it once both have come, and
  // the live check is asked (static/js/live.js) to draw that row again.
  var sentBeforeList = null;  // the ticket of such an edit, until it is answered
  var rowBehind = null;       // its ticket, once it is
  function listComing() {
    var list = document.getElementById("list-pane");
    return !!list && list.getAttribute("aria-busy") === "true";
  }
  document.addEventListener("htmx:configRequest", function (event) {
    var detail = document.getElementById("detail-pane");
    var id = detail && detail.dataset.ticket;
    if (!id) return;
    var shown = !!document.getElementById("row-" + id);
    event.detail.headers["X-Row-Shown"] = shown ? "1" : "0";
    // An edit, not the presence ping the pane sends as it opens.
    var edit = event.detail.verb !== "get" && !(event.target.matches && event.target.matches("[data-presence]"));
    if (!shown && edit && listComing()) sentBeforeList = id;
  });
  function catchUpRow() {
    if (!rowBehind || listComing()) return;
    if (document.getElementById("row-" + rowBehind)) document.dispatchEvent(new CustomEvent("live:check"));
    rowBehind = null;
  }
  document.addEventListener("htmx:afterRequest", function (event) {
    if (sentBeforeList && event.detail.requestConfig && event.detail.requestConfig.verb !== "get") {
      rowBehind = sentBeforeList;
      sentBeforeList = null;
    }
    catchUpRow();
  });
  document.addEventListener("htmx:afterSettle", catchUpRow);
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.target.matches && event.target.matches("[data-presence]")) {
      // Presence pings say whether this agent typed in the last few seconds.
      var typing = Date.now() - lastTyping.at < 6000;
      event.detail.parameters.state = typing ? lastTyping.kind : "viewing";
      // The latest message on screen: the answer says whether newer ones arrived.
      var seen = document.querySelector("#composer-reply input[name=seen], #composer-comment input[name=seen]");
      if (seen) event.detail.parameters.seen = seen.value;
      return;
    }
    var form = event.target.closest && event.target.closest("[data-composer]");
    if (!form) return;
    clearTimeout(form.draftTimer);
    form.dataset.dirty = "";
    var surface = form.querySelector("[data-editor]");
    if (surface && surface.squire) event.detail.parameters.html = surface.squire.getHTML();
  });

  function showTab(dock, name) {
    dock.dataset.activeTab = name;
    dock.querySelectorAll("[data-tab]").forEach(function (tab) {
      tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
    });
    dock.querySelectorAll("[data-composer]").forEach(function (form) {
      form.hidden = form.dataset.composer !== name;
    });
  }

  // Whether the character before the editor's caret is not a space.
  function wordBefore(editor) {
    var range = editor.getSelection();
    var node = range.startContainer;
    var text = node.nodeType === Node.TEXT_NODE
      ? node.data.slice(0, range.startOffset)
      : (node.childNodes[range.startOffset - 1] || { textContent: "" }).textContent;
    return text.length > 0 && !/[\s\u00a0]$/.test(text);
  }

  function focusEditor(form) {
    var surface = form && form.querySelector("[data-editor]");
    if (surface && surface.squire) surface.squire.focus();
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var tab = target.closest("[data-tab]");
    if (tab) {
      var dock = tab.closest("[data-composer-dock]");
      showTab(dock, tab.dataset.tab);
      focusEditor(dock.querySelector("[data-composer='" + tab.dataset.tab + "']"));
      return;
    }
    var command = target.closest("[data-command]");
    if (command) {
      var surface = command.closest("[data-composer]").querySelector("[data-editor]");
      var editor = surface && surface.squire;
      if (!editor) return;
      var name = command.dataset.command;
      if (name === "link") {
        var url = window.prompt(command.dataset.linkPrompt, "https://");
        if (url && /^(https?:|mailto:)/i.test(url)) editor.makeLink(url);
      } else if (name === "code") {
        editor.toggleCode();
      } else if (name === "bold") {
        editor.hasFormat("B") ? editor.removeBold() : editor.bold();
      } else if (name === "italic") {
        editor.hasFormat("I") ? editor.removeItalic() : editor.italic();
      } else if (name === "underline") {
        editor.hasFormat("U") ? editor.removeUnderline() : editor.underline();
      } else {
        editor[name]();
      }
      editor.focus();
      return;
    }
    var visitor = target.closest("[data-toggle-visitor]");
    if (visitor) {
      var panelId = "visitor-" + visitor.dataset.toggleVisitor;
      var panel = document.getElementById(panelId);
      if (!panel.hasAttribute("data-loaded")) {
        // The linking form loads on first use: most visitors are never linked
        // by hand, and a long chat would otherwise carry one form per message.
        htmx.ajax("GET", visitor.dataset.visitorUrl, { target: panel, swap: "outerHTML" }).then(function () {
          // htmx binds the new form's triggers when it settles, which may be
          // after this: bind them now, so what is typed at once searches.
          var loaded = document.getElementById(panelId);
          htmx.process(loaded);
          loaded.querySelector("input[type=search]").focus();
        });
        return;
      }
      panel.hidden = !panel.hidden;
      if (!panel.hidden) panel.querySelector("input[type=search]").focus();
      return;
    }
    var insertToggle = target.closest("[data-action='insert']");
    if (insertToggle) {
      var insertMenu = insertToggle.closest("[data-composer]").querySelector("[data-insert-menu]");
      insertMenu.hidden = !insertMenu.hidden;
      insertToggle.setAttribute("aria-expanded", String(!insertMenu.hidden));
      if (!insertMenu.hidden) insertMenu.querySelector("[data-insert-search]").focus();
      return;
    }
    var insert = target.closest("[data-insert-html]");
    if (insert) {
      // From the Insert menu of an editor, or a suggestion above the reply editor.
      var insertForm = insert.closest("[data-composer]") ||
        insert.closest("[data-composer-dock]").querySelector("[data-composer='reply']");
      showTab(insertForm.closest("[data-composer-dock]"), insertForm.dataset.composer);
      var insertEditor = insertForm.querySelector("[data-editor]").squire;
      var insertHtml = insert.dataset.insertHtml;
      // Inline text goes after a space, never glued to the word before it.
      var isBlock = /^\s*<(p|div|ul|ol|blockquote|h\d|table|pre)\b/i.test(insertHtml);
      if (!isBlock && wordBefore(insertEditor)) {
        insertEditor.insertPlainText(" ", false);
      }
      // A block (a link on its own line) after text starts a line of its own:
      // Squire merges the first inserted block into the caret's line, so an
      // empty one goes first.
      if (isBlock && wordBefore(insertEditor)) insertHtml = "<p></p>" + insertHtml;
      insertEditor.insertHTML(insertHtml);
      var openMenu = insertForm.querySelector("[data-insert-menu]");
      if (openMenu) openMenu.hidden = true;
      insertEditor.focus();
      scheduleDraft(insertForm);
      return;
    }
    var mention = target.closest("[data-mention-id]");
    if (mention) { insertMention(mention); return; }
    var replyTo = target.closest("[data-reply-to]");
    if (replyTo) {
      var pane = replyTo.closest(".detail-main");
      var form = pane.querySelector("[data-composer='reply']");
      form.querySelector("[data-reply-to-input]").value = replyTo.dataset.replyTo;
      var label = form.querySelector("[data-replying-to]");
      label.hidden = false;
      label.querySelector("[data-replying-to-name]").textContent = replyTo.dataset.replyLabel;
      showTab(pane.querySelector("[data-composer-dock]"), "reply");
      scheduleDraft(form);
      focusEditor(form);
      return;
    }
    var cc = target.closest("[data-toggle-cc]");
    if (cc) {
      var fields = cc.closest("[data-composer]").querySelector("[data-cc-fields]");
      fields.hidden = !fields.hidden;
      cc.setAttribute("aria-expanded", String(!fields.hidden));
      if (!fields.hidden) fields.querySelector("input").focus();
      return;
    }
    var expand = target.closest("[data-action='expand']");
    if (expand) {
      var expandedDock = expand.closest("[data-composer-dock]");
      expandedDock.classList.remove("is-popped");
      expandedDock.style.left = expandedDock.style.top = "";
      expandedDock.classList.toggle("is-expanded");
      return;
    }
    // Pop out: the editor floats above the workspace, movable by its tab bar, so
    // the agent can read the thread (or another ticket) while writing.
    var popout = target.closest("[data-action='popout']");
    if (popout) {
      var poppedDock = popout.closest("[data-composer-dock]");
      poppedDock.classList.remove("is-expanded");
      poppedDock.style.left = poppedDock.style.top = "";
      var popped = poppedDock.classList.toggle("is-popped");
      popout.setAttribute("aria-pressed", String(popped));
      focusEditor(poppedDock.querySelector("[data-composer]:not([hidden])"));
    }
  });

  document.addEventListener("pointerdown", function (event) {
    var bar = event.target.closest && event.target.closest(".is-popped .composer-tabs");
    if (!bar || event.target.closest("button")) return;
    var dock = bar.closest("[data-composer-dock]");
    var box = dock.getBoundingClientRect();
    var dx = event.clientX - box.left;
    var dy = event.clientY - box.top;
    function move(e) {
      var left = Math.min(Math.max(0, e.clientX - dx), window.innerWidth - 120);
      var top = Math.min(Math.max(0, e.clientY - dy), window.innerHeight - 40);
      dock.style.left = left + "px";
      dock.style.top = top + "px";
    }
    function stop() {
      document.removeEventListener("pointermove", move);
      document.removeEventListener("pointerup", stop);
    }
    document.addEventListener("pointermove", move);
    document.addEventListener("pointerup", stop);
    event.preventDefault();
  });

  // The ticket table: select rows, then change them together (S28).
  function bulkBar() { return document.querySelector("[data-bulk-bar]"); }
  function selectedRows() {
    return Array.from(document.querySelectorAll("input[name=ids][form=bulk-form]:checked"));
  }
  function updateBulkBar() {
    var bar = bulkBar();
    if (!bar) return;
    var count = selectedRows().length;
    var label = bar.querySelector("[data-bulk-count]");
    bar.classList.toggle("has-selection", count > 0);
    if (!label.dataset.idle) label.dataset.idle = label.textContent;
    label.textContent = count ? (bar.dataset.selectedLabel || "%s").replace("%s", count) : label.dataset.idle;
    var all = document.querySelector("[data-select-all]");
    var boxes = document.querySelectorAll("input[name=ids][form=bulk-form]");
    if (all) {
      all.checked = count > 0 && count === boxes.length;
      all.indeterminate = count > 0 && count < boxes.length;
    }
  }
  // A new reply's signatures follow its From address until the agent writes.
  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-signatures]");
    if (!select) return;
    var form = select.closest("[data-composer]");
    var surface = form.querySelector("[data-editor]");
    var data = select.parentElement.querySelector("script[type='application/json']");
    if (!surface || !surface.squire || !data || form.dataset.written) return;
    var html = JSON.parse(data.textContent)[select.value] || "";
    surface.squire.setHTML(html);
    form.querySelector("[data-editor-html]").value = html;
    delete form.dataset.written;
  });
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-select-all]")) {
      document.querySelectorAll("input[name=ids][form=bulk-form]").forEach(function (box) { box.checked = target.checked; });
      updateBulkBar();
    } else if (target.matches("input[name=ids][form=bulk-form]")) {
      updateBulkBar();
    } else if (target.matches("[data-bulk-action]") && target.value) {
      var form = target.form;
      var action = document.createElement("input");
      action.type = "hidden";
      action.name = "action";
      action.value = target.dataset.bulkAction;
      form.appendChild(action);
      // An action of a higher app (a macro) has its own address. Attributes,
      // not form.action: the form's "action" inputs shadow that property.
      if (!form.dataset.action) form.dataset.action = form.getAttribute("action");
      form.setAttribute("action", target.dataset.bulkUrl || form.dataset.action);
      form.submit();
    }
  });
  window.addEventListener("pageshow", updateBulkBar);

  // The table scrolls inside its pane, which the browser does not restore on
  // Back: keep its position per URL for this tab.
  function tableScroll() { return document.querySelector(".table-scroll"); }
  window.addEventListener("pagehide", function () {
    var pane = tableScroll();
    if (pane) sessionStorage.setItem("scroll:" + location.href, String(pane.scrollTop));
  });
  window.addEventListener("pageshow", function () {
    var pane = tableScroll();
    var saved = pane && sessionStorage.getItem("scroll:" + location.href);
    if (saved) pane.scrollTop = Number(saved);
  });

  // S29: drag sidebar properties and cards into the agent's own order, saved at once.
  function setupSortables(root) {
    if (!window.Sortable || !root.querySelectorAll) return;
    var lists = Array.from(root.querySelectorAll("[data-sortable]"));
    if (root.matches && root.matches("[data-sortable]")) lists.push(root);
    lists.forEach(function (list) {
      if (list.sortable) return;
      list.sortable = window.Sortable.create(list, {
        handle: list.dataset.handle,
        draggable: "[data-key]",
        animation: 150,
        onEnd: function () {
          var body = new URLSearchParams();
          list.querySelectorAll(":scope > [data-key]").forEach(function (item) { body.append("order", item.dataset.key); });
          send(list.dataset.orderUrl, { method: "POST", body: body });
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { setupEditors(document); setupSortables(document); });
  document.addEventListener("htmx:load", function (event) {
    setupEditors(event.detail.elt);
    setupSortables(event.detail.elt);
    insertMacroReply(event.detail.elt);
  });

  // A macro's reply text arrives with the ticket it changed: it goes into the
  // reply editor (saved as a draft), where the agent reads, edits and sends it.
  function insertMacroReply(root) {
    var carrier = root.querySelector && root.querySelector("[data-macro-reply]");
    if (!carrier) return;
    var form = root.querySelector("[data-composer='reply']");
    var surface = form && form.querySelector("[data-editor]");
    if (surface && surface.squire) {
      showTab(form.closest("[data-composer-dock]"), "reply");
      // After what the agent already wrote, never inside its last paragraph.
      var written = surface.textContent.trim() ? surface.squire.getHTML() : "";
      surface.squire.setHTML(written + carrier.dataset.macroReply);
      surface.squire.moveCursorToEnd();
      form.querySelector("[data-editor-html]").value = surface.squire.getHTML();
      scheduleDraft(form);
      surface.squire.focus();
    }
    carrier.remove();
  }

  // Toasts say a background action finished, then leave by themselves.
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "toasts") {
      setTimeout(function () { event.detail.target.replaceChildren(); }, 4000);
    }
  });
  function expireToasts() {
    document.querySelectorAll("#toasts [data-toast]:not([data-expiring])").forEach(function (toast) {
      toast.dataset.expiring = "1";
      setTimeout(function () { toast.remove(); }, 6000);
    });
  }
  document.addEventListener("DOMContentLoaded", expireToasts);
  document.addEventListener("htmx:afterSettle", expireToasts);

  document.addEventListener("htmx:afterSettle", function (event) {
    markActiveRow();
    var panel = event.target.querySelector && event.target.querySelector(".panel input[name=name]");
    if (panel && !panel.value) panel.focus();
  });

})();
