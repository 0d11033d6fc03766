/**
 * The one clock: epoch milliseconds, as `Date.now` returns them. Every deps object that reads the time takes
 * it as `now?: Clock` (tests pass a fixed or stepping one); code that needs a Date builds it with `dateOf`.
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** The clock's time as a Date (for ISO timestamps and for libraries that take a Date). */
export const dateOf = (now: Clock | undefined): Date => new Date((now ?? systemClock)());
