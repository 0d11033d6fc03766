/** Inputs already written as JSON, by object: a run's input is built once and never changed afterwards. */
const inputTexts = new WeakMap<object, string>();

/**
 * A run's input as JSON text, as the engine adapters send it (functions/adapters/aws/sfn-engine.ts). Written once
 * per input object, so the claim-check's size rule (./claim-check.ts) measures the very text the adapter then
 * sends: for a 100 KB body, a second JSON.stringify of it was a fifth of the handler's own CPU
 * (docs/performance.md, "CPU per request"). The input must not change once written (none does: each style builds
 * a fresh one per run, and the start follows the claim-check within the request).
 */
export function runInputJson(input: unknown): string {
  if (input === null || typeof input !== 'object') return JSON.stringify(input);
  let text = inputTexts.get(input);
  if (text === undefined) {
    text = JSON.stringify(input);
    inputTexts.set(input, text);
  }
  return text;
}
