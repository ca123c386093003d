"use strict";
// The preview page: fetch the issue's state, show it, swap in each rebuild the server announces, and remember
// the editor's view settings in this browser.
import { Frames } from "./frames.js";
import { findings, platforms, stories } from "./panel.js";

const boot = JSON.parse(document.body.dataset.boot);
const base = `/issue/${encodeURIComponent(boot.slug)}/`;
const $ = (id) => document.getElementById(id);
const frames = new Frames($("frames"), [$("desktop-frame"), $("phone-frame")]);
const SETTINGS = "newsletter-preview";
const DOCKED = 1280; // from this width the panel sits beside the views
const defaults = { desktop: window.innerWidth >= 700, phone: true, sync: true, scheme: "light", reader: "named", tab: "email",
  panel: window.innerWidth >= DOCKED };
let settings = { ...defaults, ...load() };
let version = boot.version;
let shownBuild = null;
let shownView = "";
let running = null;
let again = false;
let selected = "";
let last = null;

function load() {
  try {
    return JSON.parse(localStorage.getItem(SETTINGS) || "{}");
  } catch {
    return {};
  }
}

function save() {
  try {
    localStorage.setItem(SETTINGS, JSON.stringify(settings));
  } catch {
    // storage may be off in this browser: the settings then last as long as the page
  }
}

function view() {
  return `scheme=${settings.scheme}&reader=${settings.reader}`;
}

function emailUrl() {
  return `${base}email.html?${view()}&b=${encodeURIComponent(shownBuild)}`;
}

// Replace each frame's document in place, so its scroll position survives the update (parsed once for all).
function swapAll(html) {
  const fresh = new DOMParser().parseFromString(html, "text/html");
  for (const frame of frames.frames) swap(frame, fresh);
}

function swap(frame, fresh) {
  const doc = frame.contentDocument;
  if (frame.dataset.loaded !== "1" || !doc || !doc.documentElement) {
    frame.src = emailUrl();
    return;
  }
  const win = frame.contentWindow;
  const y = win.scrollY;
  doc.replaceChild(doc.importNode(fresh.documentElement, true), doc.documentElement);
  frames.restore(frame, y);
  requestAnimationFrame(() => { if (win.scrollY !== y) frames.restore(frame, y); });
  frames.attach(frame);
}

function problems(element, items) {
  element.replaceChildren();
  for (const item of items) {
    const li = document.createElement("li");
    if (item.location) {
      const loc = document.createElement("span");
      loc.className = "loc";
      loc.textContent = item.location;
      li.append(loc, ": ");
    }
    li.append(item.message);
    element.append(li);
  }
}

async function openFile(item) {
  const response = await fetch("/open", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Preview-Token": boot.token },
    body: JSON.stringify({ path: item.path, line: item.line }),
  });
  const result = await response.json().catch(() => ({ opened: false, note: `HTTP ${response.status}` }));
  $("editor-note").textContent = result.opened ? `opened ${item.location}` : result.note;
}

function showInbox(state) {
  const reader = (state.readers || {})[settings.reader] || state;
  document.title = `${reader.subject || state.slug} · preview`;
  $("sender").textContent = state.sender.name;
  $("from").textContent = state.sender.email ? `From: ${state.sender.name} <${state.sender.email}>` : "";
  $("subject").textContent = reader.subject;
  $("preheader").textContent = reader.preheader;
  $("date").textContent = state.date
    ? new Date(`${state.date}T12:00:00`).toLocaleDateString(undefined, { day: "numeric", month: "short" }) : "";
  $("date").title = state.date || "";
  const checks = state.checks || {};
  $("issue-status").textContent = state.status;
  $("issue-status").className = `badge ${state.status}`;
  $("issue-status").title = state.status ? `status = "${state.status}" in issue.toml` : "";
  $("verdict").textContent = checks.verdict || "";
  $("verdict").className = `verdict${checks.errors ? " bad" : ""}`;
  const kb = (n) => (n / 1024).toFixed(1);
  const ratio = state.html_bytes / state.clip_bytes;
  $("size").textContent = `email.html ${kb(state.html_bytes)} KB of Gmail's ${kb(state.clip_bytes)} KB`
    + (ratio > 1 ? " limit: Gmail will clip this message" : " clipping limit");
  $("size-box").classList.toggle("over", ratio > 1);
  $("size-meter").value = Math.min(ratio, 1);
}

