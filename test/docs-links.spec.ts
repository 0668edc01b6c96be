import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { brokenLinks } = require('../scripts/check-links') as {
  brokenLinks: (root?: string) => { file: string; link: string; problem: string }[];
};

describe('Markdown links', () => {
  it('every relative link and image in README.md, docs/ and bench/ resolves', () => {
    expect(brokenLinks()).toEqual([]);
  });

  it('finds a missing file, a missing heading and a path outside the repository', () => {
    const root = mkdtempSync(join(tmpdir(), 'links-'));
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs', 'a.md'), "# A call's life, with curl\n\n## Errors\n");
    writeFileSync(
      join(root, 'README.md'),
      [
        "[ok](docs/a.md#a-calls-life-with-curl) [ok](docs/a.md#errors) [web](https://example.com/x)",
        '[gone](docs/b.md) [anchor](docs/a.md#nope) ![img](../chart.svg)',
        '```\n[in code](nowhere.md)\n```',
      ].join('\n'),
    );
    expect(brokenLinks(root)).toEqual([
      { file: 'README.md', link: 'docs/b.md', problem: 'no such file' },
      { file: 'README.md', link: 'docs/a.md#nope', problem: 'no heading #nope in docs/a.md' },
      { file: 'README.md', link: '../chart.svg', problem: 'points outside the repository' },
    ]);
  });
});
