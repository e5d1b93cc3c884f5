// errorguard actions: JSON POSTs to the same origin (the server rejects anything else).
(function () {
  "use strict";
  const base = document.body.dataset.base || "";
  const pluginRoute = document.body.dataset.pluginRoute || "errorguard";

  async function post(path, body) {
    const response = await fetch(base + path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      const detail = data && data.detail ? data.detail : response.statusText;
      throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
    }
    return data;
  }

  // --- Links into the Airflow UI from inside its frame ------------------------------------------
  // Airflow 3.3 frames plugin pages with sandbox="allow-scripts allow-same-origin allow-forms
  // allow-downloads": no top navigation, no popups, and it listens for no messages. The frame is
  // same-origin, so a link is opened by the shell's own router: push the URL onto the shell's
  // history and tell it (popstate), exactly what its back/forward buttons do.
  function shell() {
    try {
      if (window.top !== window && window.top.location.origin === window.location.origin) { return window.top; }
    } catch (e) { /* another origin: no shell to drive */ }
    return null;
  }

  function openInShell(top, url) {
    const current = top.history.state || {};
    const idx = typeof current.idx === "number" ? current.idx + 1 : 0;
    top.history.pushState({ usr: null, key: Math.random().toString(36).slice(2, 10), idx: idx }, "", url);
    top.dispatchEvent(new top.PopStateEvent("popstate", { state: top.history.state }));
  }

  function shellUrl(link) {
    const url = new URL(link.getAttribute("href"), window.location.href);
    if (link.dataset.link !== "errorguard") { return url.pathname + url.search + url.hash; }
    // An errorguard page: the shell shows it in its plugin frame at /plugin/<route>/<our path>.
    const airflowBase = document.body.dataset.airflowBase || "";
    return airflowBase + "/plugin/" + pluginRoute + url.pathname + url.search + url.hash;
  }

  document.addEventListener("click", function (event) {
    const link = event.target.closest ? event.target.closest("a[data-link]") : null;
    const top = link ? shell() : null;
    if (!top || event.button > 1) { return; }
    event.preventDefault();
    const wantsTab = event.button === 1 || event.ctrlKey || event.metaKey || event.shiftKey;
    if (wantsTab && window.open(link.href, "_blank", "noopener")) { return; }
    openInShell(top, shellUrl(link));
  });
  document.addEventListener("auxclick", function (event) {
    const link = event.target.closest ? event.target.closest("a[data-link]") : null;
    if (link && shell() && event.button === 1) { event.preventDefault(); }
  });

  // --- One quarantined record -------------------------------------------------------------------
  const actions = document.querySelector(".eg-record-actions");
  if (actions) {
    const result = actions.querySelector(".eg-action-result");
    actions.querySelectorAll("button[data-action]").forEach(function (button) {
      button.addEventListener("click", async function () {
        const note = actions.querySelector(".eg-note").value.trim();
        const action = button.dataset.action;
        if (action === "discard" && !note) { result.textContent = "Discarding needs a note saying why."; return; }
        button.disabled = true;
        try {
          await post("/api/quarantine/" + actions.dataset.id + "/" + action, { note: note || null });
          const here = new URL(window.location.href);
          here.searchParams.set("done", action);
          window.location.replace(here.toString());
        } catch (err) {
          result.textContent = "Failed: " + err.message;
          button.disabled = false;
        }
      });
    });
  }

  // --- Bulk action on the list's filter ---------------------------------------------------------
  const bulk = document.querySelector(".eg-bulk");
  if (bulk) {
    const filter = JSON.parse(bulk.dataset.filter || "{}");
    const confirmBox = bulk.querySelector(".eg-bulk-confirm");
    const message = bulk.querySelector(".eg-bulk-message");
    const result = bulk.querySelector(".eg-bulk-result");
    let expected = null;
    const body = function () {
      return {
        action: bulk.querySelector(".eg-bulk-action").value,
        note: bulk.querySelector(".eg-bulk-note").value.trim() || null,
        filter: filter,
        expected_count: expected,
      };
    };
    bulk.querySelector(".eg-bulk-preview").addEventListener("click", async function () {
      result.textContent = "";
      try {
        const preview = await post("/api/quarantine/bulk/preview", body());
        expected = preview.count;
        message.textContent = preview.count + " record(s) on DAGs you may change will be sent to '" + preview.action + "'.";
        confirmBox.hidden = false;
      } catch (err) { result.textContent = "Failed: " + err.message; }
    });
    bulk.querySelector(".eg-bulk-apply").addEventListener("click", async function () {
      try {
        const done = await post("/api/quarantine/bulk", body());
        confirmBox.hidden = true;
        result.textContent = done.changed + " changed, " + done.skipped + " skipped (status did not allow it).";
      } catch (err) { result.textContent = "Failed: " + err.message; }
    });
  }

  // --- Manual circuit control -------------------------------------------------------------------
  document.querySelectorAll(".eg-circuit-actions").forEach(function (box) {
    box.querySelectorAll("button[data-action]").forEach(function (button) {
      button.addEventListener("click", async function () {
        const out = box.querySelector(".eg-action-result");
        const note = (box.querySelector(".eg-note") || { value: "" }).value.trim();
        try {
          await post("/api/circuits/" + encodeURIComponent(box.dataset.key) + "/" + button.dataset.action, { note: note || null });
          window.location.reload();
        } catch (err) { out.textContent = "Failed: " + err.message; }
      });
    });
  });
})();
