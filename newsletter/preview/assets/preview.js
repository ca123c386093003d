"use strict";
// The preview page: fetch the issue's state, show it, and swap in each rebuild the server announces.
(() => {
  const boot = JSON.parse(document.body.dataset.boot);
  const base = `/issue/${encodeURIComponent(boot.slug)}/`;
  const $ = (id) => document.getElementById(id);
  const frames = [$("desktop-frame"), $("phone-frame")];
  let version = boot.version;
  let scheme = "light";
  let shownBuild = null;
  let running = null;
  let again = false;

  function emailUrl() {
    return `${base}email.html?scheme=${scheme}&b=${encodeURIComponent(shownBuild)}`;
  }

  // Replace the frame's document in place, so its scroll position survives the update.
  function swap(frame, html) {
    const doc = frame.contentDocument;
    if (frame.dataset.loaded !== "1" || !doc || !doc.documentElement) {
      frame.src = emailUrl();
      return;
    }
    const win = frame.contentWindow;
    const x = win.scrollX;
    const y = win.scrollY;
    const fresh = new DOMParser().parseFromString(html, "text/html");
    doc.replaceChild(doc.importNode(fresh.documentElement, true), doc.documentElement);
    win.scrollTo(x, y);
    requestAnimationFrame(() => win.scrollTo(x, y));
  }

  function list(element, items, empty) {
    element.replaceChildren();
    for (const item of items) {
      const li = document.createElement("li");
      li.className = item.level;
      if (item.location) {
        const loc = document.createElement("span");
        loc.className = "loc";
        loc.textContent = item.location;
        li.append(loc, ": ");
      }
      li.append((item.level === "warning" ? "warning: " : "") + item.message + (item.fix ? ` (${item.fix})` : ""));
      element.append(li);
    }
    if (!items.length && empty) {
      const li = document.createElement("li");
      li.textContent = empty;
      element.append(li);
    }
  }

  function show(state) {
    document.title = `${state.subject || state.slug} · preview`;
    $("sender").textContent = state.sender.name;
    $("from").textContent = state.sender.email ? `From: ${state.sender.name} <${state.sender.email}>` : "";
    $("subject").textContent = state.subject;
    $("preheader").textContent = state.preheader;
    $("date").textContent = state.date
      ? new Date(`${state.date}T12:00:00`).toLocaleDateString(undefined, { day: "numeric", month: "short" }) : "";
    $("date").title = state.date || "";
    $("text").textContent = state.text;
    const kb = (n) => (n / 1024).toFixed(1);
    const ratio = state.html_bytes / state.clip_bytes;
    $("size").textContent = `email.html ${kb(state.html_bytes)} KB of Gmail's ${kb(state.clip_bytes)} KB`
      + (ratio > 1 ? " limit: Gmail will clip this message" : " clipping limit");
    $("size-box").classList.toggle("over", ratio > 1);
    $("size-meter").value = Math.min(ratio, 1);
    const menu = $("issues");
    menu.replaceChildren();
    for (const issue of state.issues) {
      const option = new Option(`${issue.slug}${issue.subject ? ` · ${issue.subject}` : ""}`, issue.slug);
      option.selected = issue.slug === state.slug;
      menu.append(option);
    }
    const checks = state.checks || {};
    $("checks-note").textContent = checks.available ? "" : (checks.note || "");
    const findings = [...(checks.findings || []), ...state.warnings];
    list($("findings"), findings, checks.available ? "no findings" : "");
    const errors = findings.filter((f) => f.level === "error").length;
    const count = $("check-count");
    count.textContent = !checks.available && !findings.length ? "check: not run"
      : findings.length ? `check: ${findings.length} finding${findings.length === 1 ? "" : "s"}` : "check: all clear";
    count.className = `check-count${errors ? " bad" : findings.length ? " warn" : ""}`;
    const body = $("stories").tBodies[0];
    body.replaceChildren();
    for (const story of state.stories) {
      const row = body.insertRow();
      for (const value of [story.file, story.title, story.kind, `${kb(story.html_bytes)} KB`]) {
        row.insertCell().textContent = value;
      }
    }
    list($("errors"), state.problems, "");
    $("overlay").hidden = state.problems.length === 0;
    $("status").textContent = state.problems.length
      ? "live · build failed" : `live · built in ${Math.round(state.build_ms)} ms`;
    $("status").classList.remove("offline");
  }

  async function refresh(force) {
    const response = await fetch(`${base}state.json`, { cache: "no-store" });
    if (!response.ok) throw new Error(`state.json: HTTP ${response.status}`);
    const state = await response.json();
    version = Math.max(version, state.version);
    show(state);
    if (state.built && (force || state.built_at !== shownBuild)) {
      shownBuild = state.built_at;
      const html = await (await fetch(emailUrl(), { cache: "no-store" })).text();
      for (const frame of frames) swap(frame, html);
    }
    document.body.dataset.version = String(state.version);
  }

  // Run one refresh at a time; a change that arrives meanwhile triggers one more.
  function update(force = false) {
    if (running) {
      again = true;
      return running;
    }
    running = refresh(force)
      .catch((error) => { $("status").textContent = `error: ${error.message}`; })
      .finally(() => {
        running = null;
        if (again) { again = false; update(); }
      });
    return running;
  }

  function connect() {
    const events = new EventSource(`/events?since=${version}`);
    events.addEventListener("change", () => update());
    events.addEventListener("open", () => update());
    events.addEventListener("error", () => {
      $("status").textContent = "offline: is `newsletter preview` still running?";
      $("status").classList.add("offline");
    });
  }

  for (const frame of frames) {
    frame.addEventListener("load", () => { frame.dataset.loaded = "1"; });
  }
  $("issues").addEventListener("change", (event) => {
    location.href = `/issue/${encodeURIComponent(event.target.value)}/`;
  });
  $("scheme").addEventListener("change", (event) => { scheme = event.target.value; update(true); });
  $("show-desktop").addEventListener("change", (e) => { $("desktop").hidden = !e.target.checked; });
  $("show-phone").addEventListener("change", (e) => { $("phone").hidden = !e.target.checked; });
  for (const [tab, showText] of [["tab-email", false], ["tab-text", true]]) {
    $(tab).addEventListener("click", () => {
      $("frames").hidden = showText;
      $("text").hidden = !showText;
      $("tab-email").setAttribute("aria-selected", String(!showText));
      $("tab-text").setAttribute("aria-selected", String(showText));
    });
  }
  update().then(connect);
})();
