import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { debianMirrorFrom, parseVersion, provisionTestTools, TEST_TOOLS, ToolProvisionError, toolVersion, versionAtLeast } from './support/test-tools.ts';

// The provisioning of real components (test/support/test-tools.ts): its pure parts, what it found
// for this run, and the one clear failure when nothing can be provided.

describe('parseVersion reads what each tool prints', () => {
  it.each([
    ['prometheus, version 3.5.3+ds1 (branch: debian/sid, revision: 3.5.3+ds1-6)\n  build user: x', '3.5.3'],
    ['promtool, version 3.5.3+ds1 (branch: debian/sid, revision: 3.5.3+ds1-6)', '3.5.3'],
    ['alertmanager, version 0.33.1 (branch: debian/sid, revision: 0.33.1-5)', '0.33.1'],
    ['/usr/bin/docker-registry github.com/docker/distribution 2.8.2+ds1', '2.8.2'],
    ['node_exporter, version 1.5.0 (branch: debian/sid, revision: 1.5.0-1+b6)', '1.5.0'],
    ['OpenSSL 3.0.19 27 Jan 2026 (Library: OpenSSL 3.0.19 27 Jan 2026)', '3.0.19'],
  ])('%s → %s', (output, version) => expect(parseVersion(output)).toBe(version));
});

describe('versionAtLeast', () => {
  it.each([
    ['3.5.3', '3.0.0', true],
    ['2.42.0', '3.0.0', false],
    ['0.33.1', '0.28.0', true],
    ['0.27.0', '0.28.0', false],
    ['3.0', '3.0.0', true],
    ['10.0.0', '9.9.9', true],
  ])('%s ≥ %s is %s', (a, b, want) => expect(versionAtLeast(a, b)).toBe(want));
});

describe('debianMirrorFrom reuses the mirror the machine names for its own release', () => {
  const deb822 = {
    file: '/etc/apt/sources.list.d/debian.sources',
    text: [
      'Types: deb',
      '# http://snapshot.debian.org/archive/debian/20250520T000000Z',
      'URIs: http://mirror.example.net/debian',
      'Suites: bookworm bookworm-updates',
      'Components: main',
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      '',
      'Types: deb',
      'URIs: http://mirror.example.net/debian-security',
      'Suites: bookworm-security',
      'Components: main',
    ].join('\n'),
  };
  it('deb822 .sources: the stanza whose suites include the codename', () => {
    expect(debianMirrorFrom([deb822], 'bookworm')).toEqual({ uri: 'http://mirror.example.net/debian', codename: 'bookworm', signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg' });
  });
  it('one-line sources.list, with options and comments', () => {
    const list = { file: '/etc/apt/sources.list', text: '# deb http://old.example/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm main contrib\n' };
    expect(debianMirrorFrom([list], 'bookworm')).toEqual({ uri: 'http://m.example/debian', codename: 'bookworm', signedBy: '/k.gpg' });
  });
  it('skips disabled stanzas and other releases; none found is undefined', () => {
    const disabled = { file: 'x.sources', text: 'Enabled: no\nTypes: deb\nURIs: http://off.example/debian\nSuites: bookworm\n' };
    expect(debianMirrorFrom([disabled, deb822], 'bookworm')?.uri).toBe('http://mirror.example.net/debian');
    expect(debianMirrorFrom([deb822], 'noble')).toBeUndefined();
  });
});

describe('this run', () => {
  it.each(TEST_TOOLS.map((t) => [t.name, t.floor]))('%s meets its floor %s', (name, floor) => {
    expect(versionAtLeast(toolVersion(name), floor)).toBe(true);
  });
});

describe('a tool that cannot be provided', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('stops the run with one message naming each tool, its floor and how to provide it', () => {
    const empty = mkdtempSync(join(tmpdir(), 'o11y-no-tools-'));
    try {
      // No tool on PATH, none in O11Y_TEST_TOOLS or the cache, and no apt-get to fetch one.
      process.env.PATH = join(empty, 'bin');
      process.env.O11Y_TEST_TOOLS = empty;
      process.env.O11Y_TEST_TOOLS_CACHE = join(empty, 'cache');
      let error: unknown;
      try {
        provisionTestTools();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ToolProvisionError);
      const message = (error as Error).message;
      for (const t of TEST_TOOLS) expect(message).toContain(`test tool "${t.name}" (${t.executables.join(' or ')} >= ${t.floor})`);
      expect(message).toContain('O11Y_TEST_TOOLS=DIR');
      expect(message).toMatch(/no apt/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
