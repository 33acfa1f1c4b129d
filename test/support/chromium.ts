import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** The flags a headless test browser runs with: no sandbox (root in CI), no network chatter of its own. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export type ChromiumCheck = { ok: true; path: string } | { ok: false; reason: string };

function run(command: string, args: string[]): { ok: boolean; output: string } {
  const result = spawnSync(command, args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
    timeout: 15 * 60_000,
  });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.slice(-2_000) };
}

/**
 * Debian's chromium at /usr/bin/chromium, installed with apt-get when missing (as root,
 * non-interactive; a second call finds it there). Without apt-get or root it answers why not, so
 * the browser tests can say so instead of failing obscurely.
 */
export function ensureChromium(): ChromiumCheck {
  if (existsSync(CHROMIUM_PATH)) return { ok: true, path: CHROMIUM_PATH };
  if (!existsSync('/usr/bin/apt-get')) return { ok: false, reason: 'chromium is not installed and apt-get is not available' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'chromium is not installed and installing it needs root' };
  let install = run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium']);
  if (!install.ok) {
    const update = run('apt-get', ['update']);
    if (!update.ok) throw new Error(`apt-get update failed:\n${update.output}`);
    install = run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium']);
  }
  if (!install.ok || !existsSync(CHROMIUM_PATH)) throw new Error(`apt-get install chromium failed:\n${install.output}`);
  return { ok: true, path: CHROMIUM_PATH };
}