function show(state) {
  last = state;
  showInbox(state);
  const menu = $("issues");
  menu.replaceChildren();
  for (const issue of state.issues) {
    const option = new Option(`${issue.slug}${issue.subject ? ` · ${issue.subject}` : ""}`, issue.slug);
    option.selected = issue.slug === state.slug;
    menu.append(option);
  }
  const checks = state.checks || {};
  $("checks-note").textContent = checks.available ? "" : (checks.note || "");
  const rank = { error: 0, warning: 1 };
  const found = [...(checks.findings || []), ...state.warnings]
    .sort((a, b) => (rank[a.level] ?? 2) - (rank[b.level] ?? 2)); // errors first: they stop the send
  frames.stories = state.stories;
  findings(found, {
    empty: checks.available ? "no findings" : "",
    editor: state.editor || { available: false },
    selected,
    choose: (item, key) => {
      selected = key;
      const story = state.stories[item.story - 1];
      frames.show({ story: item.story, title: story ? story.title : "" });
    },
    open: openFile,
  });
  $("editor-note").textContent = state.editor && !state.editor.available ? state.editor.note : "";
  const errors = found.filter((f) => f.level === "error").length;
  const count = $("check-count");
  count.textContent = !checks.available && !found.length ? "check: not run"
    : found.length ? `check: ${found.length} finding${found.length === 1 ? "" : "s"}` : "check: all clear";
  count.className = `check-count${errors ? " bad" : found.length ? " warn" : checks.available ? " clear" : ""}`;
  platforms(state.platform_subjects || []);
  stories(state.stories);
  problems($("errors"), state.problems);
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
  if (state.built && (force || state.built_at !== shownBuild || shownView !== view())) {
    shownBuild = state.built_at;
    shownView = view();
    const text = fetch(`${base}email.txt?${view()}`, { cache: "no-store" }).then((r) => r.text());
    const html = await (await fetch(emailUrl(), { cache: "no-store" })).text();
    swapAll(html);
    $("text").textContent = await text;
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

// Show a rebuild the server pushed with its event: the state, and the email and text when the build is new.
function pushed(event) {
  let data = {};
  try {
    data = JSON.parse(event.data);
  } catch {
    // not JSON: fetch what changed instead
  }
  if (!data.state || running || data.view !== view()) {
    update();
    return;
  }
  const state = data.state;
  version = Math.max(version, state.version);
  if (state.built && data.html !== undefined) { // the email first: it is what the editor is waiting to see
    shownBuild = state.built_at;
    shownView = view();
    swapAll(data.html);
    $("text").textContent = data.email_text;
  }
  show(state);
  document.body.dataset.version = String(state.version);
}

let events = null;

// Listen for rebuilds; the server sends each one with the state, email and text for this issue and view.
function connect() {
  if (events) events.close();
  events = new EventSource(`/events?since=${version}&slug=${encodeURIComponent(boot.slug)}&${view()}`);
  events.addEventListener("change", pushed);
  events.addEventListener("open", () => update());
  events.addEventListener("error", () => {
    $("status").textContent = "offline: is `newsletter preview` still running?";
    $("status").classList.add("offline");
  });
}

// Put the page in the state the settings describe.
function apply() {
  $("show-desktop").checked = settings.desktop;
  $("show-phone").checked = settings.phone;
  $("desktop").hidden = !settings.desktop;
  $("phone").hidden = !settings.phone;
  $("sync-scroll").checked = settings.sync;
  frames.sync = settings.sync;
  $("scheme").value = settings.scheme;
  $("reader").value = settings.reader;
  const showText = settings.tab === "text";
  $("frames").hidden = showText;
  $("text").hidden = !showText;
  $("tab-email").setAttribute("aria-selected", String(!showText));
  $("tab-text").setAttribute("aria-selected", String(showText));
  $("panel").hidden = !settings.panel;
  $("check-count").setAttribute("aria-expanded", String(settings.panel));
  frames.layout();
}

function change(key, value) {
  settings = { ...settings, [key]: value };
  save();
  apply();
  if ((key === "scheme" || key === "reader") && events) connect(); // the pushed email is for one view
}

for (const [value, label] of Object.entries(boot.readers)) $("reader").append(new Option(label, value));
if (!(settings.reader in boot.readers)) settings.reader = defaults.reader;
for (const frame of frames.frames) {
  frame.addEventListener("load", () => { frame.dataset.loaded = "1"; frames.attach(frame); });
}
$("issues").addEventListener("change", (event) => {
  location.href = `/issue/${encodeURIComponent(event.target.value)}/`;
});
$("scheme").addEventListener("change", (event) => { change("scheme", event.target.value); update(true); });
$("reader").addEventListener("change", (event) => {
  change("reader", event.target.value);
  if (last) showInbox(last);
  update(true);
});
$("show-desktop").addEventListener("change", (e) => change("desktop", e.target.checked));
$("show-phone").addEventListener("change", (e) => change("phone", e.target.checked));
$("sync-scroll").addEventListener("change", (e) => change("sync", e.target.checked));
$("tab-email").addEventListener("click", () => change("tab", "email"));
$("tab-text").addEventListener("click", () => change("tab", "text"));
$("check-count").addEventListener("click", () => change("panel", !settings.panel));
apply();
update().then(connect);
