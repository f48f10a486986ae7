// The interactive API page: every operation of /openapi.json with a form to try it.
// Written for jixiao (no third-party code); nothing is fetched from anywhere but this server.
"use strict";
(function () {
  const tokenBox = document.getElementById("token");
  tokenBox.value = localStorage.getItem("jixiao.token") || "";
  tokenBox.addEventListener("change", () => localStorage.setItem("jixiao.token", tokenBox.value));

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) node.append(c);
    return node;
  }

  function operation(path, method, op) {
    const box = el("details", { class: "op", "data-op": method.toUpperCase() + " " + path });
    box.append(el("summary", {}, el("code", { class: "method " + method }, method.toUpperCase()), " ",
      el("code", {}, path), " — ", op.summary || ""));
    const form = el("form", {});
    for (const p of op.parameters || []) {
      const input = el("input", { name: p.name, "data-in": p.in, placeholder: p.description || "" });
      if (p.schema && p.schema.default !== undefined) input.value = p.schema.default;
      form.append(el("label", {}, `${p.name} (${p.in}) `, input), el("br"));
    }
    let body = null, file = null, media = null;
    if (op.requestBody) {
      const types = Object.keys(op.requestBody.content);
      media = el("select", {}, ...types.map((t) => el("option", {}, t)));
      const example = op.requestBody.content[types[0]].example || "";
      body = el("textarea", { rows: "6", cols: "80" });
      body.value = example;
      file = el("input", { type: "file" });
      form.append(el("label", {}, "Content-Type ", media), el("br"), body, el("br"),
        el("label", {}, "或文件 or a file ", file), el("br"));
    }
    const out = el("pre", { class: "response" });
    const send = el("button", { type: "submit" }, "发送 Send");
    form.append(send, out);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      let url = path;
      const query = new URLSearchParams();
      for (const input of form.querySelectorAll("input[data-in]")) {
        if (input.dataset.in === "path") url = url.replace(`{${input.name}}`, encodeURIComponent(input.value));
        else if (input.value !== "") query.append(input.name, input.value);
      }
      if ([...query].length) url += "?" + query;
      const init = { method: method.toUpperCase(), headers: {} };
      if (tokenBox.value) init.headers.Authorization = "Bearer " + tokenBox.value;
      if (body) {
        init.headers["Content-Type"] = media.value;
        init.body = file.files.length ? file.files[0] : body.value;
      }
      const r = await fetch(url, init);
      const type = r.headers.get("content-type") || "";
      let text;
      if (/json|text|yaml|markdown/.test(type)) text = await r.text();
      else text = `(${(await r.blob()).size} bytes of ${type})`;
      out.textContent = `${r.status} ${r.statusText}\n${type}\n\n${text}`;
    });
    box.append(form);
    return box;
  }

  fetch("/openapi.json").then((r) => r.json()).then((doc) => {
    const main = document.getElementById("ops");
    main.append(el("p", {}, doc.info.description));
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) main.append(operation(path, method, op));
  });
})();
