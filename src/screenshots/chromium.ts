import { existsSync } from 'node:fs';

/** Where Debian, Ubuntu and Chrome put the browser; CHROMIUM_PATH wins. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export function findChromium(): string | null {
  const wanted = process.env.CHROMIUM_PATH;
  if (wanted) return existsSync(wanted) ? wanted : null;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

type Playwright = typeof import('playwright-core');

/**
 * A headless Chromium, or the reason there is none: playwright-core is a development dependency (absent after
 * `npm install --omit=dev`), and the browser is a system package.
 */
export async function launchChromium(): Promise<{ browser: import('playwright-core').Browser } | { missing: string }> {
  const path = findChromium();
  if (!path) return { missing: '未找到 Chromium（/usr/bin/chromium）。安装：sudo apt-get install chromium，或设置 CHROMIUM_PATH。' };
  let pw: Playwright;
  try {
    // A specifier the bundler cannot see: the Workers bundle must not carry playwright-core (~1.5 MiB gzip) it never runs.
    const name = 'playwright-core';
    pw = (await import(name)) as Playwright;
  } catch {
    return { missing: '未安装 playwright-core（开发依赖）。在项目目录运行 npm install（不要带 --omit=dev）。' };
  }
  return { browser: await pw.chromium.launch({ executablePath: path, args: CHROMIUM_FLAGS }) };
}
