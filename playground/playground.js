// sandrun playground: a static page that talks to the same-origin API.
// No dependencies, no build step.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const KEY_STORE = "sandrun.playground.apiKey";
  const INDENT = "    ";

  // ------------------------------------------------------------ dialects

  // The defaults (timeout, memory, handler) are the service's own: GET
  // /health lists each dialect's ("dialects"), and checkHealth() fills them
  // in here; until it has answered, the fields just say "default".
  const DIALECTS = {
    execute: { path: "/execute", file: "script.py" },
    run: { path: "/run", file: "main.py" },
    invoke: { path: "/invoke", file: null },
    grade: { path: "/grade", file: "main.py" },
  };

  function takeDefaults(fromHealth) {
    for (const cfg of Object.values(DIALECTS)) {
      const d = fromHealth && fromHealth[cfg.path];
      if (!d) continue;
      cfg.timeout = d.default_timeout_s;
      cfg.memory = d.default_memory_mb;
      if (d.default_handler) cfg.handler = d.default_handler;
    }
  }

  // The handler the request names: the field's, else the service's default.
  function handlerName() {
    return el.handler.value.trim() || DIALECTS.invoke.handler || "";
  }

  // ------------------------------------------------------------ examples

  const MPL_PRELUDE = [
    "import base64",
    "import io",
    "",
    "import matplotlib",
    "matplotlib.use(\"Agg\")  # no display: render to memory",
    "import matplotlib.pyplot as plt",
    "import numpy as np",
    "",
    "",
    "def plot_png():",
    "    x = np.linspace(0, 2 * np.pi, 200)",
    "    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)",
    "    ax.plot(x, np.sin(x), label=\"sin(x)\")",
    "    ax.plot(x, np.cos(x), label=\"cos(x)\")",
    "    ax.set_title(\"Rendered inside the sandbox\")",
    "    ax.legend()",
    "    buf = io.BytesIO()",
    "    fig.savefig(buf, format=\"png\")",
    "    plt.close(fig)",
    "    return base64.b64encode(buf.getvalue()).decode(\"ascii\")",
    "",
  ].join("\n");

  const PANDAS_FRAME = [
    "    df = pd.DataFrame({",
    "        \"city\": [\"Oslo\", \"Lima\", \"Oslo\", \"Pune\", \"Lima\"],",
    "        \"temp\": [3.5, 19.0, 5.1, 31.2, 18.4],",
    "    })",
  ].join("\n");

  // Attached input files are in the working directory; what the script
  // leaves under output/ comes back, and plt.show() returns the figure.
  const FILES_LOAD = [
    "import os",
    "",
    "import matplotlib.pyplot as plt",
    "import pandas as pd",
    "",
    "",
    "def load():",
    "    # Attach a CSV under \"Input files\" to use it instead of the sample.",
    "    attached = sorted(n for n in os.listdir(\".\") if n.lower().endswith(\".csv\"))",
    "    if attached:",
    "        return pd.read_csv(attached[0]), attached[0]",
    "    return pd.DataFrame({",
    "        \"day\": [1, 2, 3, 4, 5, 6, 7],",
    "        \"Oslo\": [3.5, 5.1, 4.2, 6.0, 7.3, 6.8, 8.1],",
    "        \"Lima\": [19.0, 18.4, 19.6, 20.1, 19.2, 18.7, 19.9],",
    "    }).set_index(\"day\"), \"sample data\"",
    "",
    "",
    "def report():",
    "    df, source = load()",
    "    numbers = df.select_dtypes(\"number\")",
    "    os.makedirs(\"output\", exist_ok=True)",
    "    numbers.describe().round(3).to_csv(\"output/summary.csv\")",
    "    if not numbers.empty:",
    "        numbers.plot(marker=\"o\", figsize=(6, 3.5), title=f\"{source}: {len(df)} rows\")",
    "        plt.show()  # comes back as output/figure-1.png",
    "    return {\"source\": source, \"rows\": len(df), \"columns\": list(df.columns)}",
    "",
  ].join("\n");

  const EXAMPLES = {
    hello: {
      execute: [
        "def main():",
        "    print(\"Calculating...\")",
        "    numbers = [1, 2, 3, 4]",
        "    return {\"answer\": sum(numbers), \"greeting\": \"Hello from sandrun!\"}",
        "",
      ].join("\n"),
      run: [
        "print(\"Hello from sandrun!\")",
        "numbers = [1, 2, 3, 4]",
        "print(\"sum:\", sum(numbers))",
        "",
      ].join("\n"),
      invoke: {
        code: [
          "import logging",
          "",
          "",
          "def handler(event, context):",
          "    logging.info(\"got %s\", event)",
          "    name = event.get(\"name\", \"world\")",
          "    return {\"greeting\": f\"Hello, {name}!\", \"request\": context.get(\"request_id\")}",
          "",
        ].join("\n"),
        event: "{\"name\": \"sandrun\"}",
        context: "{\"request_id\": \"playground-1\"}",
      },
      grade: {
        code: [
          "name = input()",
          "print(f\"Hello, {name}!\")",
          "",
        ].join("\n"),
        tests: [
          { name: "world", stdin: "world\n", expected: "Hello, world!\n" },
          { name: "sandrun", stdin: "sandrun\n", expected: "Hello, sandrun!\n" },
        ],
      },
    },
    pandas: {
      execute: [
        "import pandas as pd",
        "",
        "",
        "def main():",
        PANDAS_FRAME,
        "    print(df)",
        "    means = df.groupby(\"city\")[\"temp\"].mean().round(2)",
        "    return {\"mean_temp\": means.to_dict(), \"rows\": len(df)}",
        "",
      ].join("\n"),
      run: [
        "import pandas as pd",
        "",
        PANDAS_FRAME.replace(/^ {4}/gm, ""),
        "print(df)",
        "print()",
        "print(df.groupby(\"city\")[\"temp\"].agg([\"mean\", \"max\"]))",
        "",
      ].join("\n"),
      invoke: {
        code: [
          "import pandas as pd",
          "",
          "",
          "def handler(event, context):",
          "    df = pd.DataFrame(event[\"rows\"])",
          "    print(df)",
          "    return df.groupby(\"city\")[\"temp\"].mean().round(2).to_dict()",
          "",
        ].join("\n"),
        event: JSON.stringify({
          rows: [
            { city: "Oslo", temp: 3.5 }, { city: "Lima", temp: 19.0 },
            { city: "Oslo", temp: 5.1 }, { city: "Pune", temp: 31.2 },
          ],
        }, null, 1).replace(/\n\s*/g, " "),
        context: "{}",
      },
    },
    error: {
      execute: [
        "def average(values):",
        "    return sum(values) / len(values)",
        "",
        "",
        "def main():",
        "    print(\"averaging an empty list...\")",
        "    return average([])",
        "",
      ].join("\n"),
      run: [
        "def average(values):",
        "    return sum(values) / len(values)",
        "",
        "",
        "print(\"averaging an empty list...\")",
        "print(average([]))",
        "",
      ].join("\n"),
      invoke: {
        code: [
          "def average(values):",
          "    return sum(values) / len(values)",
          "",
          "",
          "def handler(event, context):",
          "    print(\"averaging\", event[\"values\"])",
          "    return {\"average\": average(event[\"values\"])}",
          "",
        ].join("\n"),
        event: "{\"values\": []}",
        context: "{}",
      },
      grade: {
        code: [
          "def average(values):",
          "    return sum(values) / len(values)",
          "",
          "",
          "values = [float(x) for x in input().split()]",
          "print(average(values))",
          "",
        ].join("\n"),
        tests: [
          { name: "three numbers", stdin: "1 2 3\n", expected: "2.0\n" },
          { name: "no numbers", stdin: "\n", expected: "0\n" },
        ],
      },
    },
    matplotlib: {
      execute: MPL_PRELUDE + [
        "",
        "def main():",
        "    # A PNG under a key named like \"image\" is shown as a picture.",
        "    return {\"image\": \"data:image/png;base64,\" + plot_png()}",
        "",
      ].join("\n"),
      run: MPL_PRELUDE + [
        "",
        "# /run has no result: a data URL printed on its own line is shown too.",
        "print(\"data:image/png;base64,\" + plot_png())",
        "",
      ].join("\n"),
      invoke: {
        code: MPL_PRELUDE + [
          "",
          "def handler(event, context):",
          "    return {\"png\": plot_png()}",
          "",
        ].join("\n"),
        event: "{}",
        context: "{}",
      },
    },
    files: {
      execute: FILES_LOAD + [
        "",
        "def main():",
        "    return report()",
        "",
      ].join("\n"),
      run: FILES_LOAD + [
        "",
        "print(report())",
        "",
      ].join("\n"),
      invoke: {
        code: FILES_LOAD + [
          "",
          "def handler(event, context):",
          "    return report()",
          "",
        ].join("\n"),
        event: "{}",
        context: "{}",
      },
    },
    // /grade only: a program with a bug, one test that passes and one that does not.
    grading: {
      grade: {
        code: [
          "def double(n):",
          "    # A bug on purpose: numbers above 10 come out one too big.",
          "    return n * 2 + (1 if n > 10 else 0)",
          "",
          "",
          "n = int(input())",
          "print(double(n))",
          "",
        ].join("\n"),
        tests: [
          { name: "small", stdin: "2\n", expected: "4\n" },
          { name: "large", stdin: "21\n", expected: "42\n" },
        ],
      },
    },
  };

  // ------------------------------------------------------------ elements

  const el = {
    key: $("api-key"), keyToggle: $("key-toggle"), service: $("service"),
    dialect: $("dialect"), example: $("example"),
    note: $("example-note"), noteText: $("example-note-text"), restore: $("restore"),
    code: $("code"), gutter: $("gutter"), mark: $("line-mark"), codeFile: $("code-file"),
    invokeFields: $("invoke-fields"), handler: $("handler"),
    event: $("event"), eventError: $("event-error"),
    context: $("context"), contextError: $("context-error"),
    stdinField: $("stdin-field"), stdin: $("stdin"),
    filesInput: $("files-input"), filesError: $("files-error"), filesList: $("files-list"),
    filesTotal: $("files-total"), filesMaxCount: $("files-max-count"), filesMaxBytes: $("files-max-bytes"),
    timeout: $("timeout"), memory: $("memory"),
    run: $("run"), runLabel: $("run-label"), stop: $("stop"), live: $("live"), runHelp: $("run-help"),
    output: $("output"), announce: $("announce"), placeholder: $("placeholder"),
    answer: $("answer"), status: $("status"), http: $("http"),
    mDuration: $("m-duration"), mCpu: $("m-cpu"), mMemory: $("m-memory"),
    mRoundtrip: $("m-roundtrip"), mRequestId: $("m-request-id"),
    errorBox: $("error-box"), errorMessage: $("error-message"), traceback: $("traceback"),
    imageBox: $("image-box"), images: $("images"),
    filesBox: $("files-box"), filesOut: $("files-out"), filesTrunc: $("files-trunc"),
    resultBox: $("result-box"), result: $("result"),
    stdoutBox: $("stdout-box"), stdout: $("stdout"), stdoutTrunc: $("stdout-trunc"),
    stderrBox: $("stderr-box"), stderr: $("stderr"), stderrTrunc: $("stderr-trunc"),
    logsBox: $("logs-box"), logs: $("logs"),
    gradeFields: $("grade-fields"), testsList: $("tests-list"), testsError: $("tests-error"),
    addTest: $("add-test"), testsCount: $("tests-count"), compare: $("compare"),
    toleranceField: $("tolerance-field"), tolerance: $("tolerance"), toleranceError: $("tolerance-error"),
    compareHelp: $("compare-help"), stopOnFailure: $("stop-on-failure"),
    gradeBox: $("grade-box"), gradeScore: $("grade-score"), gradeRows: $("grade-rows"),
  };

  const state = {
    running: false,
    loaded: "",          // the code text last loaded from an example
    loadedExample: "hello",
    previous: null,      // the user's code replaced by an example (for Restore)
    tabLeaves: false,    // after Esc, Tab moves the focus out of the editor
    errorLines: new Set(),
    markLine: 0,
    inputs: [],          // the attached input files (File objects), sent as "files"
    abort: null,         // the running request's AbortController (Stop)
    blobUrls: [],        // object URLs of the returned files' download links
    testsLoaded: "",     // the test cases last loaded from an example (JSON)
    maxTests: 64,        // GET /health "limits.max_tests"
    graded: null,        // the running /grade request: {tests, compare} as sent
    gradeRows: 0,        // rows of the verdict table shown so far
  };

  // The service's caps on files (GET /health "limits"; these are its defaults
  // until it has answered).
  const FILE_LIMITS = {
    maxIn: 64, maxInBytes: 8 * 1024 * 1024,
    maxOut: 32, maxOutBytes: 8 * 1024 * 1024,
  };

  // ------------------------------------------------------------ API key

  function storageGet(k) {
    try { return window.localStorage.getItem(k) || ""; } catch (e) { return ""; }
  }
  function storageSet(k, v) {
    try {
      if (v) window.localStorage.setItem(k, v); else window.localStorage.removeItem(k);
    } catch (e) { /* storage disabled: the key lives for this page only */ }
  }

  el.key.value = storageGet(KEY_STORE);
  el.key.addEventListener("input", () => storageSet(KEY_STORE, el.key.value.trim()));
  el.keyToggle.addEventListener("click", () => {
    const show = el.key.type === "password";
    el.key.type = show ? "text" : "password";
    el.keyToggle.textContent = show ? "Hide" : "Show";
    el.keyToggle.setAttribute("aria-pressed", String(show));
  });

  // ------------------------------------------------------------ service

  function checkHealth() {
    fetch("/health", { headers: { Accept: "application/json" }, cache: "no-store" })
      .then((r) => r.json().then((b) => ({ ok: r.ok, b })))
      .then(({ ok, b }) => {
        if (!ok || b.status !== "healthy") {
          el.service.textContent = "Service unhealthy: " + (b.reason || b.error || "unknown reason");
          el.service.className = "service bad";
          return;
        }
        const parts = [`${b.service || "sandrun"} ${b.version || ""}`.trim()];
        if (b.mode) parts.push(`${b.mode} mode`);
        if (b.slots) parts.push(`${b.slots.busy}/${b.slots.total} slots busy`);
        if (Array.isArray(b.libraries) && b.libraries.length) {
          parts.push("preloaded: " + b.libraries.join(", "));
        }
        el.service.textContent = "Healthy: " + parts.join(" · ");
        el.service.className = "service good";
        takeDefaults(b.dialects);
        if (!el.handler.value.trim() && DIALECTS.invoke.handler) el.handler.value = DIALECTS.invoke.handler;
        applyDialect();
        if (b.limits) {
          if (b.limits.max_timeout_s) el.timeout.max = b.limits.max_timeout_s;
          if (b.limits.max_memory_mb) el.memory.max = b.limits.max_memory_mb;
          if (b.limits.min_memory_mb) el.memory.min = b.limits.min_memory_mb;
          const num = (x) => (typeof x === "number" && x >= 0 ? x : undefined);
          FILE_LIMITS.maxIn = num(b.limits.max_files_in) ?? FILE_LIMITS.maxIn;
          FILE_LIMITS.maxInBytes = num(b.limits.max_files_in_bytes) ?? FILE_LIMITS.maxInBytes;
          FILE_LIMITS.maxOut = num(b.limits.max_files_out) ?? FILE_LIMITS.maxOut;
          FILE_LIMITS.maxOutBytes = num(b.limits.max_files_out_bytes) ?? FILE_LIMITS.maxOutBytes;
          showFileLimits();
          state.maxTests = num(b.limits.max_tests) ?? state.maxTests;
          updateTestsCount();
        }
      })
      .catch((e) => {
        el.service.textContent = "Service not reachable: " + e.message;
        el.service.className = "service bad";
      });
  }

  // ------------------------------------------------------------ editor

  function lineHeight() {
    return parseFloat(getComputedStyle(el.code).lineHeight) || 21;
  }
  function padTop() {
    return parseFloat(getComputedStyle(el.code).paddingTop) || 0;
  }

  function renderGutter() {
    const n = el.code.value.split("\n").length;
    const frag = document.createDocumentFragment();
    for (let i = 1; i <= n; i++) {
      const s = document.createElement("span");
      s.textContent = String(i);
      if (state.errorLines.has(i)) s.className = "err";
      if (i === state.markLine) s.className = "err current";
      frag.appendChild(s);
    }
    el.gutter.replaceChildren(frag);
    syncScroll();
  }

  function syncScroll() {
    el.gutter.scrollTop = el.code.scrollTop;
    if (state.markLine) {
      el.mark.style.top = (padTop() + (state.markLine - 1) * lineHeight() - el.code.scrollTop) + "px";
      el.mark.style.height = lineHeight() + "px";
    }
  }

  function clearMarks() {
    if (!state.errorLines.size && !state.markLine) return;
    state.errorLines = new Set();
    state.markLine = 0;
    el.mark.hidden = true;
    renderGutter();
  }

  function lineBounds(text, line) {
    let start = 0;
    for (let i = 1; i < line; i++) {
      const nl = text.indexOf("\n", start);
      if (nl < 0) return null;
      start = nl + 1;
    }
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    return [start, end];
  }

  // Highlight LINE of the editor; with focus, also select it.
  function showLine(line, focus) {
    const b = lineBounds(el.code.value, line);
    if (!b) return;
    state.markLine = line;
    el.mark.hidden = false;
    const lh = lineHeight();
    const top = padTop() + (line - 1) * lh;
    if (top < el.code.scrollTop || top + lh > el.code.scrollTop + el.code.clientHeight) {
      el.code.scrollTop = Math.max(0, top - el.code.clientHeight / 3);
    }
    renderGutter();
    if (focus) {
      el.code.focus({ preventScroll: true });
      el.code.setSelectionRange(b[0], b[1]);
      if (el.code.scrollIntoView) {
        el.code.closest(".editor").scrollIntoView({ block: "nearest" });
      }
      announce(`Line ${line} of the code is selected.`);
    }
  }

  function insertText(text) {
    // execCommand keeps the browser's undo history; setRangeText is the fallback.
    el.code.focus();
    let done = false;
    try { done = document.execCommand("insertText", false, text); } catch (e) { done = false; }
    if (!done) {
      el.code.setRangeText(text, el.code.selectionStart, el.code.selectionEnd, "end");
      el.code.dispatchEvent(new Event("input"));
    }
  }

  function indentSelection(dedent) {
    const ta = el.code;
    const v = ta.value;
    const selStart = ta.selectionStart;
    const selEnd = ta.selectionEnd;
    if (!dedent && selStart === selEnd) {
      const col = selStart - (v.lastIndexOf("\n", selStart - 1) + 1);
      insertText(" ".repeat(INDENT.length - (col % INDENT.length)));
      return;
    }
    const start = v.lastIndexOf("\n", selStart - 1) + 1;
    let end = selEnd;
    if (end > start && v[end - 1] === "\n") end--;
    const lineEnd = v.indexOf("\n", end);
    const stop = lineEnd < 0 ? v.length : lineEnd;
    const lines = v.slice(start, stop).split("\n");
    const changed = lines.map((l) => {
      if (!dedent) return l.length ? INDENT + l : l;
      const m = /^ {1,4}|^\t/.exec(l);
      return m ? l.slice(m[0].length) : l;
    }).join("\n");
    ta.setSelectionRange(start, stop);
    insertText(changed);
    ta.setSelectionRange(start, start + changed.length);
  }

  el.code.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      state.tabLeaves = true;
      return;
    }
    if (e.key === "Tab" && !e.ctrlKey && !e.altKey && !e.metaKey) {
      if (state.tabLeaves) return;       // let the focus move on
      e.preventDefault();
      indentSelection(e.shiftKey);
      return;
    }
    state.tabLeaves = false;
    if (e.key === "Enter" && !e.ctrlKey && !e.metaKey && !e.shiftKey && !e.altKey) {
      // Keep the indentation of the current line, one more level after ':'.
      const v = el.code.value;
      const pos = el.code.selectionStart;
      const lineStart = v.lastIndexOf("\n", pos - 1) + 1;
      const before = v.slice(lineStart, pos);
      let indent = /^[ \t]*/.exec(before)[0];
      if (/:\s*(#.*)?$/.test(before)) indent += INDENT;
      e.preventDefault();
      insertText("\n" + indent);
    }
  });
  el.code.addEventListener("blur", () => { state.tabLeaves = false; });
  el.code.addEventListener("input", () => {
    if (state.errorLines.size || state.markLine) clearMarks(); else renderGutter();
  });
  el.code.addEventListener("scroll", syncScroll);
  window.addEventListener("resize", syncScroll);

  // ------------------------------------------------------------ input files

  function fmtBytes(n) {
    if (typeof n !== "number" || !Number.isFinite(n) || n < 0) return "–";
    if (n < 1024) return `${n} B`;
    const fix = (x) => x.toFixed(x < 10 ? 1 : 0).replace(/\.0$/, "");
    if (n < 1024 * 1024) return `${fix(n / 1024)} KiB`;
    return `${fix(n / (1024 * 1024))} MiB`;
  }

  function plural(n, one, many) { return `${n} ${n === 1 ? one : many}`; }

  function showFileLimits() {
    el.filesMaxCount.textContent = String(FILE_LIMITS.maxIn);
    el.filesMaxBytes.textContent = fmtBytes(FILE_LIMITS.maxInBytes);
  }

  function inputBytes(files) {
    return files.reduce((n, f) => n + f.size, 0);
  }

  // Why FILES (the whole set to send) break the service's limits, or null.
  function inputLimitError(files) {
    if (files.length > FILE_LIMITS.maxIn) {
      return `Too many files: the service takes at most ${plural(FILE_LIMITS.maxIn, "input file", "input files")} ` +
        `a run, and that would make ${files.length}.`;
    }
    const total = inputBytes(files);
    if (total > FILE_LIMITS.maxInBytes) {
      return `Too large: the service takes at most ${fmtBytes(FILE_LIMITS.maxInBytes)} of input files ` +
        `in all, and that would make ${fmtBytes(total)}.`;
    }
    return null;
  }

  function renderInputs(focusAt) {
    const frag = document.createDocumentFragment();
    state.inputs.forEach((f, i) => {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.className = "fname";
      name.textContent = f.name;
      const size = document.createElement("span");
      size.className = "fmeta";
      size.textContent = fmtBytes(f.size);
      const rm = document.createElement("button");
      rm.type = "button";
      rm.className = "remove";
      rm.textContent = "Remove";
      rm.setAttribute("aria-label", `Remove ${f.name}`);
      rm.addEventListener("click", () => removeInput(i));
      li.append(name, size, rm);
      frag.appendChild(li);
    });
    el.filesList.replaceChildren(frag);
    el.filesList.hidden = state.inputs.length === 0;
    el.filesTotal.hidden = state.inputs.length === 0;
    el.filesTotal.textContent = `${plural(state.inputs.length, "file", "files")}, ` +
      `${fmtBytes(inputBytes(state.inputs))} of ${fmtBytes(FILE_LIMITS.maxInBytes)}`;
    if (focusAt !== undefined) {
      const buttons = el.filesList.querySelectorAll("button.remove");
      const b = buttons[Math.min(focusAt, buttons.length - 1)];
      (b || el.filesInput).focus();
    }
  }

  function removeInput(i) {
    const f = state.inputs[i];
    state.inputs.splice(i, 1);
    fieldError(el.filesInput, el.filesError, null);
    renderInputs(i);
    if (f) announce(`Removed ${f.name}.`);
  }

  // Files picked in the file input join the attached ones (one of the same
  // name is replaced); a selection that breaks a limit is refused whole.
  el.filesInput.addEventListener("change", () => {
    const picked = Array.from(el.filesInput.files || []);
    el.filesInput.value = "";   // the same file can be picked again
    if (!picked.length) return;
    const names = new Set(picked.map((f) => f.name));
    const next = state.inputs.filter((f) => !names.has(f.name)).concat(picked);
    const why = inputLimitError(next);
    if (why) {
      fieldError(el.filesInput, el.filesError,
        `${why} ${picked.length === 1 ? "The file was" : "The files were"} not attached.`);
      return;
    }
    fieldError(el.filesInput, el.filesError, null);
    state.inputs = next;
    renderInputs();
    announce(`Attached ${plural(picked.length, "file", "files")}.`);
  });

  function toBase64(buf) {
    const bytes = new Uint8Array(buf);
    let s = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(s);
  }

  function fromBase64(b64) {
    const s = atob(b64);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  // The request's "files": every attached file, base64-encoded.
  async function encodeInputs() {
    const out = [];
    for (const f of state.inputs) {
      let buf;
      try {
        buf = await f.arrayBuffer();
      } catch (e) {
        throw new Error(`Could not read ${f.name}: ${e && e.message ? e.message : e}`);
      }
      out.push({ path: f.name, content: toBase64(buf), encoding: "base64" });
    }
    return out;
  }

  // ------------------------------------------------------------ test cases (/grade)

  let testSeq = 0;   // makes the ids of each row's fields unique

  function testRows() { return Array.from(el.testsList.querySelectorAll("li.test-case")); }

  function labelled(tag, cls, id, labelText, attrs) {
    const wrap = document.createElement("div");
    wrap.className = "field";
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = labelText;
    const input = document.createElement(tag);
    input.id = id;
    input.className = cls;
    input.spellcheck = false;
    input.setAttribute("autocapitalize", "off");
    input.setAttribute("autocomplete", "off");
    for (const [k, v] of Object.entries(attrs || {})) input.setAttribute(k, v);
    wrap.append(label, input);
    return [wrap, input];
  }

  // One row of the test editor: name, standard input, expected output.
  function addTestRow(t, focus) {
    const n = ++testSeq;
    const li = document.createElement("li");
    li.className = "test-case";
    const head = document.createElement("div");
    head.className = "test-head";
    const title = document.createElement("span");
    title.className = "test-title";
    const [nameField, name] = labelled("input", "test-name", `test-${n}-name`, "Name (optional)", { type: "text" });
    const rm = document.createElement("button");
    rm.type = "button";
    rm.className = "remove-test";
    rm.textContent = "Remove";
    rm.addEventListener("click", () => removeTestRow(li));
    head.append(title, nameField, rm);
    const io = document.createElement("div");
    io.className = "test-io";
    const [stdinField, stdin] = labelled("textarea", "test-stdin", `test-${n}-stdin`, "Standard input", { rows: "2", wrap: "off" });
    const [expField, expected] = labelled("textarea", "test-expected", `test-${n}-expected`, "Expected output", { rows: "2", wrap: "off" });
    io.append(stdinField, expField);
    li.append(head, io);
    name.value = (t && t.name) || "";
    stdin.value = (t && t.stdin) || "";
    expected.value = (t && t.expected) || "";
    el.testsList.appendChild(li);
    renumberTests();
    if (focus) stdin.focus();
    return li;
  }

  function renumberTests() {
    const rows = testRows();
    rows.forEach((li, i) => {
      const label = `Test ${i + 1}`;
      li.querySelector(".test-title").textContent = label;
      li.querySelector(".test-name").placeholder = `test-${i + 1}`;
      li.querySelector(".remove-test").setAttribute("aria-label", `Remove test ${i + 1}`);
      li.setAttribute("aria-label", label);
    });
    updateTestsCount();
  }

  function updateTestsCount() {
    const n = testRows().length;
    el.testsCount.textContent = `${plural(n, "test", "tests")} (at most ${state.maxTests})`;
    el.addTest.disabled = n >= state.maxTests;
  }

  function removeTestRow(li) {
    const rows = testRows();
    const i = rows.indexOf(li);
    li.remove();
    renumberTests();
    const left = testRows();
    const next = left[Math.min(i, left.length - 1)];
    (next ? next.querySelector(".remove-test") : el.addTest).focus();
    announce(`Removed test ${i + 1}.`);
  }

  function setTests(tests) {
    el.testsList.replaceChildren();
    for (const t of tests) addTestRow(t, false);
    fieldError(el.addTest, el.testsError, null);
    renumberTests();
  }

  function readTests() {
    return testRows().map((li) => ({
      name: li.querySelector(".test-name").value,
      stdin: li.querySelector(".test-stdin").value,
      expected: li.querySelector(".test-expected").value,
    }));
  }

  el.addTest.addEventListener("click", () => {
    if (testRows().length >= state.maxTests) return;
    addTestRow(null, true);
    fieldError(el.addTest, el.testsError, null);
    announce(`Added test ${testRows().length}.`);
  });

  const COMPARE_HELP = {
    trim: "trim ignores trailing spaces on each line and trailing blank lines.",
    exact: "exact compares the output byte for byte, newlines included.",
    tokens: "tokens compares the words of the output, whatever whitespace separates them.",
    float: "Numbers match within the tolerance (absolute, or relative to the expected value); other words must be equal.",
  };

  function applyCompare() {
    el.toleranceField.hidden = el.compare.value !== "float";
    el.compareHelp.textContent = COMPARE_HELP[el.compare.value] || "";
  }
  el.compare.addEventListener("change", applyCompare);

  // The request's "compare", or null (the tolerance field says why).
  function compareValue() {
    if (el.compare.value !== "float") {
      fieldError(el.tolerance, el.toleranceError, null);
      return el.compare.value;
    }
    const t = el.tolerance.value.trim();
    const x = Number(t);
    if (!t || !Number.isFinite(x) || x < 0) {
      fieldError(el.tolerance, el.toleranceError, "The tolerance must be a number, 0 or more (such as 1e-6).");
      return null;
    }
    fieldError(el.tolerance, el.toleranceError, null);
    return { float_tolerance: x };
  }

  // ------------------------------------------------------------ examples + dialect

  function dialect() { return el.dialect.value; }

  function exampleFor(name, d) {
    const ex = EXAMPLES[name] && EXAMPLES[name][d];
    if (ex === undefined) return null;
    return typeof ex === "string" ? { code: ex } : ex;
  }

  // NAME if it has a version for dialect D, else that dialect's first example.
  function exampleIn(name, d) {
    return exampleFor(name, d) ? name : (d === "grade" ? "grading" : "hello");
  }

  // Load example NAME for dialect D.  Its test cases replace the editor's
  // when the user chose the example (EXPLICIT) or had not changed them.
  function loadExample(name, d, explicit) {
    name = exampleIn(name, d);
    const ex = exampleFor(name, d);
    el.example.value = name;
    const current = el.code.value;
    if (current && current !== state.loaded) {
      state.previous = current;
      el.noteText.textContent = "The example replaced your code.";
      el.restore.hidden = false;
      el.note.hidden = false;
    } else {
      el.note.hidden = true;
    }
    el.code.value = ex.code;
    el.code.scrollTop = 0;
    state.loaded = ex.code;
    state.loadedExample = name;
    if (ex.event !== undefined) el.event.value = ex.event;
    if (ex.context !== undefined) el.context.value = ex.context;
    if (d === "invoke") el.handler.value = DIALECTS.invoke.handler || "";
    if (ex.tests) {
      const now = JSON.stringify(readTests());
      if (explicit || !testRows().length || now === state.testsLoaded) {
        setTests(ex.tests);
        state.testsLoaded = JSON.stringify(readTests());
      }
    }
    state.errorLines = new Set();
    state.markLine = 0;
    el.mark.hidden = true;
    renderGutter();
  }

  function applyDialect() {
    const d = dialect();
    const cfg = DIALECTS[d];
    el.invokeFields.hidden = d !== "invoke";
    el.stdinField.hidden = d !== "execute";
    el.gradeFields.hidden = d !== "grade";
    el.timeout.placeholder = cfg.timeout === undefined ? "default" : `${cfg.timeout} (default)`;
    el.memory.placeholder = cfg.memory === undefined ? "default" : `${cfg.memory} (default)`;
    el.timeout.step = d === "run" ? "1" : "any";
    el.timeout.min = d === "run" ? "1" : "0.1";
    el.codeFile.textContent = `(runs as ${userFile()}` + (d === "grade" ? ", once per test)" : ")");
    // Only the examples with a version for /grade there; the grading
    // example anywhere (it switches to /grade).
    for (const o of el.example.options) {
      o.disabled = d === "grade" && !exampleFor(o.value, "grade");
    }
    if (d === "grade" && !testRows().length) addTestRow(null, false);
  }

  function userFile() {
    const d = dialect();
    if (d !== "invoke") return DIALECTS[d].file;
    const mod = handlerName().split(".")[0];
    return mod ? mod + ".py" : "the handler's module";
  }

  el.example.addEventListener("change", () => {
    const name = el.example.value;
    if (!exampleFor(name, dialect())) el.dialect.value = name === "grading" ? "grade" : "execute";
    loadExample(name, dialect(), true);
    applyDialect();
  });
  el.dialect.addEventListener("change", () => {
    const d = dialect();
    // An unedited example follows the dialect; the user's own code stays.
    if (el.code.value === state.loaded) {
      loadExample(state.loadedExample, d);
    } else {
      el.noteText.textContent = `Your code was kept: ${DIALECTS[d].path} ` +
        (d === "execute" ? "calls main()." : d === "run" ? "runs the code as it is."
          : d === "grade" ? "runs it once per test case, with the test's standard input."
            : "calls the handler with the event and context.");
      el.note.hidden = false;
      state.previous = null;
      el.restore.hidden = true;
      applyDialect();
      return;
    }
    applyDialect();
  });
  el.handler.addEventListener("input", () => {
    el.codeFile.textContent = `(runs as ${userFile()})`;
  });
  el.restore.addEventListener("click", () => {
    if (state.previous == null) return;
    el.code.value = state.previous;
    state.previous = null;
    el.note.hidden = true;
    clearMarks();
    renderGutter();
    el.code.focus();
  });

  // ------------------------------------------------------------ lossless JSON

  // The result is printed from the response text itself, so that integers
  // beyond 2^53 keep every digit and object keys keep their order.
  class JNum { constructor(t) { this.text = t; } }
  class JObj { constructor() { this.entries = []; } }

  function parseLossless(text) {
    let i = 0;
    const STR = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
    const NUM = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    const ws = () => { while (i < text.length && " \t\r\n".includes(text[i])) i++; };
    const fail = () => { throw new SyntaxError("bad JSON at " + i); };
    const str = () => {
      STR.lastIndex = i;
      const m = STR.exec(text);
      if (!m) fail();
      i += m[0].length;
      return JSON.parse(m[0]);
    };
    const value = () => {
      ws();
      const c = text[i];
      if (c === "{") {
        i++;
        const o = new JObj();
        ws();
        if (text[i] === "}") { i++; return o; }
        for (;;) {
          ws();
          const k = str();
          ws();
          if (text[i++] !== ":") fail();
          o.entries.push([k, value()]);
          ws();
          if (text[i] === ",") { i++; continue; }
          if (text[i++] !== "}") fail();
          return o;
        }
      }
      if (c === "[") {
        i++;
        const a = [];
        ws();
        if (text[i] === "]") { i++; return a; }
        for (;;) {
          a.push(value());
          ws();
          if (text[i] === ",") { i++; continue; }
          if (text[i++] !== "]") fail();
          return a;
        }
      }
      if (c === "\"") return str();
      for (const [w, v] of [["true", true], ["false", false], ["null", null]]) {
        if (text.startsWith(w, i)) { i += w.length; return v; }
      }
      NUM.lastIndex = i;
      const m = NUM.exec(text);
      if (!m) fail();
      i += m[0].length;
      return new JNum(m[0]);
    };
    const v = value();
    ws();
    if (i !== text.length) fail();
    return v;
  }

  function fromPlain(v) {
    if (v === null || typeof v !== "object") return typeof v === "number" ? new JNum(String(v)) : v;
    if (Array.isArray(v)) return v.map(fromPlain);
    const o = new JObj();
    for (const k of Object.keys(v)) o.entries.push([k, fromPlain(v[k])]);
    return o;
  }

  function getEntry(obj, key) {
    if (!(obj instanceof JObj)) return undefined;
    for (const [k, v] of obj.entries) if (k === key) return v;
    return undefined;
  }

  // ------------------------------------------------------------ images

  const IMAGE_KEY = /image|img|png|plot|figure|fig|chart|picture|photo|graph/i;
  const DATA_URL = /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+$/;
  const PNG_B64 = /^iVBORw0KGgo[A-Za-z0-9+/=\s]*$/;
  const JPEG_B64 = /^\/9j\/[A-Za-z0-9+/=\s]*$/;

  function imageSrc(s) {
    if (typeof s !== "string" || s.length < 24) return null;
    const t = s.trim();
    if (DATA_URL.test(t)) return t;
    if (PNG_B64.test(t)) return "data:image/png;base64," + t;
    if (JPEG_B64.test(t)) return "data:image/jpeg;base64," + t;
    return null;
  }

  function findImages(v, key, out, depth) {
    if (out.length >= 8 || depth > 6) return out;
    if (typeof v === "string") {
      const src = (key === null || IMAGE_KEY.test(key) || v.startsWith("data:image/")) ? imageSrc(v) : null;
      if (src) out.push({ key: key === null ? "result" : key, src, raw: v });
    } else if (Array.isArray(v)) {
      v.forEach((x) => findImages(x, key, out, depth + 1));
    } else if (v instanceof JObj) {
      for (const [k, x] of v.entries) findImages(x, k, out, depth + 1);
    }
    return out;
  }

  // ------------------------------------------------------------ JSON printer

  function printJSON(v, imageStrings) {
    const out = [];
    const push = (cls, text) => out.push([cls, text]);
    const walk = (x, ind) => {
      if (x === null) return push("j-null", "null");
      if (x === true || x === false) return push("j-bool", String(x));
      if (x instanceof JNum) return push("j-num", x.text);
      if (typeof x === "number") return push("j-num", String(x));
      if (typeof x === "string") {
        if (imageStrings.has(x) && x.length > 80) {
          return push("j-str", JSON.stringify(x.slice(0, 40)).slice(0, -1) +
            `… (${x.length.toLocaleString("en")} characters, shown as an image)"`);
        }
        return push("j-str", JSON.stringify(x));
      }
      const inner = ind + "  ";
      if (Array.isArray(x)) {
        if (!x.length) return push("", "[]");
        push("", "[\n");
        x.forEach((y, i) => {
          push("", inner);
          walk(y, inner);
          push("", i < x.length - 1 ? ",\n" : "\n");
        });
        return push("", ind + "]");
      }
      if (!x.entries.length) return push("", "{}");
      push("", "{\n");
      x.entries.forEach(([k, y], i) => {
        push("", inner);
        push("j-key", JSON.stringify(k));
        push("", ": ");
        walk(y, inner);
        push("", i < x.entries.length - 1 ? ",\n" : "\n");
      });
      push("", ind + "}");
    };
    walk(v, "");
    const frag = document.createDocumentFragment();
    for (const [cls, text] of out) {
      if (!cls) { frag.appendChild(document.createTextNode(text)); continue; }
      const s = document.createElement("span");
      s.className = cls;
      s.textContent = text;
      frag.appendChild(s);
    }
    return frag;
  }

  // ------------------------------------------------------------ line references

  function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  function lineButton(n, text) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "lineref";
    b.dataset.line = String(n);
    b.textContent = text;
    b.title = `Go to line ${n} in the editor`;
    b.setAttribute("aria-label", `${text}: go to line ${n} in the editor`);
    b.addEventListener("click", () => showLine(n, true));
    return b;
  }

  // Fill NODE with TEXT, turning references to the user's file into buttons.
  // Returns the referenced line numbers in order.
  function linkify(node, text, file, bare) {
    node.replaceChildren();
    const lines = [];
    const parts = [`File "${escapeRe(file)}", (line (\\d+))`];
    if (bare) parts.push("\\b(line (\\d+))\\b");
    const re = new RegExp(parts.join("|"), "g");
    let last = 0;
    let m;
    while ((m = re.exec(text)) !== null) {
      const label = m[1] || m[3];
      const n = parseInt(m[2] || m[4], 10);
      const at = m.index + m[0].length - label.length;
      node.appendChild(document.createTextNode(text.slice(last, at)));
      node.appendChild(lineButton(n, label));
      lines.push(n);
      last = at + label.length;
    }
    node.appendChild(document.createTextNode(text.slice(last)));
    return lines;
  }

  // ------------------------------------------------------------ output

  function announce(msg) {
    el.announce.textContent = "";
    // A fresh text node is announced even when the message repeats.
    setTimeout(() => { el.announce.textContent = msg; }, 30);
  }

  function fmtMs(ms) {
    if (ms === undefined || ms === null || Number.isNaN(ms)) return "–";
    if (ms >= 1000) return (ms / 1000).toFixed(2) + " s";
    return (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)) + " ms";
  }
  function fmtMb(mb) {
    if (mb === undefined || mb === null || Number.isNaN(mb)) return "–";
    return mb.toFixed(1) + " MB";
  }

  function setPane(box, pre, text, opts) {
    const o = opts || {};
    const has = typeof text === "string" && text.length > 0;
    box.hidden = !has && !o.always;
    box.classList.toggle("empty", !has);
    if (!has) {
      pre.textContent = o.emptyText || "(empty)";
      return [];
    }
    if (o.file) return linkify(pre, text, o.file, false);
    pre.textContent = text;
    return [];
  }

  function resetOutput() {
    el.placeholder.hidden = true;
    el.answer.hidden = false;
    el.errorBox.hidden = true;
    el.traceback.hidden = true;
    el.imageBox.hidden = true;
    el.images.replaceChildren();
    el.filesBox.hidden = true;
    el.filesOut.replaceChildren();
    el.filesTrunc.hidden = true;
    el.gradeBox.hidden = true;
    revokeDownloads();
    el.stdoutTrunc.hidden = true;
    el.stderrTrunc.hidden = true;
    state.errorLines = new Set();
    state.markLine = 0;
    el.mark.hidden = true;
  }

  function setStatus(kind, text) {
    el.status.textContent = text;
    el.status.className = "badge " + kind;
  }

  function showImages(images) {
    el.images.replaceChildren();
    if (!images.length) { el.imageBox.hidden = true; return; }
    for (const im of images) {
      const fig = document.createElement("figure");
      const img = document.createElement("img");
      img.src = im.src;
      img.alt = im.alt || `Image from the result's "${im.key}" value`;
      img.className = "result-image";
      if (im.file) img.dataset.file = im.file;
      const cap = document.createElement("figcaption");
      cap.textContent = im.key;
      fig.append(img, cap);
      el.images.appendChild(fig);
    }
    el.imageBox.hidden = false;
  }

  // ------------------------------------------------------------ returned files

  // Only these are ever shown inline, from a data: URL whose type is one of
  // them and whose bytes start as that type's do.  Everything else (SVG and
  // HTML above all) is offered for download only.
  const INLINE_MIME = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
  const RENDERABLE = /^(image\/|text\/html|application\/xhtml|text\/xml|application\/xml|application\/pdf)/i;
  const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

  function looksLike(mime, b64) {
    let h;
    try { h = atob(b64.slice(0, 24)); } catch (e) { return false; }
    const at = (i, str) => h.slice(i, i + str.length) === str;
    switch (mime) {
      case "image/png": return at(0, "\x89PNG\r\n\x1a\n");
      case "image/jpeg": return at(0, "\xff\xd8\xff");
      case "image/gif": return at(0, "GIF87a") || at(0, "GIF89a");
      case "image/webp": return at(0, "RIFF") && at(8, "WEBP");
      default: return false;
    }
  }

  // The response's "files", checked: entries with a usable path and base64 content.
  function returnedFiles(body) {
    if (!body || !Array.isArray(body.files)) return [];
    const out = [];
    for (const f of body.files) {
      if (!f || typeof f !== "object" || typeof f.path !== "string" || !f.path) continue;
      const content = typeof f.content === "string" ? f.content.replace(/\s+/g, "") : "";
      const ok = (f.encoding === undefined || f.encoding === "base64") &&
        content.length % 4 === 0 && BASE64.test(content);
      const mime = typeof f.mime === "string" ? f.mime.trim().toLowerCase() : "application/octet-stream";
      out.push({
        path: f.path, mime, content: ok ? content : null,
        size: typeof f.size === "number" ? f.size : (ok ? fromBase64(content).length : 0),
      });
    }
    return out;
  }

  function baseName(p) {
    const parts = p.split("/").filter((x) => x && x !== "." && x !== "..");
    return parts.length ? parts[parts.length - 1] : "file";
  }

  // The pictures among the returned files, for the Images box.
  function fileImages(files) {
    const out = [];
    for (const f of files) {
      if (f.content === null || !INLINE_MIME.has(f.mime) || !looksLike(f.mime, f.content)) continue;
      out.push({
        key: f.path, file: f.path, raw: null,
        src: `data:${f.mime};base64,${f.content}`,
        alt: `Picture ${f.path} that the script left in output/`,
      });
    }
    return out;
  }

  function revokeDownloads() {
    for (const u of state.blobUrls) URL.revokeObjectURL(u);
    state.blobUrls = [];
  }

  function showFiles(files, truncated, inline) {
    revokeDownloads();
    el.filesOut.replaceChildren();
    el.filesBox.hidden = !files.length && !truncated;
    el.filesTrunc.hidden = !truncated;
    if (truncated) {
      el.filesTrunc.textContent = "Some files the script left in output/ were not returned: " +
        `they went past the service's limits (at most ${plural(FILE_LIMITS.maxOut, "file", "files")}, ` +
        `${fmtBytes(FILE_LIMITS.maxOutBytes)} in all).`;
    }
    for (const f of files) {
      const li = document.createElement("li");
      li.dataset.path = f.path;
      const name = document.createElement("span");
      name.className = "fname";
      name.textContent = f.path;
      const meta = document.createElement("span");
      meta.className = "fmeta";
      meta.textContent = `${fmtBytes(f.size)} · ${f.mime}`;
      li.append(name, meta);
      if (f.content === null) {
        const bad = document.createElement("span");
        bad.className = "fnote";
        bad.textContent = "not downloadable: the content did not decode";
        li.appendChild(bad);
      } else {
        // Always application/octet-stream: opened rather than saved, an
        // HTML or SVG blob would run in this page's origin.
        const url = URL.createObjectURL(new Blob([fromBase64(f.content)],
          { type: "application/octet-stream" }));
        state.blobUrls.push(url);
        const a = document.createElement("a");
        a.className = "download";
        a.href = url;
        a.download = baseName(f.path);
        a.textContent = "Download";
        a.setAttribute("aria-label", `Download ${f.path} (${fmtBytes(f.size)}, ${f.mime})`);
        li.appendChild(a);
        if (inline.has(f.path)) {
          const n = document.createElement("span");
          n.className = "fnote";
          n.textContent = "shown under Images";
          li.appendChild(n);
        } else if (RENDERABLE.test(f.mime)) {
          const n = document.createElement("span");
          n.className = "fnote";
          n.textContent = "download only: not shown in the page";
          li.appendChild(n);
        }
      }
      el.filesOut.appendChild(li);
    }
  }

  function showError(message, traceback, file) {
    el.errorBox.hidden = false;
    const lines = linkify(el.errorMessage, message || "error", file, true);
    if (traceback) {
      el.traceback.hidden = false;
      lines.push(...linkify(el.traceback, traceback, file, false));
    } else {
      el.traceback.hidden = true;
      el.traceback.textContent = "";
    }
    return lines;
  }

  function markErrorLines(lines) {
    const n = el.code.value.split("\n").length;
    const valid = lines.filter((x) => x >= 1 && x <= n);
    state.errorLines = new Set(valid);
    if (valid.length) {
      showLine(valid[valid.length - 1], false);   // innermost frame of the user's code
    } else {
      renderGutter();
    }
  }

  function lastLine(s) {
    const ls = (s || "").trim().split("\n");
    return ls[ls.length - 1] || "";
  }

  // HTTP is the response, or for a streamed answer {status: the result
  // event's http_status}; STREAMED says so (TEXT is then the event's line,
  // whose "type" and "http_status" are not part of the answer).
  function render(d, http, text, body, headers, roundtripMs, streamed) {
    resetOutput();
    const file = userFile();
    const rid = headers.get("X-Request-Id") || (body && body.request_id) || "–";
    el.mRequestId.textContent = rid;
    el.mRoundtrip.textContent = fmtMs(roundtripMs);
    el.http.textContent = `HTTP ${http.status}${http.statusText ? " " + http.statusText : ""}` +
      (streamed ? " · streamed" : "");

    let tree;
    if (body !== null && typeof body === "object") {
      try { tree = parseLossless(text); } catch (e) { tree = fromPlain(body); }
      if (streamed && tree instanceof JObj) {
        tree.entries = tree.entries.filter(([k]) => k !== "type" && k !== "http_status");
      }
    }

    // Errors that did not run the code: auth, limits, validation, overload.
    const ranOk = body && typeof body === "object" && (
      (d === "execute" && typeof body.status === "string") ||
      (d === "run" && http.status === 200 && typeof body.status === "string") ||
      (d === "invoke" && http.status === 200 && "result" in body) ||
      (d === "grade" && http.status === 200 && typeof body.verdict === "string"));
    if (!ranOk) {
      setStatus("bad", http.status === 401 ? "Not authorized" :
        http.status === 429 ? "Rate limited" : http.status === 503 ? "Busy" : "Request failed");
      let msg = body && typeof body.error === "string" ? body.error :
        `HTTP ${http.status}: ${text.slice(0, 300) || "no body"}`;
      if (body && Array.isArray(body.detail)) {
        msg += body.detail.map((x) => `\n• ${(x.loc || []).slice(1).join(".")}: ${x.msg}`).join("");
      }
      if (http.status === 401) msg += "\nEnter a valid key in the API key field.";
      showError(`${http.status}: ${msg}`, null, file);
      el.mDuration.textContent = el.mCpu.textContent = el.mMemory.textContent = "–";
      el.result.replaceChildren(printJSON(tree !== undefined ? tree : text, new Set()));
      el.resultBox.hidden = false;
      el.result.previousElementSibling.textContent = "Response";
      el.stdoutBox.hidden = el.stderrBox.hidden = true;
      el.logsBox.hidden = true;
      announce(`Request failed: ${msg.split("\n")[0]}`);
      revealOutput();
      return;
    }
    el.result.previousElementSibling.textContent = "Result";
    if (d === "grade") {
      renderGrade(body, streamed);
      showFiles([], false, new Set());
      revealOutput();
      return;
    }

    let status;
    let lines = [];
    let images = [];
    if (d === "execute") {
      status = body.status;
      el.mDuration.textContent = fmtMs(body.duration_ms);
      el.mCpu.textContent = fmtMs(body.cpu_ms);
      el.mMemory.textContent = body.max_rss_kb != null ? fmtMb(body.max_rss_kb / 1024) : "–";
      const result = getEntry(tree, "result");
      el.resultBox.hidden = result === undefined;
      if (result !== undefined) {
        images = findImages(result, null, [], 0);
        el.result.replaceChildren(printJSON(result, new Set(images.map((x) => x.raw))));
      }
      setPane(el.stdoutBox, el.stdout, body.stdout, { always: true });
      lines.push(...setPane(el.stderrBox, el.stderr, body.stderr, { always: true, file }));
      el.stdoutTrunc.hidden = !body.stdout_truncated;
      el.stderrTrunc.hidden = !body.stderr_truncated;
      el.logsBox.hidden = true;
      if (status !== "success") {
        lines = showError(body.error, body.traceback, file).concat(lines);
      }
    } else if (d === "run") {
      status = body.status;
      el.mDuration.textContent = fmtMs(typeof body.execution_time === "number" ? body.execution_time * 1000 : null);
      el.mCpu.textContent = "–";
      el.mMemory.textContent = fmtMb(body.memory_used);
      el.resultBox.hidden = true;
      setPane(el.stdoutBox, el.stdout, body.stdout, { always: true });
      setPane(el.stderrBox, el.stderr, body.stderr, { always: true, file });
      el.logsBox.hidden = true;
      // /run has no result: data URLs printed on their own lines are shown.
      for (const l of (body.stdout || "").split("\n")) {
        if (l.startsWith("data:image/") && imageSrc(l)) images.push({ key: "stdout", src: l.trim(), raw: l });
        if (images.length >= 8) break;
      }
      if (images.length) {
        // Keep the pane readable: long image lines are shortened there.
        el.stdout.textContent = body.stdout.split("\n").map((l) =>
          (l.startsWith("data:image/") && l.length > 120)
            ? l.slice(0, 60) + `… (${l.length.toLocaleString("en")} characters, shown as an image)` : l).join("\n");
      }
      if (status !== "success") {
        const stderr = body.stderr || "";
        const at = stderr.lastIndexOf("Traceback (most recent call last):");
        const fileAt = stderr.indexOf(`File "${file}"`);
        const tb = at >= 0 ? stderr.slice(at) : (fileAt >= 0 ? stderr.slice(stderr.lastIndexOf("\n", fileAt) + 1) : "");
        lines = showError(body.error || status, tb, file);
      }
    } else {
      const err = body.error;
      status = err == null ? "success"
        : /timed out/i.test(err) ? "timeout"
          : /memory limit/i.test(err) ? "memory_exceeded" : "error";
      el.mDuration.textContent = fmtMs(body.duration_ms);
      el.mCpu.textContent = "–";
      el.mMemory.textContent = "–";
      const result = getEntry(tree, "result");
      el.resultBox.hidden = false;
      images = findImages(result, null, [], 0);
      el.result.replaceChildren(printJSON(result === undefined ? null : result,
        new Set(images.map((x) => x.raw))));
      el.stdoutBox.hidden = el.stderrBox.hidden = true;
      setPane(el.logsBox, el.logs, body.logs, { always: true, file });
      if (err != null) {
        const multi = String(err).includes("\n");
        lines = showError(multi ? lastLine(err) : String(err), multi ? String(err) : null, file);
      }
    }

    setStatus(status === "success" ? "good" : "bad", status);
    const files = returnedFiles(body);
    const pictures = fileImages(files);
    images.push(...pictures);
    showFiles(files, body.files_truncated === true, new Set(pictures.map((x) => x.file)));
    showImages(images);
    revealOutput();
    markErrorLines(lines);
    const what = status === "success" ? "Finished" : "Failed";
    announce(`${what}: ${status}, ${el.mDuration.textContent}.` +
      (status !== "success" && lines.length ? ` Error at line ${lines[lines.length - 1]}.` : ""));
  }

  // On a narrow screen the output is below the form: bring it into view
  // (without moving the keyboard focus).
  function revealOutput() {
    if (!window.matchMedia("(max-width: 900px)").matches) return;
    const r = el.output.getBoundingClientRect();
    if (r.top > window.innerHeight * 0.6 || r.bottom < 0) el.output.scrollIntoView({ block: "start" });
  }

  // No answer to show: a badge, the round trip, one error, everything else empty.
  function renderNoAnswer(badge, message, roundtripMs, spoken) {
    resetOutput();
    setStatus("bad", badge);
    el.http.textContent = "";
    el.mRequestId.textContent = "–";
    el.mRoundtrip.textContent = fmtMs(roundtripMs);
    el.mDuration.textContent = el.mCpu.textContent = el.mMemory.textContent = "–";
    showError(message, null, userFile());
    el.resultBox.hidden = el.stdoutBox.hidden = el.stderrBox.hidden = el.logsBox.hidden = true;
    announce(spoken);
  }

  function renderNetworkError(e, roundtripMs) {
    renderNoAnswer("No answer", "Could not reach the service: " + (e && e.message ? e.message : e), roundtripMs,
                   "The request failed: the service did not answer.");
  }

  // ------------------------------------------------------------ verdicts (/grade)

  // Lines of S without the final newline's empty tail; noEol when S does
  // not end with one.
  function splitLines(s) {
    const lines = String(s).split("\n");
    const noEol = lines[lines.length - 1] !== "";
    if (!noEol) lines.pop();
    return { lines, noEol: noEol && s.length > 0 };
  }

  const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:inf|infinity|nan)$/i;
  const words = (x) => x.split(/\s+/).filter(Boolean);

  // When two lines count as the same under the request's compare mode.
  function lineEquality(compare) {
    if (compare === "exact") return (a, b) => a === b;
    if (compare === "tokens") return (a, b) => words(a).join(" ") === words(b).join(" ");
    if (compare && typeof compare === "object") {
      const tol = Number(compare.float_tolerance) || 0;
      const same = (x, y) => {
        if (NUMBER.test(x) && NUMBER.test(y)) {
          const a = Number(x.replace(/inf(inity)?/i, "Infinity"));
          const b = Number(y.replace(/inf(inity)?/i, "Infinity"));
          if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
          if (a === b) return true;
          return Math.abs(a - b) <= Math.max(tol, tol * Math.abs(b));
        }
        return x === y;
      };
      return (a, b) => {
        const x = words(a), y = words(b);
        return x.length === y.length && x.every((w, i) => same(w, y[i]));
      };
    }
    return (a, b) => a.trimEnd() === b.trimEnd();   // trim, the default
  }

  // A line diff of EXPECTED and ACTUAL: [{op: " " | "-" | "+", text}],
  // "-" for expected lines missing from the output, "+" for output lines
  // not expected.  A longest common subsequence; past a size, line by line.
  function lineDiff(expected, actual, compare) {
    const eq = lineEquality(compare);
    let a = expected, b = actual;
    if (compare !== "exact") {
      // Trailing blank lines never count (and whitespace-only lines do not
      // for tokens and float tolerance).
      const blank = (l) => !l.trim();
      const drop = (xs) => { xs = xs.slice(); while (xs.length && blank(xs[xs.length - 1])) xs.pop(); return xs; };
      a = drop(a);
      b = drop(b);
      if (compare !== "trim") { a = a.filter((l) => !blank(l)); b = b.filter((l) => !blank(l)); }
    }
    const n = a.length, m = b.length;
    const out = [];
    if (n * m > 2_000_000) {
      for (let i = 0; i < Math.max(n, m); i++) {
        if (i < n && i < m && eq(a[i], b[i])) { out.push({ op: " ", text: b[i] }); continue; }
        if (i < n) out.push({ op: "-", text: a[i] });
        if (i < m) out.push({ op: "+", text: b[i] });
      }
      return out;
    }
    // len[i][j]: the LCS of a[i..] and b[j..]
    const len = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        len[i][j] = eq(a[i], b[j]) ? len[i + 1][j + 1] + 1 : Math.max(len[i + 1][j], len[i][j + 1]);
      }
    }
    let i = 0, j = 0;
    while (i < n && j < m) {
      if (eq(a[i], b[j])) { out.push({ op: " ", text: b[j] }); i++; j++; }
      else if (len[i + 1][j] >= len[i][j + 1]) out.push({ op: "-", text: a[i++] });
      else out.push({ op: "+", text: b[j++] });
    }
    while (i < n) out.push({ op: "-", text: a[i++] });
    while (j < m) out.push({ op: "+", text: b[j++] });
    return out;
  }

  // The diff as a <pre>: one line per span, all of it text.
  function diffView(expected, actual, compare) {
    const e = splitLines(expected);
    const a = splitLines(actual);
    const ops = lineDiff(e.lines, a.lines, compare);
    const pre = document.createElement("pre");
    pre.className = "diff";
    pre.tabIndex = 0;
    const CLS = { " ": "diff-eq", "-": "diff-del", "+": "diff-add" };
    for (const o of ops) {
      const s = document.createElement("span");
      s.className = CLS[o.op];
      s.textContent = `${o.op} ${o.text}`;
      pre.appendChild(s);
    }
    const note = (text) => {
      const s = document.createElement("span");
      s.className = "diff-note";
      s.textContent = text;
      pre.appendChild(s);
    };
    if (!a.lines.length && !a.noEol) note("(the program wrote nothing)");
    if (!ops.some((o) => o.op !== " ")) {
      note("(the lines match: the difference is in whitespace or line breaks)");
    }
    if (compare === "exact" && e.noEol !== a.noEol) {
      note(`(${e.noEol ? "the expected output" : "the output"} has no newline at the end)`);
    }
    return pre;
  }

  const VERDICT_KIND = {
    accepted: "good", wrong_answer: "bad", runtime_error: "bad", killed: "bad",
    time_limit_exceeded: "limit", memory_limit_exceeded: "limit", output_limit_exceeded: "limit",
    skipped: "skip",
  };

  function verdictBadge(v) {
    const b = document.createElement("span");
    b.className = `verdict ${VERDICT_KIND[v] || "bad"}`;
    b.textContent = v;
    return b;
  }

  function gradeReset() {
    el.gradeRows.replaceChildren();
    state.gradeRows = 0;
    el.gradeScore.textContent = "";
  }

  function cell(tr, text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    if (text instanceof Node) td.appendChild(text); else td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  // One test's result as a row of the table, and for a failure a hidden
  // row under it with the diff, the error and stderr.
  function gradeAdd(t) {
    const i = state.gradeRows++;
    if (!t || typeof t !== "object") t = {};
    const sent = (state.graded && state.graded.tests[i]) || {};
    const name = typeof t.name === "string" && t.name ? t.name : (sent.name || `test-${i + 1}`);
    const v = typeof t.verdict === "string" ? t.verdict : "unknown";
    const tr = document.createElement("tr");
    tr.className = "test-row";
    tr.dataset.verdict = v;
    cell(tr, String(i + 1), "num");
    cell(tr, name, "tname");
    cell(tr, verdictBadge(v));
    cell(tr, fmtMs(t.duration_ms), "num");
    cell(tr, fmtMs(t.cpu_ms), "num");
    cell(tr, typeof t.max_rss_kb === "number" ? fmtMb(t.max_rss_kb / 1024) : "–", "num");
    const act = cell(tr, "", "act");
    el.gradeRows.appendChild(tr);
    if (v === "accepted" || v === "skipped") return;

    const detail = document.createElement("tr");
    detail.className = "test-detail";
    detail.id = `grade-detail-${i + 1}`;
    detail.hidden = true;
    const td = document.createElement("td");
    td.colSpan = 7;
    const file = DIALECTS.grade.file;
    if (typeof t.error === "string" && t.error) {
      const p = document.createElement("p");
      p.className = "error-message";
      linkify(p, t.error, file, true);
      td.appendChild(p);
    }
    const expected = typeof t.expected_stdout === "string" ? t.expected_stdout
      : (typeof sent.expected_stdout === "string" ? sent.expected_stdout : null);
    const actual = typeof t.stdout === "string" ? t.stdout : "";
    if (expected !== null) {
      const h = document.createElement("p");
      h.className = "diff-legend";
      const del = document.createElement("span");
      del.className = "diff-del";
      del.textContent = "- expected";
      const add = document.createElement("span");
      add.className = "diff-add";
      add.textContent = "+ your program's output";
      h.append(del, document.createTextNode(" "), add);
      td.append(h, diffView(expected, actual, state.graded ? state.graded.compare : "trim"));
    }
    if (typeof t.stderr === "string" && t.stderr) {
      const h = document.createElement("h4");
      h.textContent = "stderr";
      const pre = document.createElement("pre");
      pre.className = "test-stderr";
      pre.tabIndex = 0;
      linkify(pre, t.stderr, file, false);
      td.append(h, pre);
    }
    if (!td.childNodes.length) {
      const p = document.createElement("p");
      p.textContent = "No output and no error to show.";
      td.appendChild(p);
    }
    detail.appendChild(td);
    const what = v === "wrong_answer" ? "diff" : "details";
    const b = document.createElement("button");
    b.type = "button";
    b.className = "expand";
    b.textContent = `Show ${what}`;
    b.setAttribute("aria-expanded", "false");
    b.setAttribute("aria-controls", detail.id);
    b.setAttribute("aria-label", `Show the ${what} of test ${i + 1}, ${name}`);
    b.addEventListener("click", () => {
      const open = detail.hidden;
      detail.hidden = !open;
      b.setAttribute("aria-expanded", String(open));
      b.textContent = `${open ? "Hide" : "Show"} ${what}`;
      b.setAttribute("aria-label", `${open ? "Hide" : "Show"} the ${what} of test ${i + 1}, ${name}`);
    });
    act.appendChild(b);
    el.gradeRows.appendChild(detail);
  }

  // The whole answer: rows for the tests not shown yet (all of them unless
  // they streamed in; skipped tests only come here), the verdict, the score.
  function renderGrade(body, streamed) {
    el.resultBox.hidden = el.stdoutBox.hidden = el.stderrBox.hidden = el.logsBox.hidden = true;
    el.gradeBox.hidden = false;
    if (!streamed) gradeReset();
    const tests = Array.isArray(body.tests) ? body.tests : [];
    for (let i = state.gradeRows; i < tests.length; i++) gradeAdd(tests[i]);
    const sum = (k) => tests.reduce((x, t) => x + (t && typeof t[k] === "number" ? t[k] : 0), 0);
    const ran = tests.filter((t) => t && typeof t.duration_ms === "number");
    el.mDuration.textContent = ran.length ? fmtMs(sum("duration_ms")) : "–";
    el.mCpu.textContent = ran.length ? fmtMs(sum("cpu_ms")) : "–";
    const peak = Math.max(0, ...tests.map((t) => (t && typeof t.max_rss_kb === "number" ? t.max_rss_kb : 0)));
    el.mMemory.textContent = peak ? fmtMb(peak / 1024) : "–";
    const verdict = String(body.verdict);
    setStatus(verdict === "accepted" ? "good" : "bad", verdict);
    el.gradeScore.textContent = `${body.passed}/${body.total} passed`;
    announce(`Graded: ${verdict}, ${body.passed} of ${body.total} tests passed.`);
  }

  // ------------------------------------------------------------ request

  function fieldError(input, errNode, msg) {
    if (msg) {
      errNode.textContent = msg;
      errNode.hidden = false;
      input.setAttribute("aria-invalid", "true");
    } else {
      errNode.textContent = "";
      errNode.hidden = true;
      input.removeAttribute("aria-invalid");
    }
  }

  function parseField(input, errNode, what, objectOnly) {
    const t = input.value.trim();
    if (!t) { fieldError(input, errNode, null); return {}; }
    try {
      const v = JSON.parse(t);
      if (objectOnly && (v === null || typeof v !== "object" || Array.isArray(v))) {
        throw new Error("must be a JSON object");
      }
      fieldError(input, errNode, null);
      return v;
    } catch (e) {
      fieldError(input, errNode, `${what} is not valid JSON: ${e.message}`);
      throw e;
    }
  }

  function buildPayload(d) {
    const code = el.code.value;
    const p = {};
    if (d === "execute") {
      p.script = code;
      if (el.stdin.value) p.stdin = el.stdin.value;
    } else if (d === "run") {
      p.code = code;
    } else if (d === "grade") {
      p.code = code;
      const tests = readTests();
      if (!tests.length) {
        fieldError(el.addTest, el.testsError, "Add at least one test case to grade the program.");
        el.addTest.focus();
        return null;
      }
      fieldError(el.addTest, el.testsError, null);
      p.tests = tests.map((t) => {
        const o = {};
        if (t.name.trim()) o.name = t.name.trim();
        o.stdin = t.stdin;
        o.expected_stdout = t.expected;
        return o;
      });
      const compare = compareValue();
      if (compare === null) { el.tolerance.focus(); return null; }
      p.compare = compare;
      p.stop_on_failure = el.stopOnFailure.checked;
    } else {
      p.version = "v1";
      if (handlerName()) p.handler = handlerName();
      p.code = code;
      let bad = null;
      try { p.event = parseField(el.event, el.eventError, "The event", false); } catch (e) { bad = bad || el.event; }
      try { p.context = parseField(el.context, el.contextError, "The context", true); } catch (e) { bad = bad || el.context; }
      if (bad) { bad.focus(); return null; }
    }
    if (el.timeout.value !== "") p.timeout = Number(el.timeout.value);
    if (el.memory.value !== "") p.memory_limit = Number(el.memory.value);
    if (state.inputs.length) {
      let why = inputLimitError(state.inputs);
      const own = userFile();
      if (!why && state.inputs.some((f) => f.name === own)) {
        why = `An input file may not be named ${own}: that is the name your code runs as.`;
      }
      if (why) {
        fieldError(el.filesInput, el.filesError, why + " Remove some files to run.");
        el.filesInput.focus();
        return null;
      }
      fieldError(el.filesInput, el.filesError, null);
    }
    return p;
  }

  let ticker = null;

  function setRunning(on, stoppable) {
    state.running = on;
    el.run.disabled = on;
    el.stop.hidden = !(on && stoppable);
    el.runHelp.hidden = on && stoppable;   // Stop takes its place meanwhile
    el.stop.disabled = false;
    el.run.classList.toggle("busy", on);
    el.output.setAttribute("aria-busy", String(on));
    clearInterval(ticker);
    if (on) {
      const t0 = performance.now();
      el.runLabel.textContent = "Running…";
      ticker = setInterval(() => {
        el.runLabel.textContent = `Running… ${((performance.now() - t0) / 1000).toFixed(1)} s`;
      }, 100);
    } else {
      el.runLabel.textContent = "Run";
    }
  }

  // /execute and /run answer as a stream of NDJSON events when asked:
  // output is shown as the script writes it.
  const STREAMED = new Set(["execute", "run", "grade"]);
  const NDJSON = "application/x-ndjson";
  const LIVE_CAP = 4 * 1024 * 1024;   // characters kept per live pane

  async function run() {
    if (state.running) return;
    const d = dialect();
    const payload = buildPayload(d);
    if (!payload) return;
    state.graded = d === "grade" ? { tests: payload.tests, compare: payload.compare } : null;
    if (state.previous == null) el.note.hidden = true;
    const streamed = STREAMED.has(d);
    const ctl = new AbortController();
    state.abort = ctl;
    setRunning(true, streamed);
    announce(`Running on ${DIALECTS[d].path}…`);
    // Errors (validation, busy, auth) still come back as plain JSON.
    const headers = { "Content-Type": "application/json", Accept: streamed ? NDJSON : "application/json" };
    const key = el.key.value.trim();
    if (key) headers["X-API-Key"] = key;
    if (state.inputs.length) {
      try {
        payload.files = await encodeInputs();
      } catch (e) {
        fieldError(el.filesInput, el.filesError, e.message);
        state.abort = null;
        setRunning(false);
        return;
      }
    }
    const t0 = performance.now();
    let live = null;
    try {
      const r = await fetch(DIALECTS[d].path, {
        method: "POST", headers, body: JSON.stringify(payload), cache: "no-store",
        signal: ctl.signal,
      });
      const type = (r.headers.get("Content-Type") || "").split(";")[0].trim().toLowerCase();
      if (streamed && r.ok && type === NDJSON && r.body) {
        live = startLive(r.headers, d);
        await readStream(d, r, live, t0);
      } else {
        // Not a stream (an error, an older service, /invoke): as it is.
        const text = await r.text();
        let body = null;
        try { body = JSON.parse(text); } catch (e) { body = null; }
        render(d, r, text, body, r.headers, performance.now() - t0);
      }
    } catch (e) {
      if (live) {
        endLiveWithout(ctl.signal.aborted ? null : e, performance.now() - t0);
      } else if (ctl.signal.aborted) {
        renderStopped(performance.now() - t0);
      } else {
        renderNetworkError(e, performance.now() - t0);
      }
    } finally {
      if (live) live.stop();
      state.abort = null;
      setRunning(false);
    }
  }

  // The output panes while the stream runs: what the script writes so far.
  function startLive(headers, d) {
    resetOutput();
    setStatus("live", "running");
    el.http.textContent = "HTTP 200 · streaming";
    el.mRequestId.textContent = headers.get("X-Request-Id") || "–";
    el.mDuration.textContent = el.mCpu.textContent = el.mMemory.textContent =
      el.mRoundtrip.textContent = "–";
    el.resultBox.hidden = el.logsBox.hidden = true;
    const panes = {};
    for (const [name, box, pre, trunc] of [
      ["stdout", el.stdoutBox, el.stdout, el.stdoutTrunc],
      ["stderr", el.stderrBox, el.stderr, el.stderrTrunc],
    ]) {
      box.hidden = false;
      box.classList.add("empty");
      pre.textContent = "(nothing yet)";
      panes[name] = { box, pre, trunc, node: null, size: 0 };
    }
    // /grade: a row of the verdict table per finished test instead.
    const grading = d === "grade";
    const label = grading ? "tests running" : "live output";
    const live = {
      panes,
      onTest: null,
      lastOutput: performance.now(),
      quiet: setInterval(() => {
        const s = Math.floor((performance.now() - live.lastOutput) / 1000);
        el.live.textContent = s >= 5 ? `still running · no ${grading ? "test finished" : "output"} for ${s} s` : label;
      }, 1000),
      stop() { clearInterval(live.quiet); el.live.hidden = true; },
    };
    if (grading) {
      el.stdoutBox.hidden = el.stderrBox.hidden = true;
      el.gradeBox.hidden = false;
      gradeReset();
      const total = state.graded ? state.graded.tests.length : 0;
      const progress = () => { el.gradeScore.textContent = `${state.gradeRows} of ${total} run`; };
      progress();
      live.onTest = (ev) => {
        const t = { ...ev };
        delete t.type;
        gradeAdd(t);
        live.lastOutput = performance.now();
        progress();
      };
    }
    el.live.textContent = label;
    el.live.hidden = false;
    revealOutput();
    return live;
  }

  // Append TEXT to a live pane (a DOM text node, never markup); the pane
  // keeps following the end unless the user scrolled up in it.
  function appendLive(live, name, text) {
    const p = live.panes[name];
    if (!text) return;
    live.lastOutput = performance.now();
    if (p.size >= LIVE_CAP) { p.trunc.hidden = false; return; }
    if (p.size + text.length > LIVE_CAP) {
      text = text.slice(0, LIVE_CAP - p.size);
      p.trunc.hidden = false;
    }
    const pre = p.pre;
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    if (!p.node) {
      p.box.classList.remove("empty");
      p.node = document.createTextNode("");
      pre.replaceChildren(p.node);
    }
    p.node.appendData(text);
    p.size += text.length;
    if (atEnd) pre.scrollTop = pre.scrollHeight;
  }

  // Read the NDJSON stream to its result event, showing output as it comes.
  async function readStream(d, r, live, t0) {
    const reader = r.body.getReader();
    const dec = new TextDecoder();
    let buf = "";
    let scan = 0;         // where in buf to look for the next newline
    let finished = false;
    for (;;) {
      const { value, done } = await reader.read();
      buf += done ? dec.decode() : dec.decode(value, { stream: true });
      const out = { stdout: "", stderr: "" };
      let start = 0;
      let nl;
      const lines = [];
      while ((nl = buf.indexOf("\n", scan)) >= 0) {
        lines.push(buf.slice(start, nl));
        start = scan = nl + 1;
      }
      buf = buf.slice(start);
      scan = buf.length;
      if (done && buf.trim()) { lines.push(buf); buf = ""; }
      for (const line of lines) {
        if (!line.trim()) continue;
        let ev;
        try { ev = JSON.parse(line); } catch (e) { continue; }   // not an event: skipped
        if (!ev || typeof ev !== "object") continue;
        if ((ev.type === "stdout" || ev.type === "stderr") && typeof ev.data === "string") {
          out[ev.type] += ev.data;
        } else if (ev.type === "test" && live.onTest) {
          live.onTest(ev);
        } else if (ev.type === "result") {
          appendLive(live, "stdout", out.stdout);
          appendLive(live, "stderr", out.stderr);
          out.stdout = out.stderr = "";
          const body = { ...ev };
          delete body.type;
          delete body.http_status;
          const status = typeof ev.http_status === "number" ? ev.http_status : 200;
          live.stop();
          render(d, { status, statusText: "" }, line, body, r.headers, performance.now() - t0, true);
          finished = true;
        }
        // "ping" and events this page does not know: nothing to show
        // (the quiet timer says the script is still running).
      }
      appendLive(live, "stdout", out.stdout);
      appendLive(live, "stderr", out.stderr);
      if (finished) {
        reader.cancel().catch(() => {});
        return;
      }
      if (done) break;
    }
    throw new Error("the stream ended before the result");
  }

  // The stream stopped without its result: Stop (ERR null) or a broken
  // connection. What arrived stays in the panes.
  function endLiveWithout(err, roundtripMs) {
    el.mRoundtrip.textContent = fmtMs(roundtripMs);
    el.http.textContent = "HTTP 200 · streamed";
    setStatus("bad", err ? "No result" : "stopped");
    for (const p of [el.stdoutBox, el.stderrBox]) {
      if (p.classList.contains("empty")) p.querySelector("pre").textContent = "(empty)";
    }
    const grading = dialect() === "grade" && !el.gradeBox.hidden;
    if (grading) {
      el.gradeScore.textContent = `${state.gradeRows} of ${state.graded ? state.graded.tests.length : "?"} run`;
    }
    if (err) {
      showError("The answer broke off: " + (err && err.message ? err.message : err) +
        (grading ? ". The table shows the tests that finished before." : ". The output above is what arrived."),
        null, userFile());
      announce("The answer broke off before the result.");
    } else {
      showError(grading ? "Stopped: the grading was ended. The table shows the tests that finished before."
        : "Stopped: the job was ended. The output above is what it wrote until then.", null, userFile());
      announce("Stopped.");
    }
  }

  function renderStopped(roundtripMs) {
    renderNoAnswer("stopped", "Stopped before the service answered.", roundtripMs, "Stopped.");
  }

  el.stop.addEventListener("click", () => {
    if (!state.abort) return;
    el.stop.disabled = true;
    state.abort.abort();
  });

  el.run.addEventListener("click", run);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      run();
    }
  });

  // ------------------------------------------------------------ start

  state.loaded = "";
  loadExample("hello", dialect());
  applyDialect();
  checkHealth();
  document.documentElement.classList.add("ready");
})();
