// The jixiao workbench: packs, the editor with the checker's diagnostics, evaluation from a form
// generated from the pack's evidence JSON Schema, portfolios, self-evaluation tables and the decision log.
// Plain browser JavaScript, no build step; CodeMirror 5 (vendor/codemirror, MIT) for the editor.
"use strict";
(function () {
  const WORDS = {
    zh: {
      title: "绩效评价工作台", "tab.packs": "规则包", "tab.evaluate": "评价", "tab.portfolio": "批量评价",
      "tab.selfeval": "自评表", "tab.decisions": "决策日志", "tab.api": "API", token: "访问令牌",
      "packs.list": "规则包", "packs.tree": "指标体系", "packs.editor": "规则编辑器", "packs.format": "格式化",
      pack: "规则包", "eval.file": "或上传证据文件 (YAML/JSON)", "eval.project": "项目",
      "eval.project_name": "项目名称", "eval.project_id": "项目编号", "eval.fact": "事实", "eval.value": "取值",
      "eval.unit": "单位", "eval.source": "来源", "eval.run": "评价", "eval.total": "总分", "eval.grade": "等级",
      "batch.file": "项目表 (CSV/XLSX)", "batch.run": "上传并评价", "self.file": "自评表 (XLSX/CSV)",
      "self.run": "评分", "self.download": "下载评分后的自评表", "dec.project": "项目", "dec.since": "起始时间",
      "dec.search": "查询", "dec.time": "时间", "dec.caller": "调用方", other: "English",
      ok: "检查通过", errors: "处错误", replay: "重放", same: "一致", differs: "不一致", yes: "是", no: "否",
      na: "不适用", unset: "（未填）", items: "每行一项", running: "评价中", done: "完成", failed: "失败",
      unfinished: "未完成", records: "逐项目结果", summary: "汇总", library: "模板库",
      notkept: "未保存证据，无法重放", params: "参数（留空取规则包的值）",
      "eval.date": "日期", add: "添加", item: "事项", expert: "专家", score: "得分", reason: "理由",
    },
    en: {
      title: "Performance evaluation workbench", "tab.packs": "Packs", "tab.evaluate": "Evaluate",
      "tab.portfolio": "Portfolio", "tab.selfeval": "Self-evaluation", "tab.decisions": "Decision log",
      "tab.api": "API", token: "Token", "packs.list": "Packs", "packs.tree": "Indicators",
      "packs.editor": "Rule editor", "packs.format": "Format", pack: "Pack",
      "eval.file": "or upload an evidence file (YAML/JSON)", "eval.project": "Project",
      "eval.project_name": "Project name", "eval.project_id": "Project id", "eval.fact": "Fact",
      "eval.value": "Value", "eval.unit": "Unit", "eval.source": "Source", "eval.run": "Evaluate",
      "eval.total": "Total", "eval.grade": "Grade", "batch.file": "Projects table (CSV/XLSX)",
      "batch.run": "Upload and score", "self.file": "Self-evaluation table (XLSX/CSV)", "self.run": "Score",
      "self.download": "Download the scored table", "dec.project": "Project", "dec.since": "Since",
      "dec.search": "Search", "dec.time": "Time", "dec.caller": "Caller", other: "中文",
      ok: "checks clean", errors: "error(s)", replay: "Replay", same: "identical", differs: "differs",
      yes: "yes", no: "no", na: "n/a", unset: "(not given)", items: "one item a line", running: "running",
      done: "done", failed: "failed", unfinished: "unfinished", records: "records", summary: "summary",
      library: "library", notkept: "evidence not kept: cannot replay",
      params: "Parameters (empty: the pack's value)",
      "eval.date": "Date", add: "add", item: "Item", expert: "Expert", score: "Score", reason: "Reason",
    },
  };
  let lang = localStorage.getItem("jixiao.lang") || "zh";
  const t = (key) => WORDS[lang][key] || key;
  const $ = (sel) => document.querySelector(sel);
  const tokenBox = $("#token");
  tokenBox.value = localStorage.getItem("jixiao.token") || "";
  tokenBox.addEventListener("change", () => { localStorage.setItem("jixiao.token", tokenBox.value); loadPacks(); });

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  function say(text) { $("#message").textContent = text || ""; }

  function problemText(doc) {
    let text = doc.detail || doc.title || "";
    for (const d of doc.diagnostics || []) {
      const where = d.line ? `${d.file}:${d.line}:${d.column}` : d.file || "";
      text += `\n${d.code} ${where} ${d.message}` + (d.help ? ` — ${d.help}` : "");
    }
    return text;
  }

  async function api(path, init) {
    init = init || {};
    init.headers = Object.assign({}, init.headers || {});
    if (tokenBox.value) init.headers.Authorization = "Bearer " + tokenBox.value;
    const r = await fetch(path, init);
    if (!r.ok && (r.headers.get("content-type") || "").includes("problem+json")) {
      const doc = await r.json();
      const error = new Error(problemText(doc));
      error.problem = doc;
      throw error;
    }
    if (!r.ok) throw new Error(`${r.status} ${r.statusText}`);
    return r;
  }

  function download(blob, name) {
    const a = el("a", { href: URL.createObjectURL(blob), download: name });
    document.body.append(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  // --- language ---------------------------------------------------------------------------
  function applyLanguage() {
    document.documentElement.lang = lang;
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    $("#lang").textContent = t("other");
    document.title = "jixiao " + t("title");
  }
  $("#lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    localStorage.setItem("jixiao.lang", lang);
    applyLanguage();
    if (current) showPack(current.name);
    renderFacts();
  });

  // --- tabs -------------------------------------------------------------------------------
  for (const button of document.querySelectorAll("#tabs button")) {
    button.addEventListener("click", () => {
      for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b === button);
      for (const s of document.querySelectorAll(".tab")) s.classList.toggle("active", s.id === button.dataset.tab);
      if (button.dataset.tab === "decisions") loadDecisions();
      if (button.dataset.tab === "packs" && editor) editor.refresh();
    });
  }

  // --- packs and the editor ---------------------------------------------------------------
  // The mode's keyword lists are the editors' TextMate grammar's (its one source is
  // engine/render/jixiao.tmLanguage.json, served beside this file; the HTML reports highlight
  // rule text with it too): every `(?:a|b|…)` or `(a|b)\s+` alternation of words in a pattern
  // scoped keyword.*, storage.*, support.type.* or constant.language.*.
  const TOKENS = { keyword: "keyword", storage: "keyword", support: "type", constant: "atom" };

  function grammarWords(grammar) {
    const words = {};
    const take = (scope, match) => {
      const token = TOKENS[(scope || "").split(".")[0]];
      if (!token || typeof match !== "string") return;
      for (const m of match.matchAll(/\(\?:([a-z_|]+)\)|\(([a-z_|]+)\)\\s\+/g)) {
        for (const w of (m[1] || m[2]).split("|")) words[w] = words[w] || token;
      }
    };
    for (const section of Object.values(grammar.repository || {})) {
      for (const p of section.patterns || []) {
        take(p.name, p.match);
        if (p.captures && p.captures["1"]) take(p.captures["1"].name, p.match);
      }
    }
    return words;
  }

  function defineMode(words) {
    const rules = [
      { regex: /(?:#|\/\/).*/, token: "comment" },
      { regex: /"(?:[^\\"]|\\.)*?(?:"|$)/, token: "string" },
      { regex: /“[^”]*”?/, token: "string" },
    ];
    for (const token of ["keyword", "type", "atom"]) {
      const list = Object.keys(words).filter((w) => words[w] === token).sort((a, b) => b.length - a.length);
      if (list.length) rules.push({ regex: new RegExp(`(?:${list.join("|")})(?![\\p{L}\\p{N}_])`, "u"), token });
    }
    rules.push({ regex: /[\p{L}_][\p{L}\p{N}_]*/u, token: null });  // a name: no keyword inside it
    rules.push({ regex: /\d+(?:\.\d+)?%?/, token: "number" });
    CodeMirror.defineSimpleMode("jixiao", { start: rules, meta: { lineComment: "#" } });
  }

  const grammarLoaded = fetch("jixiao.tmLanguage.json")
    .then((r) => r.json())
    .then((grammar) => { window.jixiaoKeywords = grammarWords(grammar); defineMode(window.jixiaoKeywords); })
    .catch(() => defineMode({}));

  let packs = [], current = null, editor = null;

  function lintPack(text, updateLinting) {
    if (!current) { updateLinting([]); return; }
    const status = $("#check-status");
    api("/v1/check", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text, name: current.name }),
    }).then((r) => r.json()).then((doc) => {
      const marks = [];
      const list = $("#problems");
      list.replaceChildren();
      for (const d of doc.diagnostics) {
        const label = (d.labels || []).find((l) => l.file && l.file.endsWith(current.name + ".jx")) || null;
        const line = label ? label.line : d.line;
        if (!line) continue;
        const from = CodeMirror.Pos(line - 1, (label ? label.column : d.column || 1) - 1);
        let to = label ? CodeMirror.Pos(label.end_line - 1, label.end_column - 1) : CodeMirror.Pos(line - 1, from.ch + 1);
        if (to.line === from.line && to.ch <= from.ch) to = CodeMirror.Pos(from.line, from.ch + 1);
        marks.push({ from, to, message: `${d.code}: ${d.message}` + (d.help ? `\n${d.help}` : ""),
          severity: d.severity === "error" ? "error" : "warning" });
        list.append(el("li", { class: "diagnostic " + d.severity }, `${line}:${from.ch + 1} ${d.code} ${d.message}`));
      }
      const errors = doc.diagnostics.filter((d) => d.severity === "error").length;
      status.className = doc.ok ? "ok" : "bad";
      status.textContent = doc.ok ? "✓ " + t("ok") : `✗ ${errors} ${t("errors")}`;
      updateLinting(marks);
    }).catch((e) => { say(e.message); updateLinting([]); });
  }

  function makeEditor() {
    editor = CodeMirror.fromTextArea($("#editor"), {
      mode: "jixiao", lineNumbers: true, indentUnit: 4,
      gutters: ["CodeMirror-lint-markers"],
      lint: { getAnnotations: lintPack, async: true, delay: 400 },
    });
  }

  async function loadPacks() {
    try {
      packs = (await (await api("/v1/packs")).json()).packs;
    } catch (e) { say(e.message); return; }
    say("");
    const list = $("#pack-list");
    list.replaceChildren();
    for (const p of packs) {
      const item = el("li", { "data-pack": p.name, class: p.ok ? "" : "bad", title: p.title || "" },
        p.name, p.kind === "library" ? ` (${t("library")})` : "", p.ok ? "" : " ✗");
      item.addEventListener("click", () => showPack(p.name));
      list.append(item);
    }
    const scorable = packs.filter((p) => p.ok && p.kind === "pack");
    for (const select of document.querySelectorAll(".pack-select")) {
      const was = select.value;
      select.replaceChildren(...scorable.map((p) => el("option", { value: p.name }, p.name)));
      if (was) select.value = was;
    }
    if (scorable.length) loadFacts();
  }

  function tree(indicators) {
    const children = {};
    for (const i of indicators) (children[i.parent || ""] = children[i.parent || ""] || []).push(i);
    function branch(parent) {
      const ul = el("ul");
      for (const i of children[parent] || []) {
        const li = el("li", { class: "node", "data-code": i.code },
          el("span", {}, `${i.code} ${i.name}`), el("span", { class: "weight" }, i.weight));
        if (i.standard) li.append(el("div", { class: "standard" }, i.standard));
        if (children[i.code]) li.append(branch(i.code));
        ul.append(li);
      }
      return ul;
    }
    return el("div", { class: "tree" }, branch(""));
  }

  async function showPack(name) {
    let doc;
    try { doc = await (await api(`/v1/packs/${encodeURIComponent(name)}`)).json(); } catch (e) { say(e.message); return; }
    current = doc;
    for (const li of document.querySelectorAll("#pack-list li")) li.classList.toggle("selected", li.dataset.pack === name);
    $("#pack-title").textContent = `${doc.title || name}` + (doc.version ? ` · ${doc.version}` : "");
    $("#tree").replaceChildren(doc.indicators ? tree(doc.indicators) : el("p", {}, problemText({ diagnostics: doc.diagnostics })));
    if (!editor) { await grammarLoaded; if (!editor) makeEditor(); }
    editor.setValue(doc.text);
    editor.refresh();
  }

  $("#fmt").addEventListener("click", async () => {
    if (!editor) return;
    try {
      const r = await api("/v1/fmt", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text: editor.getValue(), name: current ? current.name : "pack" }) });
      const text = await r.text();
      if (text !== editor.getValue()) editor.setValue(text);
      say("");
    } catch (e) { say(e.message); }
  });

  // --- evaluate: a form generated from the pack's evidence JSON Schema ---------------------
  // GET /v1/packs/{name}/schema (`jixiao schema`) says what each fact takes; shapeOf reads it:
  // a number (its unit from the schema's title or description), yes/no, one of the choices, a
  // date, free text, a list of findings (rows of an item and its source), a record list (a
  // table of its fields, each typed the same way), a panel (experts with a score and a reason),
  // a judgement (points and the reason). The `{value, source, date, …}` form of a fact gives
  // its provenance inputs. Parameters come from the pack (their value is the placeholder).
  let facts = [], params = [];
  async function loadFacts() {
    const name = $("#eval-pack").value;
    if (!name) return;
    try {
      const [schema, doc] = await Promise.all([
        api(`/v1/packs/${encodeURIComponent(name)}/schema`).then((r) => r.json()),
        api(`/v1/packs/${encodeURIComponent(name)}`).then((r) => r.json()),
      ]);
      facts = factsOf(schema);
      params = (doc.facts || []).filter((f) => f.param);
    } catch (e) { say(e.message); facts = []; params = []; }
    renderFacts();
  }
  $("#eval-pack").addEventListener("change", loadFacts);

  const branches = (s) => (s && s.anyOf) || [];
  function factsOf(schema) {
    const facts = (branches(schema.properties && schema.properties.facts)[0] || {}).properties || {};
    return Object.entries(facts).map(([name, s]) => {
      const [value, ...rest] = branches(s);
      const boxed = rest.find((b) => b.type === "object" && b.properties && b.properties.value);
      const shape = shapeOf(value);
      const provenance = boxed ? Object.keys(boxed.properties).filter((k) => k !== "value")
        : shape.provenance || [];
      return { name, ...shape, provenance };
    });
  }

  function shapeOf(s) {
    s = s || {};
    const title = /^(.*?)\s*(?:\(([^()]*)\))?$/.exec(s.title || "");
    const base = { label: title[1] || "", unit: title[2] || "" };
    const all = [s, ...branches(s), ...branches(s).flatMap(branches)];
    const described = all.find((b) => b.type === "string" && b.description);
    const words = described ? described.description : "";
    if (all.some((b) => b.type === "boolean")) return { ...base, kind: "bool" };
    const listed = all.find((b) => b.type === "string" && Array.isArray(b.enum));
    if (listed) return { ...base, kind: "choice", choices: listed.enum };
    if (words.startsWith("one of ")) return { ...base, kind: "choice", choices: words.slice(7).split("、") };
    const array = all.find((b) => b.type === "array");
    if (array) {
      const items = array.items || {};
      if (items.type === "object" && items.properties) {
        const fields = Object.entries(items.properties).map(([name, f]) => ({ name, ...shapeOf(branches(f)[0]) }));
        return { ...base, kind: "records", fields };
      }
      if (branches(items).some((b) => b.maxProperties === 1)) return { ...base, kind: "panel" };
      return { ...base, kind: "list" };
    }
    const judged = all.find((b) => b.type === "object" && b.properties && b.properties.reason && b.required);
    if (judged) {
      const provenance = Object.keys(judged.properties).filter((k) => k !== "value" && k !== "reason");
      return { ...base, kind: "judgement", provenance };
    }
    if (words.startsWith("a date")) return { ...base, kind: "date" };
    if (words.startsWith("a percentage")) return { ...base, kind: "percent", unit: "%" };
    if (all.some((b) => b.type === "number" || b.type === "integer")) {
      const unit = /; in (.+)$/.exec(words);
      return { ...base, kind: "number", unit: base.unit || (unit ? unit[1] : "") };
    }
    return { ...base, kind: "text" };
  }

  function scalar(shape, attrs) {
    if (shape.kind === "bool") {
      return el("select", attrs, el("option", { value: "" }, t("unset")), el("option", { value: "true" }, t("yes")),
        el("option", { value: "false" }, t("no")), el("option", { value: "不适用" }, t("na")));
    }
    if (shape.kind === "choice") {
      return el("select", attrs, el("option", { value: "" }, t("unset")),
        ...shape.choices.map((c) => el("option", { value: c }, c)), el("option", { value: "不适用" }, t("na")));
    }
    const box = el("input", Object.assign(attrs, { size: "16" }));
    if (shape.kind === "number" || shape.kind === "percent") box.setAttribute("inputmode", "decimal");
    if (shape.kind === "percent") box.setAttribute("placeholder", "95%");
    if (shape.kind === "date") box.setAttribute("placeholder", "2017-12-31");
    return box;
  }

  // A growing list of rows: `make()` gives one row's cells; a button adds a row.
  function rows(attrs, heads, make) {
    const body = el("tbody");
    const add = () => {
      const remove = el("button", { type: "button", class: "remove", title: "×" }, "×");
      const row = el("tr", { "data-row": "" }, ...make().map((c) => el("td", {}, c)), el("td", {}, remove));
      remove.addEventListener("click", () => row.remove());
      body.append(row);
    };
    const more = el("button", { type: "button", "data-add": attrs["data-fact"] }, "+ " + t("add"));
    more.addEventListener("click", add);
    return el("div", attrs, el("table", { class: "rows" },
      el("thead", {}, el("tr", {}, ...heads.map((h) => el("th", {}, h)), el("th"))), body), more);
  }

  function input(f) {
    const attrs = { name: "fact." + f.name, "data-fact": f.name, "data-kind": f.kind };
    if (f.kind === "list") {
      return rows(attrs, [t("item"), t("eval.source")], () =>
        [el("input", { "data-item": "", size: "24" }), el("input", { "data-item-source": "", size: "14" })]);
    }
    if (f.kind === "records") {
      return rows(attrs, f.fields.map((c) => c.name + (c.unit ? ` (${c.unit})` : "")), () =>
        f.fields.map((c) => scalar(c, { "data-field": c.name, "data-kind": c.kind })));
    }
    if (f.kind === "panel") {
      return rows(attrs, [t("expert"), t("score"), t("reason")], () => [
        el("input", { "data-field": "name", size: "8" }),
        el("input", { "data-field": "score", size: "5", inputmode: "decimal" }),
        el("input", { "data-field": "reason", size: "18" })]);
    }
    if (f.kind === "judgement") {
      return el("span", attrs, el("input", { "data-field": "value", size: "5", inputmode: "decimal" }), " ",
        el("input", { "data-field": "reason", size: "18", placeholder: t("reason") }));
    }
    return scalar(f, attrs);
  }

  function renderFacts() {
    const body = $("#facts tbody");
    body.replaceChildren();
    for (const f of facts) {
      const shown = f.label ? `${f.name}（${f.label}）` : f.name;
      const cells = ["source", "date"].map((k) => el("td", {}, f.provenance.includes(k)
        ? el("input", { name: `${k}.${f.name}`, [`data-${k}`]: f.name, size: k === "date" ? "10" : "16",
          placeholder: k === "date" ? "2017-12-31" : "" }) : ""));
      body.append(el("tr", {}, el("td", { title: f.kind }, shown), el("td", {}, input(f)),
        el("td", {}, f.unit || ""), ...cells));
    }
    if (params.length) {
      body.append(el("tr", {}, el("th", { colspan: "5" }, t("params"))));
      for (const f of params) {
        const box = el("input", { "data-param": f.name, size: "16", placeholder: f.default || "" });
        body.append(el("tr", {}, el("td", {}, f.name), el("td", {}, box),
          el("td", {}, f.unit || (f.kind === "percent" ? "%" : "")), el("td", {}), el("td", {})));
      }
    }
  }

  // A typed value as the evidence reader takes it: a plain number as a JSON number when a
  // double holds it exactly, anything else (units, 不适用, Chinese numerals) as text.
  function typed(kind, raw) {
    if (kind === "bool") return raw === "true" ? true : raw === "false" ? false : raw;
    if (/^-?\d+(\.\d+)?$/.test(raw) && raw.length < 16 && kind !== "text" && kind !== "choice") return Number(raw);
    return raw;
  }

  function valueOf(f, field) {
    const cells = (row) => [...row.querySelectorAll("[data-field]")];
    if (f.kind === "list") {
      return [...field.querySelectorAll("tr[data-row]")].map((row) => {
        const item = row.querySelector("[data-item]").value.trim();
        const source = row.querySelector("[data-item-source]").value.trim();
        return source ? { item, source } : item;
      }).filter((x) => x && (x.item === undefined || x.item));
    }
    if (f.kind === "records" || f.kind === "panel") {
      const found = [];
      for (const row of field.querySelectorAll("tr[data-row]")) {
        const record = {};
        for (const c of cells(row)) {
          const raw = c.value.trim();
          if (raw !== "") record[c.dataset.field] = f.kind === "panel" ? (c.dataset.field === "score" ? typed("number", raw) : raw) : typed(c.dataset.kind, raw);
        }
        if (Object.keys(record).length) found.push(record);
      }
      return found;
    }
    if (f.kind === "judgement") {
      const [value, reason] = cells(field).map((c) => c.value.trim());
      if (value === "") return undefined;
      return reason ? { value: typed("number", value), reason } : typed("number", value);
    }
    const raw = field.value.trim();
    return raw === "" ? undefined : typed(f.kind, raw);
  }

  function evidenceFromForm() {
    const form = $("#eval-form");
    const doc = { facts: {} };
    const project = {};
    for (const key of ["name", "id"]) {
      const v = form.elements["project." + key].value.trim();
      if (v) project[key] = v;
    }
    if (Object.keys(project).length) doc.project = project;
    for (const f of facts) {
      const field = form.querySelector(`[data-fact="${CSS.escape(f.name)}"]`);
      if (!field) continue;
      let value = valueOf(f, field);
      if (value === undefined) continue;
      const given = {};
      for (const k of ["source", "date"]) {
        const box = form.querySelector(`[data-${k}="${CSS.escape(f.name)}"]`);
        if (box && box.value.trim()) given[k] = box.value.trim();
      }
      if (Object.keys(given).length) {
        value = value !== null && typeof value === "object" && !Array.isArray(value) ? { ...value, ...given } : { value, ...given };
      }
      doc.facts[f.name] = value;
    }
    for (const box of form.querySelectorAll("[data-param]")) {
      if (box.value.trim()) (doc.params = doc.params || {})[box.dataset.param] = box.value.trim();
    }
    return JSON.stringify(doc);
  }

  let lastEvidence = null;
  async function evaluate(body, media, name) {
    const pack = encodeURIComponent($("#eval-pack").value);
    const q = `name=${encodeURIComponent(name)}&lang=${lang}`;
    try {
      const json = await (await api(`/v1/packs/${pack}/eval?format=json&${q}`, { method: "POST", headers: { "Content-Type": media }, body })).json();
      const html = await (await api(`/v1/packs/${pack}/eval?format=html&${q}`, { method: "POST", headers: { "Content-Type": media }, body })).text();
      lastEvidence = { body, media, name };
      $("#eval-total").textContent = json.total === null ? "—" : json.total;
      $("#eval-grade").textContent = json.grade || "—";
      $("#eval-report").srcdoc = html;
      $("#eval-result").hidden = false;
      say("");
    } catch (e) { say(e.message); }
  }
  $("#eval-form").addEventListener("submit", (event) => {
    event.preventDefault();
    evaluate(evidenceFromForm(), "application/json", "evidence.json");
  });
  $("#eval-file").addEventListener("change", () => {
    const file = $("#eval-file").files[0];
    if (file) evaluate(file, file.name.endsWith(".json") ? "application/json" : "application/yaml", file.name);
  });
  for (const button of document.querySelectorAll("[data-download]")) {
    button.addEventListener("click", async () => {
      if (!lastEvidence) return;
      const fmt = button.dataset.download;
      const pack = $("#eval-pack").value;
      try {
        const r = await api(`/v1/packs/${encodeURIComponent(pack)}/eval?format=${fmt}&lang=${lang}&name=${encodeURIComponent(lastEvidence.name)}`,
          { method: "POST", headers: { "Content-Type": lastEvidence.media }, body: lastEvidence.body });
        download(await r.blob(), `${pack}.${fmt}`);
      } catch (e) { say(e.message); }
    });
  }

  // --- portfolio --------------------------------------------------------------------------
  $("#batch-run").addEventListener("click", async () => {
    const file = $("#batch-file").files[0];
    if (!file) return;
    const pack = $("#batch-pack").value;
    let job;
    try {
      job = await (await api(`/v1/packs/${encodeURIComponent(pack)}/batch?name=${encodeURIComponent(file.name)}`,
        { method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: file })).json();
    } catch (e) { say(e.message); return; }
    say("");
    $("#batch-job").hidden = false;
    $("#batch-downloads").replaceChildren();
    $("#batch-summary").srcdoc = "";
    while (job.status === "running") {
      showJob(job);
      await new Promise((resolve) => setTimeout(resolve, 400));
      try { job = await (await api(`/v1/jobs/${job.id}`)).json(); } catch (e) { say(e.message); return; }
    }
    showJob(job);
    const links = $("#batch-downloads");
    for (const [fmt, url] of Object.entries(job.records || {})) {
      links.append(el("button", { type: "button", "data-records": fmt, onclick: async () =>
        download(await (await api(url)).blob(), `${pack}-records.${fmt}`) }, `${t("records")} ${fmt.toUpperCase()}`), " ");
    }
    for (const [fmt, url] of Object.entries(job.summary || {})) {
      links.append(el("button", { type: "button", "data-summary": fmt, onclick: async () =>
        download(await (await api(url)).blob(), `${pack}-summary.${fmt === "markdown" ? "md" : fmt}`) }, `${t("summary")} ${fmt.toUpperCase()}`), " ");
    }
    if (job.summary) $("#batch-summary").srcdoc = await (await api(job.summary.html)).text();
  });

  function showJob(job) {
    const bar = $("#batch-progress");
    bar.max = job.total || Math.max(job.done, 1);
    bar.value = job.done;
    $("#batch-status").textContent = `${t(job.status)} · ${job.done}/${job.total ?? "?"}` +
      (job.failed ? ` · ${t("failed")} ${job.failed}` : "") + (job.detail ? ` · ${job.detail}` : "");
    $("#batch-status").dataset.status = job.status;
  }

  // --- self-evaluation tables -------------------------------------------------------------
  $("#self-run").addEventListener("click", async () => {
    const file = $("#self-file").files[0];
    if (!file) return;
    try {
      const r = await api("/v1/selfeval?format=html", { method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: file });
      $("#self-report").srcdoc = await r.text();
      $("#self-download").hidden = false;
      say("");
    } catch (e) { say(e.message); }
  });
  $("#self-download").addEventListener("click", async () => {
    const file = $("#self-file").files[0];
    try {
      const r = await api("/v1/selfeval?format=xlsx", { method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: file });
      download(await r.blob(), "自评表-评分.xlsx");
    } catch (e) { say(e.message); }
  });

  // --- the decision log -------------------------------------------------------------------
  async function loadDecisions() {
    const form = $("#decision-filter");
    const q = new URLSearchParams();
    for (const key of ["pack", "project", "since"]) if (form.elements[key].value.trim()) q.set(key, form.elements[key].value.trim());
    let rows;
    try { rows = (await (await api("/v1/decisions?" + q)).json()).decisions; } catch (e) { say(e.message); return; }
    const body = $("#decision-table tbody");
    body.replaceChildren();
    for (const d of rows) {
      const outcome = el("span", { class: "replayed" });
      const replay = el("button", { type: "button", "data-replay": d.id }, t("replay"));
      replay.disabled = !d.kept;
      replay.title = d.kept ? "" : t("notkept");
      replay.addEventListener("click", async () => {
        try {
          const doc = await (await api(`/v1/decisions/${d.id}/replay`, { method: "POST" })).json();
          outcome.className = "replayed " + (doc.identical ? "same" : "differs");
          outcome.textContent = doc.identical ? `✓ ${t("same")}` : `✗ ${t("differs")} (${doc.replayed.total})`;
        } catch (e) { say(e.message); }
      });
      body.append(el("tr", {}, el("td", {}, d.at.replace("T", " ").slice(0, 19)), el("td", {}, d.pack_name),
        el("td", {}, d.project_name || d.project_id || ""), el("td", {}, d.total ?? "—"), el("td", {}, d.grade ?? "—"),
        el("td", {}, d.caller), el("td", {}, replay, " ", outcome)));
    }
  }
  $("#decision-filter").addEventListener("submit", (event) => { event.preventDefault(); loadDecisions(); });

  applyLanguage();
  loadPacks();
})();
