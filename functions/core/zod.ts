// zod's functional API, `zod/mini`: the same package and core as `zod` (the same checks, the same messages), but
// its schemas carry no chained methods. zod's full API attaches dozens of methods to every schema it builds and
// brings its JSON Schema converter along (98 KB of each bundle): loading it and building hookflow's schemas at cold
// start cost several ms of CPU per handler; zod/mini, about a fifth of that (docs/performance.md, "Cold start").
// Every schema in functions/ imports zod from here, so that the English messages below are registered first.
import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { globalConfig } from 'zod/v4/core';

// zod/mini registers no locale of its own: without this a failure's message would be zod's bare "Invalid input"
// where zod's full API (which registers English at its first schema) says what is wrong. The same rule as zod's:
// only when no locale is set.
if (globalConfig.localeError === undefined) z.config(en());

// Named rather than `export *`: through a star re-export esbuild keeps every export of zod/mini (its locales and
// JSON Schema converter: 400 KB) in each bundle.
export {
  _default,
  array,
  boolean,
  coerce,
  custom,
  discriminatedUnion,
  enum,
  extend,
  includes,
  int,
  iso,
  literal,
  maxLength,
  maximum,
  minLength,
  minimum,
  nonnegative,
  nullish,
  number,
  object,
  optional,
  pipe,
  positive,
  record,
  refine,
  regex,
  startsWith,
  strictObject,
  string,
  transform,
  union,
  unknown,
  url,
  uuid,
} from 'zod/mini';
export type { ZodMiniType, infer, input, output } from 'zod/mini';
// Types only: `z.core` read at run time would keep the whole of zod's core (its JSON Schema converter too).
export type * as core from 'zod/v4/core';
