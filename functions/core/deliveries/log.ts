import type { DeliveryOutcome, DeliveryRecord, DeliveryRun, DeliveryStyle } from './record';

/**
 * The deliveries port: the DynamoDB adapter (functions/adapters/aws/dynamodb-delivery-log.ts) and the in-memory
 * fake (test/support) implement it; the recorder (./recorder.ts) writes through it, the deliveries API reads.
 */

/** A filter of GET /api/deliveries, validated (./query.ts parses the query string into this). */
export interface DeliveryQuery {
  readonly style?: DeliveryStyle;
  readonly registration?: string;
  readonly outcome?: DeliveryOutcome;
  readonly correlationId?: string;
  /**
   * The reach of a limited key (listing.ts `reaches`): deliveries of these flows or of these organisations'
   * registered webhooks (`*`: every one). Both undefined: every delivery (an unlimited key).
   */
  readonly flows?: readonly string[];
  readonly orgs?: readonly string[];
  /** Inclusive bounds, epoch ms. */
  readonly from: number;
  readonly to: number;
  /** Page size, 1..MAX_DELIVERIES_PAGE. */
  readonly limit: number;
  /** Opaque: the `next` of the previous page. */
  readonly cursor?: string;
}

/** What a list shows of a delivery: the record without its headers and body. */
export type DeliverySummary = Omit<DeliveryRecord, 'headers' | 'body'> & { readonly bodyBytes: number };

export interface DeliveryPage {
  /** Newest first. */
  readonly items: readonly DeliverySummary[];
  /** Present when more match: pass it back as `cursor`. */
  readonly next?: string;
}

export interface DeliveryLog {
  /**
   * Stores a record that no claim carries (an unkeyed request, a refusal, a duplicate): one PutItem, only where no
   * record has its id. False when one had: the fan-out worker wrote it, `started` with its run, from the queued
   * message (`markStarted` with `rebuilt`) before this write; it is kept (the later truth), and that is no error.
   */
  put(record: DeliveryRecord): Promise<boolean>;
  /** One record by id, headers and body included; undefined when unknown or expired. */
  get(id: string): Promise<DeliveryRecord | undefined>;
  list(query: DeliveryQuery): Promise<DeliveryPage>;
  /**
   * A `queued` record (its own `dlv#` item) once the fan-out worker has started a run of it: outcome `started`, and
   * `run` added to its runs by the rule of ./started-runs.ts (`withStartedRun`): every queued start of the request
   * adds its run, once, replacing the entry that listed it by runRef at queue time; a record the worker marked
   * `started` still takes the runs of the request's other queued starts (undefined `run`: the runs it names stay, as a
   * registered webhook's record names its processes' runs when queued, and only a `queued` record changes).
   * With `rebuilt` (Delivery.rebuilt, carried by the message), a record that was never written (the handler died
   * after queueing, before its answer) is written from it, `started`: one write either way. False when nothing was
   * changed: the record does not take the run (not `queued` nor `started` by the worker, or this run is listed: a
   * redelivered message), or without `rebuilt`, there is none.
   */
  markStarted(id: string, run: DeliveryRun | undefined, rebuilt?: DeliveryRecord): Promise<boolean>;
}

/** Where a body kept out of its record lives (and a claim-checked run input points). */
export interface BodyRef {
  readonly bucket: string;
  readonly key: string;
}

/**
 * Large bodies, kept apart from their records (S3 in AWS, fauxqs's S3 locally): the raw bytes, exactly as
 * received, so that a replay can be checked against the original signature.
 */
export interface BodyStore {
  /** Keeps the raw bytes of delivery `deliveryId` (one PutObject); they expire with the record. */
  put(deliveryId: string, raw: Buffer): Promise<BodyRef>;
  /** The raw bytes, or undefined once expired or removed. */
  get(ref: BodyRef): Promise<Buffer | undefined>;
}
