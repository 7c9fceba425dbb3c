// Real-browser tests of the playground: Debian's chromium driven by
// playwright-core, against the real stack (nginx + sandrun-fcgi) started
// with dev/stack.
//
//   cd tests/browser && npm ci && node --test playground.test.mjs
//
// Environment:
//   SANDRUN_BUILD_DIR      build tree holding fcgi-app/sandrun-fcgi
//                          (default: the source tree)
//   SANDRUN_SCREENSHOTS    where screenshots go
//                          (default: <source>/test-results/screenshots)
//   SANDRUN_CHROMIUM       the browser (default: /usr/bin/chromium)
//   SANDRUN_KEEP_STATE     keep the stack's state directory
//   SANDRUN_JOB_UID_BASE   uid of slot 0's jobs, passed to the stack as
//                          --job_uid_base (as tests/lib/stack.py does), so
//                          that stacks running at the same time do not share uids

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, chmodSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { chromium } from "playwright-core";

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const SRC_DIR = path.resolve(HERE, "..", "..");
const STACK = path.join(SRC_DIR, "dev", "stack");
// the page is driven faster than the documented rate limit allows
process.env.SANDRUN_RATE_LIMITS ??= "off";
const BUILD_DIR = path.resolve(process.env.SANDRUN_BUILD_DIR || SRC_DIR);
const SHOTS = path.resolve(process.env.SANDRUN_SCREENSHOTS ||
  path.join(SRC_DIR, "test-results", "screenshots"));
const CHROMIUM = process.env.SANDRUN_CHROMIUM || "/usr/bin/chromium";
const RUN_TIMEOUT = 30_000;   // one run of a script, as the page sees it

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

let stateDir, port, key, base, context, userDataDir;
const outsideRequests = [];

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

// A fresh page of the shared browser profile (so local storage persists).
async function newPage(viewport = { width: 1280, height: 900 }) {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    // The browser logs every 4xx answer; those are expected here.
    if (m.type() === "error" && !/^Failed to load resource/.test(m.text())) errors.push(m.text());
  });
  page.jsErrors = errors;
  await page.goto(base + "/", { waitUntil: "load" });
  await page.waitForSelector("html.ready");
  return page;
}

async function setKey(page, value) {
  await page.fill("#api-key", value);
}

async function chooseExample(page, name) {
  await page.selectOption("#example", name);
}

async function chooseDialect(page, name) {
  await page.selectOption("#dialect", name);
}

// Click Run and wait for the answer; returns the HTTP response.
async function runAndWait(page, trigger = () => page.click("#run")) {
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST", { timeout: RUN_TIMEOUT }),
    trigger(),
  ]);
  await page.waitForFunction(() => !document.getElementById("run").disabled, null,
    { timeout: RUN_TIMEOUT });
  return resp;
}

const text = (page, sel) => page.locator(sel).innerText();
const visible = (page, sel) => page.locator(sel).isVisible();
// The editor line the gutter marks as where the error is.
const errorLine = (page) => page.locator("#gutter span.err.current").innerText();

// A fresh page with the right key typed in, for a test that runs scripts.
async function keyedPage(viewport) {
  const page = await newPage(viewport);
  await setKey(page, key);
  return page;
}

// The end of a test: its screenshot, if it takes one, no JavaScript error
// on the page, the page closed.
async function done(page, screenshot) {
  if (screenshot) await shot(page, screenshot);
  assert.deepEqual(page.jsErrors, []);
  await page.close();
}

// Run the editor's script, which fails: the page says "error" and shows the
// message, the traceback and the line of the editor it points at.
async function runFailing(page, { message, traceback, line }) {
  await runAndWait(page);
  assert.equal(await text(page, "#status"), "error");
  assert.match(await text(page, "#error-message"), message);
  if (traceback) assert.match(await text(page, "#traceback"), traceback);
  if (line) assert.equal(await errorLine(page), line);
}

