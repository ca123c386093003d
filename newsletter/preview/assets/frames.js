"use strict";
// The desktop and phone views: sized to fit side by side, scrolled together story by story, a story found.

const WIDTHS = { "desktop-frame": 680, "phone-frame": 375 }; // the email's viewport
const BORDERS = { "desktop-frame": 1, "phone-frame": 10 }; // the screen's edge around it, never scaled
const NARROW = 700; // below this the views stack and the page scrolls
const GAP = 24;
const MIN_SCALE = 0.45;
const FOUND_STYLE = "[data-nl-found]{outline:3px solid #f59e0b!important;outline-offset:3px;"
  + "box-shadow:0 0 0 9999px rgba(245,158,11,.07)!important}";

export class Frames {
  constructor(container, frames) {
    this.container = container;
    this.frames = frames;
    this.sync = true;
    this.stories = [];
    this.found = null; // {story, title} of the finding shown, or null
    this.expected = new Map(); // frame -> the scroll position set from here (its scroll event is no user's)
    new ResizeObserver(() => this.layout()).observe(container);
    window.addEventListener("resize", () => this.layout());
  }

  shown() {
    return this.frames.filter((frame) => !frame.closest("figure").hidden);
  }

  // Scale the views so that both fit beside each other (the email inside keeps its real width).
  layout() {
    const shown = this.shown();
    if (!shown.length) return;
    const narrow = window.innerWidth < NARROW;
    const width = this.container.clientWidth;
    const edges = shown.reduce((sum, frame) => sum + 2 * BORDERS[frame.id], 0) + GAP * (shown.length - 1);
    const content = shown.reduce((sum, frame) => sum + WIDTHS[frame.id], 0);
    const together = Math.max(MIN_SCALE, Math.min(1, (width - edges) / content));
    for (const frame of shown) {
      const natural = WIDTHS[frame.id];
      const edge = 2 * BORDERS[frame.id];
      const scale = narrow ? Math.min(1, (width - edge) / natural) : together;
      const figure = frame.closest("figure");
      const screen = frame.parentElement;
      figure.style.width = `${Math.ceil(natural * scale) + edge}px`;
      screen.style.height = narrow ? `${Math.round(Math.min(window.innerHeight * 0.8, 900))}px` : "";
      frame.style.width = `${natural}px`;
      frame.style.height = `${Math.ceil(screen.clientHeight / scale)}px`;
      frame.style.transform = scale === 1 ? "" : `scale(${scale})`;
      frame.dataset.scale = String(scale);
    }
  }

  // Called after each frame's document loads or is replaced: listen to its scrolling, show the finding again.
  attach(frame) {
    const win = frame.contentWindow;
    if (win && !win.__nlFollowed) {
      win.__nlFollowed = true;
      win.addEventListener("scroll", () => this.follow(frame), { passive: true });
    }
    this.mark(frame);
  }

  // Scroll a view from here; the scroll event this causes is not taken for the reader's own scrolling.
  scroll(frame, y) {
    const win = frame.contentWindow;
    const doc = frame.contentDocument;
    if (!win || !doc || !doc.documentElement) return;
    const most = Math.max(0, doc.documentElement.scrollHeight - win.innerHeight);
    const target = Math.max(0, Math.min(Math.round(y), most));
    if (Math.abs(win.scrollY - target) < 1) return;
    this.expected.set(frame, target);
    win.scrollTo(0, target);
  }

  // Put a view back where it was after its document was replaced (without measuring it first: that would
  // lay the new document out once more before it is painted).
  restore(frame, y) {
    this.expected.set(frame, y);
    frame.contentWindow.scrollTo(0, y);
  }

  // Landmarks of the email, top to bottom: the same elements in both views, whatever their heights
  // (masthead, intro, each story, footer; an email from another theme: the body's sections).
  blocks(doc) {
    const marks = [...doc.querySelectorAll(".nl-masthead, .nl-intro, .nl-story, .nl-footer")];
    if (marks.length) return marks;
    const body = doc.querySelector(".nl-body") || doc.body;
    return body ? [...body.children] : [];
  }

  follow(leader) {
    const win = leader.contentWindow;
    const expected = this.expected.get(leader);
    this.expected.delete(leader);
    if (expected !== undefined && win && Math.abs(win.scrollY - expected) <= 2) return;
    if (!this.sync) return;
    const doc = leader.contentDocument;
    if (!win || !doc || !doc.body) return;
    const atBottom = win.scrollY + win.innerHeight >= doc.documentElement.scrollHeight - 2;
    const blocks = this.blocks(doc);
    let index = -1;
    let fraction = 0;
    for (const [i, block] of blocks.entries()) {
      const top = block.getBoundingClientRect().top + win.scrollY;
      if (top <= win.scrollY + 1) {
        index = i;
        fraction = block.offsetHeight ? Math.min(1, (win.scrollY - top) / block.offsetHeight) : 0;
      }
    }
    for (const other of this.shown()) {
      if (other === leader || !other.contentDocument || !other.contentDocument.body) continue;
      const otherWin = other.contentWindow;
      const otherBlocks = this.blocks(other.contentDocument);
      let y = 0;
      if (atBottom) y = other.contentDocument.documentElement.scrollHeight;
      else if (index >= 0 && otherBlocks[index]) {
        const block = otherBlocks[index];
        y = block.getBoundingClientRect().top + otherWin.scrollY + fraction * block.offsetHeight;
      }
      this.scroll(other, y);
    }
  }

  // The element of a story in a view: the theme's story blocks in order, or the story's title.
  story(doc, found) {
    if (!found || !found.story) return null;
    const blocks = [...doc.querySelectorAll(".nl-story")];
    if (blocks.length === this.stories.length && blocks[found.story - 1]) return blocks[found.story - 1];
    const title = (found.title || "").trim();
    const heading = [...doc.querySelectorAll("h1, h2, h3")].find((h) => h.textContent.trim() === title);
    return heading ? heading.closest("td") || heading : null;
  }

  // Scroll every view to a story (or to the top, for issue-wide findings) and outline it.
  show(found) {
    this.found = found;
    for (const frame of this.shown()) {
      const doc = frame.contentDocument;
      const win = frame.contentWindow;
      if (!doc || !doc.body) continue;
      this.mark(frame);
      const element = this.story(doc, found);
      const y = element ? element.getBoundingClientRect().top + win.scrollY - 16 : 0;
      this.scroll(frame, y);
    }
  }

  mark(frame) {
    const doc = frame.contentDocument;
    if (!doc || !doc.head || (!this.found && !doc.getElementById("nl-preview-found"))) return;
    if (!doc.getElementById("nl-preview-found")) { // only once a finding is shown: a new style sheet costs a restyle
      const style = doc.createElement("style");
      style.id = "nl-preview-found";
      style.textContent = FOUND_STYLE;
      doc.head.append(style);
    }
    for (const old of doc.querySelectorAll("[data-nl-found]")) old.removeAttribute("data-nl-found");
    const element = this.story(doc, this.found);
    if (element) element.setAttribute("data-nl-found", "");
  }
}
