/**
 * UUIDs compare case-insensitively (RFC 9562, section 4: "UUIDs ... are case insensitive on input"), and
 * hookflow writes them in lower case (`randomUUID`). A reference shaped like a UUID is therefore brought to lower
 * case where it enters (a request, a registration, a wait task), so `3F1C…` finds what `3f1c…` names. Any other
 * reference (a workflow's name, a topic, a derived execution name) is compared exactly as written.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function canonicalRef(ref: string): string {
  return UUID.test(ref) ? ref.toLowerCase() : ref;
}
