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

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, chmodSync } from "node:fs";
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
      await run(STACK, ["start", stateDir, String(port), key, BUILD_DIR], { timeout: 120_000 });
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

  test("nothing was loaded from outside the machine", () => {
    assert.deepEqual(outsideRequests, []);
  });
});
