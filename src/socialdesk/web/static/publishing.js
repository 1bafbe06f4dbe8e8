// socialdesk publishing pages: drag and drop on the calendar, the composer's per-network variant boxes.
// A file (not inline) because the Content-Security-Policy forbids inline script.
(function () {
  "use strict";

  if (window.__sdPublishing) return; // included by several templates of one page
  window.__sdPublishing = true;

  // The CSRF token: base.html gives it to HTMX in the body's hx-headers; forms carry it too.
  function csrfToken() {
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      if (headers["X-CSRF-Token"]) return headers["X-CSRF-Token"];
    } catch (e) { /* fall through to a form field */ }
    var field = document.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  function say(text) {
    var box = document.getElementById("calendar-message");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
  }

  // --- calendar: drag a post to another day (month) or hour (week) -------------------------------
  var dragged = null;

  document.addEventListener("dragstart", function (event) {
    var item = event.target.closest && event.target.closest("[data-move-url]");
    if (!item) return;
    dragged = item;
    item.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.getAttribute("data-post-id") || "");
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    document.querySelectorAll(".drop-target").forEach(function (cell) { cell.classList.remove("drop-target"); });
  });

  function dropCell(event) {
    return dragged && event.target.closest ? event.target.closest("[data-drop-date]") : null;
  }

  document.addEventListener("dragover", function (event) {
    var cell = dropCell(event);
    if (!cell) return;
    event.preventDefault(); // allow the drop
    event.dataTransfer.dropEffect = "move";
    cell.classList.add("drop-target");
  });

  document.addEventListener("dragleave", function (event) {
    var cell = dropCell(event);
    if (cell && !cell.contains(event.relatedTarget)) cell.classList.remove("drop-target");
  });

  document.addEventListener("drop", function (event) {
    var cell = dropCell(event);
    if (!cell) return;
    event.preventDefault();
    var item = dragged;
    var time = item.getAttribute("data-time") || "09:00"; // HH:MM, the client's local time of day
    var hour = cell.getAttribute("data-drop-hour");
    if (hour !== null) time = ("0" + hour).slice(-2) + ":" + time.slice(3, 5); // week view: the slot's hour
    var target = cell.getAttribute("data-drop-date") + "T" + time + ":00"; // local, no offset
    var original = item.closest("[data-drop-date]");
    if (original === cell) return;
    cell.classList.remove("drop-target");
    cell.appendChild(item); // show it moved at once; the reload confirms
    item.classList.add("moving");
    fetch(item.getAttribute("data-move-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify({ scheduled_at: target })
    }).then(function (response) {
      if (response.ok) {
        window.location.reload();
        return null;
      }
      return response.json().then(function (body) {
        if (original) original.appendChild(item);
        item.classList.remove("moving");
        say("Could not move the post: " + (body && body.detail ? body.detail : response.status));
      });
    }).catch(function () {
      if (original) original.appendChild(item);
      item.classList.remove("moving");
      say("Could not move the post: the server did not answer.");
    });
  });

  // --- composer: show each network's variant box only when a channel of that network is chosen ---
  function syncVariants(form) {
    var chosen = {};
    form.querySelectorAll("input[name=channel_ids]").forEach(function (box) {
      if (box.checked) chosen[box.getAttribute("data-network")] = true;
    });
    form.querySelectorAll("[data-variant-network]").forEach(function (wrap) {
      var area = wrap.querySelector("textarea");
      var keep = chosen[wrap.getAttribute("data-variant-network")] || (area && area.value.trim() !== "") ||
        wrap.querySelector(".field-error");
      wrap.hidden = !keep;
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("#composer input[name=channel_ids]")) {
      syncVariants(event.target.form);
    }
  });

  function init() {
    var composer = document.getElementById("composer");
    if (composer) syncVariants(composer);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
