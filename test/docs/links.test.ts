// Every relative link in the README and the docs (and bench/RESULTS.md) points at a file that
// exists, and a link into a Markdown file's `#section` at one of its headings, named as
// GitHub names them. Links inside code blocks and code spans are not links; web addresses
// are not checked (the tests run offline).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../..');

const DOCS = [
  'README.md',
  'bench/RESULTS.md',
  ...readdirSync(join(REPO, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

interface Link {
  /** File holding the link, relative to the repository. */
  readonly file: string;
  readonly line: number;
  readonly target: string;
}

/** The lines of a Markdown text outside fenced code blocks, code spans blanked out unless kept. */
function proseLines(text: string, keepCodeSpans = false): { line: number; text: string }[] {
  const lines: { line: number; text: string }[] = [];
  let fence: string | null = null;
  text.split('\n').forEach((raw, index) => {
    const marker = /^\s*(```+|~~~+)/.exec(raw)?.[1];
    if (marker && (fence === null || marker.startsWith(fence))) {
      fence = fence === null ? marker : null;
      return;
    }
    if (fence !== null) return;
    lines.push({ line: index + 1, text: keepCodeSpans ? raw : raw.replace(/`[^`]*`/g, '``') });
  });
  return lines;
}

/** Inline links and images `[text](target)` and reference definitions `[label]: target`. */
function markdownLinks(text: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  for (const { line, text: prose } of proseLines(text)) {
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ line, target: match[1]! });
    }
    const definition = /^\s*\[[^\]]+\]:\s*<?(\S+?)>?(\s|$)/.exec(prose);
    if (definition) links.push({ line, target: definition[1]! });
  }
  return links;
}

/** The anchors GitHub gives a Markdown file's headings (`## A, b` → `a-b`; repeats get -1, -2 …). */
function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text: prose } of proseLines(text, true)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(prose)?.[1];
    if (heading === undefined) continue;
    const base = heading
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

const links: Link[] = DOCS.flatMap((file) =>
  markdownLinks(readFileSync(join(REPO, file), 'utf8'))
    .filter(({ target }) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
    .map(({ line, target }) => ({ file, line, target })),
);

/** Why `link` does not resolve, or null where it does. */
function brokenBecause(link: Link): string | null {
  const [pathPart = '', anchor] = link.target.split('#', 2);
  const path =
    pathPart === ''
      ? join(REPO, link.file)
      : resolve(REPO, dirname(link.file), decodeURI(pathPart));
  if (!path.startsWith(REPO)) return `${relative(REPO, path)} is outside the repository`;
  if (!existsSync(path)) return `no file ${relative(REPO, path)}`;
  if (anchor === undefined || !path.endsWith('.md') || statSync(path).isDirectory()) return null;
  const anchors = headingAnchors(readFileSync(path, 'utf8'));
  return anchors.has(anchor) ? null : `no heading #${anchor} in ${relative(REPO, path)}`;
}

describe('relative links in the README and docs/', () => {
  it('finds the README links to every page of docs/', () => {
    const fromReadme = new Set(
      links.filter((link) => link.file === 'README.md').map((link) => link.target.split('#')[0]),
    );
    const pages = DOCS.filter((file) => file.startsWith('docs/'));
    expect(pages.filter((page) => !fromReadme.has(page))).toEqual([]);
  });

  it.each(links.map((link) => [`${link.file}:${link.line} → ${link.target}`, link] as const))(
    '%s',
    (_name, link) => {
      expect(brokenBecause(link)).toBeNull();
    },
  );
});

describe('the link reader', () => {
  const sample = [
    '# Title, with `code`',
    'See [a](a.md) and ![b](img/b.png "b") and `[c](not-a-link.md)`.',
    '```sh',
    'echo "[d](not-a-link-either.md)"',
    '# not a heading',
    '```',
    '[e]: ref.md',
    '## Title, with code',
  ].join('\n');

  it('takes links from prose, not from code', () => {
    expect(markdownLinks(sample).map((link) => link.target)).toEqual([
      'a.md',
      'img/b.png',
      'ref.md',
    ]);
  });

  it('names headings as GitHub does, repeats numbered', () => {
    expect([...headingAnchors(sample)]).toEqual(['title-with-code', 'title-with-code-1']);
  });
});
