/**
 * @module easyauth/actions
 * Azure's `unauthenticatedClientAction` values, in a module of their own so the CLI's `--action` choices do
 * not load the config schema (zod) for every `lanyard` command.
 */
export const UNAUTHENTICATED_ACTIONS = [
  'RedirectToLoginPage',
  'AllowAnonymous',
  'Return401',
  'Return403',
  'Return404',
] as const;
export type UnauthenticatedAction = (typeof UNAUTHENTICATED_ACTIONS)[number];
