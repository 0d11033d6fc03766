import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import type { AwsCallsResult } from '../parts/aws-calls';
import type { ColdStartResult } from '../parts/cold-start';
import type { CostResult } from '../parts/cost';
import type { DeliveriesResult } from '../parts/deliveries';
import type { FanoutResult } from '../parts/fanout';
import type { GatewayResult } from '../parts/gateway';
import type { HandlerCpuResult } from '../parts/handler-cpu';
import type { Machine } from './machine';

export const resultsFile = join(__dirname, '..', 'results.json');

export interface PartRecord<T> {
  /** The command that produced this part's figures. */
  readonly command: string;
  readonly startedAt: string;
  readonly seconds: number;
  readonly machine: Machine;
  readonly data?: T;
  /** Set when the part failed: its figures are missing. */
  readonly error?: string;
}

export interface PartData {
  gateway: GatewayResult;
  handlers: HandlerCpuResult;
  coldstart: ColdStartResult;
  fanout: FanoutResult;
  'aws-calls': AwsCallsResult;
  deliveries: DeliveriesResult;
  cost: CostResult;
}
export type PartName = keyof PartData;
export const PART_NAMES: readonly PartName[] = [
  'coldstart',
  'gateway',
  'fanout',
  'handlers',
  'aws-calls',
  'deliveries',
  'cost',
];

export interface Results {
  readonly version: 1;
  parts: { [K in PartName]?: PartRecord<PartData[K]> };
}

export function loadResults(): Results {
  if (!existsSync(resultsFile)) return { version: 1, parts: {} };
  return JSON.parse(readFileSync(resultsFile, 'utf8')) as Results;
}

/** Writes a generated file formatted by the project's Prettier settings, so `prettier --check` passes. */
export async function writeFormatted(file: string, text: string): Promise<void> {
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(text, { ...options, filepath: file }));
}

export async function saveResults(results: Results): Promise<void> {
  await writeFormatted(resultsFile, JSON.stringify(results, null, 2));
}
