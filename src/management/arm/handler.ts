/**
 * @module management/arm/handler
 * The shape of a Resource Manager route: it gets the request (caller, view, api-version), the route's
 * parameters and a way to read the JSON body, and returns the status, body and extra headers to send.
 */
import type { Directory } from '../../directory/directory.ts';
import type { Params } from '../../http/router.ts';
import type { ArmRequest } from './request.ts';

export interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Handler = (r: ArmRequest, params: Params, body: () => Promise<unknown>) => Promise<Answer>;

/** What the routes write through. */
export interface ArmContext {
  readonly directory: Directory;
}
