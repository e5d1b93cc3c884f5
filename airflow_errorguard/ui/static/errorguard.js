// errorguard actions: JSON POSTs to the same origin (the server rejects anything else).
(function () {
  "use strict";
  const base = document.body.dataset.base || "";

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

  const actions = document.querySelector(".eg-actions");
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
          window.location.reload();
        } catch (err) {
          result.textContent = "Failed: " + err.message;
          button.disabled = false;
        }
      });
    });
  }

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
