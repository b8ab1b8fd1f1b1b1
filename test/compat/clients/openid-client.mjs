/**
 * @module test/compat/clients/openid-client
 * A program using openid-client v6: discovery from COMPAT_SERVER (an issuer identifier, or a full
 * `…/.well-known/openid-configuration` URL), then the client-credentials grant with client_secret_post or
 * client_secret_basic (COMPAT_AUTH).
 */
import * as client from 'openid-client';
import { report } from './report.mjs';

const env = process.env;
await report(async () => {
  const auth =
    env.COMPAT_AUTH === 'basic'
      ? client.ClientSecretBasic(env.COMPAT_SECRET)
      : client.ClientSecretPost(env.COMPAT_SECRET);
  const config = await client.discovery(new URL(env.COMPAT_SERVER), env.COMPAT_CLIENT_ID, undefined, auth);
  const tokens = await client.clientCredentialsGrant(config, { scope: env.COMPAT_SCOPE });
  return {
    issuer: config.serverMetadata().issuer,
    tokenEndpoint: config.serverMetadata().token_endpoint,
    accessToken: tokens.access_token,
    tokenType: tokens.token_type,
    expiresIn: tokens.expires_in,
  };
});
