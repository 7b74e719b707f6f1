// Small DOM helpers: elements from data (text is always set as text, never parsed as HTML),
// the loading / empty / error states every view shares, tables, and copy buttons.

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

const numberFormat = new Intl.NumberFormat(undefined);
const compactFormat = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });

export const num = (n) => (n === null || n === undefined ? "—" : numberFormat.format(n));
export const compact = (n) => (n === null || n === undefined ? "—" : compactFormat.format(n));
export const pct = (r) => (r === null || r === undefined ? "—" : `${(r * 100).toFixed(1)} %`);
export const money = (v) => (v === null || v === undefined ? "—" : new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(v));

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function when(iso, tz) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { timeZone: tz, dateStyle: "medium", timeStyle: "short" });
}

export function loading(label = "Loading…") {
  return h("p", { class: "state loading", role: "status" }, label);
}

export function errorState(error, retry) {
  return h(
    "div",
    { class: "state error", role: "alert" },
    h("p", {}, error && error.message ? error.message : "Something went wrong. Please try again."),
    retry ? h("button", { type: "button", onclick: retry }, "Try again") : null,
  );
}

export function empty(title, ...body) {
  return h("div", { class: "state empty" }, h("p", { class: "empty-title" }, title), ...body);
}

export function notice(kind, text) {
  return h("p", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

export function kpis(items) {
  return h(
    "dl",
    { class: "kpis" },
    items.map(([label, value, hint]) =>
      h("div", { class: "kpi" }, h("dt", {}, label), h("dd", {}, value), hint ? h("p", { class: "hint" }, hint) : null),
    ),
  );
}

/// columns: [{label, value: row => text|node, numeric?}]
/// What a cell shows as text: a select's chosen option, else its text.
function cellText(cell) {
  const picker = cell.querySelector("select");
  if (picker) return picker.selectedIndex >= 0 ? picker.options[picker.selectedIndex].text : "";
  return cell.textContent.trim();
}

/// One CSV field. Text that a spreadsheet would run as a formula (a user agent or page title is
/// anyone's to choose) is prefixed with an apostrophe; numbers are left as they are.
function csvField(text, numeric) {
  const safe = !numeric && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/// The table as the page shows it (same filters, same time zone), as a CSV download. Columns
/// without a heading hold actions and are left out.
function exportCsv(caption, columns, node) {
  const kept = columns.map((c, i) => [c, i]).filter(([c]) => c.label);
  const lines = [kept.map(([c]) => csvField(c.label, false)).join(",")];
  for (const tr of node.querySelectorAll("tbody tr")) {
    const cells = tr.children;
    lines.push(kept.map(([c, i]) => csvField(cellText(cells[i]), Boolean(c.numeric))).join(","));
  }
  const blob = new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
  const link = h("a", { href: URL.createObjectURL(blob), download: `${caption.replace(/[^\w.-]+/g, "-").toLowerCase()}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

export function table(caption, columns, rows) {
  const node = h(
    "table",
    {},
    h("caption", { class: "sr-only" }, caption),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.numeric ? "num" : null }, c.label)))),
    h(
      "tbody",
      {},
      rows.map((row) => h("tr", {}, columns.map((c) => h("td", { class: c.numeric ? "num" : null }, c.value(row))))),
    ),
  );
  const download = h("button", { type: "button", class: "link-button export", "aria-label": `Export ${caption} as CSV` }, "Export CSV");
  download.addEventListener("click", () => exportCsv(caption, columns, node));
  return h("div", { class: "table-wrap" }, h("div", { class: "table-tools" }, download), node);
}

export function copyButton(text, label = "Copy") {
  const button = h("button", { type: "button", class: "copy" }, label);
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text());
      button.textContent = "Copied";
    } catch {
      // Clipboard access can be refused (permissions, insecure origin): select the text instead.
      button.textContent = "Select and copy manually";
    }
    setTimeout(() => (button.textContent = label), 2000);
  });
  return button;
}

/// A form that disables itself while `submit` runs and shows its error next to it.
export function form(attrs, fields, submitLabel, submit) {
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const button = h("button", { type: "submit" }, submitLabel);
  const node = h("form", attrs, fields, h("div", { class: "form-actions" }, button, status));
  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    replace(status);
    try {
      await submit(new FormData(node), status);
    } catch (error) {
      replace(status, notice("error", error.message || "Something went wrong. Please try again."));
    } finally {
      button.disabled = false;
    }
  });
  return node;
}

let fieldSeq = 0;
export function field(label, input, hint) {
  const id = input.id || `f${++fieldSeq}`;
  input.id = id;
  const hintNode = hint ? h("small", { id: `${id}-hint`, class: "hint" }, hint) : null;
  if (hintNode) input.setAttribute("aria-describedby", hintNode.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hintNode);
}

export function select(name, options, selected, attrs = {}) {
  return h(
    "select",
    { name, ...attrs },
    options.map(([value, label]) => h("option", { value, selected: String(value) === String(selected) }, label)),
  );
}
