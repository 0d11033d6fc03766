/**
 * The claim-check reference's shape (./claim-check.ts), apart from the claim-check itself: the package's workflow
 * helper (lib/read-hookflow-body.ts) reads it, and must load nothing a CDK app does not install (no ULID, no SDK).
 */

/** What a run's input holds where the payload would be, when the body was claim-checked: one shape for every style. */
export interface HookflowBodyReference {
  readonly hookflowBody: {
    readonly bucket: string;
    readonly key: string;
    /** The raw body's length in bytes. */
    readonly bytes: number;
    /** SHA-256 of the raw bytes, hex: what a reader checks the object it fetched against. */
    readonly sha256: string;
    /** The request's Content-Type, when it sent one. */
    readonly contentType?: string;
  };
}

/** Whether a value found where a payload goes is a claim-check reference (the shape above). */
export function isHookflowBodyReference(value: unknown): value is HookflowBodyReference {
  if (value === null || typeof value !== 'object') return false;
  const ref = (value as { hookflowBody?: unknown }).hookflowBody;
  if (ref === null || typeof ref !== 'object') return false;
  const { bucket, key, bytes, sha256 } = ref as Record<string, unknown>;
  return (
    typeof bucket === 'string' && typeof key === 'string' && typeof bytes === 'number' && typeof sha256 === 'string'
  );
}
