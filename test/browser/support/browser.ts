import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import puppeteer, { Browser, Page } from 'puppeteer-core';

const ROOT = join(__dirname, '..', '..', '..');

/** Where the browser tests leave their screenshots (git-ignored): one per page, so a failure can be seen. */
export const SCREENSHOTS = join(ROOT, 'test-output', 'browser');

/**
 * Debian's `chromium` (CI installs it with apt-get; browser downloads fail here), or CHROMIUM_PATH.
 * A missing browser fails the suite: skipping would let the dialer's path go untested unnoticed.
 */
function chromiumPath(): string {
  const given = process.env.CHROMIUM_PATH;
  if (given) return given;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    } catch {
      // not this one
    }
  }
  throw new Error('No Chromium found: install Debian\'s `chromium` package (apt-get install -y chromium) or set CHROMIUM_PATH');
}

export function launchChromium(): Promise<Browser> {
  const args = ['--disable-dev-shm-usage', '--disable-gpu'];
  // Chromium refuses to run its sandbox as root, which CI containers are.
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return puppeteer.launch({ executablePath: chromiumPath(), headless: true, args, defaultViewport: { width: 1280, height: 900 } });
}

/** The client as the dialer ships it: one browser script that defines `window.CallsClient`. */
export async function bundleClient(): Promise<string> {
  const result = await build({
    entryPoints: [join(ROOT, 'libs', 'client', 'src', 'index.ts')],
    bundle: true,
    format: 'iife',
    globalName: 'CallsClient',
    platform: 'browser',
    target: 'chrome120',
    write: false,
  });
  return result.outputFiles[0].text;
}

export interface PageServer {
  origin: string;
  stop: () => Promise<void>;
}

/** An origin of its own that serves a blank dialer page at `/` and the client bundle at `/client.js`. */
export async function servePage(clientBundle: string): Promise<PageServer> {
  const html = '<!doctype html><html><head><meta charset="utf-8"><title>Dialer test page</title>' +
    '<script src="/client.js"></script></head><body><h1>Dialer test page</h1><pre id="log"></pre></body></html>';
  const server: Server = createServer((request, response) => {
    if (request.url === '/client.js') {
      response.writeHead(200, { 'Content-Type': 'text/javascript' }).end(clientBundle);
    } else if (request.url === '/') {
      response.writeHead(200, { 'Content-Type': 'text/html' }).end(html);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Saves what the page shows, named after the running test. The whole page for the short test pages;
 * only the window (scrolled to what the test looked at last) for long ones such as Swagger UI.
 */
export async function screenshot(page: Page, { fullPage = true } = {}): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const name = (expect.getState().currentTestName ?? 'page').replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase();
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

/** Console errors and uncaught exceptions of a page, collected from the moment it is watched. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page: ${error instanceof Error ? error.message : String(error)}`));
  return errors;
}
