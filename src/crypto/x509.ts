/**
 * @module crypto/x509
 * The one place that loads @peculiar/x509. Its dependency injection (tsyringe) needs a Reflect metadata
 * polyfill loaded before it, and it needs a WebCrypto provider: Node's own, so keys move freely between
 * WebCrypto and node:crypto.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

export { x509 };
