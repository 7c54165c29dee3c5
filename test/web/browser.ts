/**
 * Real Chromium for the browser client's tests (playwright-core driving Debian's `chromium`; no browser
 * download). Without Chromium the tests skip with a message naming the package, except under CI, where
 * they fail. The web client is built first when dist/web is missing or older than its sources.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { ROOT } from "../helpers/hub.js";

export const CHROMIUM = process.env["PARLEY_CHROMIUM"] ?? "/usr/bin/chromium";
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const SKIP_REASON = `Chromium not found at ${CHROMIUM}: apt-get install chromium (or set PARLEY_CHROMIUM) to run the browser tests`;

if (!HAVE_CHROMIUM) {
  if (process.env["CI"]) throw new Error(SKIP_REASON);
  console.warn(`skipping browser tests — ${SKIP_REASON}`);
}

const WEB_DIST = join(ROOT, "dist", "web");
const SOURCES = ["src/web", "src/ui", "src/client/core", "src/protocol", "vite.web.config.ts"];

function newest(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let max = s.mtimeMs;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

/** Builds the web client unless dist/web is newer than everything it is built from. */
export function ensureWebBuild(): void {
  const index = join(WEB_DIST, "index.html");
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  const sources = Math.max(...SOURCES.map((s) => newest(join(ROOT, s))));
  if (built > sources) return;
  execFileSync(
    process.execPath,
    [join(ROOT, "node_modules/vite/bin/vite.js"), "build", "--config", "vite.web.config.ts"],
    {
      cwd: ROOT,
      stdio: "inherit",
    },
  );
}

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** Chromium with a fresh profile: Playwright makes a new temporary user-data-dir for every launch. */
export async function launchChromium(): Promise<LaunchedBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-dev-shm-usage",
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

export interface PageOptions {
  width?: number;
  height?: number;
  colorScheme?: "light" | "dark";
  notifications?: boolean;
}

/**
 * A fresh context (its own storage) on the hub's page. Self-signed test hubs: the context accepts the
 * certificate, as a user does once in the browser's warning page. Page errors and console errors are
 * collected so a test can assert that none happened.
 */
export async function openPage(
  browser: Browser,
  url: string,
  opts: PageOptions = {},
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
    colorScheme: opts.colorScheme ?? "light",
    ...(opts.notifications ? { permissions: ["notifications"] } : {}),
  });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  await page.goto(url);
  return { context, page, errors };
}

/** The web address of a test hub (its WebSocket URL with https and `/`). */
export function webUrlOf(wsUrl: string): string {
  return wsUrl.replace(/^ws/, "http").replace(/\/v1$/, "/");
}
