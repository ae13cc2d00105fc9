// The live view of one %%claude exchange (anywidget front-end; kernel side: live.py).
// The kernel sends numbered messages [n, ...ops]; an op is
//   "text"             append text to the current block
//   ["a", i, html]     add block i (server-rendered HTML); it becomes the current block
//   ["t", i, text]     append text to block i; it becomes the current block
//   ["p", i, skel]     text block i: its next finished piece, as markup over its text
//   ["r", i, html]     replace block i by its final HTML
//   ["f", html]        the footer
// Model text only ever enters the page as text nodes or HTML-escaped; HTML comes from the
// kernel's renderer. Messages go to a store per widget (registered in `initialize`, so
// none is lost before a view renders); every view of the widget draws from that store.

const STORES = (globalThis.__claudeMagicLive ??= new Map());
const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };
const MARK = /<(\d+)(?:,(\d+))?>/;
const REVEAL_MS = 120; // a text block's new text is typed out over about this long

const escape = (s) => s.replace(/[&<>"]/g, (c) => ESCAPES[c]);

function nodes(html) {
  const t = document.createElement("template");
  t.innerHTML = html;
  return [...t.content.childNodes];
}

// A piece's HTML from its skeleton: marks copy (escaped) or skip the block's source.
function expand(skel, src, cur) {
  const parts = skel.split(MARK);
  let out = "";
  for (let k = 0; k < parts.length; k += 3) {
    out += parts[k];
    if (k + 1 >= parts.length) break;
    const [skip, copy] = parts[k + 2] === undefined ? [0, +parts[k + 1]] : [+parts[k + 1], +parts[k + 2]];
    cur += skip;
    out += escape(src.slice(cur, cur + copy));
    cur += copy;
  }
  return [out, cur];
}

class Store {
  constructor() {
    this.n = 0;
    this.gap = false;
    this.blocks = [];
    this.footer = "";
    this.current = -1;
    this.views = new Set();
  }

  receive(msg) {
    const [n, ...ops] = msg;
    if (n <= this.n) return;
    if (n !== this.n + 1) this.gap = true; // dropped in transit: the final output heals it
    this.n = n;
    for (const op of ops) this.apply(op);
    if (this.gap) this.emit("gap");
  }

  apply(op) {
    if (typeof op === "string") return this.append(this.current, op);
    const [kind, i, arg] = op;
    if (kind === "f") {
      this.footer = i;
      return this.emit("footer");
    }
    if (kind === "a") {
      this.blocks[i] = { html: arg, src: "", cur: 0, pieces: [] };
      this.current = i;
      return this.emit("add", i);
    }
    const block = this.blocks[i];
    if (!block) return;
    if (kind === "t") {
      this.current = i;
      this.append(i, arg);
    } else if (kind === "p") {
      const [html, cur] = expand(arg, block.src, block.cur);
      block.cur = cur;
      block.pieces.push(html);
      this.emit("piece", i, html);
    } else if (kind === "r") {
      Object.assign(block, { html: arg, src: "", cur: 0, pieces: [] });
      this.emit("replace", i);
    }
  }

  append(i, text) {
    const block = this.blocks[i];
    if (!block) return;
    block.src += text;
    this.emit("text", i, text);
  }

  emit(kind, i, arg) {
    for (const view of this.views) view.update(kind, i, arg);
  }
}

class View {
  constructor(store, el, typeset) {
    this.store = store;
    this.typeset = typeset;
    this.blocks = [];
    const outer = document.createElement("div");
    outer.className = "jp-RenderedHTMLCommon jp-RenderedHTML cm-live";
    this.root = document.createElement("div");
    this.root.className = "cm-turn";
    this.foot = document.createElement("div");
    this.foot.style.display = "contents";
    this.root.append(this.foot);
    outer.append(this.root);
    el.append(outer);
    store.blocks.forEach((block, i) => {
      this.add(i, null);
      const drawn = this.blocks[i];
      if (!drawn) return;
      if (!drawn.markdown) this.append(drawn, block.src);
      drawn.shown = block.src.length; // what a late view missed shows at once
      for (const html of block.pieces) this.piece(i, html);
      this.showTail(i);
    });
    this.update("footer");
  }

  update(kind, i, arg) {
    if (kind === "add") this.add(i, null);
    else if (kind === "replace") this.add(i, this.blocks[i]);
    else if (kind === "footer" || kind === "gap") this.drawFooter();
    else if (!this.blocks[i]) return;
    else if (kind === "text") this.append(this.blocks[i], arg);
    else if (kind === "piece") this.piece(i, arg);
  }

  add(i, old) {
    const [node] = nodes(this.store.blocks[i].html).filter((n) => n.nodeType === 1);
    if (!node) return;
    const slot = node.querySelector(".cm-slot") || node;
    const markdown = node.classList.contains("cm-text");
    const drawn = { node, slot, markdown, tail: null, shown: 0 };
    if (old) old.node.replaceWith(node);
    else this.root.insertBefore(node, this.foot);
    this.blocks[i] = drawn;
  }

  append(drawn, text) {
    if (drawn.markdown) return this.reveal();
    const slot = drawn.slot;
    const following = slot.scrollHeight - slot.scrollTop - slot.clientHeight < 8;
    slot.append(text);
    if (following) slot.scrollTop = slot.scrollHeight; // a bounded box keeps showing the end
  }

  // Text blocks show new text at the pace it comes, a few characters per frame: the
  // backlog is typed out over about REVEAL_MS, so messages ~0.1 s apart read as a stream.
  reveal() {
    if (this.revealing) return;
    this.revealing = true;
    let last = performance.now();
    const frame = (now) => {
      let busy = false;
      this.blocks.forEach((drawn, i) => {
        const src = drawn?.markdown && this.store.blocks[i].src;
        if (!src || drawn.shown >= src.length) return;
        const step = Math.ceil(((src.length - drawn.shown) * (now - last)) / REVEAL_MS);
        drawn.shown = Math.min(src.length, drawn.shown + Math.max(1, step));
        if (/[\ud800-\udbff]/.test(src[drawn.shown - 1] || "")) drawn.shown += 1;
        this.showTail(i);
        busy = true;
      });
      last = now;
      if (busy) requestAnimationFrame(frame);
      else this.revealing = false;
    };
    requestAnimationFrame(frame);
  }

  // The unfinished rest of a text block, as far as revealed, as plain text.
  showTail(i) {
    const drawn = this.blocks[i];
    const block = this.store.blocks[i];
    if (!drawn || !drawn.markdown) return;
    drawn.shown = Math.max(drawn.shown, block.cur);
    const rest = block.src.slice(block.cur, drawn.shown).replace(/^\s*\n/, "");
    if (!rest) {
      drawn.tail?.remove();
      drawn.tail = null;
      return;
    }
    if (!drawn.tail) {
      drawn.tail = document.createElement("p");
      drawn.tail.className = "cm-tail";
      drawn.tail.style.whiteSpace = "pre-wrap";
      drawn.slot.append(drawn.tail);
    }
    drawn.tail.textContent = rest;
  }

  piece(i, html) {
    const drawn = this.blocks[i];
    const added = nodes(html);
    for (const node of added) drawn.slot.insertBefore(node, drawn.tail);
    this.showTail(i);
    const math = added.flatMap((node) =>
      node.nodeType !== 1 ? [] : node.matches(".cm-math") ? [node] : [...node.querySelectorAll(".cm-math")],
    );
    if (math.length) requestAnimationFrame(() => math.forEach((node) => this.typeset(node)));
  }

  drawFooter() {
    const parts = nodes(this.store.footer);
    if (this.store.gap) {
      const note = document.createElement("div");
      note.className = "cm-note";
      note.textContent = "(some updates were lost on the way; the final output will be complete)";
      parts.push(note);
    }
    this.foot.replaceChildren(...parts);
  }
}

// JupyterLab and Notebook 7 hand widgets their page's MathJax; elsewhere a global one, if any.
function typesetter(model) {
  const latex = model.widget_manager?.rendermime?.latexTypesetter;
  if (latex) return (node) => latex.typeset(node);
  const mathjax = globalThis.MathJax;
  if (mathjax?.typesetPromise) return (node) => mathjax.typesetPromise([node]);
  return () => {};
}

export default {
  initialize({ model }) {
    const uid = model.get("uid");
    const store = new Store();
    STORES.set(uid, store);
    const snapshot = model.get("snapshot");
    if (snapshot) store.receive(snapshot);
    model.on("msg:custom", (msg) => store.receive(msg));
    return () => STORES.delete(uid);
  },
  render({ model, el }) {
    const store = STORES.get(model.get("uid"));
    const view = new View(store, el, typesetter(model));
    store.views.add(view);
    return () => store.views.delete(view);
  },
};