describe("playground in a real browser", () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    stateDir = mkdtempSync("/tmp/sandrun-browser-");
    chmodSync(stateDir, 0o755);
    port = await freePort();
    key = randomBytes(16).toString("hex");
    base = `http://127.0.0.1:${port}`;
    try {
      const env = { ...process.env };
      const uidBase = process.env.SANDRUN_JOB_UID_BASE;
      if (uidBase && !/--job_uid_base/.test(env.SANDRUN_EXTRA_ARGS || "")) {
        env.SANDRUN_EXTRA_ARGS = `${env.SANDRUN_EXTRA_ARGS || ""} --job_uid_base ${uidBase}`.trim();
      }
      await run(STACK, ["start", stateDir, String(port), key, BUILD_DIR], { timeout: 120_000, env });
    } catch (e) {
      await run(STACK, ["stop", stateDir]).catch(() => {});
      throw new Error(`dev/stack start failed: ${e.stdout || ""}${e.stderr || ""}`);
    }
    userDataDir = mkdtempSync("/tmp/sandrun-chromium-");
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
      ],
      timeout: 60_000,
    });
    context.setDefaultTimeout(15_000);
    // Everything the page loads must come from the stack itself.
    context.on("request", (r) => {
      const u = r.url();
      if (!u.startsWith(base + "/") && !u.startsWith("data:")) outsideRequests.push(u);
    });
  });

  after(async () => {
    if (context) await context.close().catch(() => {});
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    if (stateDir) {
      await run(STACK, ["stop", stateDir]).catch(() => {});
      if (!process.env.SANDRUN_KEEP_STATE) rmSync(stateDir, { recursive: true, force: true });
    }
  });

  test("GET / serves the page to browsers and /health JSON to API clients", async () => {
    const html = await fetch(base + "/", { headers: { Accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    assert.equal(html.status, 200);
    assert.match(html.headers.get("content-type"), /^text\/html/);
    assert.match(html.headers.get("x-request-id") || "", /^[0-9a-f]{32}$/);
    assert.match(html.headers.get("vary") || "", /Accept/);
    assert.match(html.headers.get("content-security-policy") || "", /default-src 'none'/);
    assert.match(await html.text(), /sandrun playground/);

    for (const accept of ["application/json", "*/*", null]) {
      const r = await fetch(base + "/", { headers: accept ? { Accept: accept } : {} });
      assert.equal(r.status, 200, `Accept: ${accept}`);
      assert.equal(r.headers.get("content-type"), "application/json; charset=utf-8");
      assert.equal((await r.json()).status, "healthy");
    }
    for (const p of ["/playground/", "/playground", "/playground/index.html"]) {
      const r = await fetch(base + p);
      assert.equal(r.status, 200, p);
      assert.match(r.headers.get("content-type"), /^text\/html/, p);
    }
    const js = await fetch(base + "/playground/playground.js");
    assert.match(js.headers.get("content-type"), /^application\/javascript/);
    const css = await fetch(base + "/playground/playground.css");
    assert.match(css.headers.get("content-type"), /^text\/css/);
    const missing = await fetch(base + "/playground/nope.js");
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: "not found" });
    const post = await fetch(base + "/playground/", { method: "POST", body: "x" });
    assert.equal(post.status, 405);
  });

  test("the page loads, checks the service, keeps the key in local storage", async () => {
    const page = await newPage();
    await page.waitForFunction(() => /Healthy/.test(document.getElementById("service").textContent));
    assert.match(await page.inputValue("#code"), /def main\(\):/);
    assert.equal(await page.locator("#gutter span").count(),
      (await page.inputValue("#code")).split("\n").length);
    await setKey(page, key);
    await page.reload();
    await page.waitForSelector("html.ready");
    assert.equal(await page.inputValue("#api-key"), key);
    assert.equal(await page.evaluate(() => localStorage.getItem("sandrun.playground.apiKey")), key);
    await done(page, "01-loaded");
  });

  test("hello on /execute: result, stdout, status, timings, request id", async () => {
    const page = await keyedPage();
    await chooseExample(page, "hello");
    const resp = await runAndWait(page);
    assert.equal(resp.url(), base + "/execute");
    assert.equal(resp.status(), 200);
    assert.equal(await text(page, "#status"), "success");
    const result = JSON.parse(await text(page, "#result"));
    assert.deepEqual(result, { answer: 10, greeting: "Hello from sandrun!" });
    assert.match(await text(page, "#stdout"), /Calculating\.\.\./);
    assert.equal(await text(page, "#m-request-id"), resp.headers()["x-request-id"]);
    assert.match(await text(page, "#m-duration"), /^\d+(\.\d+)? (ms|s)$/);
    assert.match(await text(page, "#m-cpu"), /^\d+(\.\d+)? (ms|s)$/);
    assert.match(await text(page, "#m-memory"), /^\d+(\.\d+)? MB$/);
    assert.equal(await visible(page, "#error-box"), false);
    assert.equal(await page.locator("#run").isDisabled(), false);
    assert.equal(await text(page, "#run-label"), "Run");
    await done(page, "02-hello-execute");
  });

  test("a script that raises: the error, its traceback lines point at the editor", async () => {
    const page = await keyedPage();
    const script = [
      "def inner(values):",
      "    total = 0",
      "    return total / len(values)",
      "",
      "def main():",
      "    print('before the error')",
      "    return inner([])",
      "",
    ].join("\n");
    await page.fill("#code", script);
    // The innermost line of the user's code is marked in the gutter and
    // highlighted in the editor.
    await runFailing(page, { message: /ZeroDivisionError: division by zero/,
      traceback: /File "script\.py", line 3, in inner/, line: "3" });
    assert.equal(await visible(page, "#error-box"), true);
    assert.deepEqual(await page.locator("#gutter span.err").allInnerTexts(), ["3", "7"].map((x, i) => x));
    assert.equal(await visible(page, "#line-mark"), true);
    // Clicking a line reference selects that line of the editor.
    await page.locator('#traceback button.lineref[data-line="7"]').click();
    const sel = await page.evaluate(() => {
      const ta = document.getElementById("code");
      return {
        focused: document.activeElement === ta,
        text: ta.value.slice(ta.selectionStart, ta.selectionEnd),
      };
    });
    assert.deepEqual(sel, { focused: true, text: "    return inner([])" });
    assert.equal(await errorLine(page), "7");
    await shot(page, "03-error-line");

    // A syntax error points at its line too.
    await page.fill("#code", "def main():\n    x = 1\n    return (x\n");
    await runFailing(page, { message: /SyntaxError/ });
    const ref = page.locator("#error-message button.lineref");
    assert.equal(await ref.count(), 1);
    assert.equal(await page.locator("#gutter span.err.current").count(), 1);
    await done(page);
  });

  test("the matplotlib example shows an image of non-zero size", async () => {
    const page = await keyedPage();
    await chooseExample(page, "matplotlib");
    assert.match(await page.inputValue("#code"), /savefig/);
    await runAndWait(page);
    assert.equal(await text(page, "#status"), "success", await text(page, "#output"));
    const img = page.locator("#images img.result-image").first();
    await img.waitFor({ state: "visible" });
    await page.waitForFunction(() => {
      const i = document.querySelector("#images img");
      return i && i.complete && i.naturalWidth > 0;
    });
    const size = await img.evaluate((i) => ({
      nw: i.naturalWidth, nh: i.naturalHeight,
      w: i.getBoundingClientRect().width, h: i.getBoundingClientRect().height,
    }));
    assert.ok(size.nw > 100 && size.nh > 100, JSON.stringify(size));
    assert.ok(size.w > 0 && size.h > 0, JSON.stringify(size));
    // The long base64 string is shortened in the JSON view.
    assert.match(await text(page, "#result"), /shown as an image/);
    await img.scrollIntoViewIfNeeded();
    await done(page, "04-matplotlib");
  });

  test("a wrong key shows the 401 message", async () => {
    const page = await newPage();
    await setKey(page, "not-the-key");
    const resp = await runAndWait(page);
    assert.equal(resp.status(), 401);
    assert.equal(await visible(page, "#error-box"), true);
    assert.match(await text(page, "#error-message"), /401: missing or invalid API key/);
    assert.match(await text(page, "#http"), /HTTP 401/);
    assert.equal(await text(page, "#m-request-id"), resp.headers()["x-request-id"]);
    await shot(page, "05-wrong-key");
    // No key at all: the same.
    await setKey(page, "");
    const resp2 = await runAndWait(page);
    assert.equal(resp2.status(), 401);
    assert.match(await text(page, "#error-message"), /missing or invalid API key/);
    await page.close();
  });

  test("/run: plain code, stdout, errors on their line", async () => {
    const page = await keyedPage();
    await chooseDialect(page, "run");
    // The unedited example follows the dialect.
    assert.doesNotMatch(await page.inputValue("#code"), /def main/);
    const resp = await runAndWait(page);
    assert.equal(resp.url(), base + "/run");
    assert.equal(await text(page, "#status"), "success");
    assert.match(await text(page, "#stdout"), /Hello from sandrun!\nsum: 10/);
    assert.match(await text(page, "#m-memory"), /MB$/);
    assert.equal(await visible(page, "#result-box"), false);
    await shot(page, "06-run");

    await chooseExample(page, "error");
    await runFailing(page, { message: /ZeroDivisionError on line 2/,
      traceback: /File "main\.py", line 6/, line: "2" });
    await done(page, "07-run-error");
  });

  test("/invoke: event and context, result, logs, handler errors", async () => {
    const page = await keyedPage();
    await chooseDialect(page, "invoke");
    assert.equal(await visible(page, "#invoke-fields"), true);
    assert.match(await page.inputValue("#code"), /def handler\(event, context\)/);
    await page.fill("#event", '{"name": "browser"}');
    await page.fill("#context", '{"request_id": "r-42"}');
    const resp = await runAndWait(page);
    assert.equal(resp.url(), base + "/invoke");
    const sent = JSON.parse(resp.request().postData());
    assert.equal(sent.version, "v1");
    assert.equal(sent.handler, "main.handler");
    assert.deepEqual(sent.event, { name: "browser" });
    assert.equal(await text(page, "#status"), "success");
    assert.deepEqual(JSON.parse(await text(page, "#result")),
      { greeting: "Hello, browser!", request: "r-42" });
    assert.match(await text(page, "#logs"), /INFO:root:got \{'name': 'browser'\}/);
    assert.equal(await visible(page, "#stdout-box"), false);
    await shot(page, "08-invoke");

    // Invalid event JSON is caught before sending.
    await page.fill("#event", "{not json");
    await page.click("#run");
    assert.equal(await visible(page, "#event-error"), true);
    assert.equal(await page.getAttribute("#event", "aria-invalid"), "true");

    await chooseExample(page, "error");
    await runFailing(page, { message: /ZeroDivisionError/,
      traceback: /File "main\.py", line 2, in average/, line: "2" });
    await done(page);
  });

  test("Ctrl+Enter runs once; the button shows progress and is disabled meanwhile", async () => {
    const page = await keyedPage();
    await page.fill("#code", "import time\n\ndef main():\n    time.sleep(1.5)\n    return 'slept'\n");
    let posts = 0;
    page.on("request", (r) => { if (r.method() === "POST") posts++; });
    await page.focus("#code");
    await page.keyboard.press("Control+Enter");
    await page.waitForFunction(() => document.getElementById("run").disabled);
    assert.match(await text(page, "#run-label"), /Running/);
    await shot(page, "09-running");
    await page.keyboard.press("Control+Enter");
    await page.locator("#run").click({ force: true, timeout: 2000 }).catch(() => {});
    await page.waitForFunction(() => !document.getElementById("run").disabled, null,
      { timeout: RUN_TIMEOUT });
    assert.equal(posts, 1);
    assert.equal(await text(page, "#status"), "success");
    assert.equal(await text(page, "#result"), '"slept"');
    await page.close();
  });

  test("the editor: Tab inserts spaces, Esc then Tab leaves it", async () => {
    const page = await newPage();
    await page.fill("#code", "");
    await page.focus("#code");
    await page.keyboard.type("def main():");
    await page.keyboard.press("Enter");
    await page.keyboard.type("return 1");
    await page.keyboard.press("Enter");
    await page.keyboard.press("Tab");
    await page.keyboard.type("x");
    assert.equal(await page.inputValue("#code"), "def main():\n    return 1\n        x");
    assert.equal(await page.evaluate(() => document.activeElement.id), "code");
    await page.keyboard.press("Escape");
    await page.keyboard.press("Tab");
    assert.notEqual(await page.evaluate(() => document.activeElement.id), "code");
    await page.close();
  });

  test("accessible: every control has a label; usable at phone width", async () => {
    const page = await newPage({ width: 375, height: 800 });
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll("input, select, textarea, button")]
        .filter((c) => !(c.labels && c.labels.length) && !c.getAttribute("aria-label") &&
          !c.getAttribute("aria-labelledby") && !(c.textContent || "").trim())
        .map((c) => c.id || c.outerHTML.slice(0, 60)));
    assert.deepEqual(unlabelled, []);
    assert.equal(await page.getAttribute("html", "lang"), "en");
    await setKey(page, key);
    await runAndWait(page);
    assert.equal(await text(page, "#status"), "success", await text(page, "#output"));
    const overflow = await page.evaluate(() =>
      document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    const box = await page.locator("#run").boundingBox();
    assert.ok(box.width >= 44 && box.height >= 36, JSON.stringify(box));
    await shot(page, "10-phone");
    await page.close();
  });

  // ---------------------------------------------------------- files in and out

  // The download a click on LINK starts: its suggested name and its bytes.
  async function download(page, link) {
    const [dl] = await Promise.all([page.waitForEvent("download"), link.click()]);
    const file = await dl.path();
    return { name: dl.suggestedFilename(), bytes: readFileSync(file) };
  }

  const outFile = (page, p) => page.locator(`#files-out li[data-path="${p}"]`);

  test("input files: a CSV through the file picker, a report offered for download", async () => {
    const page = await keyedPage();
    await page.fill("#code", [
      "import csv",
      "import os",
      "",
      "def main():",
      "    with open('data.csv', newline='') as f:",
      "        rows = list(csv.DictReader(f))",
      "    total = sum(int(r['qty']) for r in rows)",
      "    os.makedirs('output', exist_ok=True)",
      "    with open('output/report.csv', 'w') as f:",
      "        f.write('fruit,qty,share\\n')",
      "        for r in rows:",
      "            f.write(f\"{r['fruit']},{r['qty']},{int(r['qty']) / total:.2f}\\n\")",
      "    return {'rows': len(rows), 'total': total}",
      "",
    ].join("\n"));
    const csv = "fruit,qty\napple,3\npear,5\nplum,2\n";
    await page.setInputFiles("#files-input", [
      { name: "data.csv", mimeType: "text/csv", buffer: Buffer.from(csv) },
      { name: "extra.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(3000, 7) },
    ]);
    // Listed with names and sizes; one removed again.
    const items = page.locator("#files-list li");
    assert.equal(await items.count(), 2);
    assert.match(await items.nth(0).innerText(), new RegExp(`data\\.csv\\s+${csv.length} B`));
    assert.match(await items.nth(1).innerText(), /extra\.bin\s+2\.9 KiB/);
    assert.match(await text(page, "#files-total"), /^2 files, /);
    await page.getByRole("button", { name: "Remove extra.bin" }).click();
    assert.deepEqual(await page.locator("#files-list .fname").allInnerTexts(), ["data.csv"]);
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute("aria-label")),
      "Remove data.csv");

    const resp = await runAndWait(page);
    const sent = JSON.parse(resp.request().postData());
    assert.deepEqual(sent.files, [
      { path: "data.csv", content: Buffer.from(csv).toString("base64"), encoding: "base64" },
    ]);
    assert.equal(await text(page, "#status"), "success", await text(page, "#output"));
    assert.deepEqual(JSON.parse(await text(page, "#result")), { rows: 3, total: 10 });

    const report = "fruit,qty,share\napple,3,0.30\npear,5,0.50\nplum,2,0.20\n";
    const item = outFile(page, "output/report.csv");
    assert.equal(await page.locator("#files-out li").count(), 1);
    assert.match(await item.innerText(), new RegExp(`output/report\\.csv\\s+${report.length} B · text/csv`));
    const link = item.locator("a.download");
    assert.equal(await link.getAttribute("download"), "report.csv");
    const got = await download(page, link);
    assert.equal(got.name, "report.csv");
    assert.equal(got.bytes.toString("utf8"), report);
    assert.equal(await visible(page, "#files-trunc"), false);
    assert.equal(await visible(page, "#image-box"), false);
    // The attached file stays for the next run.
    assert.deepEqual(await page.locator("#files-list .fname").allInnerTexts(), ["data.csv"]);
    await done(page, "11-files-report");
  });

  test("input files past the service's limits are refused before sending", async () => {
    const page = await keyedPage();
    const health = await (await fetch(base + "/health", { headers: { Accept: "application/json" } })).json();
    const { max_files_in: maxIn, max_files_in_bytes: maxBytes } = health.limits;
    assert.ok(maxIn > 1 && maxBytes > 0, JSON.stringify(health.limits));
    await page.waitForFunction((n) => document.getElementById("files-max-count").textContent === String(n), maxIn);
    const many = Array.from({ length: maxIn + 1 }, (_, i) =>
      ({ name: `f${i}.txt`, mimeType: "text/plain", buffer: Buffer.from(String(i)) }));
    await page.setInputFiles("#files-input", many);
    assert.equal(await visible(page, "#files-error"), true);
    assert.match(await text(page, "#files-error"),
      new RegExp(`at most ${maxIn} input files.*would make ${maxIn + 1}.*not attached`));
    assert.equal(await page.locator("#files-list li").count(), 0);
    assert.equal(await page.getAttribute("#files-input", "aria-invalid"), "true");

    // Exactly the limit is fine.
    await page.setInputFiles("#files-input", many.slice(0, maxIn));
    assert.equal(await visible(page, "#files-error"), false);
    assert.equal(await page.locator("#files-list li").count(), maxIn);
    // One more on top is refused, and the attached ones stay.
    await page.setInputFiles("#files-input", [{ name: "one-more.txt", mimeType: "text/plain", buffer: Buffer.from("x") }]);
    assert.match(await text(page, "#files-error"), /Too many files/);
    assert.equal(await page.locator("#files-list li").count(), maxIn);
    for (let i = 0; i < maxIn; i++) await page.locator("#files-list button.remove").first().click();
    assert.equal(await page.locator("#files-list li").count(), 0);

    // More bytes than the limit: refused, nothing sent.
    await page.setInputFiles("#files-input", [
      { name: "big.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(maxBytes + 1) },
    ]);
    assert.match(await text(page, "#files-error"), /Too large: the service takes at most .* of input files/);
    assert.equal(await page.locator("#files-list li").count(), 0);
    let posts = 0;
    page.on("request", (r) => { if (r.method() === "POST") posts++; });
    // A file named like the code itself is caught too.
    await page.setInputFiles("#files-input", [{ name: "script.py", mimeType: "text/plain", buffer: Buffer.from("x") }]);
    await page.click("#run");
    assert.match(await text(page, "#files-error"), /may not be named script\.py/);
    assert.equal(posts, 0);
    await done(page);
  });

  test("plt.show() comes back as a PNG, shown inline and offered for download", async () => {
    const page = await keyedPage();
    await page.fill("#code", [
      "import matplotlib.pyplot as plt",
      "import numpy as np",
      "",
      "def main():",
      "    x = np.linspace(0, 4 * np.pi, 300)",
      "    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)",
      "    ax.plot(x, np.sin(x) * np.exp(-x / 6), label='damped sine')",
      "    ax.set_title('Drawn in the sandbox, returned by plt.show()')",
      "    ax.legend()",
      "    plt.show()",
      "    return 'drawn'",
      "",
    ].join("\n"));
    await runAndWait(page);
    assert.equal(await text(page, "#status"), "success", await text(page, "#output"));
    const img = page.locator('#images img[data-file="output/figure-1.png"]');
    await img.waitFor({ state: "visible" });
    await page.waitForFunction(() => {
      const i = document.querySelector('#images img[data-file="output/figure-1.png"]');
      return i && i.complete && i.naturalWidth > 0;
    });
    const info = await img.evaluate((i) => ({
      src: i.getAttribute("src").slice(0, 40), nw: i.naturalWidth, nh: i.naturalHeight,
      w: i.getBoundingClientRect().width, cap: i.nextElementSibling.textContent,
    }));
    assert.ok(info.src.startsWith("data:image/png;base64,iVBORw0KGgo"), info.src);
    assert.ok(info.nw > 100 && info.nh > 100 && info.w > 0, JSON.stringify(info));
    assert.equal(info.cap, "output/figure-1.png");
    const item = outFile(page, "output/figure-1.png");
    assert.match(await item.innerText(), /image\/png/);
    assert.match(await item.innerText(), /shown under Images/);
    const got = await download(page, item.locator("a.download"));
    assert.equal(got.name, "figure-1.png");
    assert.equal(got.bytes.subarray(0, 8).toString("hex"), "89504e470d0a1a0a");
    await img.scrollIntoViewIfNeeded();
    await done(page, "12-files-chart");
  });

  test("SVG, HTML and a fake PNG come back for download only, never rendered", async () => {
    const page = await keyedPage();
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" onload="window.pwned=1">' +
      '<script>window.pwned=2</script><rect width="40" height="40"/></svg>';
    const html = '<!doctype html><p id="x">hi</p><script>window.pwned=3</script><img src=x onerror="window.pwned=4">';
    await chooseDialect(page, "run");
    await page.fill("#code", [
      "import os",
      "os.makedirs('output', exist_ok=True)",
      `open('output/drawing.svg', 'w').write(${JSON.stringify(svg)})`,
      `open('output/page.html', 'w').write(${JSON.stringify(html)})`,
      `open('output/not-really.png', 'w').write(${JSON.stringify(svg)})`,
      "print('written')",
      "",
    ].join("\n"));
    await runAndWait(page);
    assert.equal(await text(page, "#status"), "success", await text(page, "#output"));
    assert.deepEqual(await page.locator("#files-out li .fname").allInnerTexts(),
      ["output/drawing.svg", "output/not-really.png", "output/page.html"]);
    // Nothing of them is in the page: no image, no frame, no inline SVG or HTML.
    assert.equal(await visible(page, "#image-box"), false);
    assert.equal(await page.locator("#output img, #output svg, #output iframe, #output object, #output embed").count(), 0);
    assert.equal(await page.locator("#output #x").count(), 0);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    for (const p of ["output/drawing.svg", "output/page.html"]) {
      assert.match(await outFile(page, p).innerText(), /download only/, p);
    }
    assert.match(await outFile(page, "output/drawing.svg").innerText(), /image\/svg\+xml/);
    assert.match(await outFile(page, "output/page.html").innerText(), /text\/html/);
    // The downloads are the bytes the script wrote, under their base names.
    const gotSvg = await download(page, outFile(page, "output/drawing.svg").locator("a.download"));
    assert.equal(gotSvg.name, "drawing.svg");
    assert.equal(gotSvg.bytes.toString("utf8"), svg);
    const gotHtml = await download(page, outFile(page, "output/page.html").locator("a.download"));
    assert.equal(gotHtml.name, "page.html");
    assert.equal(gotHtml.bytes.toString("utf8"), html);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    await done(page, "13-files-download-only");
  });

  test("files_truncated shows a note; a picture whose bytes are not its type is not shown", async () => {
    const page = await keyedPage();
    const gif = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";   // 1x1 GIF
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="window.pwned=1"/>').toString("base64");
    const answer = {
      status: "success", result: null, stdout: "", stderr: "", duration_ms: 5, cpu_ms: 4, max_rss_kb: 9000,
      files: [
        { path: "output/a.gif", size: 42, mime: "image/gif", encoding: "base64", content: gif },
        { path: "output/b.png", size: 66, mime: "image/png", encoding: "base64", content: svg },
        { path: "output/c.bin", size: 3, mime: "application/octet-stream", encoding: "base64", content: "not base64!" },
      ],
      files_truncated: true,
    };
    // The service's own answer is replaced: these are what a broken or
    // hostile answer could hold.
    await page.route("**/execute", (route) => route.fulfill({
      status: 200, contentType: "application/json", body: JSON.stringify(answer),
    }));
    await runAndWait(page);
    assert.equal(await text(page, "#status"), "success");
    assert.equal(await visible(page, "#files-trunc"), true);
    assert.match(await text(page, "#files-trunc"), /were not returned: they went past the service's limits \(at most \d+ files, /);
    assert.equal(await page.locator("#images img").count(), 1);
    assert.equal(await page.getAttribute("#images img", "data-file"), "output/a.gif");
    assert.ok((await page.getAttribute("#images img", "src")).startsWith("data:image/gif;base64,"));
    assert.equal(await outFile(page, "output/b.png").locator("a.download").count(), 1);
    assert.equal(await outFile(page, "output/c.bin").locator("a.download").count(), 0);
    assert.match(await outFile(page, "output/c.bin").innerText(), /did not decode/);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    await page.unroute("**/execute");
    // A run without output files clears the list and the note.
    await chooseExample(page, "hello");
    await runAndWait(page);
    assert.equal(await visible(page, "#files-box"), false);
    assert.equal(await page.locator("#files-out li").count(), 0);
    await done(page);
  });

  test("the files example: an attached CSV summarised, its chart shown (/run)", async () => {
    const page = await keyedPage();
    await chooseDialect(page, "run");
    await chooseExample(page, "files");
    assert.match(await page.inputValue("#code"), /plt\.show\(\)/);
    await page.setInputFiles("#files-input", [{
      name: "weather.csv", mimeType: "text/csv",
      buffer: Buffer.from("day,Oslo,Lima\n1,3.5,19.0\n2,5.1,18.4\n3,4.2,19.6\n4,6.0,20.1\n"),
    }]);
    await runAndWait(page);
    assert.equal(await text(page, "#status"), "success", await text(page, "#output"));
    assert.match(await text(page, "#stdout"), /'source': 'weather\.csv', 'rows': 4/);
    assert.deepEqual(await page.locator("#files-out li .fname").allInnerTexts(),
      ["output/figure-1.png", "output/summary.csv"]);
    await page.waitForFunction(() => {
      const i = document.querySelector('#images img[data-file="output/figure-1.png"]');
      return i && i.complete && i.naturalWidth > 0;
    });
    const got = await download(page, outFile(page, "output/summary.csv").locator("a.download"));
    assert.equal(got.name, "summary.csv");
    assert.match(got.bytes.toString("utf8"), /^,day,Oslo,Lima\ncount,4\.0,4\.0,4\.0\n/);
    await done(page, "14-files-example");
  });

  // ---------------------------------------------------------- live output

  // Click Run on a script that prints, sleeps SLEEP_S seconds, then prints
  // again: the first output must be on the page while the run still goes
  // (no result, no final status yet), the rest once it has ended.
  async function runLive(page, { first, firstErr, second, sleepS, path: p }) {
    const t0 = Date.now();
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST", { timeout: RUN_TIMEOUT }),
      page.click("#run"),
    ]);
    assert.equal(resp.url(), base + p);
    assert.equal(resp.request().headers().accept, "application/x-ndjson");
    assert.equal(resp.status(), 200);
    assert.match(resp.headers()["content-type"], /^application\/x-ndjson/);
    // One snapshot taken inside the page, so that what it says holds at
    // one instant: the first line is shown and the run is not over.
    const seen = await (await page.waitForFunction(([a, b]) => {
      const out = document.getElementById("stdout").textContent;
      const err = document.getElementById("stderr").textContent;
      if (!out.includes(a) || (b && !err.includes(b))) return null;
      return {
        stdout: out, stderr: err,
        status: document.getElementById("status").textContent,
        running: document.getElementById("run").disabled,
        stop: !document.getElementById("stop").hidden,
        result: !document.getElementById("result-box").hidden,
        error: !document.getElementById("error-box").hidden,
        http: document.getElementById("http").textContent,
      };
    }, [first, firstErr], { timeout: RUN_TIMEOUT, polling: 50 })).jsonValue();
    const firstAt = Date.now() - t0;
    assert.ok(firstAt < sleepS * 1000 - 500, `the first line appeared after ${firstAt} ms`);
    assert.equal(seen.running, true, JSON.stringify(seen));
    assert.equal(seen.stop, true, JSON.stringify(seen));
    assert.equal(seen.status, "running", JSON.stringify(seen));
    assert.equal(seen.result, false, JSON.stringify(seen));
    assert.equal(seen.error, false, JSON.stringify(seen));
    assert.match(seen.http, /streaming/);
    assert.ok(!seen.stdout.includes(second), JSON.stringify(seen));
    if (firstErr) assert.ok(!seen.stdout.includes(firstErr), "stderr kept out of stdout");
    await shot(page, `15-live-${p.slice(1)}`);
    await page.waitForFunction(() => !document.getElementById("run").disabled, null,
      { timeout: RUN_TIMEOUT });
    const total = Date.now() - t0;
    assert.ok(total >= sleepS * 1000, `the run took ${total} ms`);
    assert.equal(await visible(page, "#stop"), false);
    assert.match(await text(page, "#http"), /^HTTP 200 · streamed$/);
    return { firstAt, total };
  }

  const LIVE_SLEEP = 3;

  test("live output on /execute: the first line shows while the script still runs", async () => {
    const page = await keyedPage();
    await page.fill("#code", [
      "import sys",
      "import time",
      "",
      "def main():",
      "    print('first line')",
      "    print('a warning', file=sys.stderr)",
      `    time.sleep(${LIVE_SLEEP})`,
      "    print('second line')",
      "    return {'slept': " + LIVE_SLEEP + "}",
      "",
    ].join("\n"));
    const t = await runLive(page, { first: "first line", firstErr: "a warning",
      second: "second line", sleepS: LIVE_SLEEP, path: "/execute" });
    assert.equal(await text(page, "#status"), "success", await text(page, "#output"));
    assert.equal(await text(page, "#stdout"), "first line\nsecond line\n");
    assert.equal(await text(page, "#stderr"), "a warning\n");
    assert.deepEqual(JSON.parse(await text(page, "#result")), { slept: LIVE_SLEEP });
    assert.match(await text(page, "#m-duration"), /^\d+(\.\d+)? s$/);
    assert.match(await text(page, "#m-request-id"), /^[0-9a-f]{32}$/);
    assert.equal(await visible(page, "#error-box"), false);
    assert.equal(await visible(page, "#live"), false);
    console.log(`# /execute: first line after ${t.firstAt} ms, result after ${t.total} ms`);
    await done(page, "16-live-execute-done");
  });

  test("live output on /run, and a failing script's traceback after it", async () => {
    const page = await keyedPage();
    await chooseDialect(page, "run");
    await page.fill("#code", [
      "import time",
      "print('starting')",
      `time.sleep(${LIVE_SLEEP})`,
      "print('finishing')",
      "",
    ].join("\n"));
    const t = await runLive(page, { first: "starting", second: "finishing",
      sleepS: LIVE_SLEEP, path: "/run" });
    assert.equal(await text(page, "#status"), "success", await text(page, "#output"));
    assert.equal(await text(page, "#stdout"), "starting\nfinishing\n");
    assert.match(await text(page, "#m-memory"), /MB$/);
    assert.equal(await visible(page, "#result-box"), false);
    console.log(`# /run: first line after ${t.firstAt} ms, result after ${t.total} ms`);

    // The error example streams too; its result is rendered as before.
    await chooseExample(page, "error");
    await runFailing(page, { message: /ZeroDivisionError on line 2/,
      traceback: /File "main\.py", line 6/, line: "2" });
    assert.match(await text(page, "#stdout"), /averaging an empty list/);
    await done(page);
  });

  test("validation errors are plain JSON answers, shown as before", async () => {
    const page = await keyedPage();
    await page.fill("#code", "");
    let resp = await runAndWait(page);
    assert.equal(resp.status(), 400);
    assert.match(resp.headers()["content-type"], /^application\/json/);
    assert.equal(await text(page, "#status"), "Request failed");
    assert.match(await text(page, "#error-message"), /^400: .*script/);
    assert.match(await text(page, "#http"), /^HTTP 400/);
    assert.doesNotMatch(await text(page, "#http"), /stream/);
    assert.equal(await visible(page, "#stdout-box"), false);
    await shot(page, "17-validation-error");

    await chooseDialect(page, "run");
    await page.fill("#code", "");
    resp = await runAndWait(page);
    assert.equal(resp.status(), 422);
    assert.equal(await text(page, "#status"), "Request failed");
    assert.match(await text(page, "#error-message"), /^422: [^\n]*\n• code: /);
    await done(page);
  });

  test("Stop ends a streaming run: the output so far stays, the slot is freed", async () => {
    const page = await keyedPage();
    await page.fill("#code", [
      "import time",
      "",
      "def main():",
      "    print('tick')",
      "    print('x' * 300000 + 'end')",
      "    time.sleep(60)",
      "    return 'never'",
      "",
    ].join("\n"));
    await page.click("#run");
    // A 300 kB line spans many chunks of the stream: it arrives whole.
    await page.waitForFunction(() => document.getElementById("stdout").textContent.includes("end"),
      null, { timeout: RUN_TIMEOUT });
    const big = "tick\n" + "x".repeat(300000) + "end\n";
    assert.equal(await page.evaluate(() => document.getElementById("stdout").textContent), big);
    assert.equal(await visible(page, "#stop"), true);
    const t0 = Date.now();
    await page.click("#stop");
    await page.waitForFunction(() => !document.getElementById("run").disabled, null, { timeout: 5000 });
    assert.equal(await text(page, "#status"), "stopped");
    assert.equal(await page.evaluate(() => document.getElementById("stdout").textContent), big);
    assert.match(await text(page, "#error-message"), /Stopped/);
    assert.equal(await visible(page, "#stop"), false);
    // The service ended the job when the connection closed.
    let busy;
    for (;;) {
      const h = await (await fetch(base + "/health", { headers: { Accept: "application/json" } })).json();
      busy = h.slots.busy;
      if (busy === 0 || Date.now() - t0 > 5000) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(busy, 0, "a slot is still busy after Stop");
    await done(page, "18-stopped");
  });

  test("the stream parser: pings, unknown events, no final newline, an error's result event", async () => {
    const page = await keyedPage();
    const events = [
      { type: "stdout", data: "héllo <b>not bold</b>\n" },
      { type: "ping" },
      { type: "stderr", data: "Traceback (most recent call last):\n" },
      { type: "something-new", x: 1 },
      {
        type: "result", http_status: 400, status: "error", result: null,
        stdout: "héllo <b>not bold</b>\n", stderr: "Traceback (most recent call last):\n",
        error: "ZeroDivisionError: division by zero",
        traceback: "Traceback (most recent call last):\n  File \"script.py\", line 2, in main\nZeroDivisionError: division by zero\n",
        duration_ms: 12.5, cpu_ms: 10, max_rss_kb: 9000, stdout_truncated: false, stderr_truncated: false,
        files: [], files_truncated: false, request_id: "0123456789abcdef0123456789abcdef",
      },
    ];
    // No final newline, and \n inside the JSON strings only escaped.
    const body = events.map((e) => JSON.stringify(e)).join("\n");
    await page.route("**/execute", (route) => route.fulfill({
      status: 200, contentType: "application/x-ndjson", body,
    }));
    await page.fill("#code", "def main():\n    return 1 / 0\n");
    await runAndWait(page);
    assert.equal(await text(page, "#status"), "error");
    assert.match(await text(page, "#http"), /^HTTP 400 · streamed$/);
    assert.match(await text(page, "#error-message"), /ZeroDivisionError: division by zero/);
    assert.match(await text(page, "#traceback"), /File "script\.py", line 2, in main/);
    assert.equal(await errorLine(page), "2");
    assert.equal(await text(page, "#stdout"), "héllo <b>not bold</b>\n");
    assert.equal(await page.locator("#output b").count(), 0);
    assert.equal(await text(page, "#m-request-id"), "0123456789abcdef0123456789abcdef");
    assert.equal(await visible(page, "#result-box"), true);
    assert.equal(await text(page, "#result"), "null");
    await page.unroute("**/execute");

    // A stream that ends without its result event says so.
    await page.route("**/execute", (route) => route.fulfill({
      status: 200, contentType: "application/x-ndjson",
      body: JSON.stringify({ type: "stdout", data: "partial\n" }) + "\n",
    }));
    await runAndWait(page);
    assert.equal(await text(page, "#status"), "No result");
    assert.match(await text(page, "#error-message"), /broke off/);
    assert.equal(await text(page, "#stdout"), "partial\n");
    await page.unroute("**/execute");
    await done(page);
  });

  // ---------------------------------------------------------- grading (/grade)

  // Fill the test editor with TESTS ([{name, stdin, expected}]), rows added
  // or removed as needed.
  async function setTests(page, tests) {
    const rows = page.locator("#tests-list li.test-case");
    while (await rows.count() > tests.length) await rows.last().locator("button.remove-test").click();
    while (await rows.count() < tests.length) await page.click("#add-test");
    for (let i = 0; i < tests.length; i++) {
      const row = rows.nth(i);
      await row.locator(".test-name").fill(tests[i].name || "");
      await row.locator(".test-stdin").fill(tests[i].stdin);
      await row.locator(".test-expected").fill(tests[i].expected);
    }
  }

  const gradeRow = (page, n) => page.locator("#grade-rows tr.test-row").nth(n);

  test("/grade: tests stream into the verdict table; the failed one's diff; the overall verdict", async () => {
    const page = await keyedPage();
    await chooseDialect(page, "grade");
    assert.equal(await visible(page, "#grade-fields"), true);
    assert.equal(await visible(page, "#stdin-field"), false);
    await page.fill("#code", [
      "import time",
      "",
      "n = int(input())",
      "if n == 21:",
      `    time.sleep(${LIVE_SLEEP})   # only the second test is slow`,
      "print(n * 2 + (1 if n > 10 else 0))",
      "",
    ].join("\n"));
    await setTests(page, [
      { name: "small", stdin: "2\n", expected: "4\n" },
      { name: "large", stdin: "21\n", expected: "42\n" },
    ]);
    const t0 = Date.now();
    const [resp] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST", { timeout: RUN_TIMEOUT }),
      page.click("#run"),
    ]);
    assert.equal(resp.url(), base + "/grade");
    assert.equal(resp.request().headers().accept, "application/x-ndjson");
    assert.match(resp.headers()["content-type"], /^application\/x-ndjson/);
    const sent = JSON.parse(resp.request().postData());
    assert.deepEqual(sent.tests, [
      { name: "small", stdin: "2\n", expected_stdout: "4\n" },
      { name: "large", stdin: "21\n", expected_stdout: "42\n" },
    ]);
    assert.equal(sent.compare, "trim");
    assert.equal(sent.stop_on_failure, false);
    assert.match(sent.code, /int\(input\(\)\)/);

    // The first test's row is there while the second still sleeps.
    const seen = await (await page.waitForFunction(() => {
      const rows = document.querySelectorAll("#grade-rows tr.test-row");
      if (!rows.length) return null;
      return {
        rows: [...rows].map((r) => r.dataset.verdict),
        first: rows[0].innerText,
        status: document.getElementById("status").textContent,
        running: document.getElementById("run").disabled,
        score: document.getElementById("grade-score").textContent,
      };
    }, null, { timeout: RUN_TIMEOUT, polling: 50 })).jsonValue();
    const firstAt = Date.now() - t0;
    assert.ok(firstAt < LIVE_SLEEP * 1000 - 500, `the first test's row appeared after ${firstAt} ms`);
    assert.deepEqual(seen.rows, ["accepted"], JSON.stringify(seen));
    assert.equal(seen.running, true, JSON.stringify(seen));
    assert.equal(seen.status, "running", JSON.stringify(seen));
    assert.equal(seen.score, "1 of 2 run", JSON.stringify(seen));
    assert.match(seen.first, /small/);
    await shot(page, "19-grade-live");

    await page.waitForFunction(() => !document.getElementById("run").disabled, null, { timeout: RUN_TIMEOUT });
    const total = Date.now() - t0;
    assert.ok(total >= LIVE_SLEEP * 1000, `the grading took ${total} ms`);
    console.log(`# /grade: first test row after ${firstAt} ms, result after ${total} ms`);
    assert.equal(await text(page, "#status"), "wrong_answer", await text(page, "#output"));
    assert.equal(await text(page, "#grade-score"), "1/2 passed");
    assert.match(await text(page, "#http"), /^HTTP 200 · streamed$/);
    assert.equal(await page.locator("#grade-rows tr.test-row").count(), 2);
    assert.equal(await gradeRow(page, 0).locator(".verdict").innerText(), "accepted");
    assert.equal(await gradeRow(page, 1).locator(".verdict").innerText(), "wrong_answer");
    assert.equal(await gradeRow(page, 0).locator(".verdict.good").count(), 1);
    assert.equal(await gradeRow(page, 1).locator(".verdict.bad").count(), 1);
    assert.match(await gradeRow(page, 1).innerText(), /large/);
    for (const r of [0, 1]) {
      const cells = await gradeRow(page, r).locator("td").allInnerTexts();
      assert.match(cells[3], /^\d+(\.\d+)? (ms|s)$/, cells.join("|"));
      assert.match(cells[4], /^\d+(\.\d+)? (ms|s)$/, cells.join("|"));
      assert.match(cells[5], /^\d+(\.\d+)? MB$/, cells.join("|"));
    }
    // The slow test's duration is its sleep.
    assert.match((await gradeRow(page, 1).locator("td").allInnerTexts())[3], /^\d+\.\d\d s$/);
    // Only the failed test can be expanded; its diff: the expected line
    // marked -, the program's line marked +.
    assert.equal(await gradeRow(page, 0).locator("button.expand").count(), 0);
    const expand = gradeRow(page, 1).locator("button.expand");
    assert.equal(await expand.getAttribute("aria-expanded"), "false");
    assert.equal(await visible(page, "#grade-detail-2"), false);
    await expand.click();
    assert.equal(await expand.getAttribute("aria-expanded"), "true");
    assert.equal(await visible(page, "#grade-detail-2"), true);
    assert.deepEqual(await page.locator("#grade-detail-2 pre.diff span").allInnerTexts(), ["- 42", "+ 43"]);
    assert.equal(await page.locator("#grade-detail-2 pre.diff span.diff-del").innerText(), "- 42");
    assert.equal(await page.locator("#grade-detail-2 pre.diff span.diff-add").innerText(), "+ 43");
    await done(page, "20-grade-verdicts");
  });

  test("/grade: runtime errors, compare modes, stop_on_failure, files, all shown as text", async () => {
    const page = await keyedPage();
    await chooseDialect(page, "grade");
    // A file attached goes with the grading request, to every test.
    await page.setInputFiles("#files-input", [
      { name: "factor.txt", mimeType: "text/plain", buffer: Buffer.from("3\n") },
    ]);
    await page.fill("#code", [
      "factor = int(open('factor.txt').read())",
      "line = input()",
      "if line == 'boom':",
      "    raise ValueError('<b>boom</b>')",
      "print(' '.join(str(float(x) * factor) for x in line.split()))",
      "",
    ].join("\n"));
    await setTests(page, [
      { name: "<i>floats</i>", stdin: "1 2\n", expected: "3.0000001   6.0\n" },
      { stdin: "boom\n", expected: "x\n" },
      { stdin: "1\n", expected: "3.0\n" },
    ]);
    await page.selectOption("#compare", "float");
    assert.equal(await visible(page, "#tolerance-field"), true);
    await page.fill("#tolerance", "-1");
    let posts = 0;
    page.on("request", (r) => { if (r.method() === "POST") posts++; });
    await page.click("#run");
    assert.match(await text(page, "#tolerance-error"), /must be a number/);
    assert.equal(posts, 0);
    await page.fill("#tolerance", "1e-3");
    await page.check("#stop-on-failure");
    const resp = await runAndWait(page);
    const sent = JSON.parse(resp.request().postData());
    assert.deepEqual(sent.compare, { float_tolerance: 0.001 });
    assert.equal(sent.stop_on_failure, true);
    assert.deepEqual(sent.files, [{ path: "factor.txt", content: Buffer.from("3\n").toString("base64"), encoding: "base64" }]);
    assert.deepEqual(sent.tests.map((t) => t.name), ["<i>floats</i>", undefined, undefined]);
    assert.equal(await text(page, "#status"), "runtime_error", await text(page, "#output"));
    assert.equal(await text(page, "#grade-score"), "1/3 passed");
    assert.deepEqual(await page.locator("#grade-rows tr.test-row .verdict").allInnerTexts(),
      ["accepted", "runtime_error", "skipped"]);
    assert.deepEqual(await page.locator("#grade-rows tr.test-row td.tname").allInnerTexts(),
      ["<i>floats</i>", "test-2", "test-3"]);
    await gradeRow(page, 1).locator("button.expand").click();
    const detail = page.locator("#grade-detail-2");
    assert.match(await detail.locator(".error-message").innerText(), /ValueError on line 4/);
    assert.match(await detail.locator("pre.test-stderr").innerText(), /ValueError: <b>boom<\/b>/);
    assert.deepEqual(await detail.locator("pre.diff span.diff-del").allInnerTexts(), ["- x"]);
    // A line reference in the traceback selects that line of the editor.
    await detail.locator('pre.test-stderr button.lineref[data-line="4"]').click();
    assert.equal(await page.evaluate(() => {
      const ta = document.getElementById("code");
      return ta.value.slice(ta.selectionStart, ta.selectionEnd);
    }), "    raise ValueError('<b>boom</b>')");
    assert.equal(await page.locator("#output b, #output i").count(), 0);

    // A validation error of the service is shown as before.
    await page.fill("#code", "");
    const bad = await runAndWait(page);
    assert.equal(bad.status(), 400);
    assert.equal(await text(page, "#status"), "Request failed");
    assert.match(await text(page, "#error-message"), /^400: .*code/);
    assert.equal(await visible(page, "#grade-box"), false);
    // No tests: caught before sending.
    posts = 0;
    for (let i = 0; i < 3; i++) await page.locator("#tests-list button.remove-test").first().click();
    await page.click("#run");
    assert.match(await text(page, "#tests-error"), /at least one test/);
    assert.equal(posts, 0);
    await done(page);
  });

  test("the grading example grades the doubling program: one test passes, one fails", async () => {
    const page = await keyedPage();
    await chooseExample(page, "grading");
    assert.equal(await page.inputValue("#dialect"), "grade");
    assert.match(await page.inputValue("#code"), /def double\(n\):/);
    assert.equal(await page.locator("#tests-list li.test-case").count(), 2);
    await runAndWait(page);
    assert.equal(await text(page, "#status"), "wrong_answer", await text(page, "#output"));
    assert.equal(await text(page, "#grade-score"), "1/2 passed");
    assert.deepEqual(await page.locator("#grade-rows tr.test-row .verdict").allInnerTexts(),
      ["accepted", "wrong_answer"]);
    await gradeRow(page, 1).locator("button.expand").click();
    assert.deepEqual(await page.locator("#grade-detail-2 pre.diff span").allInnerTexts(), ["- 42", "+ 43"]);
    await done(page, "21-grade-example");
  });

  test("nothing was loaded from outside the machine", () => {
    assert.deepEqual(outsideRequests, []);
  });
});
