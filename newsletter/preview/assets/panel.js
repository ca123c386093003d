"use strict";
// The side panel: check findings (click one to see its story, open its file), the subject per platform, stories.

const $ = (id) => document.getElementById(id);

function text(tag, className, content) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  element.textContent = content;
  return element;
}

async function copy(value, code) {
  try {
    await navigator.clipboard.writeText(value);
    return true;
  } catch {
    const range = document.createRange(); // no clipboard outside a secure context: select it for Ctrl-C
    range.selectNodeContents(code);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    return false;
  }
}

// Where a finding is: a link that opens the file in the editor, or the path to copy.
function where(item, editor, open) {
  const row = document.createElement("div");
  row.className = "where";
  if (!item.location) return row;
  if (editor.available && item.path) {
    const link = text("a", "loc", item.location);
    link.href = "#";
    link.title = `Open in ${editor.name}`;
    link.addEventListener("click", (event) => { event.preventDefault(); open(item); });
    row.append(link);
  } else {
    const code = text("code", "loc", item.location);
    const button = text("button", "copy", "Copy");
    button.type = "button";
    button.title = "Copy path:line";
    button.addEventListener("click", async () => {
      button.textContent = (await copy(item.location, code)) ? "Copied" : "Press Ctrl-C";
      setTimeout(() => { button.textContent = "Copy"; }, 1500);
    });
    row.append(code, button);
  }
  return row;
}

export function findings(items, { empty, editor, selected, choose, open }) {
  const list = $("findings");
  list.replaceChildren();
  for (const item of items) {
    const li = document.createElement("li");
    li.className = item.level;
    li.dataset.story = String(item.story || 0);
    const key = `${item.location}|${item.message}`;
    li.dataset.key = key;
    if (key === selected) li.classList.add("selected");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "finding";
    button.title = item.story ? "Show this story in the views" : "Show the top of the email";
    button.append(text("span", "level", item.level), item.message);
    if (item.fix) button.append(text("span", "fix", item.fix));
    button.addEventListener("click", () => {
      for (const other of list.querySelectorAll("li.selected")) other.classList.remove("selected");
      li.classList.add("selected");
      choose(item, key);
    });
    li.append(button, where(item, editor, open));
    list.append(li);
  }
  if (!items.length && empty) list.append(text("li", "none", empty));
}

export function platforms(rows) {
  const body = $("platforms").tBodies[0];
  body.replaceChildren();
  for (const row of rows) {
    const tr = body.insertRow();
    tr.insertCell().textContent = row.name;
    tr.insertCell().textContent = row.subject;
  }
  $("platforms").hidden = !rows.length;
  $("platforms-note").textContent = rows.length
    ? "How each platform is given the subject: it fills in each reader's name from its own tag."
    : "The subject has no merge tags: every platform sends it as written.";
}

export function stories(items) {
  const kb = (n) => (n / 1024).toFixed(1);
  const body = $("stories").tBodies[0];
  body.replaceChildren();
  for (const story of items) {
    const row = body.insertRow();
    for (const value of [story.file, story.title, story.kind, `${kb(story.html_bytes)} KB`]) {
      row.insertCell().textContent = value;
    }
  }
}
