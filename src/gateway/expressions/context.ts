/**
 * @module gateway/expressions/context
 * The `context` a policy expression sees, as plain data the gateway runtime fills for each request. Member
 * names are API Management's (C#'s PascalCase) so the allow-list in `members.ts` maps them one to one. Nothing
 * here is reachable from an expression except through that allow-list.
 *
 * Dictionaries are Maps: header lookups are case-insensitive (HTTP), query parameters, claims and variables
 * case-sensitive.
 */

/** Header or query values by name: several values per name, as received. */
export type MultiValueMap = ReadonlyMap<string, readonly string[]>;

export interface UrlModel {
  readonly Scheme: string;
  readonly Host: string;
  readonly Port: number;
  /** The path without the query, as received (`/api/orders/1`). */
  readonly Path: string;
  /** The query with its leading `?`, or the empty string. */
  readonly QueryString: string;
  readonly Query: MultiValueMap;
}

export interface BodyModel {
  /** The whole body as text; the runtime buffers it before an expression that reads it runs. */
  readonly text: string;
}

export interface RequestModel {
  readonly Method: string;
  readonly Url: UrlModel;
  readonly OriginalUrl: UrlModel;
  readonly Headers: MultiValueMap;
  readonly IpAddress: string;
  /** Template parameters of the matched operation (`{id}` → value). */
  readonly MatchedParameters: ReadonlyMap<string, string>;
  readonly Body?: BodyModel | null | undefined;
}

export interface ResponseModel {
  readonly StatusCode: number;
  readonly StatusReason: string;
  readonly Headers: MultiValueMap;
  readonly Body?: BodyModel | null | undefined;
}

export interface SubscriptionModel {
  readonly Id: string;
  readonly Key: string;
  readonly Name: string;
  readonly PrimaryKey: string;
  readonly SecondaryKey: string;
}

export interface ProductModel {
  readonly Id: string;
  readonly Name: string;
}

export interface ApiModel {
  readonly Id: string;
  readonly Name: string;
  readonly Path: string;
}

export interface OperationModel {
  readonly Id: string;
  readonly Name: string;
  readonly Method: string;
  readonly UrlTemplate: string;
}

export interface UserModel {
  readonly Id: string;
  readonly Email: string;
  readonly FirstName: string;
  readonly LastName: string;
}

export interface LastErrorModel {
  readonly Source: string;
  readonly Reason: string;
  readonly Message: string;
  readonly Scope: string;
  readonly Section: string;
  /** `choose[3]/when[2]`: where in the section the failing policy sits. */
  readonly Path: string;
  readonly PolicyId: string;
}

export interface DeploymentModel {
  readonly Region: string;
  readonly ServiceName: string;
}

export interface PolicyContext {
  readonly Request: RequestModel;
  readonly Response: ResponseModel | null;
  /** Written by set-variable and validate-jwt; expressions only read it. */
  readonly Variables: ReadonlyMap<string, unknown>;
  readonly Subscription: SubscriptionModel | null;
  readonly Product: ProductModel | null;
  readonly Api: ApiModel | null;
  readonly Operation: OperationModel | null;
  /** Lanyard has no developer-portal users: always null. */
  readonly User: UserModel | null;
  readonly LastError: LastErrorModel | null;
  readonly Deployment: DeploymentModel;
  /** A GUID, the request's id. */
  readonly RequestId: string;
  /** When the gateway received the request (epoch ms); `context.Elapsed` is measured from it. */
  readonly Timestamp: number;
}

/** Bounds of one evaluation. A policy that exceeds one fails that request (ExpressionEvaluationError). */
export interface EvaluationLimits {
  /** Steps of the interpreter: nodes evaluated, loop turns, lambda calls, elements produced. */
  maxSteps: number;
  /** Longest string an expression may produce. */
  maxStringLength: number;
  /** Characters an expression may produce in all, across all its strings. */
  maxCharsProduced: number;
}

export const DEFAULT_EVALUATION_LIMITS: Readonly<EvaluationLimits> = Object.freeze({
  maxSteps: 100_000,
  maxStringLength: 1024 * 1024,
  maxCharsProduced: 8 * 1024 * 1024,
});

/** What `CompiledExpression.evaluate` gets. */
export interface ExpressionContext {
  readonly context: PolicyContext;
  /** The clock (epoch ms) for `DateTime.UtcNow` and `context.Elapsed`; `Date.now` when absent. */
  readonly now?: (() => number) | undefined;
  /** GUIDs for `Guid.NewGuid()`; `crypto.randomUUID` when absent. */
  readonly newGuid?: (() => string) | undefined;
  readonly limits?: Partial<EvaluationLimits> | undefined;
}
