// The review queue without reloads, and by keyboard. Every action here submits one of the
// page's ordinary forms (which also work with JavaScript off) with fetch, asking for JSON; the
// server answers with the re-rendered items, which replace the old ones in place.
"use strict";

(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const statusBox = document.getElementById("status");
  const help = document.getElementById("help");
  const prompt = document.getElementById("reason-prompt");
  const reasonKeys = prompt ? JSON.parse(prompt.dataset.keys) : {};
  let current = null;
  let choosingReason = false;

  const items = () => Array.from(document.querySelectorAll("#queue .item"));
  // Waiting for a decision: held, or a spot check (published, picked at random).
  const awaiting = (item) => item.dataset.awaiting === "true";

  function say(text, refused) {
    statusBox.textContent = text;  // text, never HTML
    statusBox.classList.toggle("refused", Boolean(refused));
  }

  function setCurrent(item) {
    if (current) current.classList.remove("current");
    current = item || null;
    if (!current) return;
    current.classList.add("current");
    current.focus({ preventScroll: true });
    current.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    const all = items();
    if (!all.length) return;
    const at = all.indexOf(current);
    const next = at < 0 ? 0 : Math.min(Math.max(at + step, 0), all.length - 1);
    setCurrent(all[next]);
  }

  function nextUndecided(from) {
    const all = items();
    const after = all.slice(all.indexOf(from) + 1).concat(all.slice(0, all.indexOf(from)));
    return after.find(awaiting) || from;
  }

  function parseItem(html) {
    const holder = document.createElement("template");
    holder.innerHTML = html.trim();  // server-rendered with autoescaping; scripts never run here
    return holder.content.firstElementChild;
  }

  function placeItem(id, html) {
    // The item in place of its old self; or, when the page does not show it (an undo after the
    // list emptied, or after a reload), added at the top, where the moderator looks next.
    const fresh = parseItem(html);
    const old = document.getElementById("c" + id);
    if (!old) {
      const queue = document.getElementById("queue");
      const empty = queue.querySelector(".empty");
      if (empty) empty.remove();
      return { fresh, added: true };
    }
    const wasCurrent = old === current;
    old.replaceWith(fresh);
    if (wasCurrent) current = fresh;
    if (wasCurrent) fresh.classList.add("current");
    return { fresh, added: false };
  }

  function showCounts(counts) {
    // The status tabs' numbers, as the server counted them after this action.
    Object.entries(counts).forEach(([status, n]) => {
      const tab = document.querySelector('.tabs .tab[data-status="' + status + '"] .count');
      if (tab) tab.textContent = String(n);
    });
  }

  async function send(form, submitter) {
    const body = new FormData(form, submitter);
    const before = current;
    let response;
    try {
      // getAttribute: the buttons are named "action", which shadows form.action.
      response = await fetch(form.getAttribute("action"), {
        method: "POST", body, credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrf },
      });
    } catch (error) {
      say("The server could not be reached; nothing was saved.", true);
      return;
    }
    if (response.status === 401) { window.location.reload(); return; }
    let data;
    try { data = await response.json(); } catch (error) {
      say("Unexpected answer from the server (HTTP " + response.status + ").", true);
      return;
    }
    if (data.error) { say(data.error.message, true); return; }
    const placed = Object.entries(data.items || {}).map(([id, html]) => placeItem(id, html));
    const added = placed.filter((p) => p.added).map((p) => p.fresh);
    if (added.length) document.getElementById("queue").prepend(...added);
    const fresh = placed.map((p) => p.fresh);
    showCounts(data.counts || {});
    const refused = data.refused || [];
    say([data.message].concat(refused).filter(Boolean).join(" "), refused.length > 0);
    if (Object.values(data.conflict || {}).includes("bad_reason") && form.matches("form.actions")) {
      // A reject with no reason chosen: offer the reasons, as r does.
      setCurrent(form.closest(".item"));
      showPrompt(true);
      return;
    }
    const selectAll = document.getElementById("select-all");
    if (selectAll) selectAll.checked = false;
    if (form.id === "undo") {
      if (fresh.length) setCurrent(fresh[0]);
    } else if (current && current === document.getElementById(before ? before.id : "")
               && !awaiting(current)) {
      setCurrent(nextUndecided(current));
    }
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches("[data-inplace]")) return;
    event.preventDefault();
    send(form, event.submitter);
  });

  document.addEventListener("change", (event) => {
    const box = event.target;
    if (box.matches("[data-select-all]")) {
      document.querySelectorAll("#queue .select:not(:disabled)").forEach((each) => {
        each.checked = box.checked;
        each.closest(".item").classList.toggle("selected", box.checked);
      });
    } else if (box.matches("#queue .select")) {
      box.closest(".item").classList.toggle("selected", box.checked);
    }
  });

  document.addEventListener("click", (event) => {
    if (choosingReason) showPrompt(false);  // the mouse chose another way
    const item = event.target.closest("#queue .item");
    if (item && item !== current) setCurrent(item);
  });

  function decide(action, reason) {
    if (!current) return;
    if (current.classList.contains("done")) {
      say("Comment " + current.dataset.id + " is decided; press u to undo it.", true);
      return;
    }
    const form = current.querySelector("form.actions");
    if (reason) form.querySelector("select[name=reason]").value = reason;
    form.requestSubmit(form.querySelector("button." + action));
  }

  function showPrompt(on) {
    choosingReason = on;
    if (prompt) prompt.hidden = !on;
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, select, textarea, button")
        && !event.target.matches("input.select, button")) return;
    const key = event.key;
    if (choosingReason) {
      showPrompt(false);
      if (reasonKeys[key]) decide("reject", reasonKeys[key]);
      event.preventDefault();
      return;
    }
    const actions = {
      j: () => move(1),
      k: () => move(-1),
      a: () => decide("approve"),
      r: () => { if (current) showPrompt(true); },
      s: () => decide("reject", "spam"),
      x: () => {
        if (!current) return;
        const box = current.querySelector(".select");
        if (box.disabled) return;
        box.checked = !box.checked;
        current.classList.toggle("selected", box.checked);
      },
      u: () => { const undo = document.getElementById("undo"); if (undo) undo.requestSubmit(); },
      "?": () => { if (help) help.hidden = !help.hidden; },
      Escape: () => { if (help) help.hidden = true; },
    };
    if (!actions[key]) return;
    event.preventDefault();
    actions[key]();
  });

  setCurrent(items()[0]);
})();
