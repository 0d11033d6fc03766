import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The docs a newcomer walks (issue 16): README.md is the front door, at most 20,000 bytes, and every relative
 * link in it and in docs/ leads somewhere inside the repository: to a file that exists and, with a `#fragment`
 * into a Markdown file, to a heading it has.
 */
const root = resolve(__dirname, '..', '..');
const README_MAX_BYTES = 20_000;

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

/** Fenced code blocks hold examples (shell comments look like headings), not links or headings. */
function withoutFences(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** The text links are read from: inline code holds examples too. */
function prose(markdown: string): string {
  return withoutFences(markdown).replace(/`[^`\n]*`/g, '');
}

/** `[text](target)` targets, without a link title. */
export function linkTargets(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1]!);
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to "-", repeats numbered -1, -2, …. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of withoutFences(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const text = heading!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
    seen.set(slug, count + 1);
  }
  return anchors;
}

const files = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];
const relativeLinks = files.flatMap((file) =>
  linkTargets(readFileSync(file, 'utf8'))
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
    .map((target) => ({ file: relative(root, file), target })),
);

describe('the docs', () => {
  it(`keeps README.md at most ${README_MAX_BYTES} bytes`, () => {
    expect(statSync(join(root, 'README.md')).size).toBeLessThanOrEqual(README_MAX_BYTES);
  });

  it('has relative links to check (the parser finds them)', () => {
    expect(relativeLinks.length).toBeGreaterThan(50);
    expect(relativeLinks).toContainEqual({ file: 'README.md', target: 'docs/styles/inbound.md' });
  });

  it('links only to files inside the repository that exist, and to headings those files have', () => {
    const broken = relativeLinks.filter(({ file, target }) => {
      const [path, fragment] = target.split('#') as [string, string | undefined];
      const resolved = path === '' ? join(root, file) : resolve(dirname(join(root, file)), decodeURI(path));
      if (!(resolved + sep).startsWith(root + sep) && resolved !== root) return true;
      if (!existsSync(resolved)) return true;
      if (fragment === undefined || !resolved.endsWith('.md')) return false;
      return !headingAnchors(readFileSync(resolved, 'utf8')).has(fragment);
    });

    expect(broken).toEqual([]);
  });

  it('reads links outside code only, and anchors as GitHub makes them', () => {
    const markdown = '# Top\n\n## Deploy it\n\n[a](#deploy-it) [b](`x`) `[c](nowhere.md)`\n\n```\n[d](e.md)\n```\n';

    expect(linkTargets(markdown)).toEqual(['#deploy-it']);
    expect(headingAnchors('# A\n## A\n## The crash suite (`npm run test:faults`)\n')).toEqual(
      new Set(['a', 'a-1', 'the-crash-suite-npm-run-testfaults']),
    );
  });
});
