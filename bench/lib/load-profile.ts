import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a bundle's load time goes, in ms of CPU profile samples, by origin. */
export type LoadBreakdown = Record<string, number>;

const BUNDLED = 'bundled: ';
/** Modules the bundle requires rather than inlines: Node's own (https, tls, crypto…) and any external package. */
const SDK = 'required modules (Node built-ins, externals)';
/** Native frames of the module loader (file reads, stats, compilation). */
const LOADER_NATIVES = new Set([
  'compileFunction',
  'compileFunctionForCJSLoader',
  'readFileUtf8',
  'internalModuleStat',
  'wrapSafe',
  'readPackageJSON',
  'getNearestParentPackageJSON',
]);

/**
 * Loads `bundle` once in a fresh Node process under the V8 CPU profiler (100 µs sampling) and attributes
 * every sample to where it was spent: the AWS SDK left external (its own code, plus the module loading that
 * the bundle's require() calls trigger), each package esbuild inlined (through the bundle's source map), the
 * bundle file's own read and compile, and GC. Profiling slows the load; use the shares, not the ms.
 */
export async function profileLoad(bundle: string, env: NodeJS.ProcessEnv): Promise<LoadBreakdown> {
  const dir = mkdtempSync(join(tmpdir(), 'hookflow-bench-prof-'));
  try {
    await run(
      process.execPath,
      ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100', '-e', `require(${JSON.stringify(bundle)})`],
      { cwd: dirname(bundle), env },
    );
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error(`no CPU profile written for ${bundle}`);
    return attribute(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile, bundle);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function attribute(profile: Profile, bundle: string): LoadBreakdown {
  const map = new SourceMap(JSON.parse(readFileSync(`${bundle}.map`, 'utf8')));
  const bundleUrl = `file://${bundle}`;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const origins = new Map<number, string | undefined>();
  /** The package (or hookflow) a bundle frame's code comes from, through the source map. */
  const bundledOrigin = (frame: ProfileNode['callFrame']): string => {
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string };
    if (entry.originalSource === undefined) return `${BUNDLED}top-level module code (mixed)`;
    const source = resolve(dirname(bundle), entry.originalSource);
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source)?.[1];
    return `${BUNDLED}${pkg ?? 'hookflow (functions/)'}`;
  };
  const originOf = (node: ProfileNode): string | undefined => {
    if (origins.has(node.id)) return origins.get(node.id);
    const url = node.callFrame.url;
    let origin: string | undefined;
    if (url === bundleUrl) origin = bundledOrigin(node.callFrame);
    else if (/node_modules\/@(aws-sdk|smithy|aws-crypto|aws)\//.test(url) || /node_modules\//.test(url)) {
      origin = SDK;
    }
    origins.set(node.id, origin);
    return origin;
  };

  const totals = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const leaf = byId.get(profile.samples[i]!)!;
    let label: string;
    const leafName = leaf.callFrame.functionName;
    if (leafName === '(garbage collector)') label = 'garbage collection';
    else if (leafName === '(idle)' || leafName === '(program)' || leafName === '(root)')
      label = 'Node itself (bootstrap, idle)';
    else {
      // The innermost frame that belongs to a package or to the bundle decides; module-loader frames under a
      // bundle frame are the bundle requiring an external module (the SDK: everything else is inlined).
      let id: number | undefined = leaf.id;
      let sawLoader = false;
      let sawSourceMap = false;
      let found: string | undefined;
      while (id !== undefined && found === undefined) {
        const node = byId.get(id)!;
        const origin = originOf(node);
        if (origin !== undefined) {
          found = origin.startsWith(BUNDLED) && sawLoader ? SDK : origin;
        } else {
          const { url, functionName } = node.callFrame;
          if (url.includes('internal/source_map')) sawSourceMap = true;
          if (url.startsWith('node:internal/modules') || LOADER_NATIVES.has(functionName)) sawLoader = true;
        }
        id = parent.get(id);
      }
      label =
        found ??
        (sawSourceMap
          ? 'source maps (--enable-source-maps)'
          : sawLoader
            ? 'reading and compiling the bundle file'
            : 'Node itself (bootstrap, idle)');
    }
    totals.set(label, (totals.get(label) ?? 0) + ms);
  }
  return Object.fromEntries(
    [...totals].sort((a, b) => b[1] - a[1]).map(([label, ms]) => [label, Math.round(ms * 10) / 10]),
  );
}
