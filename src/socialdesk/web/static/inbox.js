// socialdesk inbox: keyboard shortcuts on the list and the conversation page (j/k move, x tick,
// o open, e done, a assign to me, ? help). A file (not inline) because the CSP forbids inline script;
// without it every action is still a plain form.
(function () {
  "use strict";

  if (window.__sdInbox) return;
  window.__sdInbox = true;

  var current = null; // the id of the conversation the cursor is on

  function root() { return document.querySelector("[data-inbox]"); }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-conv-row]")); }

  function csrfToken() {
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      if (headers["X-CSRF-Token"]) return headers["X-CSRF-Token"];
    } catch (e) { /* fall back to a form field */ }
    var field = document.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  function say(text) {
    var box = document.querySelector("[data-inbox-message]");
    if (!box) return;
    box.textContent = text;
    box.hidden = !text;
  }

  function mark(row) {
    rows().forEach(function (r) { r.classList.remove("current"); r.removeAttribute("aria-current"); });
    if (!row) return;
    row.classList.add("current");
    row.setAttribute("aria-current", "true");
    current = row.getAttribute("data-id");
    row.scrollIntoView({ block: "nearest" });
  }

  function currentRow() {
    return rows().filter(function (r) { return r.getAttribute("data-id") === current; })[0] || null;
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var at = all.indexOf(currentRow());
    mark(all[Math.min(all.length - 1, Math.max(0, at < 0 ? 0 : at + step))]);
  }

  // The conversations an action applies to: the ticked ones, else the current row, else this page's.
  function targets() {
    var ticked = Array.prototype.slice.call(document.querySelectorAll("[data-conv-row] input[name=ids]:checked"));
    if (ticked.length) return ticked.map(function (box) { return Number(box.value); });
    var page = root() && root().getAttribute("data-conversation-id");
    if (page) return [Number(page)];
    return current ? [Number(current)] : [];
  }

  function refresh() {
    var list = document.getElementById("inbox-list");
    if (list && window.htmx) {
      window.htmx.ajax("GET", window.location.pathname + window.location.search,
                       { target: "#inbox-list", swap: "outerHTML" });
    } else {
      window.location.reload();
    }
  }

  function bulk(change) {
    var ids = targets();
    if (!ids.length) { say("Move to a conversation with j or k first (or tick some with x)."); return; }
    change.conversation_ids = ids;
    fetch("/api/inbox/bulk", {
      method: "POST", credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrfToken() },
      body: JSON.stringify(change),
    }).then(function (response) {
      if (response.ok) { say(""); refresh(); return null; }
      return response.json().then(function (body) { say(body.detail || "That did not work."); });
    }).catch(function () { say("The server could not be reached; nothing was changed."); });
  }

  function help() {
    var dialog = document.getElementById("inbox-help");
    if (!dialog) return;
    if (dialog.open) dialog.close(); else dialog.showModal();
  }

  function typing(target) {
    return target && target.closest && target.closest("input, textarea, select, [contenteditable]");
  }

  document.addEventListener("keydown", function (event) {
    if (!root() || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var dialog = document.getElementById("inbox-help");
    if (dialog && dialog.open && event.key !== "?") return;
    var me = Number(root().getAttribute("data-me"));
    var row;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "x":
        row = currentRow();
        var box = row && row.querySelector("input[name=ids]");
        if (box && !box.disabled) box.checked = !box.checked;
        break;
      case "o":
        row = currentRow();
        if (row) window.location.href = row.getAttribute("data-url");
        break;
      case "e": bulk({ status: "done" }); break;
      case "a": bulk({ assignee_id: me }); break;
      case "?": help(); break;
      default: return;
    }
    event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-inbox-help]")) help();
  });

  // After HTMX replaces the list (filters, paging, a shortcut), keep the cursor on the same conversation.
  document.addEventListener("htmx:afterSwap", function () {
    if (current) mark(currentRow());
  });
})();
